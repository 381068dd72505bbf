"""Attention: scaled dot-product, multi-head, and additive (Bahdanau) scoring.

Vaswani et al. (2017), "Attention Is All You Need": Attention(Q, K, V) = softmax(Q K^T / sqrt(d)) V.

Two paths compute scaled dot-product attention:
- the fast path, ``F.scaled_dot_product_attention`` (fused kernels), used for training;
- the explicit path, written out step by step, which also returns the attention weights (for
  teaching, figures and tests). Both give the same outputs and gradients (tested).

Masks are boolean with True meaning "may attend". Disallowed scores become ``-inf`` (finite
sentinels such as -1e4 leak in half precision); a query row with nothing to attend to (say, a
padding-only query) gets all-zero weights and a zero output instead of NaN.
"""

from __future__ import annotations

import math
import warnings

import torch
import torch.nn as nn
import torch.nn.functional as F


def build_mask(
    t_q: int, t_k: int, *, causal: bool = False, key_padding_mask: torch.Tensor | None = None, device=None
) -> torch.Tensor | None:
    """Boolean mask broadcastable to (B, H, Tq, Tk); True = may attend.

    ``key_padding_mask``: (B, Tk) bool, True at padded key positions (the PyTorch convention).
    Causal masks align the last query with the last key (so they also work with a KV cache).
    """
    mask = None
    if causal:
        q_pos = torch.arange(t_q, device=device)[:, None] + (t_k - t_q)
        mask = torch.arange(t_k, device=device)[None, :] <= q_pos  # (Tq, Tk)
    if key_padding_mask is not None:
        keep = (~key_padding_mask.bool())[:, None, None, :]  # (B, 1, 1, Tk)
        mask = keep if mask is None else (mask[None, None] & keep)
    return mask


def attention_weights(q: torch.Tensor, k: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """softmax(q k^T / sqrt(d)) with masked entries at exactly zero; fully masked rows are all zero.

    q: (..., Tq, d), k: (..., Tk, d) -> (..., Tq, Tk)
    """
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))  # (..., Tq, Tk)
    return masked_softmax(scores, mask)


def scaled_dot_product_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    mask: torch.Tensor | None = None,
    dropout_p: float = 0.0,
    explicit: bool = False,
    training: bool = False,
):
    """(output, weights or None). q: (B, H, Tq, d), k, v: (B, H, Tk, d), mask bool (True = attend)."""
    if explicit:
        weights = attention_weights(q, k, mask)
        if dropout_p > 0.0 and training:
            weights = F.dropout(weights, dropout_p)
        return weights @ v, weights
    if mask is None:
        out = F.scaled_dot_product_attention(q, k, v, dropout_p=dropout_p if training else 0.0)
        return out, None
    # SDPA returns NaN on fully masked rows: let those rows attend anywhere, then zero them.
    empty = ~mask.any(dim=-1, keepdim=True)  # (..., Tq, 1)
    safe = mask | empty
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=safe, dropout_p=dropout_p if training else 0.0)
    return out.masked_fill(empty, 0.0), None


