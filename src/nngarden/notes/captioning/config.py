"""The captioning presets: the five shapes' tasks, the three captioners, how many scenes and seeds.

The quick preset is sized from measured CPU costs (one thread, ``time.process_time``, a machine
loaded 4-5 deep): a training step over 64 scenes (every k from 1 to 5 in each batch) costs about 30 ms
for the vector and the mean-pooled captioner and 70 ms for the attention one at width 64 (CNN
channels 8/16/32), so 700 steps each is about 95 s with evaluation; the five shapes' models about
47 s (the nine number spellers 11 s, the sum 12 s, the reversal 10 s, the digits 9 s); imports,
drawing the scenes, the BLEU probe and the figures about 20 s: about 165 s of the 3 minutes of one
thread that ``make garden --jobs 2`` allows. At this budget the fixed-vector captioners are still
learning (the full preset trains 4000 steps). These sizes and the training recipe were revised
after the first two quick runs (``docs/criteria-log.md``).
"""

from __future__ import annotations

from dataclasses import dataclass

from ...config import ConfigError, option
from ..base import NoteConfig


@dataclass
class CaptioningConfig(NoteConfig):
    """The five shapes of a recurrent network, then one-to-many captioning of generated scenes."""

    seeds: int = option(1, "independent seeds (1: intervals over items; >= 3: t intervals over seeds)", low=1)
    # --- the five shapes
    shape_hidden: int = option(64, "GRU units of the five shapes' models (one-to-one: twice this)", low=2)
    digit_steps: int = option(3000, "Adam steps of the one-to-one digit classifier", low=1)
    number_steps: int = option(150, "full-batch Adam steps of each one-to-many number speller", low=1)
    number_lr: float = option(1e-2, "Adam learning rate of the number spellers", low=0.0, low_open=True)
    number_folds: int = option(3, "folds of the composed numbers 21-99 held out in turn", low=3)
    number_repeats: int = option(3, "fold splits of the numbers, each with its own shuffle", low=1)
    sum_shortest: int = option(1, "shortest digit sequence in the sum's training batches", low=1)
    sum_steps: int = option(3000, "Adam steps of the many-to-one sum", low=1)
    reverse_steps: int = option(900, "Adam steps of the many-to-many out-of-step reversal", low=1)
    running_steps: int = option(1000, "Adam steps of the many-to-many in-step running sum", low=1)
    min_digits: int = option(5, "shortest digit sequence of the sum, reversal and running sum", low=1)
    max_digits: int = option(15, "longest digit sequence", low=1)
    shape_batch: int = option(64, "examples per step of the sequence tasks (the digits: twice this)", low=1)
    shape_lr: float = option(
        3e-3, "peak Adam learning rate of the shapes' models (cosine to a tenth)", low=0.0, low_open=True
    )
    n_sequences: int = option(1000, "fresh held-out sequences per sequence task", low=1)
    # --- captioning
    max_objects: int = option(
        6, "objects per scene go from 1 to this, in training and evaluation", low=1, high=9
    )
    channels: tuple[int, ...] = option((8, 16, 32), "channels of the CNN's three conv/pool stages", low=1)
    width: int = option(64, "decoder LSTM width (and the vector captioner's image vector)", low=2)
    vector_widths: tuple[int, ...] = option(
        (), "extra widths of the vector captioner (a sweep of its image vector; () for none)", low=2
    )
    embed: int = option(32, "word embedding of the captioners", low=2)
    attn_hidden: int = option(32, "hidden size of the additive attention score", low=2)
    penalty: float = option(
        0.01, "weight lambda of Xu et al.'s doubly stochastic attention penalty (per caption)", low=0.0
    )
    steps: int = option(700, "Adam steps of each captioner", low=1)
    batch: int = option(64, "scenes per training step (k cycling 1..max_objects within a batch)", low=1)
    lr: float = option(1e-2, "peak Adam learning rate of the captioners (cosine decay to a tenth)", low=0.0)
    clip: float = option(1.0, "gradient-norm clip", low=0.0, low_open=True)
    n_test: int = option(500, "held-out test scenes per number of objects", low=1)
    beam: int = option(0, "beam width for a second evaluation of every captioner (0: greedy only)", low=0)
    n_examples: int = option(4, "test scenes whose attention maps are drawn (0: none)", low=0)
    log_every: int = option(25, "log the training loss every this many steps", low=1)

    def validate(self) -> None:
        if self.min_digits > self.max_digits:
            raise ConfigError(f"min_digits: got {self.min_digits}, must be <= max_digits ({self.max_digits})")
        if self.min_digits < 3:
            raise ConfigError(
                f"min_digits: got {self.min_digits}, must be >= 3 (the out-of-step check shortens by 2)"
            )
        if self.seeds == 2:
            raise ConfigError("seeds: got 2; use 1 (intervals over items) or >= 3 (t intervals over seeds)")
        if len(self.channels) != 3:
            raise ConfigError(f"channels: got {self.channels}, need three stages (24 px -> a 3x3 grid)")

    @classmethod
    def tiny(cls) -> CaptioningConfig:
        return cls(
            shape_hidden=8,
            digit_steps=3,
            number_steps=3,
            number_repeats=1,
            sum_steps=3,
            reverse_steps=3,
            running_steps=3,
            max_digits=6,
            shape_batch=8,
            n_sequences=20,
            max_objects=5,
            channels=(4, 4, 8),
            width=8,
            embed=8,
            attn_hidden=8,
            steps=3,
            batch=8,
            n_test=12,
            beam=2,
            n_examples=2,
            log_every=1,
        )

    @classmethod
    def quick(cls) -> CaptioningConfig:
        # k up to 5 (the claims need k = 1 and k = 5; the full preset goes to 6): shorter captions
        return cls(max_objects=5)

    @classmethod
    def full(cls) -> CaptioningConfig:
        return cls(
            seeds=3,
            digit_steps=4000,
            number_steps=300,
            sum_steps=4000,
            reverse_steps=4000,
            running_steps=3000,
            max_objects=6,
            vector_widths=(128, 256),
            steps=4000,
            n_test=1000,
            beam=3,
        )
