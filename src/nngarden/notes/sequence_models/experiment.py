"""The sequence-models measurements: gradient path lengths, timing against n, and copy memory.

Every model is built at the width whose parameter count comes closest to ``cfg.params``. Each stage
returns plain numbers (ratio profiles, timing medians, recall curves with their counts), so ``nngarden
rejudge`` can judge and draw without a model in memory.
"""

from __future__ import annotations

import copy
import math
import os
import random
import statistics
import time

import torch
import torch.nn.functional as F

from ...data.long_range import COPY_TOKENS, RECALLED, copy_memory_batch, recall_positions
from ...data.text import keyed_generator
from ...nn.sequence import TCN, CausalAttention, Recurrent, SequenceModel, parameter_count
from ...train.fit import fit
from .config import SequenceModelsConfig, tcn_name

# ---- the compared models, matched in parameters -------------------------------------------------


def receptive_field(kernel: int, levels: int) -> int:
    """The TCN's receptive field, 1 + 2 (k - 1) (2^L - 1) (two convolutions per level)."""
    return 1 + 2 * (kernel - 1) * (2**levels - 1)


def tcn_shape(T: int, ratio: float, max_kernel: int, max_levels: int = 12) -> tuple[int, int]:
    """(kernel, levels) whose receptive field R comes closest to ratio * (T + 11) in log scale, on the
    same side of T + 11 (a field below it cannot reach a symbol from its recall; one at or above can)."""
    span, target = T + 11, ratio * (T + 11)
    best = None
    for kernel in range(2, max_kernel + 1):
        for levels in range(1, max_levels + 1):
            r = receptive_field(kernel, levels)
            if (r >= span) != (ratio >= 1):
                continue
            score = (abs(math.log(r / target)), kernel, levels)
            best = min(best, score) if best else score
    if best is None:
        raise ValueError(f"no TCN with kernel <= {max_kernel} reaches {ratio} x (T + 11) for T = {T}")
    return best[1], best[2]


def _build(kind: str, width: int, cfg: SequenceModelsConfig, shape: dict) -> SequenceModel:
    if kind in ("lstm", "gru"):
        return Recurrent(COPY_TOKENS, width, COPY_TOKENS, layers=1, cell=kind)
    if kind == "attention":
        return CausalAttention(COPY_TOKENS, width, COPY_TOKENS, cfg.attention_layers, cfg.attention_heads)
    return TCN(COPY_TOKENS, width, COPY_TOKENS, levels=shape["levels"], kernel=shape["kernel"])


def matched_model(
    kind: str, cfg: SequenceModelsConfig, shape: dict | None = None
) -> tuple[SequenceModel, int]:
    """(model, width) with the width whose parameter count is closest to ``cfg.params``."""
    shape = shape or {}
    step = 2 * cfg.attention_heads if kind == "attention" else 1  # even, whole heads
    widths = range(step, 2048 + 1, step)
    lo, hi = 0, len(widths) - 1
    while lo < hi:  # the smallest width at or above the budget (counts grow with the width)
        mid = (lo + hi) // 2
        if parameter_count(_build(kind, widths[mid], cfg, shape)) < cfg.params:
            lo = mid + 1
        else:
            hi = mid
    candidates = [widths[i] for i in {max(lo - 1, 0), lo}]
    width = min(candidates, key=lambda w: abs(parameter_count(_build(kind, w, cfg, shape)) - cfg.params))
    return _build(kind, width, cfg, shape), width


def model_specs(cfg: SequenceModelsConfig, T: int) -> list[dict]:
    """Every model trained on copy memory at blank length T: the recurrent cells, attention, the TCNs."""
    specs = [{"name": cell, "kind": cell} for cell in cfg.recurrent_cells]
    specs.append({"name": "attention", "kind": "attention"})
    for ratio in cfg.rf_ratios:
        kernel, levels = tcn_shape(T, ratio, cfg.max_kernel)
        specs.append(
            {
                "name": tcn_name(ratio),
                "kind": "tcn",
                "ratio": ratio,
                "kernel": kernel,
                "levels": levels,
                "receptive_field": receptive_field(kernel, levels),
            }
        )
    return specs


