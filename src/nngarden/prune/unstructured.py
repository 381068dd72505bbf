"""One call that scores, ranks and masks a model to a target compression ratio."""

from __future__ import annotations

import torch
import torch.nn as nn

from .masks import apply_mask, current_mask, is_masked, keep_budget, masks_from_scores, prunable_layers
from .scores import compute_scores


def prune_model(
    model: nn.Module,
    compression: float,
    *,
    score: str = "magnitude",
    ranking: str = "layer",
    floor: float = 0.0,
    include_classifier: bool = False,
    classifier: str | None = None,
    batches=None,
    loss_fn=None,
    generator: torch.Generator | None = None,
) -> dict[str, torch.Tensor]:
    """Mask ``model`` in place so that all parameters / non-zeros == ``compression``.

    Already-pruned weights stay pruned, so calling this again with a higher ratio continues an
    iterative schedule. Returns the boolean masks by layer name.
    """
    layers = prunable_layers(model, include_classifier, classifier)
    keep = keep_budget(model, layers, compression)
    scores = compute_scores(score, model, layers, batches=batches, loss_fn=loss_fn, generator=generator)
    previous = {n: current_mask(m).bool() for n, m in layers.items() if is_masked(m)}
    masks = masks_from_scores(scores, keep, ranking=ranking, floor=floor, previous=previous)
    for name, module in layers.items():
        apply_mask(module, masks[name])
    return masks
