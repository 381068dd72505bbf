"""``fit``: the training loop of the notes' small models (the engine in ``loop.py`` is for the long,
checkpointed GPT and BERT runs).

One visible loop, with the engine's conventions:

- "step s" is the model after s optimizer updates; an evaluation logged at step s measured that model;
- the run's device is honoured: the model and every batch are moved to it;
- a non-finite loss or gradient norm stops training before the bad update, naming the step
  (:class:`NonFiniteLoss`);
- the same metric keys as the engine: ``step``, ``train_loss`` (the loss of the batch that the update
  of step s used, measured on the model after s updates), ``val_loss`` (at an evaluation), ``lr``,
  ``train_cpu_seconds`` (process CPU time of training, cumulative, evaluation excluded) and
  ``wall_seconds`` (likewise), so the garden can draw a learning curve for any note.

Batches are a function of the step (``batches(step)``), so a run is reproducible from its seed.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import torch

from ..config import Failure

Batch = Any  # a tensor, or a tuple / list / dict of tensors (anything else passes through unchanged)


class NonFiniteLoss(Failure):
    """The loss or gradient norm became NaN or infinite; training stopped before the bad update."""


@dataclass
class FitResult:
    steps: int  # optimizer updates done
    train_loss: float  # the last batch's loss (nan when no step ran)
    val_loss: float | None  # the last evaluation's validation loss, if any
    train_cpu_seconds: float  # process CPU time of the training steps (evaluation excluded)
    wall_seconds: float  # wall time of the training steps (evaluation excluded)
    stopped_early: bool  # ``stop`` asked to stop before ``steps``
    history: list[dict[str, Any]] = field(default_factory=list)  # every logged row


def to_device(batch: Batch, device: str | torch.device) -> Batch:
    """``batch`` with every tensor in it on ``device``."""
    if isinstance(batch, torch.Tensor):
        return batch.to(device)
    if isinstance(batch, (tuple, list)):
        return type(batch)(to_device(item, device) for item in batch)
    if isinstance(batch, dict):
        return {key: to_device(value, device) for key, value in batch.items()}
    return batch


def non_finite_loss(step: int, loss: float, grad_norm: float, where: str = "") -> NonFiniteLoss:
    """The error for a non-finite loss or gradient norm at ``step``; ``where`` adds what is left on disk."""
    message = (
        f"non-finite training loss at step {step} (loss {loss}, gradient norm {grad_norm}); "
        "stopped before updating the weights"
    )
    return NonFiniteLoss(f"{message}; {where}" if where else message)


def check_finite(step: int, loss: float, grad_norm: float = 0.0) -> None:
    """Raise :class:`NonFiniteLoss` naming ``step`` when the loss or gradient norm is not finite."""
    if not (math.isfinite(loss) and math.isfinite(grad_norm)):
        raise non_finite_loss(step, loss, grad_norm)


# Test hook: callables that see (model, batch, device) at the first step of every fit.
_recorders: list[Callable[[torch.nn.Module, Batch, str], None]] = []


def notify_recorders(model: torch.nn.Module, batch: Batch, device: str) -> None:
    """Show the first step's model and batch to the test recorders (fit() and the engine call this)."""
    for recorder in _recorders:
        recorder(model, batch, str(device))


@contextmanager
def record_fits(recorder: Callable[[torch.nn.Module, Batch, str], None]) -> Iterator[None]:
    """Call ``recorder(model, batch, device)`` at the first step of every ``fit`` inside the block."""
    _recorders.append(recorder)
    try:
        yield
    finally:
        _recorders.remove(recorder)


def _clipper(model: torch.nn.Module, params: list[torch.nn.Parameter]) -> Callable[[float], float]:
    """``clip(max_norm) -> gradient norm``: one global norm over ``params``, or the model's own
    ``clip_grad_norm_`` when it has one (stacked models clip each member by its own norm and return the
    members' norms; the largest stands for them, and any non-finite one makes it non-finite)."""
    own = getattr(model, "clip_grad_norm_", None)
    if callable(own):
        return lambda max_norm: float(torch.as_tensor(own(max_norm)).max())
    return lambda max_norm: float(torch.nn.utils.clip_grad_norm_(params, max_norm))