def build_spec(cfg: SequenceModelsConfig, spec: dict, seed: int) -> tuple[SequenceModel, int]:
    torch.manual_seed(seed)
    return matched_model(spec["kind"], cfg, spec)


# ---- gradient path length -------------------------------------------------------------------------


def jacobian_norms(model: SequenceModel, ids: torch.Tensor, position: int) -> torch.Tensor:
    """‖∂y_position / ∂e_s‖_F for every input position s: ids (S, n) -> (S, n).

    Each sequence is repeated once per output unit and row b backpropagates output unit b, so one
    backward pass gives every row of the Jacobian."""
    S, n = ids.shape
    V = model.head.out_features
    e = model.embed(ids).detach().repeat_interleave(V, dim=0).requires_grad_(True)  # (S V, n, C)
    out = model(None, embedded=e)  # (S V, n, V)
    rows = torch.arange(S * V)
    out[rows, position, rows % V].sum().backward()
    return e.grad.view(S, V, n, -1).pow(2).sum(dim=(1, 3)).sqrt()


def ratio_profile(model: SequenceModel, ids: torch.Tensor, position: int) -> list[list[float]]:
    """Per sequence, r(D) = ‖∂y_n/∂e_{n-D}‖ / ‖∂y_n/∂e_n‖ for D = 0..n (n = ``position``), in float64
    so that a vanishing gradient underflows nowhere near the thresholds."""
    model64 = copy.deepcopy(model).double().eval()
    norms = jacobian_norms(model64, ids, position)[:, : position + 1]  # (S, n + 1)
    ratios = norms.flip(1) / norms[:, position : position + 1]  # column D is position - D
    return ratios.tolist()


def path_length_stage(cfg: SequenceModelsConfig, covering: dict) -> dict:
    """Ratio profiles at initialisation for every model kind, one input sequence and init per seed."""
    n = cfg.path_length
    out: dict = {"length": n, "models": {}, "params": {}}
    for i in range(cfg.path_seeds):
        seed = cfg.seed + i
        ids = torch.randint(COPY_TOKENS, (1, n), generator=keyed_generator("path-length", seed))
        for kind in ("lstm", "gru", "tcn", "attention"):
            model, _ = build_spec(cfg, {"kind": kind, **covering} if kind == "tcn" else {"kind": kind}, seed)
            out["models"].setdefault(kind, []).append(ratio_profile(model, ids, n - 1)[0])
            out["params"][kind] = parameter_count(model)
    out["tcn_receptive_field"] = covering["receptive_field"]
    return out


# ---- timing against n -----------------------------------------------------------------------------


def _clock(device: str):
    if device.startswith("cuda"):

        def now() -> float:
            torch.cuda.synchronize()
            return time.perf_counter()

        return now
    return time.process_time  # process CPU time: robust to other processes sharing the cores