class MultiHeadAttention(nn.Module):
    """Multi-head attention: project to H heads of width d, attend in each, concatenate, project back.

    GPT-2's layout and names: ``c_attn`` computes queries, keys and values in one matmul (output rows
    [q | k | v], each H d wide), ``c_proj`` maps the concatenated heads back to the model width C.
    H d need not equal C (``head_dim``): structured pruning removes heads and keeps their width.
    With ``cross=True`` (cross-attention) queries come from ``x`` through ``q_attn`` and keys and
    values from ``kv`` through ``c_attn`` (rows [k | v]), as in Hugging Face's GPT-2 cross-attention.

    ``kv_cache``: a dict that receives and extends past keys/values (incremental decoding).
    """

    def __init__(
        self,
        d_model: int,
        n_head: int,
        dropout: float = 0.0,
        bias: bool = True,
        *,
        head_dim: int | None = None,
        cross: bool = False,
        qk_norm: bool = False,
    ):
        super().__init__()
        if head_dim is None:
            if n_head < 1 or d_model % n_head != 0:
                raise ValueError(f"d_model ({d_model}) must be divisible by n_head ({n_head})")
            head_dim = d_model // n_head
        self.n_head, self.head_dim, self.cross = n_head, head_dim, cross
        inner = n_head * head_dim  # H d
        with warnings.catch_warnings():  # no heads left (all pruned): zero-size layers, whose init warns
            warnings.simplefilter("ignore", UserWarning)
            if cross:
                self.q_attn = nn.Linear(d_model, inner, bias=bias)
                self.c_attn = nn.Linear(d_model, 2 * inner, bias=bias)
            else:
                self.c_attn = _stacked_linear(d_model, (inner, 2 * inner), bias)
            self.c_proj = nn.Linear(inner, d_model, bias=bias)
        self.dropout = dropout
        self.resid_dropout = nn.Dropout(dropout)
        # QK normalisation (Henry et al. 2020; Dehghani et al. 2023; Wortsman et al. 2023): an RMSNorm
        # with a learned gain on each head's queries and keys bounds the attention logits
        self.q_norm = nn.RMSNorm(head_dim) if qk_norm else None
        self.k_norm = nn.RMSNorm(head_dim) if qk_norm else None

    def _heads(self, x: torch.Tensor) -> torch.Tensor:
        b, t, _ = x.shape  # (B, T, H d)
        return x.view(b, t, self.n_head, self.head_dim).transpose(1, 2)  # (B, H, T, d)

    def forward(
        self,
        x: torch.Tensor,
        kv: torch.Tensor | None = None,
        *,
        causal: bool = False,
        key_padding_mask: torch.Tensor | None = None,
        need_weights: bool = False,
        kv_cache: dict | None = None,
        rotary: tuple[torch.Tensor, torch.Tensor] | None = None,
    ):
        """x: (B, Tq, C); kv: (B, Tk, C) or None -> (out (B, Tq, C), weights (B, H, Tq, Tk) or None).

        ``rotary``: (cos, sin), each (Tq, d / 2), the angles of the new positions (``rotate``); queries
        and keys are rotated before they enter the cache, so cached keys keep their own positions.
        """
        b, t_q, _ = x.shape
        inner = self.n_head * self.head_dim
        if self.cross:
            q = self.q_attn(x)  # (B, Tq, H d)
            k, v = self.c_attn(x if kv is None else kv).split([inner] * 2, dim=2)  # (B, Tk, H d) each
        elif kv is None:
            q, k, v = self.c_attn(x).split([inner] * 3, dim=2)  # (B, T, H d) each (sizes: H may be 0)
        else:
            raise ValueError("kv: this attention was built for self-attention; build it with cross=True")
        q, k, v = self._heads(q), self._heads(k), self._heads(v)  # (B, H, T, d)
        if self.q_norm is not None:
            q, k = self.q_norm(q), self.k_norm(k)
        if rotary is not None:
            if self.cross:
                raise ValueError("rotary: positions rotate self-attention's queries and keys only")
            q, k = rotate(q, *rotary), rotate(k, *rotary)
        if kv_cache is not None:
            if "k" in kv_cache:
                k = torch.cat([kv_cache["k"], k], dim=2)
                v = torch.cat([kv_cache["v"], v], dim=2)
            kv_cache["k"], kv_cache["v"] = k, v
        t_k = k.size(2)
        cached = kv_cache is not None
        if need_weights or key_padding_mask is not None or (causal and cached and 1 < t_q != t_k):
            mask = build_mask(t_q, t_k, causal=causal, key_padding_mask=key_padding_mask, device=x.device)
            out, weights = scaled_dot_product_attention(
                q, k, v, mask, self.dropout, explicit=need_weights, training=self.training
            )
        else:
            # No mask, or the plain causal one, which SDPA's fused kernel builds itself. Without a cache
            # the causal choice is the same for every length (static, so an exported graph keeps a
            # dynamic length); after a cache a single new query may see every key: no mask at all.
            is_causal = causal and (not cached or t_q > 1)
            dropout = self.dropout if self.training else 0.0
            out = F.scaled_dot_product_attention(q, k, v, is_causal=is_causal, dropout_p=dropout)
            weights = None
        out = out.transpose(1, 2).contiguous().view(b, t_q, inner)  # (B, Tq, H d)
        return self.resid_dropout(self.c_proj(out)), weights


