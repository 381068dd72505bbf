"""GPT: a decoder-only transformer language model.

Radford et al. (2018, 2019) "Improving Language Understanding by Generative Pre-Training" / "Language
Models are Unsupervised Multitask Learners"; Brown et al. (2020) "Language Models are Few-Shot
Learners" (GPT-3). Pre-LayerNorm blocks, learned positions, input and output embeddings tied, GPT-2
initialisation (N(0, 0.02), residual projections scaled by 1/sqrt(2 n_layer)). The blocks are the
shared causal ones of ``transformer.py``; parameter names are GPT-2's.

Options that leave GPT-2 (each off by default, each with its reference in ``GPTConfig``): rotary
positions, QK normalisation, untied input and output embeddings, zero-initialised output projections,
logit soft-capping; the MLP's activation is the shared block's (ReLU squared among them).

Shapes: B batch, T time, C = n_embd, H = n_head, d = head_dim (C / H by default), V = vocab_size.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..config import ConfigError, option
from . import count_parameters
from .attention import rotary_angles
from .transformer import Block, TransformerConfig, init_gpt2_weights

POSITIONS = ("learned", "rotary")


class NonFiniteLogits(ValueError):
    """Generation met NaN or infinite logits: the model's weights are broken (a diverged training)."""


@dataclass
class GPTConfig(TransformerConfig):
    """Model shape of a GPT (fields shared with BERT: see TransformerConfig)."""

    block_size: int = option(help="longest context the model sees (positions)", low=1)
    position: str = option(
        "learned",
        "learned: a learned embedding per position added to the input (GPT-2); rotary: queries and keys "
        "rotated by their position in every attention (Su et al. 2021, RoFormer), no position embedding",
        choices=POSITIONS,
    )
    qk_norm: bool = option(
        False,
        "RMS-normalise each head's queries and keys, with learned gains (Henry et al. 2020; Wortsman et "
        "al. 2023, 'Small-scale proxies for large-scale Transformer training instabilities')",
    )
    tie_embeddings: bool = option(
        True, "the output head shares the input embedding's weights (Press and Wolf 2017); false: its own"
    )
    zero_init: bool = option(
        False,
        "output projections start at zero: every block's c_proj (each residual branch starts as the "
        "identity, as in Zhang et al. 2019, Fixup) and an untied head",
    )
    logit_softcap: float = option(
        0.0,
        "soft-cap the logits at c: c tanh(logits / c), bounded but smooth (Bello et al. 2016; Gemma 2, "
        "2024); 0 = off",
        low=0.0,
    )

    def validate(self) -> None:
        super().validate()
        head_dim = self.head_dim or (self.n_embd // self.n_head if self.n_head else 0)
        if self.position == "rotary" and head_dim % 2:
            raise ConfigError(f"position: rotary needs an even head width, got {head_dim}")


class GPT(nn.Module):
    def __init__(self, config: GPTConfig):
        super().__init__()
        self.config = config
        block = dict(
            head_dim=config.head_dim,
            n_inner=config.n_inner,
            dropout=config.dropout,
            bias=config.bias,
            activation=config.activation,
            qk_norm=config.qk_norm,
            causal=True,  # position t sees positions <= t only
        )
        modules = dict(wte=nn.Embedding(config.vocab_size, config.n_embd))
        if config.position == "learned":
            modules["wpe"] = nn.Embedding(config.block_size, config.n_embd)
        modules.update(
            drop=nn.Dropout(config.dropout),
            h=nn.ModuleList([Block(config.n_embd, config.n_head, **block) for _ in range(config.n_layer)]),
            ln_f=nn.LayerNorm(config.n_embd, bias=config.bias),
        )
        self.transformer = nn.ModuleDict(modules)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        if config.tie_embeddings:
            self.lm_head.weight = self.transformer.wte.weight  # weight tying (Press and Wolf 2017)
        init_gpt2_weights(self, config.n_layer)
        if config.zero_init:
            with torch.no_grad():
                for name, p in self.named_parameters():
                    if name.endswith("c_proj.weight") or (
                        name == "lm_head.weight" and not config.tie_embeddings
                    ):
                        p.zero_()
        if config.position == "rotary":  # angles of every position, computed once (not in the state dict)
            head_dim = config.head_dim or config.n_embd // config.n_head
            cos, sin = rotary_angles(config.block_size, head_dim)
            self.register_buffer("rotary_cos", cos, persistent=False)
            self.register_buffer("rotary_sin", sin, persistent=False)

    def num_params(self, non_embedding: bool = False) -> int:
        """Parameters (tied weights counted once); ``non_embedding`` leaves out position embeddings."""
        n = count_parameters(self)
        if non_embedding and "wpe" in self.transformer:
            n -= self.transformer.wpe.weight.numel()
        return n

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
        x = self.transformer.wte(idx)  # (B, T, C)
        rotary = None
        if self.config.position == "rotary":
            rotary = (self.rotary_cos[offset : offset + t], self.rotary_sin[offset : offset + t])  # (T, d/2)
        else:
            x = x + self.transformer.wpe(torch.arange(offset, offset + t, device=idx.device))
        x = self.transformer.drop(x)
        for i, block in enumerate(self.transformer.h):
            x = block(x, kv_cache=None if kv_caches is None else kv_caches[i], rotary=rotary)  # (B, T, C)
        x = self.transformer.ln_f(x)
        logits = self.lm_head(x)  # (B, T, V)
        if self.config.logit_softcap > 0:
            cap = self.config.logit_softcap
            logits = cap * torch.tanh(logits / cap)
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
