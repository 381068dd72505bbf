"""The sequence-models presets: copy-memory lengths, the parameter budget, the receptive-field grid, the
path-length and timing sizes.

The quick sizes were fixed from costs measured on one thread before any claim was judged (process CPU
time, at 25k parameters, T = 100, batch 32): a training step of the six copy-memory models together
took about 116 ms, an evaluation of all six on 256 held-out sequences 0.28 s, the timing stage 8.5 s
and the path-length stage 2 s, so 900 steps (evaluated every 50) were estimated at about 130 s with
T = 100. The run itself took 206.7 s of CPU (steps are 1.3-2x slower on this shared machine than on a
quiet one), over the three minutes, so the quick preset uses the issue's fallback T = 50 with every
other size unchanged (docs/criteria-log.md; the T = 100 results had been seen).
"""

from __future__ import annotations

from dataclasses import dataclass

from ...config import ConfigError, option
from ..base import NoteConfig

MODELS = ("lstm", "gru", "tcn", "attention")


def tcn_name(ratio: float) -> str:
    """The TCN trained at receptive field ratio * (T + 11)."""
    return f"tcn-rf{ratio:g}"


@dataclass
class SequenceModelsConfig(NoteConfig):
    """Copy memory at blank lengths T, TCNs across receptive fields, gradient path lengths, timing."""

    blank_lengths: tuple[int, ...] = option(
        (100,), "copy-memory blank lengths T (a symbol and its recall are T + 10 apart)", low=1
    )
    params: int = option(25_000, "parameter budget: each model's width is chosen to come closest", low=200)
    attention_layers: int = option(2, "layers of the causal self-attention model", low=1)
    attention_heads: int = option(2, "heads per attention layer", low=1)
    rf_ratios: tuple[float, ...] = option(
        (0.5, 0.9, 1.3, 2.0), "TCN receptive fields R as multiples of T + 11 (nearest reachable)", low=0.0
    )
    covering_ratio: float = option(1.3, "the rf_ratios entry whose TCN is the long-range claim's", low=1.0)
    max_kernel: int = option(8, "largest TCN kernel tried when matching a receptive field", low=2)
    steps: int = option(900, "Adam steps of every model on copy memory", low=1)
    recurrent_factor: int = option(
        1, "recurrent models train this many times `steps` (the claims read them at the others' steps)", low=1
    )
    recurrent_cells: tuple[str, ...] = option(("lstm",), "recurrent cells trained on copy memory")
    batch: int = option(32, "sequences per training batch (Bai et al.)", low=1)
    lr: float = option(1e-3, "Adam learning rate, the same for every model", low=0.0, low_open=True)
    clip: float = option(1.0, "gradient-norm clip (Bai et al.)", low=0.0, low_open=True)
    eval_every: int = option(50, "evaluate held-out recall every this many steps", low=1)
    n_test: int = option(256, "held-out copy-memory sequences (ten recalled symbols each)", low=1)
    path_length: int = option(256, "sequence length n of the gradient path-length measurement", low=2)
    path_seeds: int = option(3, "initialisations (and input sequences) of the path-length measurement", low=1)
    path_sequences: int = option(8, "held-out sequences of the trained models' path-length profile", low=1)
    timing_lengths: tuple[int, ...] = option((64, 128, 256, 512, 1024), "sequence lengths n timed", low=1)
    timing_repeats: int = option(7, "interleaved repeats per timed (model, n, pass); medians reported", low=1)
    timing_batch: int = option(8, "sequences per timed batch", low=1)
    timing_min_seconds: float = option(
        0.02, "one timing sample loops the call for at least this long", low=0.0
    )
    timing_models: tuple[str, ...] = option(("lstm", "tcn", "attention"), "models timed")
    wide_threads: int = option(0, "also time with this many threads, as description (0: skip)", low=0)

    def validate(self) -> None:
        for name in (*self.recurrent_cells, *self.timing_models):
            if name not in MODELS:
                raise ConfigError(f"model {name!r}: allowed: {', '.join(MODELS)}")
        if any(cell not in ("lstm", "gru") for cell in self.recurrent_cells):
            raise ConfigError(f"recurrent_cells: got {self.recurrent_cells}, allowed: lstm, gru")
        if self.covering_ratio not in self.rf_ratios:
            raise ConfigError(f"covering_ratio: got {self.covering_ratio}, must be one of rf_ratios")

    @classmethod
    def tiny(cls) -> SequenceModelsConfig:
        return cls(
            blank_lengths=(8,),
            params=1500,
            rf_ratios=(0.5, 1.3),
            max_kernel=4,
            steps=4,
            batch=4,
            eval_every=2,
            n_test=20,
            path_length=72,
            path_sequences=2,
            timing_lengths=(8, 16, 32),
            timing_repeats=5,
            timing_batch=2,
            timing_min_seconds=0.0,
        )

    @classmethod
    def quick(cls) -> SequenceModelsConfig:
        return cls(blank_lengths=(50,))

    @classmethod
    def full(cls) -> SequenceModelsConfig:
        return cls(
            blank_lengths=(100, 200, 500),
            steps=2000,
            recurrent_factor=10,
            recurrent_cells=("lstm", "gru"),
            n_test=1000,
            path_seeds=5,
            timing_repeats=9,
            timing_models=("lstm", "gru", "tcn", "attention"),
            wide_threads=2,  # the cores of the machine the README's numbers come from
        )