def rotary_angles(
    n_positions: int, head_dim: int, offset: int = 0, base: float = 10000.0, device=None
) -> tuple[torch.Tensor, torch.Tensor]:
    """(cos, sin), each (n_positions, head_dim / 2): the rotation angles p theta_i of positions
    offset .. offset + n_positions - 1, theta_i = base^(-2i / d) (Su et al. 2021, RoFormer)."""
    if head_dim % 2:
        raise ValueError(f"rotary positions need an even head_dim, got {head_dim}")
    inv_freq = base ** (-torch.arange(0, head_dim, 2, device=device, dtype=torch.float32) / head_dim)
    angles = (
        torch.arange(offset, offset + n_positions, device=device, dtype=torch.float32)[:, None] * inv_freq
    )
    return angles.cos(), angles.sin()


def rotate(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotary position embedding (Su et al. 2021): x (..., T, d) with the pairs (x_i, x_{i + d/2})
    turned by the angle of their position, so q_s . k_t depends on s - t only. cos, sin: (T, d / 2)."""
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)


def _stacked_linear(d_in: int, parts: tuple[int, ...], bias: bool) -> nn.Linear:
    """One Linear whose outputs stack ``parts`` projections, initialised as if each part were its own
    ``nn.Linear`` (weight, then bias, part after part). The distribution is that of a single Linear
    (same fan-in); the order of the draws gives default-initialised models that had separate query
    and key/value projections before the fusion (the seq2seq transformer, the transformers note's
    encoder) the same weights from a seed as they had then."""
    layer = nn.Linear(d_in, sum(parts), bias=bias, device="meta").to_empty(device=torch.get_default_device())
    biases = layer.bias.split(parts) if bias else [None] * len(parts)
    bound = 1 / math.sqrt(d_in) if d_in > 0 else 0.0  # nn.Linear.reset_parameters
    for weight, b in zip(layer.weight.split(parts), biases):
        nn.init.kaiming_uniform_(weight, a=math.sqrt(5))
        if b is not None:
            nn.init.uniform_(b, -bound, bound)
    return layer


class AdditiveAttention(nn.Module):
    """Bahdanau, Cho and Bengio (2014): e_ij = v^T tanh(W s_{i-1} + U h_j), a_ij = softmax_j(e_ij)."""

    def __init__(self, query_dim: int, key_dim: int, hidden: int):
        super().__init__()
        self.w_query = nn.Linear(query_dim, hidden, bias=False)
        self.w_key = nn.Linear(key_dim, hidden, bias=True)
        self.v = nn.Linear(hidden, 1, bias=False)

    def forward(
        self,
        query: torch.Tensor,
        keys: torch.Tensor,
        key_padding_mask: torch.Tensor | None = None,
        projected_keys: torch.Tensor | None = None,
    ):
        """query: (B, Dq), keys: (B, Tk, Dk) -> (context (B, Dk), weights (B, Tk)).

        ``projected_keys`` (U h_j, (B, Tk, hidden)) may be passed in to avoid recomputing it each step.
        """
        uk = self.w_key(keys) if projected_keys is None else projected_keys
        scores = self.score(query, uk)  # (B, Tk)
        mask = None if key_padding_mask is None else ~key_padding_mask.bool()
        weights = masked_softmax(scores, mask)
        return torch.bmm(weights[:, None, :], keys).squeeze(1), weights

    def score(self, query: torch.Tensor, projected_keys: torch.Tensor) -> torch.Tensor:
        """e_j = v^T tanh(W s + U h_j): query (B, Dq), projected keys U h_j (B, Tk, hidden) -> (B, Tk)."""
        return self.v(torch.tanh(self.w_query(query)[:, None, :] + projected_keys)).squeeze(-1)


def masked_softmax(scores: torch.Tensor, mask: torch.Tensor | None, dim: int = -1) -> torch.Tensor:
    """Softmax over ``dim`` with masked entries (mask False) at exactly zero; empty rows all zero."""
    if mask is None:
        return torch.softmax(scores, dim=dim)
    scores = scores.masked_fill(~mask, float("-inf"))
    empty = ~mask.any(dim=dim, keepdim=True)
    return torch.softmax(scores.masked_fill(empty, 0.0), dim=dim).masked_fill(~mask, 0.0)
