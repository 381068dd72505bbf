"""Generated sequence-to-sequence tasks with controlled lengths, vocabularies, batching and scores.

Algorithmic tasks over ``n_symbols`` symbols: ``copy`` (y = x), ``reverse`` (y = x backwards) and
``sort`` (y = x sorted). Their source length is chosen exactly, so accuracy can be read against length.

A translation task, ``dates``: a calendar date written in English words in one of three word orders
("the twenty first of march nineteen ninety nine", "march twenty first nineteen ninety nine",
"twenty first march nineteen ninety nine") goes to its ISO form "1999-03-21", one character per
token. Source and target lengths differ and the year moves from the end to the front: the model has
to reorder, not just transliterate. Number words come from ``num2words``.
"""

from __future__ import annotations

import datetime as _dt
import functools
from dataclasses import dataclass

import numpy as np
import torch

from ..config import ConfigError

SPECIALS = ("<pad>", "<s>", "</s>")  # ids 0, 1, 2, the same in every vocabulary (nn/seq2seq.py)
ALGORITHMIC = ("copy", "reverse", "sort")
TASKS = ALGORITHMIC + ("dates",)
MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
DATE_ORDERS = ("day-of-month", "month-day", "day-month")


class Vocab:
    """Token <-> id, with the three specials first (and an optional unknown-word token after them)."""

    def __init__(self, tokens, unk: str | None = None):
        seen = list(SPECIALS) + ([unk] if unk is not None else [])
        for tok in tokens:
            if tok not in seen:
                seen.append(tok)
        self.itos = seen
        self.stoi = {t: i for i, t in enumerate(seen)}
        self.unk = None if unk is None else self.stoi[unk]

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, tokens: list[str]) -> list[int]:
        """Ids of ``tokens``; an unknown token maps to ``unk`` when the vocabulary has one, else raises."""
        if self.unk is not None:
            return [self.stoi.get(t, self.unk) for t in tokens]
        try:
            return [self.stoi[t] for t in tokens]
        except KeyError as err:
            raise ValueError(f"token {err.args[0]!r} is not in the vocabulary") from None

    def decode(self, ids: list[int]) -> list[str]:
        """Ids to tokens, stopping at EOS and dropping PAD/BOS."""
        out = []
        for i in ids:
            if i == 2:
                break
            if i > 2:
                out.append(self.itos[i])
        return out


@dataclass
class Pair:
    src: list[str]
    tgt: list[str]


# --- algorithmic tasks ----------------------------------------------------------------------------
def symbols(n_symbols: int) -> list[str]:
    return [f"s{i}" for i in range(n_symbols)]


def algorithmic_pairs(task: str, lengths, n_symbols: int, rng: np.random.Generator) -> list[Pair]:
    """One pair per entry of ``lengths`` (each the exact source length)."""
    if task not in ALGORITHMIC:
        raise ConfigError(f"task: got {task!r}, allowed: {', '.join(ALGORITHMIC)}")
    if n_symbols < 2:
        raise ConfigError(f"n_symbols: got {n_symbols}, must be >= 2")
    names = symbols(n_symbols)
    pairs = []
    for length in lengths:
        x = rng.integers(0, n_symbols, size=int(length))
        y = x if task == "copy" else x[::-1] if task == "reverse" else np.sort(x, kind="stable")
        pairs.append(Pair([names[i] for i in x], [names[i] for i in y]))
    return pairs


