"""The feature-engineering note's config and its tiny / quick / full presets.

The quick sizes were fixed from measured costs before any claim was judged (docs/criteria-log.md): on
one busy CPU thread the sklearn systems' 5-fold cross-validation on movie snippets with inner grids costs
about 40 s, their training on all movie snippets about 10 s, and the CNN about 4.4 s per epoch of a
training fold (word vectors of 128, 100 filters per width), so 4 epochs at most per fold keep the whole
quick run near 150 s of the 3-minute budget. The label sweep of the pretraining claim (a BERT pretrained
by masked language modelling, fine-tuned 15 times, and MiniLM over every test sentence) does not fit that
budget: it runs at the full preset only.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...config import ConfigError, option
from ..base import NoteConfig

SOURCES = ("tweets", "movies", "amazon", "nyt")


@dataclass
class FeatureEngineeringConfig(NoteConfig):
    folds: int = option(5, "cross-validation folds, fixed by sentence id", low=2)
    inner_folds: int = option(3, "folds of the hyper-parameter search inside each training fold", low=2)
    in_domain: tuple[str, ...] = option(
        ("movies",), "sources on which every trained system is cross-validated", choices=None
    )
    max_per_source: int = option(0, "sentences kept per source, by id hash (0: all)", low=0)
    tfidf_c: tuple[float, ...] = option(
        (1.0, 3.0, 10.0, 30.0), "TF-IDF logistic regression's C grid", low=0.0, low_open=True
    )
    hand_c: tuple[float, ...] = option(
        (0.1, 1.0, 10.0), "hand-feature logistic regression's C grid", low=0.0, low_open=True
    )
    hgb_learning_rate: tuple[float, ...] = option(
        (0.05, 0.1), "gradient boosting's learning-rate grid", low=0.0, low_open=True
    )
    hgb_leaf_nodes: tuple[int, ...] = option((15, 31), "gradient boosting's max_leaf_nodes grid", low=2)
    cnn_embed: int = option(128, "CNN word-vector width (Kim 2014: 300)", low=1)
    cnn_filters: int = option(100, "CNN filters per window width (Kim: 100)", low=1)
    cnn_widths: tuple[int, ...] = option((3, 4, 5), "CNN window widths (Kim: 3, 4, 5)", low=1)
    cnn_epochs: int = option(4, "CNN epochs at most; the best on held-out training sentences is kept", low=1)
    cnn_batch: int = option(50, "CNN minibatch (Kim: 50)", low=1)
    cnn_lr: float = option(1e-3, "CNN Adam learning rate", low=0.0, low_open=True)
    cnn_dropout: float = option(0.5, "CNN dropout before the output layer (Kim: 0.5)", low=0.0, high=1.0)
    cnn_max_tokens: int = option(64, "tokens kept per sentence", low=1)
    validation_fraction: float = option(
        0.1, "share of a training fold held out to pick the CNN's and BERT's epoch", low=0.0, high=0.5
    )
    cnn_transfer: bool = option(False, "also train the CNN on all movie snippets and test it elsewhere")
    label_counts: tuple[int, ...] = option(
        (),
        "labelled movie sentences of the label sweep (0: the whole training split; empty: no sweep)",
        low=0,
    )
    label_seeds: int = option(3, "labelled subsets (seeds) per label count", low=1)
    bert_layers: int = option(4, "BERT blocks", low=1)
    bert_heads: int = option(4, "BERT attention heads", low=1)
    bert_embd: int = option(256, "BERT width", low=8)
    bert_block: int = option(64, "BERT positions (sentences are cut to this many tokens)", low=8)
    bert_vocab: int = option(8000, "byte-level BPE vocabulary trained on the unlabelled sentences", low=257)
    pretrain_steps: int = option(20000, "masked-LM pretraining steps", low=1)
    pretrain_batch: int = option(64, "masked-LM windows per step", low=1)
    finetune_epochs: int = option(10, "fine-tuning epochs at most (best on held-out labels kept)", low=1)
    finetune_lr: float = option(1e-4, "fine-tuning AdamW learning rate", low=0.0, low_open=True)
    finetune_batch: int = option(32, "fine-tuning minibatch", low=1)

    def validate(self) -> None:
        bad = [s for s in self.in_domain if s not in SOURCES]
        if bad:
            raise ConfigError(f"in_domain: got {bad[0]!r}, allowed: {', '.join(SOURCES)}")
        if "movies" not in self.in_domain:
            raise ConfigError("in_domain: the claims are decided on movie snippets; keep 'movies' in it")
        if self.bert_embd % self.bert_heads:
            raise ConfigError(f"bert_embd: {self.bert_embd} is not divisible by bert_heads={self.bert_heads}")

    @classmethod
    def full(cls) -> FeatureEngineeringConfig:
        return cls(
            in_domain=SOURCES,
            cnn_embed=300,
            cnn_epochs=10,
            cnn_transfer=True,
            label_counts=(100, 300, 1000, 0),
        )

    @classmethod
    def quick(cls) -> FeatureEngineeringConfig:
        return cls()

    @classmethod
    def tiny(cls) -> FeatureEngineeringConfig:
        return cls(
            folds=3,
            inner_folds=2,
            max_per_source=240,
            tfidf_c=(1.0,),
            hand_c=(1.0,),
            hgb_learning_rate=(0.1,),
            hgb_leaf_nodes=(15,),
            cnn_embed=16,
            cnn_filters=8,
            cnn_epochs=1,
            cnn_transfer=True,
            label_counts=(40,),
            label_seeds=1,
            bert_layers=1,
            bert_heads=2,
            bert_embd=32,
            bert_block=32,
            bert_vocab=300,
            pretrain_steps=20,
            pretrain_batch=8,
            finetune_epochs=1,
        )
