"""The training loop: one visible loop that any model with ``model(x, y) -> (logits, loss)`` can use.

Each step, in order: evaluate (every ``eval_interval`` steps, at step 0 and at the last step), honour a
stop request, set the learning rate, forward and backward over ``grad_accum`` micro-batches, clip, check
the loss and gradient norm are finite, write the checkpoint due at this step (every
``checkpoint_interval`` steps, at the last step and when stopping), step the optimizer, log.

A checkpoint holds only weights whose loss was measured finite: the one due at step s is written after
the forward pass of step s (at the last step, the evaluation) found the loss finite, with the RNG state
from before that forward pass, so a resumed run repeats it exactly. A non-finite loss (training or
evaluation) stops training naming the step and the last good checkpoint.

"Step s" always means the model after s optimizer updates: the losses logged at step s are measured on
that model. The metric keys are ``fit()``'s: a step row has ``train_loss`` (the loss of the batch the
update of step s used), ``lr``, ``train_cpu_seconds`` and ``wall_seconds`` (cumulative time of the
training steps and of building the model and optimizer, evaluation and checkpoints excluded, carried
across resumes in the checkpoint), plus ``grad_norm``, ``ms_per_step``, ``cpu_ms_per_step``,
``tokens_per_s`` and ``threads``; an evaluation row has ``val_loss`` and ``train_eval_loss`` (the same
estimate on fixed training batches; none when ``eval_batches`` is 0, the whole validation split), the
cumulative times, ``eval_seconds`` and ``threads``. With ``target_val_loss`` the run ends at the first
evaluation at or below it.

Resuming: the loop starts from the newest complete checkpoint in ``out_dir/checkpoints``; batches are a
function of (seed, step), the learning rate a function of the step, and model, optimizer and RNG states
come from the checkpoint, so on CPU a resumed run is bit-identical to an uninterrupted one (same thread
count). SIGTERM and SIGINT finish the current step, write a checkpoint and return. A checkpoint that
cannot be written (a full disk) stops training with :class:`~nngarden.train.checkpoint.CheckpointWriteError`
naming the checkpoint still intact.
"""

from __future__ import annotations

import json
import math
import signal
import sys
import threading
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import torch

from ..config import ConfigError
from ..runs import MetricsLog, atomic_write_text, read_metrics, set_threads
from . import checkpoint as ckpt
from . import fit as fit_module
from . import hooks
from .config import TrainConfig
from .distributed import Dist
from .fit import NonFiniteLoss as NonFiniteLoss  # one class for fit() and the engine
from .fit import non_finite_loss
from .optim import build_optimizer
from .schedule import lr_at


class BatchSource(Protocol):
    def train_batch(self, step: int, micro: int, size: int) -> tuple[torch.Tensor, torch.Tensor]: ...
    def eval_batch(self, split: str, index: int, size: int) -> tuple[torch.Tensor, torch.Tensor]: ...


@dataclass
class TrainResult:
    step: int  # steps done when the loop returned
    start_step: int  # the step this invocation started from (0, or a checkpoint's)
    finished: bool  # reached max_steps
    stopped_by: str | None  # "SIGTERM" / "SIGINT" when a signal stopped it
    checkpoint: Path | None  # the newest checkpoint
    evals: list[dict[str, Any]] = field(default_factory=list)  # rows with val_loss / train_eval_loss
    seconds: float = 0.0  # wall time of this invocation's training steps
    cpu_seconds: float = 0.0
    steps_run: int = 0
    threads: int = 1
    target_reached: bool = False  # stopped at an evaluation at or below train.target_val_loss
    setup_cpu_seconds: float = 0.0  # this invocation's model and optimizer construction (in the clock)

    @property
    def ms_per_step(self) -> float:
        return 1000.0 * self.seconds / self.steps_run if self.steps_run else float("nan")


class _StopOnSignal:
    """SIGTERM / SIGINT set a flag the loop checks after each step; a second SIGINT aborts at once."""

    def __init__(self):
        self.signal: str | None = None
        self._old: dict[int, Any] = {}

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                self._old[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum, frame):
        if self.signal is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.signal = signal.Signals(signum).name

    def __exit__(self, *exc):
        for sig, handler in self._old.items():
            signal.signal(sig, handler)
        return False


