"""Three ways to model a sequence causally: dilated convolution, recurrence, and self-attention.

All three map token ids (B, T) to per-position features (B, T, C) and a head maps them to outputs; an
output at position t never depends on inputs after t.

- :class:`TCN`: the temporal convolutional network of Bai, Kolter and Koltun (2018), "An Empirical
  Evaluation of Generic Convolutional and Recurrent Networks for Sequence Modeling": residual blocks of
  two dilated causal convolutions with weight normalisation, ReLU and dropout, dilation doubling per
  block. Its receptive field is 1 + 2 (k - 1) (2^L - 1) for L blocks of kernel k.
- :class:`Recurrent`: an LSTM (Hochreiter and Schmidhuber 1997) or GRU (Cho et al. 2014) stack.
- :class:`CausalAttention`: a stack of the shared pre-LN blocks (``nn/transformer.py``), causal, with
  sinusoidal positions (Vaswani et al. 2017).

:meth:`sequential_steps` counts, from the module structure, the longest chain of operations that must
run one after another for a sequence of length n (Vaswani et al.'s "sequential operations"): a
recurrent stack of L layers is a grid whose critical path is n + L - 1 steps; a convolution or
attention layer handles every position at once, so those stacks need one step per layer.

Shapes: B batch, T time, C width, V vocabulary.
"""

from __future__ import annotations

import torch
import torch.nn as nn
from torch.nn.utils.parametrizations import weight_norm

from .positional import SinusoidalPositionalEncoding
from .transformer import Block


class CausalConv1d(nn.Module):
    """A 1-D convolution padded on the left only, so output t sees inputs t - (k - 1) d ... t."""

    def __init__(self, c_in: int, c_out: int, kernel: int, dilation: int):
        super().__init__()
        self.left = (kernel - 1) * dilation
        self.conv = weight_norm(nn.Conv1d(c_in, c_out, kernel, dilation=dilation))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, C, T) -> (B, C', T)."""
        return self.conv(nn.functional.pad(x, (self.left, 0)))


class TemporalBlock(nn.Module):
    """Two dilated causal convolutions with ReLU and dropout, plus a residual connection."""

    def __init__(self, c_in: int, c_out: int, kernel: int, dilation: int, dropout: float):
        super().__init__()
        self.net = nn.Sequential(
            CausalConv1d(c_in, c_out, kernel, dilation),
            nn.ReLU(),
            nn.Dropout(dropout),
            CausalConv1d(c_out, c_out, kernel, dilation),
            nn.ReLU(),
            nn.Dropout(dropout),
        )
        self.skip = nn.Conv1d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.net(x) + self.skip(x))


class SequenceModel(nn.Module):
    """Token ids (B, T) -> outputs (B, T, n_out): embedding, a causal core, a linear head."""

    def __init__(self, n_tokens: int, width: int, n_out: int):
        super().__init__()
        self.embed = nn.Embedding(n_tokens, width)
        self.head = nn.Linear(width, n_out)

    def features(self, e: torch.Tensor) -> torch.Tensor:  # (B, T, C) -> (B, T, C)
        raise NotImplementedError

    def forward(self, ids: torch.Tensor, embedded: torch.Tensor | None = None) -> torch.Tensor:
        """ids (B, T) -> (B, T, n_out). ``embedded`` (B, T, C) replaces the embedding lookup, so a
        gradient with respect to the input embeddings can be taken (the path-length measurement)."""
        e = self.embed(ids) if embedded is None else embedded
        return self.head(self.features(e))

    def sequential_steps(self, n: int) -> int:
        raise NotImplementedError


class TCN(SequenceModel):
    def __init__(
        self, n_tokens: int, width: int, n_out: int, levels: int, kernel: int = 2, dropout: float = 0.0
    ):
        super().__init__(n_tokens, width, n_out)
        self.kernel, self.levels = kernel, levels
        self.blocks = nn.Sequential(
            *(TemporalBlock(width, width, kernel, 2**i, dropout) for i in range(levels))
        )

    def features(self, e: torch.Tensor) -> torch.Tensor:
        return self.blocks(e.transpose(1, 2)).transpose(1, 2)  # convolutions want (B, C, T)

    def receptive_field(self) -> int:
        """How many inputs (the current one included) an output can see: 1 + 2 (k - 1) (2^L - 1)."""
        return 1 + 2 * (self.kernel - 1) * (2**self.levels - 1)

    def sequential_steps(self, n: int) -> int:
        return len(self.blocks)  # a block is a parallel step over all positions


class Recurrent(SequenceModel):
    def __init__(self, n_tokens: int, width: int, n_out: int, layers: int = 1, cell: str = "lstm"):
        super().__init__(n_tokens, width, n_out)
        if cell not in ("lstm", "gru"):
            raise ValueError(f"cell must be lstm or gru, got {cell!r}")
        rnn = nn.LSTM if cell == "lstm" else nn.GRU
        self.rnn = rnn(width, width, num_layers=layers, batch_first=True)

    def features(self, e: torch.Tensor) -> torch.Tensor:
        return self.rnn(e)[0]

    def sequential_steps(self, n: int) -> int:
        return n + self.rnn.num_layers - 1  # the critical path through the (time x layer) grid


class CausalAttention(SequenceModel):
    def __init__(self, n_tokens: int, width: int, n_out: int, layers: int, heads: int, max_len: int = 4096):
        super().__init__(n_tokens, width, n_out)
        self.positions = SinusoidalPositionalEncoding(width, max_len)
        self.blocks = nn.ModuleList(Block(width, heads, causal=True) for _ in range(layers))
        self.ln_f = nn.LayerNorm(width)

    def features(self, e: torch.Tensor) -> torch.Tensor:
        x = self.positions(e)
        for block in self.blocks:
            x = block(x)
        return self.ln_f(x)

    def sequential_steps(self, n: int) -> int:
        return len(self.blocks)  # a block is a parallel step over all positions


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