def _timed_calls(model, device: str, batch: int, n: int, seed: int):
    """(forward, train step) closures on random tokens of shape (batch, n)."""
    g = keyed_generator("timing", seed, n)
    ids = torch.randint(COPY_TOKENS, (batch, n), generator=g).to(device)
    targets = torch.randint(COPY_TOKENS, (batch, n), generator=g).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)

    def forward() -> None:
        with torch.no_grad():
            model(ids)

    def train_step() -> None:
        loss = F.cross_entropy(model(ids).reshape(-1, COPY_TOKENS), targets.reshape(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    return {"forward": forward, "train": train_step}


def timing_stage(cfg: SequenceModelsConfig, covering: dict, device: str, threads: int) -> dict:
    """Median seconds per call of each model's forward and training step at each n, from interleaved
    repeats (every (model, n, pass) once per round, in a shuffled order), with ``threads`` threads."""
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        models = {}
        for kind in cfg.timing_models:
            model, _ = build_spec(
                cfg, {"kind": kind, **covering} if kind == "tcn" else {"kind": kind}, cfg.seed
            )
            models[kind] = model.to(device)
        now = _clock(device)
        calls, loops = {}, {}
        for kind, model in models.items():
            for n in cfg.timing_lengths:
                for name, call in _timed_calls(model, device, cfg.timing_batch, n, cfg.seed).items():
                    call()  # warm-up: allocations, Adam's state, first-call dispatch
                    start = now()
                    call()
                    once = max(now() - start, 1e-6)
                    calls[kind, n, name] = call
                    loops[kind, n, name] = max(1, math.ceil(cfg.timing_min_seconds / once))
        load_before = os.getloadavg()[0]
        samples = {key: [] for key in calls}
        order = list(calls)
        shuffle = random.Random(cfg.seed)
        for _ in range(cfg.timing_repeats):
            shuffle.shuffle(order)
            for key in order:
                start = now()
                for _ in range(loops[key]):
                    calls[key]()
                samples[key].append((now() - start) / loops[key])
        return _timing_summary(cfg, models, samples, load_before, device, threads)
    finally:
        torch.set_num_threads(before)


def _timing_summary(cfg, models, samples, load_before: float, device: str, threads: int) -> dict:
    out = {
        "device": device,
        "threads": threads,
        "clock": "cuda wall (synchronised)" if device.startswith("cuda") else "process CPU",
        "lengths": list(cfg.timing_lengths),
        "repeats": cfg.timing_repeats,
        "batch": cfg.timing_batch,
        "load_average": [load_before, os.getloadavg()[0]],
        "models": {},
    }
    for kind, model in models.items():
        entry = {
            "params": parameter_count(model),
            "sequential_steps": [model.sequential_steps(n) for n in cfg.timing_lengths],
            "layers": model.rnn.num_layers if kind in ("lstm", "gru") else len(model.blocks),
        }
        for name in ("forward", "train"):
            runs = [samples[kind, n, name] for n in cfg.timing_lengths]
            entry[name] = [statistics.median(r) for r in runs]
            entry[f"{name}_quartiles"] = [
                statistics.quantiles(r, n=4)[::2] if len(r) > 1 else r * 2 for r in runs
            ]
        out["models"][kind] = entry
    return out


# ---- copy memory -----------------------------------------------------------------------------------


def _recall_counts(model, ids, targets, T: int) -> tuple[int, float]:
    """(symbols recalled, mean cross-entropy over every position) on a held-out batch."""
    logits = model(ids)
    where = recall_positions(T)
    recalled = int((logits[:, where].argmax(-1) == targets[:, where]).sum())
    return recalled, float(F.cross_entropy(logits.reshape(-1, COPY_TOKENS), targets.reshape(-1)))


def field_check(model: TCN, ids: torch.Tensor, T: int, R: int) -> dict:
    """Gradients of each recall output y_t with respect to the input embeddings: exactly zero beyond the
    receptive field (s <= t - R), nonzero inside it; and the recalled symbol's own gradient."""
    e = model.embed(ids).detach().requires_grad_(True)
    beyond, inside, own = 0.0, math.inf, 0.0
    for i in range(RECALLED):
        t = T + RECALLED + i
        e.grad = None
        model(None, embedded=e)[:, t].sum().backward()
        grad = e.grad.abs()
        if t - R + 1 > 0:
            beyond = max(beyond, float(grad[:, : t - R + 1].max()))
        inside = min(inside, float(grad[:, max(t - R + 1, 0) : t + 1].sum()))
        own = max(own, float(grad[:, i].max()))
    return {"max_beyond": beyond, "min_inside_sum": inside, "max_own_symbol": own}


def copy_stage(ctx, cfg: SequenceModelsConfig, T: int, spec: dict) -> dict:
    """Train one model on copy memory with ``fit``, evaluating held-out recall along the way; then its
    gradient-ratio profile from the first recall position and, for a TCN, the receptive-field check."""
    model, width = build_spec(cfg, spec, cfg.seed)
    test_ids, test_targets = copy_memory_batch(cfg.n_test, T, cfg.seed, 0, split="test")
    test_ids, test_targets = test_ids.to(ctx.device), test_targets.to(ctx.device)
    n_items = cfg.n_test * RECALLED

    def evaluate(model) -> dict:
        recalled, loss = _recall_counts(model, test_ids, test_targets, T)
        return {"val_loss": loss, "recall": recalled / n_items, "recalled": recalled}

    def loss_fn(model, batch) -> torch.Tensor:
        ids, targets = batch
        return F.cross_entropy(model(ids).reshape(-1, COPY_TOKENS), targets.reshape(-1))

    steps = cfg.steps * (cfg.recurrent_factor if spec["kind"] in ("lstm", "gru") else 1)
    result = fit(
        model,
        loss_fn,
        lambda step: copy_memory_batch(cfg.batch, T, cfg.seed, step),
        lambda params: torch.optim.Adam(params, lr=cfg.lr),
        steps=steps,
        device=ctx.device,
        grad_clip=cfg.clip,
        evaluate=evaluate,
        eval_every=cfg.eval_every,
        log=ctx.log,
        tag=f"T{T}-{spec['name']}",
    )
    model.eval()
    curve = [[r["step"], r["recalled"], r["val_loss"]] for r in result.history if "recalled" in r]
    losses = [[r["step"], r["train_loss"]] for r in result.history if "train_loss" in r]
    out = {
        **spec,
        "T": T,
        "width": width,
        "params": parameter_count(model),
        "steps": steps,
        "n_items": n_items,
        "curve": curve,  # [step, symbols recalled of n_items, held-out loss]
        "train_loss": losses,
        "recalled": curve[-1][1],
        "train_cpu_seconds": result.train_cpu_seconds,
        "train_wall_seconds": result.wall_seconds,
    }
    probe = test_ids[: cfg.path_sequences].cpu()
    model.cpu()
    out["trained_profile"] = ratio_profile(model, probe, T + RECALLED)
    if spec["kind"] == "tcn":
        out["field_check"] = field_check(model, test_ids[:32].cpu(), T, spec["receptive_field"])
    return out


# ---- the run -------------------------------------------------------------------------------------


def covering_shape(cfg: SequenceModelsConfig) -> dict:
    """The long-range TCN's shape at the first blank length (the one timed and probed at init)."""
    return next(s for s in model_specs(cfg, cfg.blank_lengths[0]) if s.get("ratio") == cfg.covering_ratio)


def measure(cfg: SequenceModelsConfig, ctx) -> dict:
    """Path lengths at initialisation, timing on one CPU thread (and wider hardware when asked or
    present), then every model trained on copy memory at each blank length."""
    covering = covering_shape(cfg)
    results: dict = {"path_init": ctx.stage("path-length-init", lambda: path_length_stage(cfg, covering))}
    results["timing"] = ctx.stage("timing-cpu-1", lambda: timing_stage(cfg, covering, "cpu", 1))
    wide = {}
    threads = cfg.wide_threads
    if threads and threads > 1:
        wide[f"cpu-{threads}"] = ctx.stage(
            f"timing-cpu-{threads}", lambda: timing_stage(cfg, covering, "cpu", threads)
        )
    if str(ctx.device).startswith("cuda"):
        wide["cuda"] = ctx.stage("timing-cuda", lambda: timing_stage(cfg, covering, str(ctx.device), 1))
    results["timing_wide"] = wide
    results["copy"] = {
        str(T): {
            spec["name"]: ctx.stage(
                f"copy-T{T}-{spec['name']}", lambda T=T, spec=spec: copy_stage(ctx, cfg, T, spec)
            )
            for spec in model_specs(cfg, T)
        }
        for T in cfg.blank_lengths
    }
    return results


def metrics(cfg: SequenceModelsConfig, results: dict) -> dict[str, float]:
    out: dict[str, float] = {}
    for T, runs in results["copy"].items():
        for name, r in runs.items():
            out[f"T{T}_{name}_recall"] = r["recalled"] / r["n_items"]
            out[f"T{T}_{name}_params"] = r["params"]
            out[f"T{T}_{name}_train_cpu_seconds"] = r["train_cpu_seconds"]
    timing = results["timing"]
    for kind, entry in timing["models"].items():
        for name in ("forward", "train"):
            out[f"{kind}_{name}_ms_at_{timing['lengths'][-1]}"] = 1000 * entry[name][-1]
    return out