def algorithmic_ids(
    task: str, lengths, n_symbols: int, rng: np.random.Generator, width: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`algorithmic_pairs` as vocabulary ids, drawn with the same calls in the same order (one
    ``rng.integers`` per sequence), without building a Pair or a token string per sequence.

    -> (source, target) ids (B, width) in ``Vocab(symbols(n_symbols))`` (symbol i is id i + 3), PAD after
    each sequence's length; ``width`` (default: the longest length) lets several batches share one width.
    """
    if task not in ALGORITHMIC:
        raise ConfigError(f"task: got {task!r}, allowed: {', '.join(ALGORITHMIC)}")
    if n_symbols < 2:
        raise ConfigError(f"n_symbols: got {n_symbols}, must be >= 2")
    lengths = np.asarray(lengths, dtype=np.int64)
    width = int(lengths.max()) if width is None else width
    draws = [rng.integers(0, n_symbols, size=int(length)) for length in lengths]
    real = np.arange(width) < lengths[:, None]  # (B, width), row-major: the draws in order
    src = np.zeros((len(lengths), width), dtype=np.int64)
    src[real] = np.concatenate(draws) + len(SPECIALS)
    if task == "copy":
        return src, src.copy()
    if task == "reverse":  # position j of the target reads source position L - 1 - j
        mirrored = np.where(real, lengths[:, None] - 1 - np.arange(width), 0)
        return src, np.where(real, np.take_along_axis(src, mirrored, axis=1), 0)
    ordered = np.sort(np.where(real, src, np.iinfo(np.int64).max), axis=1)  # padding sorts last
    return src, np.where(real, ordered, 0)


# --- dates: words to ISO --------------------------------------------------------------------------
def _words(text: str) -> list[str]:
    """num2words writes "twenty-first" and "nineteen oh-five": split on hyphens and commas too."""
    return text.replace("-", " ").replace(",", " ").split()


def date_words(day: _dt.date, order: str) -> list[str]:
    from num2words import num2words

    d = _words(num2words(day.day, to="ordinal"))
    m = [MONTHS[day.month - 1]]
    y = _words(num2words(day.year, to="year"))
    if order == "day-of-month":
        return ["the"] + d + ["of"] + m + y
    if order == "month-day":
        return m + d + y
    if order == "day-month":
        return d + m + y
    raise ConfigError(f"order: got {order!r}, allowed: {', '.join(DATE_ORDERS)}")


def date_pairs(n: int, rng: np.random.Generator, first_year: int = 1100, last_year: int = 2099) -> list[Pair]:
    """``n`` random dates from 1 January ``first_year`` to 31 December ``last_year``, random word order."""
    if not 1 <= first_year <= last_year <= 9999:
        raise ConfigError(
            f"first_year/last_year: got {first_year}/{last_year}, need 1 <= first <= last <= 9999"
        )
    start = _dt.date(first_year, 1, 1).toordinal()
    span = _dt.date(last_year, 12, 31).toordinal() - start + 1
    pairs = []
    for offset, order in zip(rng.integers(0, span, size=n), rng.integers(0, len(DATE_ORDERS), size=n)):
        day = _dt.date.fromordinal(start + int(offset))
        pairs.append(Pair(date_words(day, DATE_ORDERS[order]), list(day.isoformat())))
    return pairs


@functools.lru_cache(maxsize=1)
def date_vocabs() -> tuple[Vocab, Vocab]:
    """Every source word any date can use (ordinals 1-31, months, year words) and the ISO characters."""
    from num2words import num2words

    words = {"the", "of", *MONTHS}
    for i in range(1, 32):
        words.update(_words(num2words(i, to="ordinal")))
    for year in range(1, 10000):
        words.update(_words(num2words(year, to="year")))
    return Vocab(sorted(words)), Vocab(list("0123456789-"))


# --- sampling, batching ---------------------------------------------------------------------------
class TaskSampler:
    """Fresh pairs on demand: algorithmic tasks, source lengths uniform in [min_len, max_len], or dates."""

    def __init__(self, task: str, n_symbols: int = 20, min_len: int = 5, max_len: int = 30, seed: int = 0):
        if task not in TASKS:
            raise ConfigError(f"task: got {task!r}, allowed: {', '.join(TASKS)}")
        if not 1 <= min_len <= max_len:
            raise ConfigError(f"min_len/max_len: got {min_len}/{max_len}, need 1 <= min_len <= max_len")
        self.task, self.n_symbols, self.min_len, self.max_len = task, n_symbols, min_len, max_len
        self.rng = np.random.default_rng(seed)
        if task == "dates":
            self.src_vocab, self.tgt_vocab = date_vocabs()
        else:
            self.src_vocab = self.tgt_vocab = Vocab(symbols(n_symbols))

    def pairs(self, n: int, length: int | None = None) -> list[Pair]:
        """``n`` pairs; ``length`` fixes the source length of algorithmic tasks (else uniform in range)."""
        if self.task == "dates":
            return date_pairs(n, self.rng)
        if length is None:
            lengths = self.rng.integers(self.min_len, self.max_len + 1, size=n)
        else:
            lengths = [length] * n
        return algorithmic_pairs(self.task, lengths, self.n_symbols, self.rng)


@dataclass
class Batch:
    """One batch (shapes for B sequences; the stacked models' batches have (M, B, ...))."""

    src: torch.Tensor  # (B, S) source ids, PAD-padded
    src_len: torch.Tensor  # (B,) real source lengths
    tgt_in: torch.Tensor  # (B, T + 1) BOS y_1 ... y_T (PAD-padded): the decoder's teacher-forced input
    tgt_out: torch.Tensor  # (B, T + 1) y_1 ... y_T EOS (PAD-padded): what it must predict

    def to(self, device) -> Batch:
        return Batch(*(t.to(device) for t in (self.src, self.src_len, self.tgt_in, self.tgt_out)))


def make_batch(pairs: list[Pair], src_vocab: Vocab, tgt_vocab: Vocab) -> Batch:
    if not pairs:
        raise ValueError("make_batch needs at least one pair")
    src = [src_vocab.encode(p.src) for p in pairs]
    tgt = [tgt_vocab.encode(p.tgt) for p in pairs]
    if min(len(s) for s in src) == 0:
        raise ValueError("every source needs at least one token")
    b, s_max, t_max = len(pairs), max(map(len, src)), max(map(len, tgt))
    src_t = torch.zeros(b, s_max, dtype=torch.long)
    tgt_in = torch.zeros(b, t_max + 1, dtype=torch.long)
    tgt_out = torch.zeros(b, t_max + 1, dtype=torch.long)
    for i, (s, t) in enumerate(zip(src, tgt)):
        src_t[i, : len(s)] = torch.tensor(s)
        tgt_in[i, : len(t) + 1] = torch.tensor([1] + t)
        tgt_out[i, : len(t) + 1] = torch.tensor(t + [2])
    return Batch(src_t, torch.tensor([len(s) for s in src]), tgt_in, tgt_out)


def teacher_forcing_batch(
    src: np.ndarray, tgt: np.ndarray, src_len: np.ndarray, tgt_len: np.ndarray
) -> Batch:
    """Id arrays to a :class:`Batch`, as :func:`make_batch` lays them out, for any leading dimensions (the
    stacked models' (M, B, ...)): src (..., S), tgt (..., T) PAD-padded, lengths (...) ->
    tgt_in BOS y PAD... and tgt_out y EOS PAD..., both (..., T + 1)."""
    bos = np.full(tgt.shape[:-1] + (1,), 1, dtype=np.int64)
    tgt_in = np.concatenate([bos, tgt], axis=-1)
    tgt_out = np.concatenate([tgt, np.zeros_like(bos)], axis=-1)
    np.put_along_axis(tgt_out, np.asarray(tgt_len, dtype=np.int64)[..., None], 2, axis=-1)  # EOS
    src_len = np.asarray(src_len, dtype=np.int64)
    return Batch(*(torch.from_numpy(np.ascontiguousarray(a)) for a in (src, src_len, tgt_in, tgt_out)))


# --- scores ---------------------------------------------------------------------------------------
def exact_and_token_accuracy(predicted: list[list[int]], reference: list[list[int]]) -> tuple[float, float]:
    """Exact: whole output equals the reference. Token: fraction of reference positions predicted right
    at the same position (a missing token counts as wrong; extra tokens cost nothing here but exactness)."""
    if len(predicted) != len(reference) or not reference:
        raise ValueError("need as many predictions as references, at least one")
    exact = sum(p == r for p, r in zip(predicted, reference)) / len(reference)
    right = sum(sum(a == b for a, b in zip(p, r)) for p, r in zip(predicted, reference))
    return exact, right / sum(len(r) for r in reference)


def bleu_and_chrf(hypotheses: list[str], references: list[str]) -> tuple[float, float]:
    """Corpus BLEU and chrF (sacrebleu, 0-100) of detokenised strings."""
    import sacrebleu

    bleu = sacrebleu.corpus_bleu(hypotheses, [references]).score
    chrf = sacrebleu.corpus_chrf(hypotheses, [references]).score
    return float(bleu), float(chrf)
