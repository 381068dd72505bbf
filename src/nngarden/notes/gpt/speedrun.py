"""Issue 18: the speedrun recipe against the baby recipe, side by side, in CPU seconds to the baby's loss.

The protocol, fixed before any result: both recipes read the same characters and the same split; every
evaluation covers the whole validation split in consecutive windows of 64 characters
(``train.eval_batches=0``); the target is the mean over the seeds of the baby recipe's final validation
loss; a recipe's time is its ``train_cpu_seconds`` (building the model and optimizer and the training
steps, one thread, evaluation excluded) at its first evaluation at or below the target. The runs are
interleaved seed by seed (baby 0, speedrun 0, baby 1, ...), each a fresh training in this process, so
the load of a shared machine falls on both alike; one-off process costs (imports, among them the
``torch._dynamo`` import of the first optimizer, about 1.3 s) are paid before the first run.

The speedrun trains its whole length and its time to the target is read from its evaluations: since
later steps cannot change earlier ones, that is what stopping there (``train.target_val_loss``) gives,
and the target, known only once every baby seed has run, need not be known in advance.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from ...stats import t_interval
from .config import ABLATIONS, COMPARISON, RECIPES, GPTNoteConfig


def recipe_config(
    recipe: str, seed: int, data_path: str = "", without: str | None = None, overrides: dict | None = None
) -> GPTNoteConfig:
    """The full preset with ``recipe``'s values (less the ingredient ``without``, set back to the baby's),
    the comparison's evaluation settings, ``seed`` and the corpus ``data_path`` ("": the default)."""
    values = dict(RECIPES[recipe])
    if without is not None:
        values.update(ABLATIONS[without])
    values.update(COMPARISON[recipe])
    values.update({"seed": seed, "data.path": data_path, **(overrides or {})})
    return GPTNoteConfig.full().with_overrides({k: str(v) for k, v in values.items()})


def warm_up() -> None:
    """Pay the process's one-off costs before the first timed run: the first optimizer imports
    ``torch._dynamo`` (about 1.3 s of CPU), which would otherwise land on whichever run came first."""
    import torch

    probe = torch.nn.Parameter(torch.zeros(2))
    probe.grad = torch.zeros(2)
    torch.optim.AdamW([probe], lr=1e-3).step()


def train_recipe(
    recipe: str,
    seed: int,
    out_dir: Path,
    data_path: str = "",
    without: str | None = None,
    overrides: dict | None = None,
    device: str = "cpu",
) -> dict[str, Any]:
    """Train one recipe in ``out_dir`` (resuming its checkpoints, the clock carried on): its evaluations,
    [step, val_loss, train_cpu_seconds]."""
    from ...train.language_model import train_gpt

    cfg = recipe_config(recipe, seed, data_path, without, overrides)
    result = train_gpt(cfg, out_dir, device=device, threads=1).result
    if result.stopped_by:  # a signal: the checkpoint is written, the same call again resumes from it
        raise KeyboardInterrupt(f"{recipe} seed {seed} stopped by {result.stopped_by} at step {result.step}")
    return {
        "recipe": recipe,
        "without": without,
        "seed": seed,
        "steps": result.step,
        "tokens_per_step": cfg.train.batch_size * cfg.model.block_size,
        "evals": [[r["step"], r["val_loss"], r["train_cpu_seconds"]] for r in result.evals],
    }


def time_to_target(run: dict[str, Any], target: float) -> tuple[float, int] | tuple[None, None]:
    """(train_cpu_seconds, step) of the run's first evaluation at or below ``target``; (None, None)."""
    for step, val_loss, cpu in run["evals"]:
        if val_loss <= target:
            return cpu, step
    return None, None


def summarize(babies: list[dict], speedruns: list[dict]) -> dict[str, Any]:
    """Target, each seed's CPU seconds and steps, and the per-seed ratio speedrun / baby with its t interval.

    The baby's time is its whole training (the target is the baby recipe's final loss); a speedrun seed
    that never reaches the target has no ratio, and then the ratio's interval is not computed.
    """
    target = sum(run["evals"][-1][1] for run in babies) / len(babies)
    rows = []
    for baby, fast in zip(babies, speedruns):
        if baby["seed"] != fast["seed"]:
            raise ValueError(f"runs are paired by seed: baby {baby['seed']} against speedrun {fast['seed']}")
        fast_cpu, fast_step = time_to_target(fast, target)
        baby_cpu = baby["evals"][-1][2]
        rows.append(
            {
                "seed": baby["seed"],
                "baby_cpu_seconds": baby_cpu,
                "baby_steps": baby["steps"],
                "baby_final_val_loss": baby["evals"][-1][1],
                "speedrun_cpu_seconds": fast_cpu,
                "speedrun_steps": fast_step,
                "speedrun_final_val_loss": fast["evals"][-1][1],
                "ratio": None if fast_cpu is None else fast_cpu / baby_cpu,
            }
        )
    ratios = [r["ratio"] for r in rows]
    reached = sum(r is not None for r in ratios)
    interval = t_interval(ratios) if reached == len(rows) else None
    out = {"target": target, "seeds": rows, "reached": reached}
    if interval is not None:
        out["ratio"] = {"estimate": interval.estimate, "low": interval.low, "high": interval.high}
        out["ratio"].update(n=interval.n, method=interval.method)
    return out


def mean(values: list[float | None]) -> float:
    finite = [v for v in values if v is not None]
    return sum(finite) / len(finite) if len(finite) == len(values) and finite else math.nan
