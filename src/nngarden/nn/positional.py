"""Position encodings: sinusoidal (Vaswani et al. 2017, section 3.5) and learned.

PE(p, 2i) = sin(p / 10000^(2i/d)), PE(p, 2i+1) = cos(p / 10000^(2i/d)). Each (sin, cos) pair is a point
on a circle turning at its own frequency, so moving by k positions is one fixed rotation per pair:
PE(p + k) = M_k PE(p) for every p, and PE(p) . PE(p + k) depends on k alone.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn


def sinusoidal_table(n_positions: int, d_model: int, base: float = 10000.0) -> torch.Tensor:
    """(n_positions, d_model) table of sinusoidal encodings (d_model even)."""
    if d_model % 2:
        raise ValueError(f"d_model must be even for sinusoidal encodings, got {d_model}")
    position = torch.arange(n_positions, dtype=torch.float64)[:, None]  # (P, 1)
    inv_freq = torch.exp(-math.log(base) * torch.arange(0, d_model, 2, dtype=torch.float64) / d_model)
    table = torch.zeros(n_positions, d_model, dtype=torch.float64)
    table[:, 0::2] = torch.sin(position * inv_freq)
    table[:, 1::2] = torch.cos(position * inv_freq)
    return table.float()


def relative_shift_matrix(k: int, d_model: int, base: float = 10000.0) -> torch.Tensor:
    """The block-diagonal rotation M_k with PE(p + k) = M_k PE(p) for every p. (d_model, d_model)."""
    inv_freq = torch.exp(-math.log(base) * torch.arange(0, d_model, 2, dtype=torch.float64) / d_model)
    m = torch.zeros(d_model, d_model, dtype=torch.float64)
    c, s = torch.cos(k * inv_freq), torch.sin(k * inv_freq)
    i = torch.arange(0, d_model, 2)
    # [sin(a+b); cos(a+b)] = [[cos b, sin b], [-sin b, cos b]] [sin a; cos a]
    m[i, i], m[i, i + 1] = c, s
    m[i + 1, i], m[i + 1, i + 1] = -s, c
    return m


class SinusoidalPositionalEncoding(nn.Module):
    """Adds fixed sinusoidal encodings: x (B, T, C) -> x + PE[offset:offset+T]."""

    def __init__(self, d_model: int, max_len: int = 4096):
        super().__init__()
        self.register_buffer("table", sinusoidal_table(max_len, d_model), persistent=False)

    def forward(self, x: torch.Tensor, offset: int = 0) -> torch.Tensor:
        t = x.size(1)
        if offset + t > self.table.size(0):
            raise ValueError(f"sequence of length {offset + t} exceeds max_len {self.table.size(0)}")
        return x + self.table[offset : offset + t].to(x.dtype)


class LearnedPositionalEncoding(nn.Module):
    """Adds a learned embedding per position: x (B, T, C) -> x + E[offset:offset+T]."""

    def __init__(self, d_model: int, max_len: int):
        super().__init__()
        self.embedding = nn.Embedding(max_len, d_model)
        nn.init.normal_(self.embedding.weight, std=0.02)

    def forward(self, x: torch.Tensor, offset: int = 0) -> torch.Tensor:
        t = x.size(1)
        if offset + t > self.embedding.num_embeddings:
            raise ValueError(
                f"sequence of length {offset + t} exceeds max_len {self.embedding.num_embeddings}"
            )
        pos = torch.arange(offset, offset + t, device=x.device)
        return x + self.embedding(pos)
