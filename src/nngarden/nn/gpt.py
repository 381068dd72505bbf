"""GPT: a decoder-only transformer language model.

Radford et al. (2018, 2019) "Improving Language Understanding by Generative Pre-Training" / "Language
Models are Unsupervised Multitask Learners"; Brown et al. (2020) "Language Models are Few-Shot
Learners" (GPT-3). Pre-LayerNorm blocks, learned positions, input and output embeddings tied, GPT-2
initialisation (N(0, 0.02), residual projections scaled by 1/sqrt(2 n_layer)).

Shapes: B batch, T time, C = n_embd, H = n_head, V = vocab_size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..config import Config, ConfigError, option
from .attention import build_mask, scaled_dot_product_attention


class NonFiniteLogits(ValueError):
    """Generation met NaN or infinite logits: the model's weights are broken (a diverged training)."""


@dataclass
class GPTConfig(Config):
    """Model shape of a GPT."""

    vocab_size: int = option(help="number of tokens in the vocabulary", low=1)
    block_size: int = option(help="longest context the model sees (positions)", low=1)
    n_layer: int = option(4, "transformer blocks", low=1)
    n_head: int = option(4, "attention heads per block", low=1)
    n_embd: int = option(128, "model width (divisible by n_head)", low=1)
    dropout: float = option(0.0, "dropout probability", low=0.0, high=1.0)
    bias: bool = option(True, "biases in Linear and LayerNorm layers")

    def validate(self) -> None:
        if self.n_embd % self.n_head:
            raise ConfigError(f"n_embd: {self.n_embd} is not divisible by n_head={self.n_head}")


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention where position t sees positions <= t only."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.n_head = config.n_head
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)  # q, k, v in one matmul
        self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        self.dropout = config.dropout
        self.resid_dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor, kv_cache: dict | None = None, need_weights: bool = False):
        b, t, c = x.shape  # (B, T, C)
        q, k, v = self.c_attn(x).split(c, dim=2)
        q, k, v = (
            z.view(b, t, self.n_head, c // self.n_head).transpose(1, 2) for z in (q, k, v)
        )  # (B, H, T, d)
        if kv_cache is not None:
            if "k" in kv_cache:
                k = torch.cat([kv_cache["k"], k], dim=2)
                v = torch.cat([kv_cache["v"], v], dim=2)
            kv_cache["k"], kv_cache["v"] = k, v
        weights = None
        if need_weights:
            mask = build_mask(t, k.size(2), causal=True, device=x.device)
            y, weights = scaled_dot_product_attention(
                q, k, v, mask, self.dropout, explicit=True, training=self.training
            )
        else:
            # With a cache and one new query, that query may see every cached key: no mask needed.
            causal = t > 1
            if causal and t != k.size(2):
                mask = build_mask(t, k.size(2), causal=True, device=x.device)
                y, _ = scaled_dot_product_attention(q, k, v, mask, self.dropout, training=self.training)
            else:
                y = F.scaled_dot_product_attention(
                    q, k, v, is_causal=causal, dropout_p=self.dropout if self.training else 0.0
                )
        y = y.transpose(1, 2).contiguous().view(b, t, c)  # (B, T, C)
        return self.resid_dropout(self.c_proj(y)), weights


class MLP(nn.Module):
    def __init__(self, config: GPTConfig):
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.c_proj(F.gelu(self.c_fc(x))))


