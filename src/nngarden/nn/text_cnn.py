"""A convolutional network for sentence classification (Kim 2014, "Convolutional Neural Networks for
Sentence Classification"), here in its CNN-rand form: word vectors learned from scratch.

Word vectors (B, T, E) -> for each window width w, C filters of width w with ReLU -> max over time ->
concatenated (B, C * len(widths)) -> dropout -> a linear layer to the classes. Kim used E = 300, widths
3, 4, 5 with 100 filters each, dropout 0.5 and a max-norm of 3 on the output weights; the sizes are
arguments so that a CPU budget can shrink them. The word vectors take sparse gradients by default
(:class:`SparseAndDenseAdam` updates only the rows a batch used): half the cost of a step on a CPU.
Windows that start on padding (id 0) are left out of the max; a window that starts on a word and runs
past the sentence's end sees zero vectors there (so a sentence shorter than a window still has one).

Shapes: B batch, T tokens, E embedding width, C filters per width, K classes.
"""

from __future__ import annotations

import re
from collections import Counter

import torch
import torch.nn as nn

PAD, UNK = 0, 1
TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[^\sa-z0-9]")


def tokenize(text: str) -> list[str]:
    """Lower-cased words (keeping clitics such as 's and n't attached) and punctuation marks."""
    return TOKEN.findall(text.lower())


class Vocabulary:
    """Word -> id over the training texts only (ids 0 and 1 are padding and unknown)."""

    def __init__(self, texts: list[str], min_count: int = 1):
        counts = Counter(token for text in texts for token in tokenize(text))
        words = sorted(w for w, c in counts.items() if c >= min_count)
        self.ids = {w: i + 2 for i, w in enumerate(words)}

    def __len__(self) -> int:
        return len(self.ids) + 2

    def encode(self, texts: list[str], max_tokens: int, min_tokens: int = 1) -> torch.Tensor:
        """(N, T) ids, right-padded with 0 to the longest text (at least ``min_tokens``, at most
        ``max_tokens``)."""
        rows = [[self.ids.get(t, UNK) for t in tokenize(text)][:max_tokens] for text in texts]
        width = max(min_tokens, max((len(r) for r in rows), default=1))
        out = torch.zeros(len(rows), width, dtype=torch.long)
        for i, row in enumerate(rows):
            out[i, : len(row)] = torch.tensor(row, dtype=torch.long)
        return out


class TextCNN(nn.Module):
    def __init__(
        self,
        vocab_size: int,
        embed_dim: int = 300,
        widths: tuple[int, ...] = (3, 4, 5),
        filters: int = 100,
        classes: int = 2,
        dropout: float = 0.5,
        sparse: bool = True,
    ):
        super().__init__()
        self.widths = tuple(widths)
        self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=PAD, sparse=sparse)
        self.convs = nn.ModuleList(nn.Conv1d(embed_dim, filters, w) for w in self.widths)
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(filters * len(self.widths), classes)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:  # (B, T) -> (B, K)
        # every window that starts on a real token exists, however short the batch's padding: the output
        # does not depend on how far a batch is padded
        ids = nn.functional.pad(ids, (0, max(self.widths) - 1), value=PAD)
        x = self.embed(ids).transpose(1, 2)  # (B, E, T + max width - 1)
        real = (ids != PAD).float()
        pooled = []
        for conv in self.convs:
            h = torch.relu(conv(x))  # (B, C, T - w + 1)
            # a window counts when it starts at a real token (right padding)
            valid = real[:, : h.shape[2]].unsqueeze(1)
            pooled.append((h * valid).amax(dim=2))  # ReLU >= 0, so zeroing a window cannot win the max
        return self.out(self.dropout(torch.cat(pooled, dim=1)))

    @torch.no_grad()
    def max_norm_(self, limit: float = 3.0) -> None:
        """Kim's constraint: rescale each class's output weight vector to an L2 norm of at most ``limit``."""
        norms = self.out.weight.norm(dim=1, keepdim=True).clamp(min=limit)
        self.out.weight.mul_(limit / norms)


class SparseAndDenseAdam:
    """Adam for a model whose word vectors have sparse gradients: SparseAdam updates only the rows a
    batch used (a 16k-word table need not be swept every step), Adam the rest. It has what ``fit`` uses
    of an optimizer: ``param_groups``, ``zero_grad`` and ``step``."""

    def __init__(self, model: TextCNN, lr: float):
        dense = [p for name, p in model.named_parameters() if not name.startswith("embed.")]
        self.parts: list[torch.optim.Optimizer] = [torch.optim.Adam(dense, lr=lr)]
        if model.embed.sparse:
            self.parts.append(torch.optim.SparseAdam([model.embed.weight], lr=lr))
        else:
            self.parts[0].add_param_group({"params": [model.embed.weight]})

    @property
    def param_groups(self) -> list[dict]:
        return [group for part in self.parts for group in part.param_groups]

    def zero_grad(self, set_to_none: bool = True) -> None:
        for part in self.parts:
            part.zero_grad(set_to_none=set_to_none)

    def step(self) -> None:
        for part in self.parts:
            part.step()