def _trim_metrics(path: Path, resume_step: int | None) -> None:
    """Drop rows that a killed run logged after its last checkpoint, so a resumed log has no duplicates.

    Kept: evaluations up to the checkpoint step and batch losses (``train_loss``) before it (the batch
    loss at the checkpoint's step is logged after that checkpoint, by the update that follows it).
    """
    if not path.exists():
        return
    rows = read_metrics(path)
    if resume_step is None:
        kept = []
    else:
        kept = [
            r
            for r in rows
            if r.get("step", 0) < resume_step or (r.get("step") == resume_step and "train_loss" not in r)
        ]
    if len(kept) != len(rows) or resume_step is None:
        atomic_write_text(path, "".join(json.dumps(r) + "\n" for r in kept))


class _TensorBoard:
    """Scalars to ``out_dir/tb`` when the tensorboard package is installed; nothing otherwise."""

    def __init__(self, folder: Path, enabled: bool):
        self.writer = None
        if enabled:
            try:
                from torch.utils.tensorboard import SummaryWriter

                self.writer = SummaryWriter(str(folder))
            except ImportError:
                pass

    def add(self, step: int, values: dict[str, Any]) -> None:
        if self.writer is not None:
            for key, value in values.items():
                if isinstance(value, (int, float)) and math.isfinite(value):
                    self.writer.add_scalar(key, value, step)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


@torch.no_grad()
def evaluate(
    model: torch.nn.Module,
    source: BatchSource,
    n_batches: int,
    batch_size: int,
    device: str,
    dist: Dist,
    autocast=nullcontext,
) -> dict[str, float]:
    """Mean loss over ``n_batches`` fixed batches of each split (``train_eval_loss``, ``val_loss``);
    ranks share the batches out. ``n_batches`` 0: the whole validation split (``_whole_split``)."""
    if n_batches == 0:
        return _whole_split(model, source, device, dist, autocast)
    was_training = model.training
    model.eval()
    out = {}
    for split, key in (("train", "train_eval_loss"), ("val", "val_loss")):
        total = 0.0
        for index in range(dist.rank, n_batches, dist.world):
            x, y = source.eval_batch(split, index, batch_size)
            with autocast():
                _, loss = model(x.to(device), y.to(device))
            total += float(loss.item())
        out[key] = dist.total(total, device) / n_batches
    model.train(was_training)
    return out


WINDOWS_PER_FORWARD = 128  # whole-split evaluation: windows per forward pass


@torch.no_grad()
def _whole_split(model, source, device: str, dist: Dist, autocast=nullcontext) -> dict[str, float]:
    """``val_loss``: the mean loss over every consecutive window of the validation split
    (``source.split_windows``); ranks share the windows out. No training-split estimate: a second pass
    of that size would double the cost of every evaluation."""
    was_training = model.training
    model.eval()
    x, y = source.split_windows("val")
    total = 0.0
    for start in range(dist.rank * WINDOWS_PER_FORWARD, len(x), dist.world * WINDOWS_PER_FORWARD):
        xb, yb = x[start : start + WINDOWS_PER_FORWARD], y[start : start + WINDOWS_PER_FORWARD]
        with autocast():
            _, loss = model(xb.to(device), yb.to(device))
        total += float(loss.item()) * len(xb)  # windows of equal length: weight by their count
    model.train(was_training)
    return {"val_loss": dist.total(total, device) / len(x)}


