"""Small classifiers for the 8x8 digits: LeNet-300-100-style MLP and a small 2-D CNN.

LeCun et al. (1998) "Gradient-based learning applied to document recognition" (LeNet-300-100, here
with 64 inputs: 64-300-100-10), the network Han et al. (2015) and Frankle and Carbin (2019) prune.
The last layer of each net is named ``classifier`` so pruning can leave it alone by name.

Shapes: B batch; images (B, 1, 8, 8).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..config import Config, ConfigError, option


@dataclass
class DigitsMLPConfig(Config):
    """Widths of the MLP: 64 inputs, hidden layers, 10 classes."""

    hidden: tuple[int, ...] = option((300, 100), "hidden layer widths", low=1)
    n_in: int = option(64, "input features (8x8 pixels)", low=1)
    n_classes: int = option(10, "classes", low=2)

    def validate(self) -> None:
        if not self.hidden:
            raise ConfigError("hidden: give at least one hidden width, e.g. 300,100")


class DigitsMLP(nn.Module):
    """x (B, 1, 8, 8) or (B, 64) -> logits (B, 10) through Linear-ReLU layers."""

    def __init__(self, config: DigitsMLPConfig | None = None):
        super().__init__()
        config = config or DigitsMLPConfig()
        self.config = config
        widths = (config.n_in,) + tuple(config.hidden)
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:]))
        self.classifier = nn.Linear(widths[-1], config.n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.flatten(1)  # (B, 64)
        for layer in self.hidden:
            x = F.relu(layer(x))  # (B, width)
        return self.classifier(x)  # (B, 10)


@dataclass
class DigitsCNNConfig(Config):
    """Channels of the small CNN."""

    channels: tuple[int, int] = option((16, 32), "channels of the two 3x3 conv layers", low=1)
    hidden: int = option(64, "width of the dense layer before the classifier", low=1)
    n_classes: int = option(10, "classes", low=2)


class DigitsCNN(nn.Module):
    """(B, 1, 8, 8) -conv3x3-> (B, c1, 8, 8) -pool-> (B, c1, 4, 4) -conv3x3-> (B, c2, 4, 4) -pool->
    (B, c2, 2, 2) -flatten-> (B, 4 c2) -dense-> (B, hidden) -> logits (B, 10)."""

    def __init__(self, config: DigitsCNNConfig | None = None):
        super().__init__()
        config = config or DigitsCNNConfig()
        self.config = config
        c1, c2 = config.channels
        self.conv1 = nn.Conv2d(1, c1, 3, padding=1)
        self.conv2 = nn.Conv2d(c1, c2, 3, padding=1)
        self.fc = nn.Linear(c2 * 4, config.hidden)
        self.classifier = nn.Linear(config.hidden, config.n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)  # (B, c1, 4, 4)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)  # (B, c2, 2, 2)
        x = F.relu(self.fc(x.flatten(1)))  # (B, hidden)
        return self.classifier(x)  # (B, 10)
