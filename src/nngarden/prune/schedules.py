"""Pruning schedules: one-shot, iterative, and lottery-ticket rewinding.

- one-shot: prune straight to the target ratio, then fine-tune (Han et al. 2015 without the loop);
- iterative: reach ratio c in ``rounds`` steps of geometric size c^(i/rounds), fine-tuning after
  each (Han et al. 2015; Zhu and Gupta 2017 find gradual pruning better at high sparsity);
- lottery-ticket rewinding: iterative magnitude pruning where, after every pruning step, the
  surviving weights go back to their values early in training and are trained again (Frankle and
  Carbin 2019; Frankle et al. 2020 rewind to an early iteration rather than to initialisation).

``finetune(model)`` is the caller's training loop; masks stay applied through it.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn as nn

from ..config import ConfigError
from .masks import is_masked
from .unstructured import prune_model

Finetune = Callable[[nn.Module], None]


def geometric_ratios(compression: float, rounds: int) -> list[float]:
    """c^(1/rounds), c^(2/rounds), ..., c: each round removes the same fraction of what is left."""
    if rounds < 1:
        raise ConfigError(f"rounds: got {rounds!r}, must be >= 1")
    return [compression ** (i / rounds) for i in range(1, rounds + 1)]


def one_shot(model: nn.Module, compression: float, finetune: Finetune | None = None, **prune_kwargs):
    masks = prune_model(model, compression, **prune_kwargs)
    if finetune is not None:
        finetune(model)
    return masks


def iterative(model: nn.Module, compression: float, rounds: int, finetune: Finetune, **prune_kwargs):
    masks = None
    for ratio in geometric_ratios(compression, rounds):
        masks = prune_model(model, ratio, **prune_kwargs)
        finetune(model)
    return masks


def rewind_weights(model: nn.Module, early_state: dict[str, torch.Tensor]) -> None:
    """Put every parameter back to ``early_state`` (a dense model's state dict); masks stay."""
    with torch.no_grad():
        for name, module in model.named_modules():
            for pname, p in list(module.named_parameters(recurse=False)):
                base = pname[:-5] if pname.endswith("_orig") and is_masked(module) else pname
                key = f"{name}.{base}" if name else base
                if key not in early_state:
                    raise KeyError(f"early_state has no entry {key!r} to rewind to")
                p.copy_(early_state[key])


def lottery_rewind(
    model: nn.Module,
    early_state: dict[str, torch.Tensor],
    compression: float,
    rounds: int,
    retrain: Finetune,
    **prune_kwargs,
):
    """Iterative magnitude pruning with rewinding to ``early_state`` before every retraining."""
    masks = None
    for ratio in geometric_ratios(compression, rounds):
        masks = prune_model(model, ratio, **prune_kwargs)
        rewind_weights(model, early_state)
        retrain(model)
    return masks
