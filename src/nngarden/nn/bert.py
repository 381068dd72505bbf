"""BERT: an encoder-only transformer trained as a denoising auto-encoder (masked language model).

Devlin, Chang, Lee and Toutanova (2019), "BERT: Pre-training of Deep Bidirectional Transformers for
Language Understanding". Every position attends to every other (no causal mask), so a hidden token is
predicted from both sides. ``causal=True`` gives the left-only control: the same masked model whose
position t sees positions <= t only. Differences from the paper, on purpose: pre-LayerNorm blocks (as in the
GPT of this package: stabler at small sizes), no next-sentence objective, and either sinusoidal or
learned positions.

The masked-LM head is the paper's: dense -> GELU -> LayerNorm -> a decoder tied to the input
embedding, plus an output bias.

Shapes: B batch, T time, C = n_embd, H = n_head, V = vocab_size.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..config import ConfigError, option
from . import count_parameters
from .positional import LearnedPositionalEncoding, SinusoidalPositionalEncoding
from .transformer import Block, TransformerConfig, init_gpt2_weights, rename_prefix, upgrade_attention

IGNORE_INDEX = -100  # label of positions that carry no loss (the F.cross_entropy default)


@dataclass
class BERTConfig(TransformerConfig):
    """Model shape of a BERT (fields shared with GPT: see TransformerConfig)."""

    vocab_size: int = option(help="number of tokens, the special ones included", low=1)
    block_size: int = option(help="longest sequence (positions)", low=1)
    n_layer: int = option(2, "transformer blocks", low=1)
    n_head: int = option(2, "attention heads per block", low=1)
    positions: str = option("learned", "position encoding", choices=("learned", "sinusoidal"))
    causal: bool = option(
        False, "position t attends to positions <= t only: a left-only masked model, a control (not BERT)"
    )

    def validate(self) -> None:
        super().validate()
        if self.positions == "sinusoidal" and self.n_embd % 2:
            raise ConfigError(f"n_embd: sinusoidal positions need an even width, got {self.n_embd}")


class EncoderBlock(Block):
    """The shared pre-LN block without a causal mask, returning (x, self-attention weights or None).

    Kept for code written against the encoder block this module used to define (the transformers note).
    """

    def __init__(self, d_model: int, n_head: int, dropout: float = 0.0, bias: bool = True):
        super().__init__(d_model, n_head, dropout=dropout, bias=bias)

    def forward(
        self, x: torch.Tensor, key_padding_mask: torch.Tensor | None = None, need_weights: bool = False
    ):
        weights = {"self": None} if need_weights else None
        x = super().forward(x, key_padding_mask=key_padding_mask, weights=weights)
        return x, (weights["self"] if need_weights else None)


def upgrade_state_dict(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A BERT state dict written before the blocks were shared, in today's names (others unchanged).

    The encoder blocks had separate query and key/value projections (``attn.q_proj``, ``attn.kv_proj``),
    ``attn.out_proj`` and an ``mlp`` Sequential (``mlp.0``, ``mlp.2``); now ``attn.c_attn`` holds
    [q | k | v], and ``attn.c_proj``, ``mlp.c_fc``, ``mlp.c_proj`` are GPT-2's names.
    """
    state = dict(state)
    layers = {int(m.group(1)) for key in state if (m := re.match(r"blocks\.(\d+)\.attn\.q_proj\.", key))}
    for i in sorted(layers):
        upgrade_attention(state, f"blocks.{i}.attn.", f"blocks.{i}.attn.")
        rename_prefix(state, f"blocks.{i}.mlp.0.", f"blocks.{i}.mlp.c_fc.")
        rename_prefix(state, f"blocks.{i}.mlp.2.", f"blocks.{i}.mlp.c_proj.")
    return state


class MaskedLMHead(nn.Module):
    """dense -> GELU -> LayerNorm -> logits through the (tied) token embedding, plus a bias."""

    def __init__(self, config: BERTConfig, embedding: nn.Embedding):
        super().__init__()
        self.dense = nn.Linear(config.n_embd, config.n_embd)
        self.norm = nn.LayerNorm(config.n_embd)
        self.embedding = embedding  # shared, not a copy: tying input and output embeddings
        self.bias = nn.Parameter(torch.zeros(config.vocab_size))

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        h = self.norm(F.gelu(self.dense(h)))  # (B, T, C)
        return h @ self.embedding.weight.t() + self.bias  # (B, T, V)


class BERT(nn.Module):
    def __init__(self, config: BERTConfig):
        super().__init__()
        self.config = config
        self.tok_emb = nn.Embedding(config.vocab_size, config.n_embd)
        if config.positions == "learned":
            self.pos_enc = LearnedPositionalEncoding(config.n_embd, config.block_size)
        else:
            self.pos_enc = SinusoidalPositionalEncoding(config.n_embd, config.block_size)
        self.drop = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(
            [
                Block(
                    config.n_embd,
                    config.n_head,
                    head_dim=config.head_dim,
                    n_inner=config.n_inner,
                    dropout=config.dropout,
                    bias=config.bias,
                    activation=config.activation,
                    causal=config.causal,
                )
                for _ in range(config.n_layer)
            ]
        )  # BERT has no causal mask: every position sees both sides
        self.ln_f = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.head = MaskedLMHead(config, self.tok_emb)
        init_gpt2_weights(self, config.n_layer)  # residual projections scaled by depth, as in GPT-2

    def num_params(self) -> int:
        return count_parameters(self)

    def upgrade_state_dict(self, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Called by checkpoint loading: old checkpoints' key names -> today's."""
        return upgrade_state_dict(state)

    def encode(
        self, idx: torch.Tensor, key_padding_mask: torch.Tensor | None = None, need_weights: bool = False
    ):
        """idx: (B, T) -> (hidden states (B, T, C), per-layer attention weights or [])."""
        if idx.size(1) > self.config.block_size:
            raise ValueError(f"sequence of length {idx.size(1)} exceeds block_size {self.config.block_size}")
        x = self.tok_emb(idx)  # (B, T, C)
        if self.config.positions == "sinusoidal":
            # Vaswani et al. 3.4: scale embeddings by sqrt(C) so that the fixed encodings, whose entries
            # are of order 1, do not drown the token signal (initialised at std 0.02).
            x = x * math.sqrt(self.config.n_embd)
        x = self.drop(self.pos_enc(x))
        all_weights = []
        for block in self.blocks:
            weights = {"self": None} if need_weights else None
            x = block(x, key_padding_mask=key_padding_mask, weights=weights)  # (B, T, C)
            if need_weights:
                all_weights.append(weights["self"])  # (B, H, T, T)
        return self.ln_f(x), all_weights

    def forward(
        self,
        idx: torch.Tensor,
        labels: torch.Tensor | None = None,
        key_padding_mask: torch.Tensor | None = None,
    ):
        """idx: (B, T) token ids, labels: (B, T) with IGNORE_INDEX where no loss is taken,
        key_padding_mask: (B, T) True at padding -> (logits (B, T, V), loss or None)."""
        h, _ = self.encode(idx, key_padding_mask)
        logits = self.head(h)
        loss = None
        if labels is not None:
            loss = F.cross_entropy(
                logits.view(-1, logits.size(-1)), labels.view(-1), ignore_index=IGNORE_INDEX
            )
        return logits, loss
