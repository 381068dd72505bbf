"""Saliency scores for unstructured pruning: higher score = more worth keeping.

- magnitude |w| (Han et al. 2015; the baseline Blalock et al. 2020 and Gale et al. 2019 find hard to beat);
- gradient times weight |dL/dw * w|, the first-order Taylor estimate of the loss change from
  removing w (Mozer and Smolensky 1989; Molchanov et al. 2017; Blalock et al.'s "gradient");
- random, the baseline any score has to beat.

Scores read the *effective* weight (masked entries are zero), so scoring a pruned model again ranks
only what is left.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch
import torch.nn as nn

from ..config import ConfigError
from .masks import effective_weight, is_masked

SCORES = ("magnitude", "gradient", "random")


def magnitude_scores(layers: dict[str, nn.Module]) -> dict[str, torch.Tensor]:
    return {n: effective_weight(m).detach().abs().clone() for n, m in layers.items()}


def random_scores(
    layers: dict[str, nn.Module], generator: torch.Generator | None = None
) -> dict[str, torch.Tensor]:
    """Uniform scores drawn from ``generator`` (on its device, so a CPU generator gives the same draws
    whichever device the model is on), placed beside each layer's weight."""
    scores = {}
    for n, m in layers.items():
        weight = effective_weight(m)
        device = generator.device if generator is not None else weight.device
        scores[n] = torch.rand(weight.shape, generator=generator, device=device).to(weight.device)
    return scores


def gradient_scores(
    model: nn.Module,
    layers: dict[str, nn.Module],
    batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
) -> dict[str, torch.Tensor]:
    """|g * w| with g the gradient of the loss summed over ``batches`` (x, y)."""
    grads = {n: torch.zeros_like(effective_weight(m)) for n, m in layers.items()}
    was_training = model.training
    model.eval()  # no dropout noise in a saliency estimate
    seen = 0
    for x, y in batches:
        model.zero_grad(set_to_none=True)
        loss_fn(model(x), y).backward()
        for n, m in layers.items():
            g = (m.weight_orig if is_masked(m) else m.weight).grad
            if g is not None:
                grads[n] += g.detach()
        seen += 1
    model.zero_grad(set_to_none=True)
    model.train(was_training)
    if seen == 0:
        raise ConfigError("batches: gradient scores need at least one batch of data")
    return {n: (grads[n] * effective_weight(m).detach()).abs() for n, m in layers.items()}


def compute_scores(
    kind: str,
    model: nn.Module,
    layers: dict[str, nn.Module],
    *,
    batches=None,
    loss_fn=None,
    generator: torch.Generator | None = None,
) -> dict[str, torch.Tensor]:
    if kind == "magnitude":
        return magnitude_scores(layers)
    if kind == "random":
        return random_scores(layers, generator)
    if kind == "gradient":
        if batches is None or loss_fn is None:
            raise ConfigError("score: gradient needs batches and loss_fn")
        return gradient_scores(model, layers, batches, loss_fn)
    raise ConfigError(f"score: got {kind!r}, allowed: {', '.join(SCORES)}")