def train_model(
    model: torch.nn.Module,
    source: BatchSource,
    cfg: TrainConfig,
    out_dir: Path,
    *,
    seed: int,
    state: dict[str, Any],
    tokenizer_json: str | None = None,
    device: str = "cpu",
    threads: int | None = None,
    compile: bool = False,
    bf16: bool = False,
    dist: Dist | None = None,
    verbose: bool = False,
    progress: bool = False,
    setup_cpu_seconds: float = 0.0,
) -> TrainResult:
    """Train ``model`` on ``source`` as ``cfg`` says, checkpointing into ``out_dir/checkpoints``.

    ``state`` (JSON-able: the run's config, the model's spec) goes into every checkpoint, which makes a
    checkpoint self-contained; so does ``tokenizer_json``. Returns when max_steps is reached or a signal
    asked it to stop; raises NonFiniteLoss on a NaN/inf loss (the checkpoints on disk stay as they were).
    ``setup_cpu_seconds`` (the caller's model construction) and this function's own set-up (the
    optimizer, a resume) count as training time, as the steps do; evaluation does not.
    """
    setup_start = time.process_time()
    dist = dist or Dist()
    out_dir = Path(out_dir)
    ckpt_dir = out_dir / "checkpoints"
    threads = set_threads(threads or cfg.threads)
    device_type = device.split(":")[0]
    if bf16 and device_type != "cuda":
        raise ConfigError("--bf16: bf16 autocast is offered on CUDA only; on this device train in fp32")
    micro_batch = cfg.batch_size // cfg.grad_accum  # global sequences per micro-step
    if micro_batch % dist.world:
        raise ConfigError(
            f"train.batch_size: {cfg.batch_size} / grad_accum {cfg.grad_accum} = {micro_batch} "
            f"sequences per micro-step cannot be split over {dist.world} processes"
        )
    per_rank = micro_batch // dist.world
    rank_slice = slice(dist.rank * per_rank, (dist.rank + 1) * per_rank)

    model.to(device)
    if cfg.eval_batches == 0 and not hasattr(source, "split_windows"):
        raise ConfigError(
            "train.eval_batches: 0 (the whole validation split) needs batches cut from a token stream; "
            "this model's batches are drawn, so give a number of batches"
        )
    optimizer = build_optimizer(model, cfg, device_type)
    if device_type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True

    # --- resume from the newest complete checkpoint ---------------------------------------------
    if dist.is_main:
        ckpt.clean_temporary(ckpt_dir)
    dist.barrier()
    start_step, latest = 0, ckpt.latest_checkpoint(ckpt_dir)
    clock: dict[str, float] = {}
    if latest is not None:
        saved = ckpt.read_state(latest)
        if saved.get("model") != state.get("model"):
            raise ConfigError(
                f"checkpoint {latest} holds a different model ({saved.get('model')}) than this "
                f"config builds ({state.get('model')}); use another output folder"
            )
        ckpt.load_model_state(latest, model, saved)
        ckpt.load_optimizer_state(latest, optimizer, saved)
        per_rank_rng = saved.get("rng_per_rank")
        if per_rank_rng and len(per_rank_rng) == dist.world:
            ckpt.set_rng_state(per_rank_rng[dist.rank])
        else:
            ckpt.set_rng_state(saved["rng"])
        start_step = int(saved["step"])
        clock = saved.get("clock") or {}  # cumulative training time up to the checkpoint
        if start_step > cfg.max_steps:
            raise ConfigError(
                f"train.max_steps: {cfg.max_steps} is below the step of the newest checkpoint "
                f"({start_step}) in {ckpt_dir}; raise it or use another output folder"
            )
    elif dist.active:
        torch.manual_seed(seed * 1000 + dist.rank)  # dropout differs per rank, reproducibly
    metrics_path = out_dir / "metrics.jsonl"
    if dist.is_main:
        _trim_metrics(metrics_path, start_step if latest is not None else None)
    log = MetricsLog(metrics_path) if dist.is_main else None
    board = _TensorBoard(out_dir / "tb", dist.is_main)
    say = print if (verbose and dist.is_main) else (lambda *a, **k: None)
    if latest is not None:
        say(f"resuming from {latest} (step {start_step})", flush=True)

    core = torch.compile(model) if compile else model
    trainer = core
    if dist.active:
        from torch.nn.parallel import DistributedDataParallel

        trainer = DistributedDataParallel(
            core, device_ids=[dist.local_rank] if device_type == "cuda" else None
        )
    autocast = (lambda: torch.autocast("cuda", dtype=torch.bfloat16)) if bf16 else nullcontext
    params = [p for p in model.parameters() if p.requires_grad]
    tokens_per_step = cfg.batch_size * _sequence_length(source, cfg)

    def save(step: int, rng: dict[str, Any]) -> Path | None:
        """Checkpoint ``step`` with ``rng``, this rank's RNG state from before the forward pass of step."""
        rngs = dist.gather(rng) if dist.active else None
        path, failure = None, None
        if dist.is_main:
            body = dict(state)
            body.update(
                rng=rng,
                data={
                    "sampler": "batches drawn from (seed, step, micro-step): no cursor to restore",
                    "seed": seed,
                    "next_step": step,
                    "batch_size": cfg.batch_size,
                    "grad_accum": cfg.grad_accum,
                    "world_size": dist.world,
                },
                clock={"train_cpu_seconds": cpu_before + cpu, "wall_seconds": wall_before + wall},
            )
            if rngs is not None:
                body["rng_per_rank"] = rngs
            try:
                path = ckpt.save_checkpoint(
                    ckpt_dir, step, model, optimizer, body, tokenizer_json, keep=cfg.keep_checkpoints
                )
            except ckpt.CheckpointWriteError as err:
                failure = err
        if dist.any([failure is not None], device)[0]:  # every rank stops, none waits for rank 0
            close()
            raise failure or ckpt.CheckpointWriteError(f"rank 0 could not write checkpoint step {step}")
        return path

    bar = None
    if progress and dist.is_main and sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=cfg.max_steps, initial=start_step, unit="step", dynamic_ncols=True)
        say = bar.write if verbose else say

    model.train()
    step, steps_run, wall, cpu = start_step, 0, 0.0, 0.0  # this invocation's training time
    setup = setup_cpu_seconds + time.process_time() - setup_start  # model and optimizer construction
    cpu_before = float(clock.get("train_cpu_seconds", 0.0)) + setup  # and the time of the runs it resumes
    wall_before = float(clock.get("wall_seconds", 0.0))

    def times() -> dict[str, float]:
        return {
            "train_cpu_seconds": round(cpu_before + cpu, 4),
            "wall_seconds": round(wall_before + wall, 4),
        }

    def close() -> None:
        if bar is not None:
            bar.close()
        board.close()

    def stop_non_finite(error: NonFiniteLoss) -> NonFiniteLoss:
        close()
        return error

    last_saved = start_step if latest is not None else None
    stopped_by = None
    # a run resumed from the checkpoint of the evaluation that met its target is already done
    reached = (
        latest is not None
        and dist.any([_target_met(cfg, _logged_val_loss(metrics_path, start_step))], device)[0]
    )
    with _StopOnSignal() as stop:
        while True:
            fresh_here = step == start_step and latest is not None  # this step was done before the checkpoint
            if not fresh_here and (step % cfg.eval_interval == 0 or step == cfg.max_steps):
                t_eval = time.perf_counter()
                losses = evaluate(core, source, cfg.eval_batches, cfg.batch_size, device, dist, autocast)
                row = dict(
                    losses, **times(), eval_seconds=round(time.perf_counter() - t_eval, 3), threads=threads
                )
                if log:
                    log.log(step, **row)
                board.add(step, losses)
                say(_eval_line(step, losses, wall, cpu, steps_run, threads), flush=True)
                if not all(math.isfinite(v) for v in losses.values()):
                    raise stop_non_finite(_non_finite_evaluation(step, losses, _last_good(ckpt_dir)))
                reached = _target_met(cfg, losses["val_loss"])
            due = not fresh_here and (
                step % cfg.checkpoint_interval == 0 and step > 0 or step == cfg.max_steps or reached
            )
            if step >= cfg.max_steps or reached:
                if due:  # the evaluation just done measured this model's loss: finite
                    save(step, ckpt.rng_state())
                break
            hooks.hang_at_step(step, lambda: stop.signal is not None)
            stopping = dist.any([stop.signal is not None], device)[0]
            if stopping:
                stopped_by = stop.signal or "signal on another rank"
                due = due or last_saved != step
                if not due:
                    say(f"stopped by {stopped_by} at step {step}; checkpoint written", flush=True)
                    break
            rng_before = ckpt.rng_state() if due else None  # the state a resumed run starts step from

            lr = lr_at(
                step, cfg.lr, cfg.min_lr, cfg.warmup_steps, cfg.decay_steps, cfg.schedule, cfg.cooldown
            )
            for group in optimizer.param_groups:
                group["lr"] = lr * group.get("lr_scale", 1.0)  # Muon's matrices keep their own peak
            t0, c0 = time.perf_counter(), time.process_time()
            loss_sum = torch.zeros((), device=device)
            for micro in range(cfg.grad_accum):
                x, y = source.train_batch(step, micro, micro_batch)
                x, y = x[rank_slice].to(device), y[rank_slice].to(device)
                if step == start_step and micro == 0:
                    fit_module.notify_recorders(model, (x, y), device)
                sync = trainer.no_sync() if dist.active and micro < cfg.grad_accum - 1 else nullcontext()
                with sync:
                    with autocast():
                        _, loss = trainer(x, y)
                    loss = hooks.poison_loss(step, loss)
                    (loss / cfg.grad_accum).backward()
                loss_sum += loss.detach()
            max_norm = cfg.grad_clip if cfg.grad_clip > 0 else float("inf")
            grad_norm = float(torch.nn.utils.clip_grad_norm_(params, max_norm))
            loss_value = dist.mean(float(loss_sum.item()) / cfg.grad_accum, device)
            bad = dist.any([not (math.isfinite(loss_value) and math.isfinite(grad_norm))], device)[0]
            if bad:
                if log:
                    log.log(step, nonfinite=True, lr=lr)
                raise stop_non_finite(non_finite_loss(step, loss_value, grad_norm, _last_good(ckpt_dir)))
            dt, dc = time.perf_counter() - t0, time.process_time() - c0
            if due:  # the loss of this model is now known finite: it may be kept
                save(step, rng_before)
                last_saved = step
            if stopping:
                say(f"stopped by {stopped_by} at step {step}; checkpoint written", flush=True)
                break
            t0, c0 = time.perf_counter(), time.process_time()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            dt, dc = dt + time.perf_counter() - t0, dc + time.process_time() - c0
            wall, cpu, steps_run = wall + dt, cpu + dc, steps_run + 1
            row = {
                "train_loss": loss_value,
                "lr": lr,
                **times(),
                "grad_norm": grad_norm,
                "ms_per_step": round(1000 * dt, 3),
                "cpu_ms_per_step": round(1000 * dc, 3),
                "tokens_per_s": round(tokens_per_step / dt, 1),
                "threads": threads,
            }
            if log:
                log.log(step, **row)
            board.add(step, {"train_loss": loss_value, "lr": lr})
            step += 1
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{loss_value:.3f}")
    close()
    evals = [r for r in read_metrics(metrics_path) if "val_loss" in r] if dist.is_main else []
    return TrainResult(
        step=step,
        start_step=start_step,
        finished=(step >= cfg.max_steps or reached) and stopped_by is None,
        stopped_by=stopped_by,
        checkpoint=ckpt.latest_checkpoint(ckpt_dir),
        evals=evals,
        seconds=wall,
        cpu_seconds=cpu,
        steps_run=steps_run,
        threads=threads,
        target_reached=reached,
        setup_cpu_seconds=setup,
    )


