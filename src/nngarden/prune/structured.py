"""Structured pruning: remove whole neurons, channels and attention heads, and rebuild smaller dense
layers, so the model is physically smaller and a dense BLAS call does less work.

Unit importance is the L2 norm of a unit's weights (Li et al. 2017 use filter norms; Michel et al.
2019 show many heads can go). For a GPT we score a head or an MLP neuron by the norm of its *output*
weights (its columns of ``c_proj``), the only path by which it reaches the residual stream.

``mask_*`` functions build the masked twin of a structural cut (the output columns of removed units
zeroed): the rebuilt model computes exactly what that masked model computes, which the tests check.
"""

from __future__ import annotations

import copy
import dataclasses
import warnings

import torch
import torch.nn as nn

from ..config import ConfigError
from .masks import apply_mask, effective_weight


# --- slicing layers ----------------------------------------------------------------------------------
def slice_layer(
    layer: nn.Module, out_idx: torch.Tensor | None = None, in_idx: torch.Tensor | None = None
) -> nn.Module:
    """A new Linear/Conv2d holding only output units ``out_idx`` and input units ``in_idx``."""
    w = effective_weight(layer).detach()
    out_idx = torch.arange(w.shape[0]) if out_idx is None else torch.as_tensor(out_idx, dtype=torch.long)
    in_idx = torch.arange(w.shape[1]) if in_idx is None else torch.as_tensor(in_idx, dtype=torch.long)
    w = w[out_idx][:, in_idx]
    has_bias = layer.bias is not None
    with warnings.catch_warnings():  # a layer cut to zero units warns that initialising it is a no-op
        warnings.simplefilter("ignore", UserWarning)
        if isinstance(layer, nn.Linear):
            new = nn.Linear(len(in_idx), len(out_idx), bias=has_bias)
        elif isinstance(layer, nn.Conv2d):
            if layer.groups != 1:
                raise ConfigError("layer: grouped convolutions are not supported by structured pruning")
            new = nn.Conv2d(
                len(in_idx),
                len(out_idx),
                layer.kernel_size,
                layer.stride,
                layer.padding,
                layer.dilation,
                bias=has_bias,
                padding_mode=layer.padding_mode,
            )
        else:
            raise ConfigError(f"layer: cannot slice a {type(layer).__name__}; allowed: Linear, Conv2d")
    new = new.to(dtype=w.dtype)
    with torch.no_grad():
        new.weight.copy_(w)
        if has_bias:
            new.bias.copy_(layer.bias.detach()[out_idx])
    return new


def unit_norms(layer: nn.Module) -> torch.Tensor:
    """L2 norm of each output unit's incoming weights (rows of a Linear, filters of a Conv)."""
    return effective_weight(layer).detach().flatten(1).norm(dim=1)


def top_units(scores: torch.Tensor, keep: int) -> torch.Tensor:
    """Indices of the ``keep`` best units, in their original order (so outputs keep their layout)."""
    return torch.sort(torch.topk(scores, keep).indices).values


def widths_for_compression(
    count: callable, full: tuple[int, ...], compression: float, multiple: int = 1
) -> tuple[int, ...]:
    """Widths ``round(f * full)`` (at least 1) with the largest f whose model ``count(widths)`` holds
    at most parameters(full) / compression. Unit granularity makes the ratio approximate.

    ``multiple`` rounds every width to a multiple of it (at least ``multiple``), as vectorised kernels
    prefer: a width of 8k + 1 costs a timing nearly what 8k + 8 does."""
    if compression < 1:
        raise ConfigError(f"compression: got {compression!r}, must be >= 1")
    if multiple < 1:
        raise ConfigError(f"multiple: got {multiple!r}, must be >= 1")
    target = count(full) / compression
    lo, hi = 0.0, 1.0
    widths = lambda f: tuple(max(multiple, multiple * round(f * w / multiple)) for w in full)  # noqa: E731
    for _ in range(40):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if count(widths(mid)) <= target else (lo, mid)
    return widths(lo)


