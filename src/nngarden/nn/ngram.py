"""An interpolated Kneser-Ney n-gram language model over token ids: counts, no training loop.

Kneser and Ney (1995), "Improved backing-off for m-gram language modeling"; the interpolated form with
one absolute discount per order of Chen and Goodman (1998), "An empirical study of smoothing techniques
for language modeling". It is the baseline a small neural language model is set against: what plain
counting of the last ``order - 1`` tokens achieves.

With h a context of n - 1 tokens and h' the same without its oldest token,

    P_n(w | h) = max(c_n(h w) - D_n, 0) / c_n(h .)  +  D_n N_n(h .) / c_n(h .) * P_{n-1}(w | h')

where c_n is the raw count at the highest order and, below it, the continuation count (the number of
distinct tokens seen before h w), c_n(h .) their sum over w, N_n(h .) the number of w with a nonzero
count, D_n = n1 / (n1 + 2 n2) from the numbers of n-grams counted once and twice, and P_0 uniform over
the vocabulary. A context never seen leaves the lower order's estimate unchanged.

An n-gram of tokens t_1 .. t_n is keyed by the integer t_1 V^(n-1) + ... + t_n (V the vocabulary size),
so a table is a sorted array of keys with their counts, and the n-grams of one context are a contiguous
slice of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

MAX_KEY = 2**62  # keys must fit an int64 with room: vocab_size ** order below this


@dataclass(frozen=True)
class _Table:
    keys: np.ndarray  # (K,) sorted n-gram keys
    counts: np.ndarray  # (K,) raw (highest order) or continuation counts
    contexts: np.ndarray  # (C,) sorted distinct context keys (key // V)
    totals: np.ndarray  # (C,) sum of counts per context
    types: np.ndarray  # (C,) n-grams with a nonzero count per context
    discount: float


def _keys(ids: np.ndarray, n: int, vocab_size: int) -> np.ndarray:
    """Key of every n-gram of ``ids`` (len(ids) - n + 1 of them)."""
    count = len(ids) - n + 1
    key = np.zeros(max(count, 0), dtype=np.int64)
    for j in range(n):
        key = key * vocab_size + ids[j : j + count]
    return key


def _table(keys: np.ndarray, counts: np.ndarray, vocab_size: int) -> _Table:
    n1, n2 = int((counts == 1).sum()), int((counts == 2).sum())
    discount = n1 / (n1 + 2 * n2) if n1 + 2 * n2 else 0.5
    contexts, first = np.unique(keys // vocab_size, return_index=True)
    totals = np.add.reduceat(counts, first) if len(keys) else np.zeros(0, dtype=np.int64)
    types = np.diff(np.append(first, len(keys)))
    return _Table(keys, counts, contexts, totals, types, min(max(discount, 1e-3), 1 - 1e-3))


class KneserNey:
    """An interpolated Kneser-Ney model of ``order`` over tokens 0 .. vocab_size - 1 (see the module)."""

    def __init__(self, order: int, vocab_size: int, tables: dict[int, _Table]):
        self.order, self.vocab_size, self.tables = order, vocab_size, tables

    @classmethod
    def fit(cls, ids: Sequence[int] | np.ndarray, order: int, vocab_size: int) -> KneserNey:
        """Count the n-grams of ``ids`` (one token stream) up to ``order``."""
        if order < 1:
            raise ValueError(f"order must be >= 1, got {order}")
        if vocab_size**order >= MAX_KEY:
            raise ValueError(f"a vocabulary of {vocab_size} tokens is too large for {order}-gram keys")
        ids = np.asarray(ids, dtype=np.int64)
        if len(ids) < order:
            raise ValueError(f"{len(ids)} tokens are fewer than the order {order}")
        keys, counts = np.unique(_keys(ids, order, vocab_size), return_counts=True)
        tables = {order: _table(keys, counts, vocab_size)}
        types = keys  # the distinct (n+1)-grams, whose suffixes give the continuation counts of order n
        for n in range(order - 1, 0, -1):
            keys, counts = np.unique(types % vocab_size**n, return_counts=True)
            tables[n] = _table(keys, counts, vocab_size)
            # the n-gram at the very start of the text has no left neighbour, but is an n-gram type
            types = np.union1d(keys, _keys(ids[:n], n, vocab_size))
        return cls(order, vocab_size, tables)

    def distribution(self, history: Sequence[int]) -> np.ndarray:
        """P(w | the last order - 1 tokens of ``history``) for every token w, shape (vocab_size,)."""
        v = self.vocab_size
        p = np.full(v, 1.0 / v)
        used = list(history)[-(self.order - 1) :] if self.order > 1 else []
        for n in range(1, len(used) + 2):
            table = self.tables[n]
            context = 0
            for token in used[len(used) - (n - 1) :] if n > 1 else []:
                context = context * v + int(token)
            lo, hi = np.searchsorted(table.keys, [context * v, context * v + v])
            if hi == lo:
                continue  # an unseen context: the lower order's estimate stands
            counts = table.counts[lo:hi]
            total = float(counts.sum())
            p = table.discount * (hi - lo) / total * p
            p[table.keys[lo:hi] - context * v] += np.maximum(counts - table.discount, 0) / total
        return p

    def sample(
        self, start: Sequence[int], tokens: int, temperature: float, rng: np.random.Generator
    ) -> list[int]:
        """``tokens`` tokens drawn after ``start``, each from P(w | history) ** (1 / temperature),
        renormalised (as a softmax of logits / temperature is)."""
        if temperature <= 0:
            raise ValueError(f"temperature must be > 0, got {temperature}")
        history, out = list(start), []
        for _ in range(tokens):
            p = self.distribution(history)
            if temperature != 1.0:
                p = p ** (1.0 / temperature)
            cumulative = np.cumsum(p)
            token = int(np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right"))
            token = min(token, self.vocab_size - 1)
            history.append(token)
            out.append(token)
        return out

    def log_loss(self, ids: Sequence[int] | np.ndarray) -> float:
        """Mean cross-entropy (nats per token) of ``ids`` at each position with order - 1 tokens before it."""
        ids = np.asarray(ids, dtype=np.int64)
        v, context_length = self.vocab_size, self.order - 1
        if len(ids) <= context_length:
            return float("nan")
        targets = ids[context_length:]
        p = np.full(len(targets), 1.0 / v)
        for n in range(1, self.order + 1):
            table = self.tables[n]
            context = np.zeros(len(targets), dtype=np.int64)
            for j in range(n - 1):  # the n - 1 tokens before each target
                start = context_length - (n - 1) + j
                context = context * v + ids[start : start + len(targets)]
            at = np.minimum(np.searchsorted(table.contexts, context), max(len(table.contexts) - 1, 0))
            seen = table.contexts[at] == context
            key = context * v + targets
            where = np.minimum(np.searchsorted(table.keys, key), len(table.keys) - 1)
            count = np.where(table.keys[where] == key, table.counts[where], 0)
            total = np.where(seen, table.totals[at], 1)
            smoothed = (np.maximum(count - table.discount, 0) + table.discount * table.types[at] * p) / total
            p = np.where(seen, smoothed, p)
        return float(-np.log(p).mean())
