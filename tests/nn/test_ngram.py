"""The interpolated Kneser-Ney n-gram model: normalised, Chen and Goodman's formula, its loss and samples."""

import math
from collections import Counter

import numpy as np
import pytest

from nngarden.nn.ngram import KneserNey

TEXT = np.array([0, 1, 2, 0, 1, 3, 0, 1, 2, 2, 1, 0, 3, 3, 0, 1, 2, 0, 2, 1])


@pytest.mark.parametrize("order", [1, 2, 3, 5])
def test_every_distribution_sums_to_one(order):
    model = KneserNey.fit(TEXT, order, 5)  # token 4 never occurs: it still gets some probability
    for history in ([], [0], [1, 2], [4, 4], [0, 1, 2, 0]):
        p = model.distribution(history)
        assert p.sum() == pytest.approx(1.0) and (p > 0).all()


def test_a_bigram_follows_chen_and_goodmans_interpolated_formula():
    model = KneserNey.fit(TEXT, 2, 4)
    pairs = Counter(zip(TEXT[:-1].tolist(), TEXT[1:].tolist()))

    def discount(counts):
        n1, n2 = sum(c == 1 for c in counts), sum(c == 2 for c in counts)
        return n1 / (n1 + 2 * n2)

    continuation = Counter(w for _, w in pairs)  # distinct tokens seen before w
    d1, total1 = discount(continuation.values()), sum(continuation.values())
    unigram = [max(continuation[w] - d1, 0) / total1 + d1 * len(continuation) / total1 / 4 for w in range(4)]
    d2 = discount(pairs.values())
    after = {w: pairs[(1, w)] for w in range(4)}
    total2, types = sum(after.values()), sum(c > 0 for c in after.values())
    bigram = [max(after[w] - d2, 0) / total2 + d2 * types / total2 * unigram[w] for w in range(4)]
    assert model.distribution([1]) == pytest.approx(bigram)
    assert model.distribution([]) == pytest.approx(unigram)


def test_the_loss_is_the_mean_negative_log_probability():
    model = KneserNey.fit(TEXT, 3, 4)
    held_out = np.array([0, 1, 2, 0, 3, 1, 1, 2])
    by_hand = [
        -math.log(model.distribution(held_out[i - 2 : i])[held_out[i]]) for i in range(2, len(held_out))
    ]
    assert model.log_loss(held_out) == pytest.approx(sum(by_hand) / len(by_hand))


def test_a_long_context_is_followed_and_a_low_temperature_sharpens():
    text = np.array([0, 1, 2, 3] * 50)
    model = KneserNey.fit(text, 3, 4)
    rng = np.random.default_rng(0)
    assert model.sample([0, 1], 8, 0.5, rng) == [2, 3, 0, 1, 2, 3, 0, 1]


def test_sizes_out_of_range_are_refused():
    with pytest.raises(ValueError, match="too large"):
        KneserNey.fit(TEXT, 5, 10**4)
    with pytest.raises(ValueError, match="fewer than the order"):
        KneserNey.fit(TEXT[:3], 5, 4)
