"""Sizes of the transformers note's three measurements, and its presets."""

from __future__ import annotations

from dataclasses import dataclass

from nngarden.config import ConfigError, option
from nngarden.notes.base import NoteConfig

ARMS = ("none", "sinusoidal", "learned")  # position encodings of the sortedness encoder


def run_tag(arm: str, seed: int) -> str:
    """The name of one trained encoder: its stage is ``train-<tag>``, its metric rows carry ``run=<tag>``."""
    return f"{arm}-seed{seed}"


@dataclass
class TransformersConfig(NoteConfig):
    """Sizes of the three measurements."""

    # (a) convex combination
    attn_batch: int = option(
        8, "batch of random query/key/value sets for the convex-combination check", low=2
    )
    attn_len: int = option(12, "sequence length of those sets", low=2)
    score_scale: float = option(
        8.0, "factor on the random queries, to make the softmax sharp", low=0.0, low_open=True
    )
    # (b) sinusoidal encodings
    pe_dim: int = option(64, "width of the sinusoidal table (even)", low=2)
    pe_positions: int = option(256, "positions in the sinusoidal table", low=8)
    max_offset: int = option(64, "largest offset k examined", low=1)
    # (c) sortedness task
    seq_len: int = option(8, "length of the sequences to classify", low=3)
    vocab: int = option(16, "number of distinct token values", low=3)
    hard_fraction: float = option(
        0.5, "share of negatives that are one adjacent swap from sorted", low=0.0, high=1.0
    )
    d_model: int = option(64, "encoder width", low=2)
    n_head: int = option(4, "attention heads", low=1)
    n_layer: int = option(2, "encoder blocks", low=1)
    steps: int = option(600, "training steps per model", low=1)
    batch_size: int = option(128, "fresh examples per step", low=2)
    lr: float = option(2e-3, "Adam learning rate (cosine decay to 1/10)", low=0.0, low_open=True)
    eval_interval: int = option(100, "steps between held-out evaluations", low=1)
    val_pairs: int = option(
        256, "(sorted, permuted) pairs in the validation set for the learning curves", low=1
    )
    test_pairs: int = option(1000, "(sorted, permuted) pairs in the test set that decides the verdict", low=1)
    n_seeds: int = option(3, "seeds of each arm with encodings; the verdict uses their t interval", low=1)
    control_seeds: int = option(
        1, "seeds of the arm without encodings (an identity: needs-position-check)", low=1
    )

    def validate(self) -> None:
        if self.pe_dim % 2:
            raise ConfigError(f"pe_dim: got {self.pe_dim}, must be even (sin and cos pairs)")
        if self.d_model % self.n_head:
            raise ConfigError(f"d_model: {self.d_model} is not divisible by n_head={self.n_head}")
        if self.d_model % 2:
            raise ConfigError(f"d_model: got {self.d_model}, must be even (sinusoidal encodings)")
        if self.vocab**self.seq_len >= 2**62:
            raise ConfigError(
                f"seq_len: vocab^seq_len = {self.vocab}^{self.seq_len} must stay below 2^62 (multiset keys)"
            )
        if self.pe_positions - self.max_offset <= self.pe_dim:
            raise ConfigError(
                f"max_offset: got {self.max_offset}, must be below pe_positions - pe_dim "
                f"= {self.pe_positions - self.pe_dim} (a fitted shift matrix needs more "
                f"position pairs than dimensions)"
            )

    @property
    def seeds(self) -> list[int]:
        """The seeds the arms with encodings are trained with."""
        return [self.seed + s for s in range(self.n_seeds)]

    def arm_seeds(self, arm: str) -> list[int]:
        """The seeds ``arm`` is trained with (the arm without encodings has its own count)."""
        count = self.control_seeds if arm == "none" else self.n_seeds
        return [self.seed + s for s in range(count)]

    @classmethod
    def tiny(cls):
        return cls(
            attn_batch=2,
            attn_len=6,
            pe_dim=16,
            pe_positions=40,
            max_offset=8,
            seq_len=5,
            vocab=8,
            d_model=16,
            n_head=2,
            n_layer=1,
            steps=30,
            batch_size=32,
            eval_interval=10,
            val_pairs=32,
            test_pairs=64,
            n_seeds=1,
        )

    @classmethod
    def quick(cls):
        return cls()

    @classmethod
    def full(cls):
        return cls(
            steps=3000,
            n_seeds=3,
            control_seeds=3,
            test_pairs=4000,
            pe_dim=128,
            pe_positions=1024,
            max_offset=256,
        )
