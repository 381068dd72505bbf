"""The pre-LayerNorm transformer block that GPT, BERT and the seq2seq transformer are built from.

Vaswani et al. (2017), "Attention Is All You Need", put LayerNorm after each residual sum; GPT-2
(Radford et al. 2019) moved it to the input of each sub-block, which trains without warm-up tricks at
depth (Xiong et al. 2020, "On Layer Normalization in the Transformer Architecture"):

    x = x + attn(ln_1(x))                   self-attention (causal in a decoder, padding masked)
    x = x + cross_attn(ln_cross(x), memory)  only in an encoder-decoder's decoder
    x = x + mlp(ln_2(x))                    Linear -> GELU -> Linear, inner width 4 C by default

Names follow GPT-2's (``ln_1``, ``attn.c_attn``, ``attn.c_proj``, ``ln_2``, ``mlp.c_fc``,
``mlp.c_proj``) so that a GPT's parameters map one to one onto Hugging Face's GPT-2.

Also here: the shape fields GPT and BERT share (:class:`TransformerConfig`) and GPT-2's initialisation.

Shapes: B batch, T time, S source (memory) length, C = n_embd, H = n_head, d = head_dim.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..config import Config, ConfigError, option
from .attention import MultiHeadAttention

ACTIVATIONS = ("gelu", "gelu_tanh", "relu2")


@dataclass
class TransformerConfig(Config):
    """Shape fields shared by the transformer language models (GPT, BERT)."""

    vocab_size: int = option(help="number of tokens in the vocabulary", low=1)
    block_size: int = option(help="longest sequence the model sees (positions)", low=1)
    n_layer: int = option(4, "transformer blocks", low=1)
    n_head: int = option(4, "attention heads per block (0: none, what pruning every head leaves)", low=0)
    n_embd: int = option(128, "model width (divisible by n_head unless head_dim is set)", low=1)
    head_dim: int | None = option(None, "width of each head (none: n_embd / n_head)", low=1)
    n_inner: int | None = option(None, "MLP hidden width (none: 4 n_embd)", low=0)
    activation: str = option(
        "gelu",
        "MLP activation: exact GELU; its tanh approximation (GPT-2's own); or ReLU squared (So et al. "
        "2021, Primer)",
        choices=ACTIVATIONS,
    )
    dropout: float = option(0.0, "dropout probability", low=0.0, high=1.0)
    bias: bool = option(True, "biases in Linear and LayerNorm layers")

    def validate(self) -> None:
        if self.head_dim is None and (self.n_head == 0 or self.n_embd % self.n_head):
            raise ConfigError(
                f"n_embd: {self.n_embd} is not divisible by n_head={self.n_head} (or set head_dim)"
            )


def activate(x: torch.Tensor, activation: str) -> torch.Tensor:
    """The MLP's nonlinearity: ``gelu`` (exact, erf), ``gelu_tanh`` or ``relu2`` (ReLU squared)."""
    if activation == "gelu":
        return F.gelu(x)
    if activation == "gelu_tanh":
        return F.gelu(x, approximate="tanh")
    if activation == "relu2":
        return F.relu(x).square()
    raise ValueError(f"activation: got {activation!r}, allowed: {', '.join(ACTIVATIONS)}")


class MLP(nn.Module):
    """Position-wise feed-forward network: Linear -> activation (GELU by default) -> Linear (-> dropout)."""

    def __init__(
        self,
        n_embd: int,
        n_inner: int | None = None,
        dropout: float = 0.0,
        bias: bool = True,
        activation: str = "gelu",
    ):
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation: got {activation!r}, allowed: {', '.join(ACTIVATIONS)}")
        self.activation = activation
        n_inner = 4 * n_embd if n_inner is None else n_inner
        with warnings.catch_warnings():  # no neurons left (all pruned): zero-size layers, whose init warns
            warnings.simplefilter("ignore", UserWarning)
            self.c_fc = nn.Linear(n_embd, n_inner, bias=bias)
            self.c_proj = nn.Linear(n_inner, n_embd, bias=bias)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.c_proj(activate(self.c_fc(x), self.activation)))  # (B, T, C)