# --- classifiers ---------------------------------------------------------------------------------
def shrink_mlp(model: nn.Module, widths: tuple[int, ...]) -> nn.Module:
    """A copy of a DigitsMLP whose hidden layers keep their ``widths`` highest-norm neurons."""
    from ..nn.digits_nets import DigitsMLP, DigitsMLPConfig

    if len(widths) != len(model.hidden):
        raise ConfigError(f"widths: got {len(widths)} widths for {len(model.hidden)} hidden layers")
    for w, layer in zip(widths, model.hidden):
        if not 1 <= w <= layer.out_features:
            raise ConfigError(f"widths: {w} is outside 1..{layer.out_features}")
    config = DigitsMLPConfig(hidden=tuple(widths), n_in=model.config.n_in, n_classes=model.config.n_classes)
    new = DigitsMLP(config).to(next(model.parameters()).dtype)
    prev = None
    for i, (w, layer) in enumerate(zip(widths, model.hidden)):
        keep = top_units(unit_norms(layer), w)
        new.hidden[i] = slice_layer(layer, out_idx=keep, in_idx=prev)
        prev = keep
    new.classifier = slice_layer(model.classifier, in_idx=prev)
    return new


def mlp_param_count(n_in: int, widths: tuple[int, ...], n_classes: int) -> int:
    dims = (n_in,) + tuple(widths) + (n_classes,)
    return sum((a + 1) * b for a, b in zip(dims[:-1], dims[1:]))


def shrink_cnn(model: nn.Module, widths: tuple[int, int, int]) -> nn.Module:
    """A copy of a DigitsCNN keeping (conv1 channels, conv2 channels, dense units) by filter norm."""
    from ..nn.digits_nets import DigitsCNN, DigitsCNNConfig

    c1, c2, hidden = widths
    full = (model.conv1.out_channels, model.conv2.out_channels, model.fc.out_features)
    for w, f in zip(widths, full):
        if not 1 <= w <= f:
            raise ConfigError(f"widths: {w} is outside 1..{f}")
    new = DigitsCNN(DigitsCNNConfig(channels=(c1, c2), hidden=hidden, n_classes=model.config.n_classes))
    new = new.to(next(model.parameters()).dtype)
    k1 = top_units(unit_norms(model.conv1), c1)
    k2 = top_units(unit_norms(model.conv2), c2)
    kf = top_units(unit_norms(model.fc), hidden)
    spatial = model.fc.in_features // model.conv2.out_channels  # 2x2 positions per channel
    flat = (k2[:, None] * spatial + torch.arange(spatial)[None, :]).flatten()  # channel-major flatten
    new.conv1 = slice_layer(model.conv1, out_idx=k1)
    new.conv2 = slice_layer(model.conv2, out_idx=k2, in_idx=k1)
    new.fc = slice_layer(model.fc, out_idx=kf, in_idx=flat)
    new.classifier = slice_layer(model.classifier, in_idx=kf)
    return new


def cnn_param_count(widths: tuple[int, int, int], n_classes: int = 10, spatial: int = 4) -> int:
    c1, c2, h = widths
    return (9 + 1) * c1 + (9 * c1 + 1) * c2 + (spatial * c2 + 1) * h + (h + 1) * n_classes


# --- GPT: heads and MLP neurons --------------------------------------------------------------------
def gpt_unit_scores(model: nn.Module) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """Per block: head scores (H,) and MLP neuron scores (4C,), norms of their c_proj columns."""
    heads, neurons = [], []
    for block in model.transformer.h:
        attn = block.attn
        w = effective_weight(attn.c_proj).detach()  # (C, H d)
        heads.append(w.view(w.shape[0], attn.n_head, attn.head_dim).norm(dim=(0, 2)))
        neurons.append(effective_weight(block.mlp.c_proj).detach().norm(dim=0))  # (4C,)
    return heads, neurons


