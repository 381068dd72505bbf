"""BERT: an encoder-only transformer trained as a denoising auto-encoder (masked language model).

Devlin, Chang, Lee and Toutanova (2019), "BERT: Pre-training of Deep Bidirectional Transformers for
Language Understanding". Every position attends to every other (no causal mask), so a hidden token is
predicted from both sides. Differences from the paper, on purpose: pre-LayerNorm blocks (as in the
GPT of this package: stabler at small sizes), no next-sentence objective, and either sinusoidal or
learned positions.

The masked-LM head is the paper's: dense -> GELU -> LayerNorm -> a decoder tied to the input
embedding, plus an output bias.

Shapes: B batch, T time, C = n_embd, H = n_head, V = vocab_size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..config import Config, ConfigError, option
from .attention import MultiHeadAttention
from .positional import LearnedPositionalEncoding, SinusoidalPositionalEncoding

IGNORE_INDEX = -100  # label of positions that carry no loss (the F.cross_entropy default)


@dataclass
class BERTConfig(Config):
    """Model shape of a BERT."""

    vocab_size: int = option(help="number of tokens, the special ones included", low=1)
    block_size: int = option(help="longest sequence (positions)", low=1)
    n_layer: int = option(2, "transformer blocks", low=1)
    n_head: int = option(2, "attention heads per block", low=1)
    n_embd: int = option(128, "model width (divisible by n_head)", low=1)
    dropout: float = option(0.0, "dropout probability", low=0.0, high=1.0)
    bias: bool = option(True, "biases in Linear and LayerNorm layers")
    positions: str = option("learned", "position encoding", choices=("learned", "sinusoidal"))

    def validate(self) -> None:
        if self.n_embd % self.n_head:
            raise ConfigError(f"n_embd: {self.n_embd} is not divisible by n_head={self.n_head}")
        if self.positions == "sinusoidal" and self.n_embd % 2:
            raise ConfigError(f"n_embd: sinusoidal positions need an even width, got {self.n_embd}")


class EncoderBlock(nn.Module):
    """Pre-LN block: x + attn(ln(x)) with no causal mask, then x + mlp(ln(x))."""

    def __init__(self, d_model: int, n_head: int, dropout: float = 0.0, bias: bool = True):
        super().__init__()
        self.ln_1 = nn.LayerNorm(d_model, bias=bias)
        self.attn = MultiHeadAttention(d_model, n_head, dropout, bias=bias)
        self.ln_2 = nn.LayerNorm(d_model, bias=bias)
        self.mlp = nn.Sequential(
            nn.Linear(d_model, 4 * d_model, bias=bias),
            nn.GELU(),
            nn.Linear(4 * d_model, d_model, bias=bias),
            nn.Dropout(dropout),
        )

    def forward(
        self, x: torch.Tensor, key_padding_mask: torch.Tensor | None = None, need_weights: bool = False
    ):
        attended, weights = self.attn(
            self.ln_1(x), key_padding_mask=key_padding_mask, need_weights=need_weights
        )
        x = x + attended
        return x + self.mlp(self.ln_2(x)), weights


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
                EncoderBlock(config.n_embd, config.n_head, config.dropout, config.bias)
                for _ in range(config.n_layer)
            ]
        )
        self.ln_f = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.head = MaskedLMHead(config, self.tok_emb)
        self.apply(self._init_weights)
        for name, p in self.named_parameters():  # scale residual projections by depth, as in GPT-2
            if name.endswith("attn.out_proj.weight") or name.endswith("mlp.2.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def num_params(self) -> int:
        return sum(p.numel() for p in self.parameters())

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
            x, weights = block(x, key_padding_mask=key_padding_mask, need_weights=need_weights)
            all_weights.append(weights)
        return self.ln_f(x), (all_weights if need_weights else [])

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
