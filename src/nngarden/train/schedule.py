"""Learning-rate schedule: linear warmup, then cosine decay to a floor (as in nanoGPT)."""

from __future__ import annotations

import math


def lr_at(step: int, lr: float, min_lr: float, warmup_steps: int, decay_steps: int) -> float:
    """The learning rate for the update that takes the model from ``step`` to ``step + 1``.

    Warmup climbs linearly to ``lr`` at ``warmup_steps``; a half cosine then falls to ``min_lr`` at
    ``decay_steps`` and stays there. A pure function of the step, so a resumed run needs no state.
    """
    if step < warmup_steps:
        return lr * (step + 1) / (warmup_steps + 1)
    if step >= decay_steps:
        return min_lr
    progress = (step - warmup_steps) / max(1, decay_steps - warmup_steps)  # 0 -> 1
    return min_lr + 0.5 * (1.0 + math.cos(math.pi * progress)) * (lr - min_lr)