class Block(nn.Module):
    """Pre-LN transformer block: x + attn(ln_1 x) [+ cross_attn(ln_cross x, memory)], then x + mlp(ln_2 x).

    ``causal``: position t attends to positions <= t only (a decoder). ``cross_attention``: a second
    attention whose keys and values come from ``memory`` (an encoder-decoder's decoder). ``head_dim``:
    width of each head (default n_embd / n_head); n_head * head_dim may differ from n_embd.
    ``qk_norm``: RMS-normalise each head's queries and keys (learned gains) before they meet.
    """

    def __init__(
        self,
        n_embd: int,
        n_head: int,
        *,
        head_dim: int | None = None,
        n_inner: int | None = None,
        dropout: float = 0.0,
        bias: bool = True,
        causal: bool = False,
        cross_attention: bool = False,
        activation: str = "gelu",
        qk_norm: bool = False,
    ):
        super().__init__()
        self.causal = causal
        self.ln_1 = nn.LayerNorm(n_embd, bias=bias)
        self.attn = MultiHeadAttention(n_embd, n_head, dropout, bias, head_dim=head_dim, qk_norm=qk_norm)
        self.ln_cross, self.cross_attn = None, None
        if cross_attention:
            self.ln_cross = nn.LayerNorm(n_embd, bias=bias)
            self.cross_attn = MultiHeadAttention(n_embd, n_head, dropout, bias, head_dim=head_dim, cross=True)
        self.ln_2 = nn.LayerNorm(n_embd, bias=bias)
        self.mlp = MLP(n_embd, n_inner, dropout, bias, activation)

    def forward(
        self,
        x: torch.Tensor,
        memory: torch.Tensor | None = None,
        *,
        key_padding_mask: torch.Tensor | None = None,
        memory_padding_mask: torch.Tensor | None = None,
        kv_cache: dict | None = None,
        weights: dict | None = None,
        rotary: tuple[torch.Tensor, torch.Tensor] | None = None,
    ) -> torch.Tensor:
        """x: (B, T, C), memory: (B, S, C) -> (B, T, C).

        ``key_padding_mask`` (B, T) and ``memory_padding_mask`` (B, S): True at padding.
        ``kv_cache``: a dict that receives and extends the self-attention's past keys and values; ``x``
        then holds only the new positions. ``weights``: a dict whose keys name the attention weights
        wanted, "self" (B, H, T, T) and/or "cross" (B, H, T, S); those attentions take the explicit path
        and store their weights under their keys (the others keep the fast path). ``rotary``: the
        (cos, sin) angles of x's positions for rotary self-attention (``attention.rotary_angles``).
        """
        want = () if weights is None else tuple(weights)
        if not set(want) <= {"self", "cross"}:
            raise ValueError(f"weights: keys must be 'self' or 'cross', got {sorted(want)}")
        attended, w = self.attn(
            self.ln_1(x),
            causal=self.causal,
            key_padding_mask=key_padding_mask,
            kv_cache=kv_cache,
            need_weights="self" in want,
            rotary=rotary,
        )
        x = x + attended
        if "self" in want:
            weights["self"] = w
        if self.cross_attn is not None:
            if memory is None:
                raise ValueError("memory: a block with cross-attention needs the encoder's output")
            attended, w = self.cross_attn(
                self.ln_cross(x), memory, key_padding_mask=memory_padding_mask, need_weights="cross" in want
            )
            x = x + attended
            if "cross" in want:
                weights["cross"] = w
        elif "cross" in want:
            raise ValueError("weights: this block has no cross-attention")
        return x + self.mlp(self.ln_2(x))


def init_gpt2_weights(model: nn.Module, n_layer: int) -> None:
    """GPT-2's initialisation: Linear and Embedding weights N(0, 0.02), biases zero, and the residual
    projections (every ``c_proj``) N(0, 0.02 / sqrt(2 n_layer)), so the residual stream's variance
    does not grow with depth (Radford et al. 2019, section 2.3)."""

    def init(module: nn.Module) -> None:
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)

    model.apply(init)
    for name, p in model.named_parameters():
        if name.endswith("c_proj.weight"):
            nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * n_layer))


# --- state dicts saved before the blocks were shared --------------------------------------------------
def rename_prefix(state: dict[str, torch.Tensor], old: str, new: str) -> None:
    """In place: every key starting with ``old`` starts with ``new`` instead."""
    for key in [k for k in state if k.startswith(old)]:
        state[new + key[len(old) :]] = state.pop(key)


def upgrade_attention(state: dict[str, torch.Tensor], old: str, new: str, cross: bool = False) -> None:
    """In place: a MultiHeadAttention saved under ``old`` with separate ``q_proj``, ``kv_proj`` and
    ``out_proj`` -> today's layout under ``new``: self-attention stacks q and k/v rows into ``c_attn``,
    cross-attention keeps them apart (``q_attn``, ``c_attn``); ``out_proj`` becomes ``c_proj``.
    Incomplete entries are left as they are, for the caller's key check to report."""
    for kind in ("weight", "bias"):
        q, kv, out = (f"{old}{name}.{kind}" for name in ("q_proj", "kv_proj", "out_proj"))
        if q in state and kv in state:
            if cross:
                state[f"{new}q_attn.{kind}"], state[f"{new}c_attn.{kind}"] = state.pop(q), state.pop(kv)
            else:
                state[f"{new}c_attn.{kind}"] = torch.cat([state.pop(q), state.pop(kv)])  # rows [q | k | v]
        if out in state:
            state[f"{new}c_proj.{kind}"] = state.pop(out)