class Block(nn.Module):
    """Pre-LN transformer block: x + attn(ln(x)), then x + mlp(ln(x))."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.mlp = MLP(config)

    def forward(self, x: torch.Tensor, kv_cache: dict | None = None) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x), kv_cache=kv_cache)[0]
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, config: GPTConfig):
        super().__init__()
        self.config = config
        self.transformer = nn.ModuleDict(
            dict(
                wte=nn.Embedding(config.vocab_size, config.n_embd),
                wpe=nn.Embedding(config.block_size, config.n_embd),
                drop=nn.Dropout(config.dropout),
                h=nn.ModuleList([Block(config) for _ in range(config.n_layer)]),
                ln_f=nn.LayerNorm(config.n_embd, bias=config.bias),
            )
        )
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.lm_head.weight = self.transformer.wte.weight  # weight tying (Press and Wolf 2017)
        self.apply(self._init_weights)
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):  # GPT-2: scale residual projections by depth
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def num_params(self, non_embedding: bool = False) -> int:
        """Parameters (tied weights counted once); ``non_embedding`` leaves out position embeddings."""
        n = sum(p.numel() for p in self.parameters())
        return n - self.transformer.wpe.weight.numel() if non_embedding else n

    def forward(
        self, idx: torch.Tensor, targets: torch.Tensor | None = None, kv_caches: list[dict] | None = None
    ):
        """idx: (B, T) token ids -> (logits (B, T, V), loss or None).

        With ``kv_caches`` (one dict per layer) ``idx`` holds only the new tokens and positions
        continue from what the caches hold.
        """
        b, t = idx.shape
        offset = 0 if not kv_caches or "k" not in kv_caches[0] else kv_caches[0]["k"].size(2)
        if offset + t > self.config.block_size:
            raise ValueError(f"sequence of length {offset + t} exceeds block_size {self.config.block_size}")
        pos = torch.arange(offset, offset + t, device=idx.device)
        x = self.transformer.drop(self.transformer.wte(idx) + self.transformer.wpe(pos))  # (B, T, C)
        for i, block in enumerate(self.transformer.h):
            x = block(x, kv_cache=None if kv_caches is None else kv_caches[i])
        x = self.transformer.ln_f(x)
        logits = self.lm_head(x)  # (B, T, V)
        loss = None
        if targets is not None:
            # reshape, not view: targets may be a non-contiguous slice such as seq[:, 1:]
            loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1), ignore_index=-1)
        return logits, loss

    @torch.no_grad()
    def generate(
        self,
        idx: torch.Tensor,
        max_new_tokens: int,
        temperature: float = 1.0,
        top_k: int | None = None,
        use_cache: bool = True,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Continue ``idx`` (B, T) by ``max_new_tokens`` sampled tokens -> (B, T + max_new_tokens).

        ``temperature`` 0 means greedy decoding. The KV cache avoids recomputing past keys and
        values; once the context would exceed ``block_size`` it falls back to a sliding window.
        Logits that are NaN or infinite (a diverged model) raise :class:`NonFiniteLogits`.
        """
        if temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {temperature}")
        if top_k is not None and top_k < 1:
            raise ValueError(f"top_k must be a positive integer or None, got {top_k}")
        if max_new_tokens < 0:
            raise ValueError(f"max_new_tokens must be >= 0, got {max_new_tokens}")
        caches: list[dict] | None = None
        start = idx.size(1)
        for _ in range(max_new_tokens):
            if use_cache and idx.size(1) <= self.config.block_size:
                if caches is None:
                    caches = [{} for _ in self.transformer.h]
                    logits, _ = self(idx, kv_caches=caches)
                else:
                    logits, _ = self(idx[:, -1:], kv_caches=caches)
            else:
                caches = None
                logits, _ = self(idx[:, -self.config.block_size :])
            logits = logits[:, -1, :]
            if not torch.isfinite(logits).all():  # sampling from NaN would crash or return garbage
                raise NonFiniteLogits(
                    f"the model's logits for generated token {idx.size(1) - start + 1} are NaN or infinite"
                )
            if temperature == 0:
                next_id = logits.argmax(dim=-1, keepdim=True)
            else:
                logits = logits / temperature
                if top_k is not None:
                    v, _ = torch.topk(logits, min(top_k, logits.size(-1)))
                    logits = logits.masked_fill(logits < v[:, [-1]], float("-inf"))
                next_id = torch.multinomial(torch.softmax(logits, dim=-1), 1, generator=generator)
            idx = torch.cat([idx, next_id], dim=1)
            if caches is not None and idx.size(1) > self.config.block_size:
                caches = None  # the next step slides the window and recomputes
        return idx
