"""scikit-learn's bundled 8x8 handwritten digits (1,797 images, 10 classes), offline.

Alpaydin and Kaynak (1998), UCI "Optical Recognition of Handwritten Digits"; the copy that ships
inside scikit-learn needs no download. Pixels are 0..16; we scale them to [0, 1] so that every seed
sees the same inputs, and split train/test stratified by class with the seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..config import ConfigError


@dataclass
class Digits:
    """A train/test split. ``x_*``: (N, 1, 8, 8) float32 in [0, 1]; ``y_*``: (N,) int64 labels 0..9."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor

    n_classes: int = 10


def load_digits_split(seed: int = 0, test_fraction: float = 0.2, n_train: int | None = None) -> Digits:
    """Stratified split of the bundled digits; ``n_train`` keeps only the first n training images."""
    if not 0.0 < test_fraction < 1.0:
        raise ConfigError(f"test_fraction: got {test_fraction!r}, must be > 0 and < 1")
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    data = load_digits()
    x = torch.tensor(data.images, dtype=torch.float32).unsqueeze(1) / 16.0  # (1797, 1, 8, 8)
    y = torch.tensor(data.target, dtype=torch.int64)  # (1797,)
    idx_train, idx_test = train_test_split(
        torch.arange(len(y)).numpy(), test_size=test_fraction, random_state=seed, stratify=y.numpy()
    )
    idx_train, idx_test = torch.as_tensor(idx_train), torch.as_tensor(idx_test)
    if n_train is not None:
        if n_train < 10:
            raise ConfigError(f"n_train: got {n_train}, must be >= 10 (one image per class)")
        idx_train = idx_train[:n_train]
    return Digits(x[idx_train], y[idx_train], x[idx_test], y[idx_test])