def choose_gpt_units(
    model: nn.Module, head_fraction: float, neuron_fraction: float
) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """Indices of heads and neurons to keep in every block (the top fractions by output norm)."""
    for name, f in (("head_fraction", head_fraction), ("neuron_fraction", neuron_fraction)):
        if not 0.0 <= f <= 1.0:
            raise ConfigError(f"{name}: got {f!r}, must be >= 0 and <= 1")
    heads, neurons = gpt_unit_scores(model)
    keep_heads = [top_units(s, round(head_fraction * len(s))) for s in heads]
    keep_neurons = [top_units(s, round(neuron_fraction * len(s))) for s in neurons]
    return keep_heads, keep_neurons


def _head_columns(keep: torch.Tensor, head_dim: int) -> torch.Tensor:
    return (keep[:, None] * head_dim + torch.arange(head_dim)[None, :]).flatten().long()


def mask_gpt_units(model: nn.Module, keep_heads, keep_neurons) -> nn.Module:
    """A copy of ``model`` where removed heads and neurons are masked: their c_proj columns are zero."""
    masked = copy.deepcopy(model)
    for block, kh, kn in zip(masked.transformer.h, keep_heads, keep_neurons):
        attn = block.attn
        cols = torch.zeros(attn.c_proj.in_features)
        cols[_head_columns(torch.as_tensor(kh), attn.head_dim)] = 1
        apply_mask(attn.c_proj, cols.expand_as(attn.c_proj.weight).clone())
        cols = torch.zeros(block.mlp.c_proj.in_features)
        cols[torch.as_tensor(kn, dtype=torch.long)] = 1
        apply_mask(block.mlp.c_proj, cols.expand_as(block.mlp.c_proj.weight).clone())
    return masked


def shrink_gpt(model: nn.Module, keep_heads, keep_neurons) -> nn.Module:
    """A copy of a GPT whose blocks keep only ``keep_heads`` heads and ``keep_neurons`` MLP neurons, as
    genuinely smaller Linear layers: a GPT whose config says n_head = len(keep_heads[i]) (heads keep
    their width, head_dim) and n_inner = len(keep_neurons[i]), the same counts in every block."""
    blocks = model.transformer.h
    if len(keep_heads) != len(blocks) or len(keep_neurons) != len(blocks):
        raise ConfigError(f"keep_heads/keep_neurons: need one entry per block ({len(blocks)})")
    for name, keep in (("keep_heads", keep_heads), ("keep_neurons", keep_neurons)):
        if len({len(k) for k in keep}) > 1:
            raise ConfigError(
                f"{name}: a GPT has one width for all its blocks, got {[len(k) for k in keep]} per block"
            )
    new = copy.deepcopy(model)
    head_dim = blocks[0].attn.head_dim
    new.config = dataclasses.replace(
        model.config, n_head=len(keep_heads[0]), head_dim=head_dim, n_inner=len(keep_neurons[0])
    )
    for block, kh, kn in zip(new.transformer.h, keep_heads, keep_neurons):
        attn = block.attn
        inner = attn.n_head * attn.head_dim
        kh = torch.as_tensor(kh, dtype=torch.long)
        cols = _head_columns(kh, head_dim)
        rows = torch.cat([cols, cols + inner, cols + 2 * inner])  # q, k, v rows of the kept heads
        attn.c_attn = slice_layer(attn.c_attn, out_idx=rows)
        attn.c_proj = slice_layer(attn.c_proj, in_idx=cols)
        attn.n_head = len(kh)
        kn = torch.as_tensor(kn, dtype=torch.long)
        block.mlp.c_fc = slice_layer(block.mlp.c_fc, out_idx=kn)
        block.mlp.c_proj = slice_layer(block.mlp.c_proj, in_idx=kn)
    return new