def _target_met(cfg: TrainConfig, val_loss: float | None) -> bool:
    return cfg.target_val_loss is not None and val_loss is not None and val_loss <= cfg.target_val_loss


def _logged_val_loss(path: Path, step: int) -> float | None:
    """The validation loss logged at ``step`` (None when that step has no evaluation row)."""
    rows = (
        [r for r in read_metrics(path) if r.get("step") == step and "val_loss" in r] if path.exists() else []
    )
    return rows[-1]["val_loss"] if rows else None


def _last_good(ckpt_dir: Path) -> str:
    """Which checkpoint a stopped run leaves to resume or use: every one written had a finite loss."""
    latest = ckpt.latest_checkpoint(ckpt_dir)
    if latest is None:
        return "no checkpoint was written yet"
    return f"the last good checkpoint is step {ckpt.checkpoint_step(latest)} ({latest})"


def _non_finite_evaluation(step: int, losses: dict[str, float], where: str) -> NonFiniteLoss:
    shown = ", ".join(f"{key} {value}" for key, value in losses.items())
    return NonFiniteLoss(f"non-finite evaluation loss at step {step} ({shown}); {where}")


def _eval_line(
    step: int, losses: dict[str, float], wall: float, cpu: float, steps_run: int, threads: int
) -> str:
    line = f"step {step}: val loss {losses['val_loss']:.4f}"
    if "train_eval_loss" in losses:
        line = f"step {step}: train loss {losses['train_eval_loss']:.4f}, val loss {losses['val_loss']:.4f}"
    if steps_run:
        line += (
            f"  ({1000 * wall / steps_run:.0f} ms/step wall, {1000 * cpu / steps_run:.0f} ms CPU, "
            f"{threads} thread{'s' if threads > 1 else ''})"
        )
    return line


def _sequence_length(source: BatchSource, cfg: TrainConfig) -> int:
    x, _ = source.eval_batch("train", 0, 1)
    return int(x.shape[-1])
