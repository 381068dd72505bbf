"""Five small tasks, one for each shape of a recurrent network (``nn/rnn_shapes.py``).

- one-to-one: the class of an 8x8 handwritten digit (``data/digits.py``; test images held out);
- one-to-many: a number 0-99 to the letters of its English name (num2words: 42 -> "forty-two"). The
  input is the number's two decimal digits, one-hot (20 values), so an unseen number can be spelled from
  its parts. Held out are only numbers whose name is composed of two seen words (21-99, not a multiple of
  ten): "forty-two" from "forty-one" and "thirty-two"; 0-20 and the tens are irregular and always seen;
- many-to-one: the sum modulo 10 of 5-15 decimal digits;
- many-to-many out of step: 5-15 decimal digits reversed;
- many-to-many in step: the running sum modulo 10 of 5-15 decimal digits, one answer per digit.

Symbols are token ids: 0, 1, 2 are padding, begin and end (as in ``nn/seq2seq.py``) and digit d is id
d + 3. Random draws come from the caller's numpy Generator, so a batch is a function of its seed.
"""

from __future__ import annotations

import functools
import string

import numpy as np
import torch

from ..config import ConfigError

PAD, BOS, EOS = 0, 1, 2
DIGIT0 = 3  # id of the digit 0; digit d is DIGIT0 + d
N_DIGIT_TOKENS = DIGIT0 + 10
LETTERS = tuple(string.ascii_lowercase) + ("-",)
LETTER_VOCAB = ("<pad>", "<s>", "</s>") + LETTERS  # ids of the one-to-many targets


# --- one-to-one: digit images -----------------------------------------------------------------------
def shift_images(x: torch.Tensor, rng: np.random.Generator, max_shift: int = 1) -> torch.Tensor:
    """Each (N, 1, H, W) image moved by up to ``max_shift`` pixels along each axis, zeros let in."""
    n, _, h, w = x.shape
    padded = torch.nn.functional.pad(x, (max_shift,) * 4)  # (N, 1, H + 2m, W + 2m)
    start = torch.as_tensor(rng.integers(0, 2 * max_shift + 1, size=(n, 2)))  # crop corner: m - shift
    rows = (start[:, 0, None] + torch.arange(h))[:, :, None]  # (N, H, 1)
    cols = (start[:, 1, None] + torch.arange(w))[:, None, :]  # (N, 1, W)
    return padded[torch.arange(n)[:, None, None], 0, rows, cols][:, None]


# --- one-to-many: a number to the letters of its name -------------------------------------------------
@functools.cache
def number_name(n: int) -> str:
    """English name of 0 <= n <= 99 as num2words writes it ("forty-two")."""
    if not 0 <= n <= 99:
        raise ConfigError(f"number: got {n}, must be 0..99")
    from num2words import num2words

    return num2words(n)


def number_inputs(numbers) -> torch.Tensor:
    """(N,) numbers -> (N, 20): one-hot tens digit, then one-hot units digit."""
    numbers = torch.as_tensor(list(numbers), dtype=torch.long)
    x = torch.zeros(len(numbers), 20)
    rows = torch.arange(len(numbers))
    x[rows, numbers // 10] = 1.0
    x[rows, 10 + numbers % 10] = 1.0
    return x


def number_targets(numbers) -> tuple[torch.Tensor, torch.Tensor]:
    """Teacher-forcing pairs: (BOS + letters, letters + EOS), each (N, T) padded with PAD."""
    names = [[LETTER_VOCAB.index(c) for c in number_name(int(n))] for n in numbers]
    width = max(len(name) for name in names) + 1
    tgt_in = torch.full((len(names), width), PAD, dtype=torch.long)
    tgt_out = torch.full((len(names), width), PAD, dtype=torch.long)
    for i, name in enumerate(names):
        tgt_in[i, : len(name) + 1] = torch.tensor([BOS] + name)
        tgt_out[i, : len(name) + 1] = torch.tensor(name + [EOS])
    return tgt_in, tgt_out


COMPOSED = tuple(n for n in range(21, 100) if n % 10)  # names made of a tens word and a units word


def number_folds(seed: int, n_folds: int) -> list[list[int]]:
    """The composed numbers in ``n_folds`` held-out sets of (nearly) equal size, shuffled by ``seed``.

    Every fold leaves each tens word and each units word in some composed training name (checked): a
    tens word has 9 composed numbers and a units word 8, so with three folds or more some stay behind.
    """
    if n_folds < 3:
        raise ConfigError(f"number folds: got {n_folds}, must be >= 3 (so every word is seen in training)")
    order = np.random.default_rng(seed).permutation(len(COMPOSED))
    folds = [sorted(COMPOSED[i] for i in order[f::n_folds]) for f in range(n_folds)]
    for held in folds:
        seen = [n for n in COMPOSED if n not in held]
        if {n // 10 for n in held} - {n // 10 for n in seen} or {n % 10 for n in held} - {
            n % 10 for n in seen
        }:
            raise AssertionError(
                f"fold {held} leaves a tens or units word out of every composed training name"
            )
    return folds


# --- digit sequences: sum, running sum, reversal ------------------------------------------------------
def digit_sequences(rng: np.random.Generator, n: int, length: int) -> np.ndarray:
    """(n, length) random decimal digits."""
    return rng.integers(0, 10, size=(n, length))


def sum_batch(digits: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """Many-to-one: (tokens (N, L), sum mod 10 (N,))."""
    return torch.as_tensor(digits + DIGIT0), torch.as_tensor(digits.sum(axis=1) % 10)


def running_sum_batch(digits: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """Many-to-many in step: (tokens (N, L), running sum mod 10 at every position (N, L))."""
    return torch.as_tensor(digits + DIGIT0), torch.as_tensor(np.cumsum(digits, axis=1) % 10)


def reverse_batch(digits: np.ndarray) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Many-to-many out of step: (src (N, L), tgt_in = BOS + reversed (N, L+1), tgt_out = reversed + EOS)."""
    src = torch.as_tensor(digits + DIGIT0)
    reversed_ = src.flip(1)
    n = len(digits)
    tgt_in = torch.cat([torch.full((n, 1), BOS), reversed_], dim=1)
    tgt_out = torch.cat([reversed_, torch.full((n, 1), EOS)], dim=1)
    return src, tgt_in, tgt_out
