"""Learning-rate schedules: linear warmup, then cosine decay to a floor (nanoGPT's), or warmup-stable-decay.

Warmup-stable-decay (Hu et al. 2024, MiniCPM; Hägele et al. 2024, "Scaling Laws and Compute-Optimal
Training Beyond Fixed Training Durations") holds the peak after warmup and decays linearly to the floor
over the last ``cooldown`` fraction of the decay steps: most of the progress comes late, in the decay.
"""

from __future__ import annotations

import math

SCHEDULES = ("cosine", "wsd")


def lr_at(
    step: int,
    lr: float,
    min_lr: float,
    warmup_steps: int,
    decay_steps: int,
    schedule: str = "cosine",
    cooldown: float = 0.2,
) -> float:
    """The learning rate for the update that takes the model from ``step`` to ``step + 1``.

    Warmup climbs linearly to ``lr`` at ``warmup_steps``. ``cosine``: a half cosine then falls to
    ``min_lr`` at ``decay_steps``. ``wsd``: ``lr`` holds until the last ``cooldown`` fraction of
    ``decay_steps``, then falls linearly to ``min_lr`` at ``decay_steps``. After ``decay_steps``,
    ``min_lr``. A pure function of the step, so a resumed run needs no state.
    """
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule: got {schedule!r}, allowed: {', '.join(SCHEDULES)}")
    if step < warmup_steps:
        return lr * (step + 1) / (warmup_steps + 1)
    if step >= decay_steps:
        return min_lr
    if schedule == "wsd":
        start = max(warmup_steps, decay_steps - round(cooldown * decay_steps))
        if step < start:
            return lr
        progress = (step - start) / max(1, decay_steps - start)  # 0 -> 1
        return lr + progress * (min_lr - lr)
    progress = (step - warmup_steps) / max(1, decay_steps - warmup_steps)  # 0 -> 1
    return min_lr + 0.5 * (1.0 + math.cos(math.pi * progress)) * (lr - min_lr)
