"""Warmup then cosine decay to the floor, as nanoGPT's get_lr."""

import math

import pytest

from nngarden.train.schedule import lr_at


def test_warmup_is_linear_up_to_the_peak():
    lrs = [lr_at(s, 1e-3, 1e-4, 100, 2000) for s in range(100)]
    assert lrs[0] == pytest.approx(1e-3 / 101)
    assert all(b > a for a, b in zip(lrs, lrs[1:]))
    assert lrs[99] == pytest.approx(1e-3 * 100 / 101)
    assert lr_at(100, 1e-3, 1e-4, 100, 2000) == pytest.approx(1e-3)


def test_cosine_reaches_the_floor_at_the_decay_step_and_stays():
    mid = lr_at(1050, 1e-3, 1e-4, 100, 2000)  # half-way through the decay
    assert mid == pytest.approx(1e-4 + 0.5 * (1e-3 - 1e-4))
    quarter = lr_at(575, 1e-3, 1e-4, 100, 2000)
    assert quarter == pytest.approx(1e-4 + 0.5 * (1 + math.cos(math.pi / 4)) * 9e-4)
    assert lr_at(1999, 1e-3, 1e-4, 100, 2000) > 1e-4
    assert lr_at(2000, 1e-3, 1e-4, 100, 2000) == 1e-4 == lr_at(5000, 1e-3, 1e-4, 100, 2000)
    lrs = [lr_at(s, 1e-3, 1e-4, 100, 2000) for s in range(100, 2001)]
    assert all(b <= a for a, b in zip(lrs, lrs[1:]))


def test_no_warmup_starts_at_the_peak():
    assert lr_at(0, 2e-3, 0.0, 0, 10) == pytest.approx(2e-3)
