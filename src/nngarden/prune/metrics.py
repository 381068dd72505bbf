"""What pruning bought: parameters, non-zeros, compression, multiply-adds, and measured latency.

Definitions (Blalock et al. 2020): compression ratio = parameters of the model / non-zero parameters
left; theoretical speedup = dense multiply-adds / multiply-adds with non-zero weights. The second is
*theoretical*: a masked dense layer still multiplies every zero. Only measured latency
(``torch.utils.benchmark`` at a fixed thread count) says what a pruned model gains on real hardware.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn

from ..config import ConfigError
from ..nn import count_parameters
from .masks import effective_weight, is_masked, unique_parameters


def count_params(model: nn.Module) -> int:
    """All parameters, tied tensors once; a masked weight counts at its full size."""
    return count_parameters(model)


def count_nonzero(model: nn.Module) -> int:
    """Non-zero entries of the parameters the model computes with (masks applied)."""
    total = 0
    masked = {id(m.weight_orig): m for m in model.modules() if is_masked(m)}
    for _, p in unique_parameters(model):
        w = effective_weight(masked[id(p)]) if id(p) in masked else p
        total += int(torch.count_nonzero(w.detach()))
    return total


def compression_ratio(model: nn.Module, dense_params: int | None = None) -> float:
    """``dense_params`` (default: this model's own size) / non-zeros; pass the dense model's size
    to score a structurally smaller model against the original."""
    return (dense_params or count_params(model)) / max(count_nonzero(model), 1)


def layer_densities(layers: dict[str, nn.Module]) -> dict[str, float]:
    """Fraction of each layer's weight entries that are non-zero."""
    return {
        n: float(torch.count_nonzero(effective_weight(m).detach())) / effective_weight(m).numel()
        for n, m in layers.items()
    }


@torch.no_grad()
def multiply_adds(model: nn.Module, example: torch.Tensor | tuple) -> tuple[int, int]:
    """(dense, non-zero) multiply-adds of Linear and Conv layers for one forward pass on ``example``.

    Dense counts every weight; non-zero counts only weights that are not zero (what sparse hardware
    could skip). Attention's q.k and weights.v products have no weights and are not counted.
    """
    counts = [0, 0]

    def hook(module, _inputs, output):
        w = effective_weight(module)
        out_units = module.out_features if isinstance(module, nn.Linear) else module.out_channels
        positions = output.numel() // out_units  # batch x spatial positions x tokens
        per_unit = w.numel() // out_units  # multiply-adds per output unit
        counts[0] += positions * out_units * per_unit
        counts[1] += positions * int(torch.count_nonzero(w))

    handles = [
        m.register_forward_hook(hook)
        for m in model.modules()
        if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d))
    ]
    was_training = model.training
    model.eval()
    try:
        model(*example) if isinstance(example, tuple) else model(example)
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    return counts[0], counts[1]


CLOCKS = ("wall", "thread_cpu")


@torch.no_grad()
def measure_latency(
    model: nn.Module, example: torch.Tensor, threads: int = 1, min_run_time: float = 0.2, clock: str = "wall"
) -> float:
    """Median seconds of one forward pass (``torch.utils.benchmark``, ``threads`` intra-op threads).

    ``clock="wall"`` times wall-clock seconds (what a user waits on an idle machine);
    ``clock="thread_cpu"`` times the CPU seconds of the calling thread, which the scheduler's
    preemption on a busy shared machine does not inflate. With one thread the two agree on an idle
    machine; with several intra-op threads only ``wall`` is meaningful.
    """
    import time

    from torch.utils import benchmark

    if clock not in CLOCKS:
        raise ConfigError(f"clock: got {clock!r}, allowed: {', '.join(CLOCKS)}")
    if clock == "thread_cpu" and threads != 1:
        raise ConfigError("clock: thread_cpu only measures one thread; use clock=wall with threads > 1")
    was_training = model.training
    model.eval()
    try:
        timer = benchmark.Timer(
            stmt="model(x)",
            globals={"model": model, "x": example},
            num_threads=threads,
            timer=time.thread_time if clock == "thread_cpu" else time.perf_counter,
        )
        return float(timer.blocked_autorange(min_run_time=min_run_time).median)
    finally:
        model.train(was_training)


def measured_speedups(
    dense: nn.Module,
    others: dict[str, nn.Module],
    example: torch.Tensor,
    threads: int = 1,
    repeats: int = 3,
    min_run_time: float = 0.2,
    clock: str = "wall",
) -> dict[str, float]:
    """Dense latency / each model's latency, timing dense and pruned alternately ``repeats`` times
    and keeping each model's fastest median: load from other processes only ever adds time."""
    times: dict[str, list[float]] = {"dense": []}
    times.update({k: [] for k in others})
    for _ in range(repeats):
        times["dense"].append(measure_latency(dense, example, threads, min_run_time, clock))
        for name, model in others.items():
            times[name].append(measure_latency(model, example, threads, min_run_time, clock))
    med = {k: min(v) for k, v in times.items()}
    out = {f"{k}_seconds": v for k, v in med.items()}
    out.update({k: med["dense"] / med[k] for k in others})
    return out


def interleaved_latencies(
    models: dict[str, nn.Module],
    example: torch.Tensor,
    rounds: int = 5,
    threads: int = 1,
    min_run_time: float = 0.1,
    clock: str = "wall",
) -> dict[str, list[float]]:
    """Median seconds of one forward pass of every model in each of ``rounds`` rounds.

    A round times every model once, starting one place further along the list each round, so a slow
    spell of the machine (or a warming cache) falls on all models alike rather than on whichever comes
    first: the ratio of two models within a round is a paired measurement, and the rounds give its
    spread.
    """
    names = list(models)
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            times[name].append(measure_latency(models[name], example, threads, min_run_time, clock))
    return times


def fitted_overhead(macs: list[float], seconds: list[float]) -> tuple[float, float]:
    """(seconds per call, seconds per multiply-add) of the least-squares line seconds = a + b * macs.

    The intercept is what a forward pass costs whatever its arithmetic (Python, dispatch, memory
    allocation): it caps the speedup of a smaller model at (a + b macs_dense) / a however small it gets.
    """
    if len(macs) < 2 or len(set(macs)) < 2:
        raise ValueError("fitted_overhead needs at least two different multiply-add counts")
    slope, intercept = np.polyfit(np.asarray(macs, dtype=float), np.asarray(seconds, dtype=float), 1)
    return float(intercept), float(slope)
