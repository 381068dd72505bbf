"""Long-range dependency tasks of Bai, Kolter and Koltun (2018), generated and keyed by (seed, step).

**Copy memory.** A sequence of length T + 20 over 10 tokens: ten symbols drawn uniformly from 1-8,
then T - 1 blanks (0), then eleven delimiters (9), the first of which asks for recall. The target is
blank (0) everywhere except the last ten positions, which repeat the ten symbols in order, so symbol i
(position i) must be recalled at position T + 10 + i: T + 10 steps later. Predicting blanks everywhere
and a uniform guess over 1-8 at the end scores chance, 1/8, on the recalled symbols.

**Adding problem.** A sequence of length T with two channels: values uniform in [0, 1], and a marker
channel that is 1 at exactly two positions (one in each half) and 0 elsewhere. The target, read at the
last position, is the sum of the two marked values; always predicting 1 scores a mean squared error of
about 1/6.

A batch is a pure function of (seed, split, step): the same key gives the same batch on any machine.
"""

from __future__ import annotations

import torch

from .text import keyed_generator

BLANK, DELIMITER = 0, 9
SYMBOLS = tuple(range(1, 9))
COPY_TOKENS = 10  # blank, the eight symbols, the delimiter
RECALLED = 10  # symbols to remember


def copy_memory_batch(batch_size: int, T: int, seed: int, step: int, split: str = "train"):
    """(inputs (B, T + 20) int64, targets (B, T + 20) int64) of the copy-memory task with blank length T."""
    if T < 1:
        raise ValueError(f"copy memory needs T >= 1, got {T}")
    g = keyed_generator("copy-memory", seed, split, step)
    symbols = torch.randint(SYMBOLS[0], SYMBOLS[-1] + 1, (batch_size, RECALLED), generator=g)  # (B, 10)
    inputs = torch.cat(
        [
            symbols,
            torch.full((batch_size, T - 1), BLANK),
            torch.full((batch_size, RECALLED + 1), DELIMITER),
        ],
        dim=1,
    )  # (B, T + 20)
    targets = torch.cat([torch.full((batch_size, T + RECALLED), BLANK), symbols], dim=1)  # (B, T + 20)
    return inputs, targets


def recall_positions(T: int) -> slice:
    """Where copy memory's targets repeat the symbols: the last ten positions."""
    return slice(T + RECALLED, T + 2 * RECALLED)


def recall_accuracy(logits: torch.Tensor, targets: torch.Tensor, T: int) -> torch.Tensor:
    """Per-sequence share of the ten symbols recalled: logits (B, T + 20, C) -> (B,)."""
    where = recall_positions(T)
    return (logits[:, where].argmax(-1) == targets[:, where]).float().mean(dim=1)


def adding_batch(batch_size: int, T: int, seed: int, step: int, split: str = "train"):
    """(inputs (B, T, 2) float32, targets (B,) float32) of the adding problem of length T."""
    if T < 2:
        raise ValueError(f"the adding problem needs T >= 2, got {T}")
    g = keyed_generator("adding", seed, split, step)
    values = torch.rand(batch_size, T, generator=g)
    half = T // 2
    first = torch.randint(0, half, (batch_size,), generator=g)
    second = torch.randint(half, T, (batch_size,), generator=g)
    markers = torch.zeros(batch_size, T)
    rows = torch.arange(batch_size)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    targets = values[rows, first] + values[rows, second]
    return torch.stack([values, markers], dim=-1), targets
