"""Several small networks of one shape trained side by side as one module (seeds of one experiment).

A small MLP or 1-D CNN on a CPU thread spends most of a training step in per-call overhead (the
autograd engine, the optimizer's loop over tensors, small convolution kernels), not in arithmetic.
:class:`StackedDense` holds M dense networks' weights as (M, in, out) tensors and runs all M with one
batched matrix product per layer; :class:`StackedCNN1d` does the same for ``CNN1d`` classifiers, each
convolution written as patches times weights (im2col), so M seeds cost far less than M runs.

Nothing is shared between members: member i's output depends only on its own weights and its own
input slice, so the gradient of a sum of per-member losses is each member's own gradient, and an
elementwise optimizer (SGD, Adam) updates each member exactly as it would update the network alone
(the float rounding of a batched product may differ in the last bits). The tests check outputs and
gradients against the individual networks.

Shapes: M members, B batch, ``in`` / ``out`` the first and last layer widths.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..config import ConfigError
from .classifiers import CNN1d


def dense_layers(model: nn.Module) -> list[nn.Linear]:
    """The Linear layers of a dense network: a Linear alone, or Linear (ReLU Linear)* in sequence.

    Anything else (other activations, normalisation, dropout) is refused, since the stacked forward
    applies ReLU between layers and nothing more.
    """
    if isinstance(model, nn.Linear):
        return [model]
    parts = [m for m in model.children()]
    kinds = [
        "linear" if isinstance(m, nn.Linear) else "relu" if isinstance(m, nn.ReLU) else "other" for m in parts
    ]
    expected = ["linear"] + ["relu", "linear"] * ((len(parts) - 1) // 2)
    if kinds != expected or any(m.bias is None for m in parts if isinstance(m, nn.Linear)):
        raise ConfigError(f"StackedDense needs Linear (ReLU Linear)* layers with biases, got {kinds}")
    return [m for m in parts if isinstance(m, nn.Linear)]


class StackedDense(nn.Module):
    """M dense networks of one shape: ``forward(x)`` maps (M, B, in) to (M, B, out), member by member."""

    def __init__(self, models: Sequence[nn.Module]):
        super().__init__()
        if not models:
            raise ConfigError("StackedDense needs at least one network")
        layers = [dense_layers(m) for m in models]
        shapes = [[tuple(lin.weight.shape) for lin in ls] for ls in layers]
        if any(s != shapes[0] for s in shapes):
            raise ConfigError(f"StackedDense needs networks of one shape, got {shapes}")
        with torch.no_grad():
            self.weights = nn.ParameterList(
                nn.Parameter(torch.stack([ls[j].weight.transpose(0, 1) for ls in layers]).contiguous())
                for j in range(len(shapes[0]))
            )
            self.biases = nn.ParameterList(
                nn.Parameter(torch.stack([ls[j].bias for ls in layers])[:, None, :].clone())
                for j in range(len(shapes[0]))
            )

    @property
    def members(self) -> int:
        return self.weights[0].shape[0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 3 or x.shape[0] != self.members:
            raise ValueError(f"input must be (members={self.members}, batch, features), got {tuple(x.shape)}")
        last = len(self.weights) - 1
        for j, (w, b) in enumerate(zip(self.weights, self.biases)):
            x = torch.baddbmm(b, x, w)
            if j < last:
                x = F.relu(x)
        return x

    @torch.no_grad()
    def write_back(self, models: Sequence[nn.Module]) -> None:
        """Copy each member's weights into the corresponding network (same order as built)."""
        for i, model in enumerate(models):
            for lin, w, b in zip(dense_layers(model), self.weights, self.biases):
                lin.weight.copy_(w[i].transpose(0, 1))
                lin.bias.copy_(b[i, 0])


class StackedCNN1d(nn.Module):
    """M ``CNN1d`` classifiers of one config (zero padding, a dense head): (M, B, L) -> (M, B, K).

    Each convolution is a batched product of the zero-padded input's patches (B L' rows of C_in k
    values, channels-last) with the (C_in k, C_out) weights of each member; the flatten before the head
    keeps ``CNN1d``'s (channel, position) order.
    """

    def __init__(self, models: Sequence[CNN1d]):
        super().__init__()
        if not models or any(not isinstance(m, CNN1d) for m in models):
            raise ConfigError("StackedCNN1d needs CNN1d networks")
        config = models[0].config
        if (
            any(m.config != config for m in models)
            or config.padding_mode != "zeros"
            or not config.num_classes
        ):
            raise ConfigError("StackedCNN1d needs CNN1d networks of one config, zero padding and a head")
        self.config = config
        with torch.no_grad():
            self.weights = nn.ParameterList(
                nn.Parameter(torch.stack([m.convs[j].weight.flatten(1).T for m in models]).contiguous())
                for j in range(len(config.channels))
            )
            self.biases = nn.ParameterList(
                nn.Parameter(torch.stack([m.convs[j].bias for m in models])[:, None, :].clone())
                for j in range(len(config.channels))
            )
            self.head_weight = nn.Parameter(torch.stack([m.head.weight.T for m in models]).contiguous())
            self.head_bias = nn.Parameter(torch.stack([m.head.bias for m in models])[:, None, :].clone())

    @property
    def members(self) -> int:
        return self.head_weight.shape[0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 3 or x.shape[0] != self.members:
            raise ValueError(f"input must be (members={self.members}, batch, length), got {tuple(x.shape)}")
        m, b = x.shape[:2]
        h = x[..., None]  # (M, B, L, C_in = 1), channels last
        pad = self.config.padding
        for w, bias, k, s in zip(self.weights, self.biases, self.config.kernel_sizes, self.config.strides):
            patches = F.pad(h, (0, 0, pad, pad)).unfold(2, k, s)  # (M, B, L', C_in, k)
            length = patches.shape[2]
            h = torch.baddbmm(bias, patches.reshape(m, b * length, -1), w).relu().reshape(m, b, length, -1)
        flat = h.transpose(2, 3).reshape(m, b, -1)  # (M, B, C * L'), CNN1d's flatten order
        return torch.baddbmm(self.head_bias, flat, self.head_weight)

    @torch.no_grad()
    def write_back(self, models: Sequence[CNN1d]) -> None:
        """Copy each member's weights into the corresponding network (same order as built)."""
        for i, model in enumerate(models):
            for conv, w, bias in zip(model.convs, self.weights, self.biases):
                conv.weight.copy_(w[i].T.reshape(conv.weight.shape))
                conv.bias.copy_(bias[i, 0])
            model.head.weight.copy_(self.head_weight[i].T)
            model.head.bias.copy_(self.head_bias[i, 0])


def stack(models: Sequence[nn.Module]) -> nn.Module:
    """The stacked module for these networks: StackedCNN1d for CNN1d, else StackedDense."""
    return StackedCNN1d(models) if isinstance(models[0], CNN1d) else StackedDense(models)
