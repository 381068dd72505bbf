"""Which layers are prunable, masks that stay applied, and turning scores into exact-size masks.

Masks use ``torch.nn.utils.prune``: the layer keeps ``weight_orig`` (trained by the optimizer) and a
``weight_mask`` buffer, and a forward pre-hook recomputes ``weight = weight_orig * weight_mask``
before every forward pass. So an optimizer step can move ``weight_orig`` wherever it likes and the
weight the layer uses stays zero where the mask is zero: masks survive fine-tuning.

Budget arithmetic (Blalock et al. 2020): compression = all parameters / remaining non-zeros. Layers we
do not prune (biases, the classifier unless asked, embeddings, norms) stay dense, so the prunable
weights must shed more than 1/c of themselves for the whole model to reach ratio c.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch
import torch.nn as nn
from torch.nn.utils import prune

from ..config import ConfigError
from ..nn import count_parameters

PRUNABLE_TYPES = (nn.Linear, nn.Conv1d, nn.Conv2d)
RANKINGS = ("global", "layer", "lamp")


def prunable_layers(
    model: nn.Module, include_classifier: bool = False, classifier: str | None = None
) -> dict[str, nn.Module]:
    """name -> Linear/Conv module whose ``weight`` may be pruned, in registration order.

    The classifier is the last such layer unless ``classifier`` names another; it is left out unless
    ``include_classifier`` (pruning it hurts most and saves least, Blalock et al. 2020).
    """
    layers = [(n, m) for n, m in model.named_modules() if isinstance(m, PRUNABLE_TYPES)]
    if not layers:
        raise ConfigError(f"model: {type(model).__name__} has no Linear or Conv layer to prune")
    names = [n for n, _ in layers]
    if classifier is not None and classifier not in names:
        raise ConfigError(f"classifier: got {classifier!r}, allowed: {', '.join(names)}")
    if not include_classifier:
        drop = classifier if classifier is not None else names[-1]
        layers = [(n, m) for n, m in layers if n != drop]
    if not layers:
        raise ConfigError(
            "include_classifier: the model's only prunable layer is its classifier; "
            "set include_classifier=true to prune it"
        )
    return dict(layers)


def is_masked(module: nn.Module) -> bool:
    return hasattr(module, "weight_mask")


def effective_weight(module: nn.Module) -> torch.Tensor:
    """The weight the layer computes with: ``weight_orig * weight_mask`` when masked (always fresh,
    even right after an optimizer step, when ``module.weight`` still holds the last forward's value)."""
    if is_masked(module):
        return module.weight_orig * module.weight_mask
    return module.weight


def current_mask(module: nn.Module) -> torch.Tensor:
    if is_masked(module):
        return module.weight_mask
    return torch.ones_like(module.weight, dtype=torch.bool).to(module.weight.dtype)


def apply_mask(module: nn.Module, mask: torch.Tensor) -> None:
    """Mask ``module.weight`` with ``mask`` (1 keep, 0 prune), replacing any earlier mask."""
    weight = module.weight_orig if is_masked(module) else module.weight
    mask = mask.to(dtype=weight.dtype, device=weight.device)  # scores may live on another device
    if mask.shape != weight.shape:
        raise ValueError(
            f"mask of shape {tuple(mask.shape)} does not fit weight of shape {tuple(weight.shape)}"
        )
    if is_masked(module):
        with torch.no_grad():
            module.weight_mask.copy_(mask)
            module.weight = module.weight_orig * module.weight_mask
    else:
        prune.custom_from_mask(module, "weight", mask)


def make_permanent(model: nn.Module) -> None:
    """Fold every mask into its weight (zeros stay zeros) and drop the hooks."""
    for module in model.modules():
        if is_masked(module):
            prune.remove(module, "weight")


def unique_parameters(model: nn.Module) -> Iterable[tuple[str, torch.Tensor]]:
    """(name, parameter) once per tensor (tied weights such as GPT's embedding counted once)."""
    seen = set()
    for name, p in model.named_parameters():
        if id(p) not in seen:
            seen.add(id(p))
            yield name, p


def keep_budget(model: nn.Module, layers: dict[str, nn.Module], compression: float) -> int:
    """How many prunable weights to keep so that params / non-zeros == ``compression``."""
    if not (isinstance(compression, (int, float)) and compression >= 1.0):
        raise ConfigError(f"compression: got {compression!r}, must be a number >= 1")
    total = count_parameters(model)
    prunable = sum(m.weight_orig.numel() if is_masked(m) else m.weight.numel() for m in layers.values())
    fixed = total - prunable
    keep = round(total / compression) - fixed
    if keep < len(layers):
        most = total / (fixed + len(layers))
        raise ConfigError(
            f"compression: {compression:g}x leaves fewer than one weight per prunable layer "
            f"(the unpruned layers alone hold {fixed} of {total} parameters); "
            f"at most about {most:.1f}x is reachable"
        )
    return min(keep, prunable)


def lamp_transform(score: torch.Tensor) -> torch.Tensor:
    """LAMP (Lee et al. 2021): s_u^2 / sum_{v: s_v >= s_u} s_v^2 within a layer.

    The largest score of every layer becomes 1, so a global threshold below 1 keeps at least one
    weight per layer: global ranking on LAMP scores cannot empty a layer.
    """
    flat = score.flatten().clamp_min(0).double() ** 2
    order = torch.argsort(flat)  # ascending
    sorted_sq = flat[order]
    tail = torch.flip(torch.cumsum(torch.flip(sorted_sq, [0]), 0), [0])  # sum of this and larger
    out = torch.empty_like(flat)
    out[order] = sorted_sq / tail.clamp_min(torch.finfo(torch.float64).tiny)
    return out.view_as(score)


def _split_proportional(total: int, sizes: list[int]) -> list[int]:
    """Integers proportional to ``sizes`` summing to ``total`` (largest remainder)."""
    whole = sum(sizes)
    raw = [total * s / whole for s in sizes]
    out = [math.floor(r) for r in raw]
    for i in sorted(range(len(sizes)), key=lambda i: raw[i] - out[i], reverse=True)[: total - sum(out)]:
        out[i] += 1
    return [min(o, s) for o, s in zip(out, sizes)]


def _top_k_mask(score: torch.Tensor, k: int) -> torch.Tensor:
    mask = torch.zeros(score.numel(), dtype=torch.bool, device=score.device)
    if k > 0:
        mask[torch.topk(score.flatten(), k).indices] = True
    return mask.view_as(score)


def masks_from_scores(
    scores: dict[str, torch.Tensor],
    keep: int,
    ranking: str = "layer",
    floor: float = 0.0,
    previous: dict[str, torch.Tensor] | None = None,
) -> dict[str, torch.Tensor]:
    """Boolean masks keeping exactly ``keep`` weights in total (higher score = keep).

    ``ranking``: ``layer`` keeps the same fraction of every layer; ``global`` ranks all weights
    together (one threshold); ``lamp`` ranks LAMP-normalised scores globally. ``floor`` (global only)
    first reserves for every layer ``ceil(floor * keep * n_layer / n_all)`` of its best weights, i.e.
    at least ``floor`` times its per-layer share, so one threshold cannot empty a layer. Weights that
    ``previous`` masks already pruned stay pruned (iterative schedules only remove).
    """
    if ranking not in RANKINGS:
        raise ConfigError(f"ranking: got {ranking!r}, allowed: {', '.join(RANKINGS)}")
    if not 0.0 <= floor <= 1.0:
        raise ConfigError(f"floor: got {floor!r}, must be >= 0 and <= 1")
    if floor > 0 and ranking != "global":
        raise ConfigError(f"floor: only applies to ranking=global (got ranking={ranking})")
    names = list(scores)
    sizes = [scores[n].numel() for n in names]
    alive = {
        n: (
            previous[n].bool() if previous and n in previous else torch.ones_like(scores[n], dtype=torch.bool)
        )
        for n in names
    }
    if keep > sum(int(a.sum()) for a in alive.values()):
        raise ConfigError(
            f"compression: asks to keep {keep} weights but only "
            f"{sum(int(a.sum()) for a in alive.values())} are still unpruned"
        )
    ranked = {}
    for n in names:
        s = scores[n].detach().double()
        if ranking == "lamp":
            s = lamp_transform(torch.where(alive[n], s, torch.zeros_like(s)))
        ranked[n] = torch.where(alive[n], s, torch.full_like(s, -math.inf))
    if ranking == "layer":
        counts = _split_proportional(keep, sizes)
        return {n: _top_k_mask(ranked[n], min(k, int(alive[n].sum()))) for n, k in zip(names, counts)}
    reserved = {n: 0 for n in names}
    if floor > 0:
        for n, size in zip(names, sizes):
            reserved[n] = min(int(alive[n].sum()), math.ceil(floor * keep * size / sum(sizes)))
        while sum(reserved.values()) > keep:  # ceil can overshoot by at most one per layer
            reserved[max(reserved, key=reserved.get)] -= 1
    masks = {n: _top_k_mask(ranked[n], reserved[n]) for n in names}
    rest = keep - sum(reserved.values())
    if rest > 0:
        pool = torch.cat(
            [torch.where(masks[n], torch.full_like(ranked[n], -math.inf), ranked[n]).flatten() for n in names]
        )
        chosen = torch.zeros(pool.numel(), dtype=torch.bool, device=pool.device)
        chosen[torch.topk(pool, rest).indices] = True
        start = 0
        for n, size in zip(names, sizes):
            masks[n] |= chosen[start : start + size].view_as(masks[n])
            start += size
    return masks
