"""Baseline classifiers for the inductive-bias table: logistic regression, MLP, 1-D CNN, GRU.

Each carries a different assumption about how input positions relate (Battaglia et al. 2018, Table 1):
the MLP connects every unit to every other (no assumption), the CNN shares a local filter across
positions (locality, translation), the GRU shares one cell across time steps (sequentiality). The
defaults follow the MNIST-1D paper (Greydanus and Kobak 2020, "Scaling down deep learning with
MNIST-1D"): MLP 40-100-100-10, CNN of three 25-channel convolutions then a dense layer, a
bidirectional GRU with 6 hidden units per direction read out from every time step.

Shapes: B batch, L sequence length (input positions), C channels, H GRU hidden size, K classes.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn

from ..config import Config, ConfigError, option
from . import count_parameters  # noqa: F401  (re-exported: the one parameter counter)

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "gelu": nn.GELU, "elu": nn.ELU}


class MLP(nn.Sequential):
    """Dense layers of the given sizes: ``MLP((40, 100, 100, 10))`` is 40 -> 100 -> 100 -> 10.

    The activation goes between layers; ``activate_last`` also applies it after the last one (the graph
    network's update functions use that, followed by ``layer_norm``). ``layers()`` lists the Linear
    layers in order, so other code (pruning) can address them without knowing the Sequential layout.
    """

    def __init__(
        self,
        sizes: tuple[int, ...] | list[int],
        activation: str = "relu",
        activate_last: bool = False,
        layer_norm: bool = False,
        dropout: float = 0.0,
        bias: bool = True,
    ):
        sizes = tuple(int(s) for s in sizes)
        if len(sizes) < 2:
            raise ConfigError(f"sizes: need at least an input and an output size, got {sizes}")
        if any(s < 1 for s in sizes):
            raise ConfigError(f"sizes: every layer size must be >= 1, got {sizes}")
        if activation not in ACTIVATIONS:
            raise ConfigError(f"activation: got {activation!r}, allowed: {', '.join(ACTIVATIONS)}")
        if not 0.0 <= dropout < 1.0:
            raise ConfigError(f"dropout: got {dropout}, must be in [0, 1)")
        modules: list[nn.Module] = []
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            modules.append(nn.Linear(fan_in, fan_out, bias=bias))
            last = i == len(sizes) - 2
            if not last or activate_last:
                modules.append(ACTIVATIONS[activation]())
                if dropout > 0 and not last:
                    modules.append(nn.Dropout(dropout))
        if layer_norm:
            modules.append(nn.LayerNorm(sizes[-1]))
        super().__init__(*modules)
        self.sizes = sizes

    def layers(self) -> list[nn.Linear]:
        return [m for m in self if isinstance(m, nn.Linear)]


class LogisticRegression(nn.Linear):
    """Multinomial logistic regression: one linear map to class logits, (B, L) -> (B, K)."""

    def __init__(self, in_features: int, num_classes: int):
        super().__init__(in_features, num_classes)


@dataclass
class CNN1dConfig(Config):
    """A stack of 1-D convolutions, then (optionally) a flatten and one dense layer to the classes."""

    length: int = option(40, "input sequence length L", low=1)
    in_channels: int = option(1, "input channels (1 for a scalar signal)", low=1)
    channels: tuple[int, ...] = option((25, 25, 25), "output channels of each convolution")
    kernel_sizes: tuple[int, ...] = option((5, 3, 3), "kernel size of each convolution")
    strides: tuple[int, ...] = option((2, 2, 2), "stride of each convolution")
    padding: int = option(1, "zeros (or wrapped values) added on each side of every convolution", low=0)
    padding_mode: str = option(
        "zeros", "how the border is padded; circular makes shifts wrap around", choices=("zeros", "circular")
    )
    num_classes: int = option(10, "classes K of the dense head; 0 = no head, return the feature map", low=0)

    def validate(self) -> None:
        n = len(self.channels)
        if n == 0:
            raise ConfigError("channels: need at least one convolution")
        for name in ("kernel_sizes", "strides"):
            if len(getattr(self, name)) != n:
                raise ConfigError(
                    f"{name}: got {len(getattr(self, name))} values, expected one per "
                    f"convolution ({n}, as in channels)"
                )
        if min(self.channels + self.kernel_sizes + self.strides) < 1:
            raise ConfigError("channels, kernel_sizes, strides: every value must be >= 1")
        if self.feature_length() < 1:
            raise ConfigError(f"length: {self.length} is too short for these kernels and strides")

    def feature_length(self) -> int:
        """Length of the last feature map (the usual conv arithmetic)."""
        size = self.length
        for k, s in zip(self.kernel_sizes, self.strides):
            size = (size + 2 * self.padding - k) // s + 1
        return size


class CNN1d(nn.Module):
    """Convolutions with ReLU, then flatten and a dense layer: (B, L) or (B, C_in, L) -> (B, K).

    ``features`` returns the last feature map (B, C, L'); with stride 1 and circular padding it is
    equivariant to circular shifts of the input. The flatten + dense head ties every output to
    absolute positions, which is what breaks that symmetry for the classifier as a whole.
    """

    def __init__(self, config: CNN1dConfig | None = None):
        super().__init__()
        self.config = config = config or CNN1dConfig()
        widths = (config.in_channels,) + tuple(config.channels)
        self.convs = nn.ModuleList(
            nn.Conv1d(c_in, c_out, k, stride=s, padding=config.padding, padding_mode=config.padding_mode)
            for c_in, c_out, k, s in zip(widths[:-1], widths[1:], config.kernel_sizes, config.strides)
        )
        flat = config.channels[-1] * config.feature_length()
        self.head = nn.Linear(flat, config.num_classes) if config.num_classes else None

    def features(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 2:
            x = x.unsqueeze(1)  # (B, L) -> (B, 1, L)
        for conv in self.convs:
            x = conv(x).relu()  # (B, C, L')
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.features(x)
        if self.head is None:
            return h
        return self.head(h.flatten(1))  # (B, C * L') -> (B, K)


class GRUClassifier(nn.Module):
    """A (bidirectional) GRU over the positions, every step's state flattened into a dense layer.

    (B, L) -> (B, L, 1) -> GRU -> (B, L, D * H) -> flatten -> (B, K), D = 2 if bidirectional. Reading
    out every time step (rather than the last state) follows the MNIST-1D paper's model.
    """

    def __init__(
        self,
        length: int = 40,
        num_classes: int = 10,
        hidden: int = 6,
        bidirectional: bool = True,
        input_size: int = 1,
        bias: bool = True,
    ):
        super().__init__()
        for name, value in (
            ("length", length),
            ("num_classes", num_classes),
            ("hidden", hidden),
            ("input_size", input_size),
        ):
            if value < 1:
                raise ConfigError(f"{name}: got {value}, must be >= 1")
        self.rnn = nn.GRU(input_size, hidden, batch_first=True, bidirectional=bidirectional, bias=bias)
        directions = 2 if bidirectional else 1
        self.head = nn.Linear(length * hidden * directions, num_classes)
        self.length, self.input_size = length, input_size

    def states(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 2:
            x = x.unsqueeze(-1)  # (B, L) -> (B, L, 1)
        out, _ = self.rnn(x)  # (B, L, D * H)
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.states(x)
        if out.shape[1] != self.length:
            raise ConfigError(f"input length: got {out.shape[1]}, this classifier reads {self.length}")
        return self.head(out.flatten(1))


def build_classifier(name: str, length: int = 40, num_classes: int = 10) -> nn.Module:
    """The MNIST-1D paper's four baselines by name: logistic, mlp, cnn, gru."""
    if name == "logistic":
        return LogisticRegression(length, num_classes)
    if name == "mlp":
        return MLP((length, 100, 100, num_classes))
    if name == "cnn":
        return CNN1d(CNN1dConfig(length=length, num_classes=num_classes))
    if name == "gru":
        return GRUClassifier(length, num_classes)
    raise ConfigError(f"model: got {name!r}, allowed: logistic, mlp, cnn, gru")


CLASSIFIERS = ("logistic", "mlp", "cnn", "gru")
