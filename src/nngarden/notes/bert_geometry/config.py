"""Sizes of the bert-geometry note's measurements, and its presets.

The quick preset was sized from measured costs before any claim was judged (see docs/notes/
bert-geometry.md, "Budget"): it must decide every claim within 3 minutes of one CPU thread.
"""

from __future__ import annotations

from dataclasses import dataclass

from nngarden.config import ConfigError, option
from nngarden.notes.base import NoteConfig

MODEL = "all-MiniLM-L6-v2"  # the cached asset (nngarden.data.fetch) the note probes


@dataclass
class BertGeometryConfig(NoteConfig):
    """Trees for the embedding check; sentences, probes and seeds for the measurements on MiniLM."""

    # (a) the Pythagorean embedding
    trees: int = option(200, "random trees whose Pythagorean embedding is checked", low=1)
    max_nodes: int = option(40, "largest of those trees (nodes)", low=2)
    control_trees: int = option(
        160, "random trees (5-25 nodes) for the probe's positive control; a quarter held out", low=8
    )
    # sentences of the generated language (data/grammar.py), 5-25 words each
    train_sentences: int = option(1500, "training sentences of the probes", low=2)
    dev_sentences: int = option(250, "development sentences (choose the layer)", low=1)
    test_sentences: int = option(500, "test sentences (paired items of the findings)", low=1)
    # the probes (Hewitt and Manning: L1 loss, Adam)
    probe_rank: int = option(64, "rank k of the probes' linear map B", low=1)
    probe_steps: int = option(2000, "updates per probe", low=1)
    probe_batch: int = option(32, "sentences per update", low=1)
    probe_lr: float = option(2e-3, "Adam learning rate (cosine decay to 1/10)", low=0.0, low_open=True)
    probe_seeds: int = option(3, "probe-training seeds on MiniLM (distance, depth, control probes)", low=1)
    twin_seeds: int = option(3, "randomly initialised twins of MiniLM, one probe seed each", low=1)
    # the full preset's extras
    ranks: tuple[int, ...] = option((), "probe ranks swept on the best layer (empty: no sweep)", low=1)
    own_bert_steps: int = option(
        0, "masked-LM updates of nngarden's own BERT on the generated language (0: not trained)", low=0
    )
    own_bert_corpus: int = option(20_000, "generated sentences nngarden's own BERT learns from", low=1)
    own_bert_layers: int = option(4, "blocks of nngarden's own BERT", low=1)
    own_bert_width: int = option(128, "width of nngarden's own BERT (4 heads)", low=4)

    def validate(self) -> None:
        if self.own_bert_width % 4:
            raise ConfigError(f"own_bert_width: got {self.own_bert_width}, must be divisible by 4 heads")
        if self.max_nodes > 64:
            raise ConfigError(f"max_nodes: got {self.max_nodes}, at most 64 (dense n x n distance matrices)")

    @property
    def probe_seed_list(self) -> list[int]:
        return [self.seed + s for s in range(self.probe_seeds)]

    @property
    def twin_seed_list(self) -> list[int]:
        return [self.seed + 100 + s for s in range(self.twin_seeds)]

    @classmethod
    def tiny(cls):
        return cls(
            trees=20,
            max_nodes=12,
            control_trees=40,
            train_sentences=40,
            dev_sentences=20,
            test_sentences=30,
            probe_rank=16,
            probe_steps=20,
            probe_seeds=1,
            twin_seeds=1,
            ranks=(4,),
            own_bert_steps=10,
            own_bert_corpus=200,
            own_bert_layers=1,
            own_bert_width=16,
        )

    @classmethod
    def quick(cls):
        # sized from measured costs (docs/notes/bert-geometry.md, "Budget"), before any claim was judged
        return cls(train_sentences=500, dev_sentences=125, test_sentences=250, probe_steps=800)

    @classmethod
    def full(cls):
        return cls(ranks=(4, 16, 64, 256), own_bert_steps=3000)
