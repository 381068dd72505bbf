"""The intervals findings are decided by, against values computed by hand."""

import math

import pytest

from nngarden.stats import (
    corrected_resampled_t,
    fisher_z_difference,
    fisher_z_interval,
    interval_evidence,
    on_side,
    paired_proportions,
    paired_t_interval,
    slope_interval,
    t_interval,
    wilson_interval,
)


def test_a_known_t_interval():
    # mean 2, sd 1, t(0.975, 2 df) = 4.302653: 2 +- 4.302653 / sqrt(3)
    out = t_interval([1.0, 2.0, 3.0])
    assert out.estimate == 2.0 and out.n == 3 and out.method == "t interval, 2 df"
    assert out.low == pytest.approx(-0.484138, abs=1e-5) and out.high == pytest.approx(4.484138, abs=1e-5)
    assert math.isnan(t_interval([1.0]).low) and math.isnan(t_interval([1.0, math.nan, 2.0]).low)


def test_a_known_2x2_table():
    # 100 items: both right 60, only a right 10, only b right 2, both wrong 28
    a = [True] * 60 + [True] * 10 + [False] * 2 + [False] * 28
    b = [True] * 60 + [False] * 10 + [True] * 2 + [False] * 28
    out = paired_proportions(a, b)
    assert (out.only_a, out.only_b) == (10, 2)
    assert out.difference.estimate == pytest.approx(0.08)
    se = math.sqrt(12 - 64 / 100) / 100
    assert out.difference.low == pytest.approx(0.08 - 1.959964 * se, abs=1e-5)
    assert out.difference.high == pytest.approx(0.08 + 1.959964 * se, abs=1e-5)
    assert out.mcnemar_z == pytest.approx(8 / math.sqrt(12))
    assert out.mcnemar_p == pytest.approx(2 * (66 + 12 + 1) / 4096)  # exact binomial, 10 of 12


def test_wilson_fisher_and_corrected_intervals_against_hand_values():
    w = wilson_interval(8, 10)
    assert (w.low, w.high) == (pytest.approx(0.49016, abs=1e-4), pytest.approx(0.94332, abs=1e-4))
    assert wilson_interval(0, 50).low == pytest.approx(0, abs=1e-12) and wilson_interval(
        50, 50
    ).high == pytest.approx(1)
    f = fisher_z_interval(0.5, 28)
    assert (f.low, f.high) == (pytest.approx(0.15603, abs=1e-4), pytest.approx(0.73582, abs=1e-4))
    c = corrected_resampled_t([0.1, 0.2, 0.3], test_fraction=0.2)
    half = 4.302653 * math.sqrt((1 / 3 + 0.25) * 0.01)
    assert (c.low, c.high) == (pytest.approx(0.2 - half, abs=1e-5), pytest.approx(0.2 + half, abs=1e-5))
    p = paired_t_interval([3.0, 4.0, 5.0], [2.0, 2.0, 2.0])
    assert p.estimate == 2.0 and p.method == "paired t interval, 2 df"


def test_a_slope_interval_and_the_verdict_rule():
    exact = slope_interval([1, 2, 3, 4], [2, 4, 6, 8])
    assert exact.estimate == pytest.approx(2) and exact.high - exact.low == pytest.approx(0, abs=1e-9)
    noisy = slope_interval([1, 2, 3, 4, 5], [1.1, 1.9, 3.2, 3.9, 5.1])
    assert noisy.low < noisy.estimate < noisy.high and noisy.method == "least-squares slope, 3 df"
    assert on_side(noisy, 0.8, "above") and not on_side(noisy, 1.0, "above")  # a straddle fails
    assert on_side(noisy, 1.2, "below") and not on_side(noisy, 1.0, "below")
    assert interval_evidence("slope", noisy, "n_items") == {
        "slope": noisy.estimate, "slope_low": noisy.low, "slope_high": noisy.high, "n_items": 5,
    }  # fmt: skip


def test_a_fisher_z_difference_of_independent_correlations():
    # atanh(0.6) - atanh(0.4) = 0.693147 - 0.423649 = 0.269498; se = sqrt(1/97 + 1/197)
    out = fisher_z_difference(0.6, 100, 0.4, 200)
    half = 1.959964 * math.sqrt(1 / 97 + 1 / 197)
    assert out.estimate == pytest.approx(0.269498, abs=1e-5) and out.n == 100
    assert (out.low, out.high) == (
        pytest.approx(0.269498 - half, abs=1e-5),
        pytest.approx(0.269498 + half, abs=1e-5),
    )
    assert math.isnan(fisher_z_difference(1.0, 10, 0.5, 10).low)