def fit(
    model: torch.nn.Module,
    loss_fn: Callable[[torch.nn.Module, Batch], torch.Tensor],
    batches: Callable[[int], Batch],
    optimizer: torch.optim.Optimizer | Callable[[list[torch.nn.Parameter]], torch.optim.Optimizer],
    *,
    steps: int,
    device: str | torch.device = "cpu",
    lr: Callable[[int], float] | None = None,
    grad_clip: float = 0.0,
    evaluate: Callable[[torch.nn.Module], float | dict[str, float]] | None = None,
    eval_every: int = 0,
    stop: Callable[[int, float, dict[str, float]], bool] | None = None,
    log: Callable[..., None] | None = None,
    log_every: int | None = None,
    tag: str | None = None,
) -> FitResult:
    """Train ``model`` for ``steps`` updates of ``optimizer`` on ``loss_fn(model, batches(step))``.

    ``optimizer`` is an optimizer over the model's parameters, or a function that builds one from them.
    ``lr(step)``, when given, sets every parameter group's learning rate before the update of that step.
    ``evaluate(model)`` returns the validation loss (or a dict with ``val_loss`` and other values); it
    runs in eval mode without gradients after every ``eval_every`` updates (0: only after the last one),
    and at step 0 when ``eval_every`` > 0. ``stop(step, train_loss, evaluation)`` may end training early
    (a loss tolerance). ``log(step, **row)`` receives the metric rows (``ctx.log``), every ``log_every``
    steps (default: about 200 rows a run), with ``run=tag`` when several fits share one log.
    ``grad_clip`` > 0 clips the gradient's global norm before each update; a model with its own
    ``clip_grad_norm_(max_norm)`` (the stacked models of ``nn/stacked_seq2seq.py``) clips itself.
    """
    device = str(device)
    model.to(device)
    params = [p for p in model.parameters() if p.requires_grad]
    clip = _clipper(model, params)
    if not isinstance(optimizer, torch.optim.Optimizer):
        optimizer = optimizer(params)
    log_every = log_every or max(1, steps // 200)
    history: list[dict[str, Any]] = []
    cpu = wall = 0.0
    train_loss, val_loss = math.nan, None

    def emit(step: int, **values: Any) -> None:
        row = {"step": step, **({"run": tag} if tag else {}), **values}
        history.append(row)
        if log is not None:
            log(**row)

    def run_evaluation(step: int) -> dict[str, float]:
        nonlocal val_loss
        was_training = model.training
        model.eval()
        with torch.no_grad():
            measured = evaluate(model)
        model.train(was_training)
        values = dict(measured) if isinstance(measured, dict) else {"val_loss": float(measured)}
        val_loss = values.get("val_loss", val_loss)
        emit(step, **values, train_cpu_seconds=round(cpu, 4), wall_seconds=round(wall, 4))
        return values

    model.train()
    evaluation: dict[str, float] = {}
    if evaluate is not None and eval_every > 0:
        evaluation = run_evaluation(0)
    step, stopped = 0, False
    while step < steps:
        batch = to_device(batches(step), device)
        if step == 0:
            notify_recorders(model, batch, device)
        rate = lr(step) if lr is not None else optimizer.param_groups[0]["lr"]
        t0, c0 = time.perf_counter(), time.process_time()
        if lr is not None:
            for group in optimizer.param_groups:
                group["lr"] = rate
        loss = loss_fn(model, batch)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        grad_norm = 0.0
        if grad_clip > 0:
            grad_norm = clip(grad_clip)
        train_loss = float(loss.item())
        check_finite(step, train_loss, grad_norm)
        optimizer.step()
        wall += time.perf_counter() - t0
        cpu += time.process_time() - c0
        if step % log_every == 0 or step + 1 == steps:  # the batch loss of the model after `step` updates
            emit(
                step,
                train_loss=train_loss,
                lr=float(rate),
                train_cpu_seconds=round(cpu, 4),
                wall_seconds=round(wall, 4),
            )
        step += 1
        done = step == steps
        if evaluate is not None and (done or (eval_every > 0 and step % eval_every == 0)):
            evaluation = run_evaluation(step)
        if stop is not None and not done and stop(step, train_loss, evaluation):
            stopped = True
            if evaluate is not None and not (eval_every > 0 and step % eval_every == 0):
                evaluation = run_evaluation(step)
            break
    return FitResult(
        steps=step,
        train_loss=train_loss,
        val_loss=val_loss,
        train_cpu_seconds=cpu,
        wall_seconds=wall,
        stopped_early=stopped,
        history=history,
    )
