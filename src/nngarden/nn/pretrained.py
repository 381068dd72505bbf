"""A pretrained BERT-architecture model from the data cache, its randomly initialised twin, and word
vectors averaged over word pieces at every hidden state.

The model folder comes from :func:`nngarden.data.fetch.require`, which checks every file against its
pinned SHA-256 (a missing or altered file raises :class:`~nngarden.data.fetch.DataMissing`, naming the
command that fetches it). Weights are read with ``transformers``' ``BertModel`` from ``model.safetensors``
only (``use_safetensors=True``, ``local_files_only=True``): nothing is unpickled and nothing is
downloaded. The tokenizer is the folder's ``tokenizer.json`` read by ``tokenizers``.

A *twin* is the same architecture (the folder's ``config.json``) with the library's own initialisation,
embeddings included: what the probes find in it is what an untrained network and the probe give for free.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..data.fetch import require

MINILM = "all-MiniLM-L6-v2"


def _quiet_transformers() -> None:
    """No progress bars or weight-loading chatter in a note's log."""
    from transformers.utils import logging

    logging.set_verbosity_error()
    logging.disable_progress_bar()


def load_tokenizer(folder: Path):
    """The folder's WordPiece tokenizer, without the padding and truncation it was saved with."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(Path(folder) / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return tokenizer


@dataclass
class Encoder:
    """A BERT model in eval mode with its tokenizer."""

    model: torch.nn.Module
    tokenizer: object
    folder: Path

    @property
    def layers(self) -> int:
        """Hidden states per word: the embedding output (0) and one per block."""
        return self.model.config.num_hidden_layers + 1

    @property
    def width(self) -> int:
        return self.model.config.hidden_size


def load_pretrained(name: str = MINILM, device: str = "cpu") -> Encoder:
    """The cached, hash-checked model ``name`` read from safetensors (else DataMissing)."""
    folder = require(name)
    _quiet_transformers()
    from transformers import BertModel

    model = BertModel.from_pretrained(
        str(folder), local_files_only=True, use_safetensors=True, dtype=torch.float32
    )
    return Encoder(model.to(device).eval(), load_tokenizer(folder), folder)


def random_twin(name: str = MINILM, seed: int = 0, device: str = "cpu") -> Encoder:
    """The architecture of ``name`` with its own random initialisation (embeddings included), drawn
    from ``seed`` without disturbing the global random state."""
    folder = require(name)
    _quiet_transformers()
    from transformers import BertConfig, BertModel

    config = BertConfig.from_pretrained(str(folder), local_files_only=True)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = BertModel(config)
    return Encoder(model.float().to(device).eval(), load_tokenizer(folder), folder)


def _averaging_matrix(word_ids: list[int | None], words: int, tokens: int) -> torch.Tensor:
    """(words, tokens): row w averages the pieces of word w ([CLS], [SEP] and padding get weight 0)."""
    matrix = torch.zeros(words, tokens)
    for position, word in enumerate(word_ids):
        if word is not None:
            matrix[word, position] = 1.0
    counts = matrix.sum(1, keepdim=True)
    if (counts == 0).any():
        raise ValueError("a word has no word piece")
    return matrix / counts


@torch.no_grad()
def word_vectors(encoder: Encoder, sentences: list[list[str]], batch_size: int = 32) -> list[np.ndarray]:
    """For each sentence (a list of words) an array (layers, words, width): every hidden state,
    averaged over each word's pieces. Sentences are batched by length to waste little padding."""
    device = next(encoder.model.parameters()).device
    encodings = [encoder.tokenizer.encode(words, is_pretokenized=True) for words in sentences]
    order = sorted(range(len(sentences)), key=lambda i: len(encodings[i].ids))
    out: list[np.ndarray | None] = [None] * len(sentences)
    for start in range(0, len(order), batch_size):
        rows = order[start : start + batch_size]
        tokens = max(len(encodings[i].ids) for i in rows)
        ids = torch.zeros(len(rows), tokens, dtype=torch.long)
        mask = torch.zeros(len(rows), tokens, dtype=torch.long)
        for r, i in enumerate(rows):
            ids[r, : len(encodings[i].ids)] = torch.tensor(encodings[i].ids)
            mask[r, : len(encodings[i].ids)] = 1
        hidden = encoder.model(
            input_ids=ids.to(device), attention_mask=mask.to(device), output_hidden_states=True
        ).hidden_states
        stacked = torch.stack(hidden, dim=1).float().cpu()  # (B, layers, tokens, width)
        for r, i in enumerate(rows):
            average = _averaging_matrix(encodings[i].word_ids, len(sentences[i]), tokens)
            out[i] = (average @ stacked[r]).numpy()  # (layers, words, width)
    return out  # type: ignore[return-value]
