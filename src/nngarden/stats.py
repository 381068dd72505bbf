"""The intervals a finding is decided by: over seeds, over paired items, over proportions.

A finding holds when its 95% interval lies entirely on the claimed side of its threshold, and fails
otherwise, a straddle included (:func:`on_side`). The interval follows the evidence:

- a few seeds (< 10): Student's t interval of the mean, with its degrees of freedom stated
  (:func:`t_interval`; never a bootstrap over seeds, which is far too narrow with 3 values);
- paired seeds or folds: the t interval of the differences (:func:`paired_t_interval`), and for
  cross-validation folds, Nadeau and Bengio's (2003) corrected resampled t (:func:`corrected_resampled_t`);
- a proportion of items: Wilson's score interval (:func:`wilson_interval`);
- two readers on the same items (right/wrong each): the paired difference of proportions with its
  Wald interval and McNemar's test (:func:`paired_proportions`);
- a correlation: Fisher's z interval (:func:`fisher_z_interval`), and two correlations from independent
  samples: the difference of their z values (:func:`fisher_z_difference`);
- a fitted slope: the least-squares standard error with n - 2 degrees of freedom (:func:`slope_interval`).

:func:`interval_evidence` names the numbers as the garden shows them: ``x``, ``x_low``, ``x_high`` and
the count ``n_seeds`` or ``n_items``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from scipy import stats as _scipy

LEVEL = 0.95


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float
    n: int  # seeds, folds or items behind it
    method: str  # named in the criterion, e.g. "t interval, 2 df"

    def __post_init__(self) -> None:  # plain floats (not numpy scalars), so results stay JSON-able
        for name in ("estimate", "low", "high"):
            object.__setattr__(self, name, float(getattr(self, name)))
        object.__setattr__(self, "n", int(self.n))

    def evidence(self, name: str, count: str = "n_seeds") -> dict[str, float]:
        return interval_evidence(name, self, count)


def interval_evidence(name: str, interval: Interval, count: str = "n_seeds") -> dict[str, float]:
    """``{name: estimate, name_low: low, name_high: high, count: n}``."""
    if count not in ("n_seeds", "n_items", "n_folds"):
        raise ValueError(f"count must be n_seeds, n_items or n_folds, got {count!r}")
    return {
        name: interval.estimate,
        f"{name}_low": interval.low,
        f"{name}_high": interval.high,
        count: interval.n,
    }


def on_side(interval: Interval, threshold: float, side: str) -> bool:
    """Whether the whole interval lies on the claimed side: ``above`` (low > threshold, or >= for
    ``at_least``), ``below`` (high < threshold, or <= for ``at_most``)."""
    if side == "above":
        return interval.low > threshold
    if side == "at_least":
        return interval.low >= threshold
    if side == "below":
        return interval.high < threshold
    if side == "at_most":
        return interval.high <= threshold
    raise ValueError(f"side must be above, at_least, below or at_most, got {side!r}")


def _nan_interval(n: int, method: str) -> Interval:
    return Interval(math.nan, math.nan, math.nan, n, method)


def t_interval(values: Sequence[float], level: float = LEVEL) -> Interval:
    """Student's t interval of the mean of ``values`` (n - 1 degrees of freedom); nan for n < 2."""
    xs = [float(v) for v in values]
    n = len(xs)
    if n < 2 or not all(math.isfinite(x) for x in xs):
        return _nan_interval(n, f"t interval, {max(n - 1, 0)} df")
    mean = sum(xs) / n
    sd = math.sqrt(sum((x - mean) ** 2 for x in xs) / (n - 1))
    half = _scipy.t.ppf(0.5 + level / 2, n - 1) * sd / math.sqrt(n)
    return Interval(mean, mean - half, mean + half, n, f"t interval, {n - 1} df")


def paired_t_interval(a: Sequence[float], b: Sequence[float], level: float = LEVEL) -> Interval:
    """The t interval of the mean paired difference a - b (same seeds, same folds)."""
    if len(a) != len(b):
        raise ValueError(f"paired values need equal lengths, got {len(a)} and {len(b)}")
    out = t_interval([x - y for x, y in zip(a, b)], level)
    return Interval(out.estimate, out.low, out.high, out.n, "paired " + out.method)


def corrected_resampled_t(
    differences: Sequence[float], test_fraction: float, level: float = LEVEL
) -> Interval:
    """Nadeau and Bengio's corrected resampled t interval of k-fold (or repeated split) differences:
    the variance is inflated by (1/k + n_test/n_train), since the training sets overlap."""
    xs = [float(d) for d in differences]
    k = len(xs)
    if k < 2:
        return _nan_interval(k, "corrected resampled t")
    mean = sum(xs) / k
    var = sum((x - mean) ** 2 for x in xs) / (k - 1)
    ratio = test_fraction / (1 - test_fraction)
    half = _scipy.t.ppf(0.5 + level / 2, k - 1) * math.sqrt((1 / k + ratio) * var)
    return Interval(mean, mean - half, mean + half, k, f"corrected resampled t, {k - 1} df")


def wilson_interval(successes: int, n: int, level: float = LEVEL) -> Interval:
    """Wilson's score interval of a proportion (sensible near 0 and 1, unlike the Wald interval)."""
    if n <= 0:
        return _nan_interval(0, "Wilson interval")
    z = _scipy.norm.ppf(0.5 + level / 2)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    low = 0.0 if successes == 0 else max(0.0, centre - half)  # exact at the ends, not rounding residue
    high = 1.0 if successes == n else min(1.0, centre + half)
    return Interval(p, low, high, n, "Wilson interval")


@dataclass(frozen=True)
class PairedProportions:
    difference: Interval  # accuracy of a minus accuracy of b, with its Wald interval
    only_a: int  # items a gets right and b wrong
    only_b: int  # items b gets right and a wrong
    mcnemar_z: float  # (only_a - only_b) / sqrt(only_a + only_b)
    mcnemar_p: float  # two-sided, exact binomial


def paired_proportions(a: Sequence[bool], b: Sequence[bool], level: float = LEVEL) -> PairedProportions:
    """Two readers scored right/wrong on the same items: the difference of their accuracies with the
    paired (Wald) interval and McNemar's test on the discordant pairs."""
    if len(a) != len(b):
        raise ValueError(f"paired items need equal lengths, got {len(a)} and {len(b)}")
    n = len(a)
    only_a = sum(1 for x, y in zip(a, b) if x and not y)
    only_b = sum(1 for x, y in zip(a, b) if y and not x)
    if n == 0:
        return PairedProportions(_nan_interval(0, "paired difference"), 0, 0, math.nan, math.nan)
    diff = (only_a - only_b) / n
    se = math.sqrt(max(only_a + only_b - (only_a - only_b) ** 2 / n, 0.0)) / n
    z = _scipy.norm.ppf(0.5 + level / 2)
    interval = Interval(diff, diff - z * se, diff + z * se, n, "paired difference, Wald interval")
    discordant = only_a + only_b
    mz = (only_a - only_b) / math.sqrt(discordant) if discordant else 0.0
    p = float(_scipy.binomtest(only_a, discordant, 0.5).pvalue) if discordant else 1.0
    return PairedProportions(interval, only_a, only_b, mz, p)


def fisher_z_interval(r: float, n: int, level: float = LEVEL) -> Interval:
    """Fisher's z interval of a Pearson correlation from n pairs."""
    if n <= 3 or not -1 < r < 1:
        return Interval(r, math.nan, math.nan, n, "Fisher z interval")
    z = math.atanh(r)
    half = _scipy.norm.ppf(0.5 + level / 2) / math.sqrt(n - 3)
    return Interval(r, math.tanh(z - half), math.tanh(z + half), n, "Fisher z interval")


def fisher_z_difference(r1: float, n1: int, r2: float, n2: int, level: float = LEVEL) -> Interval:
    """atanh(r1) - atanh(r2) for correlations from two independent samples, with its normal interval
    (variance 1/(n1 - 3) + 1/(n2 - 3)); on Fisher's z scale, ``n`` the smaller sample."""
    if min(n1, n2) <= 3 or not (-1 < r1 < 1 and -1 < r2 < 1):
        return _nan_interval(min(n1, n2), "Fisher z difference")
    diff = math.atanh(r1) - math.atanh(r2)
    half = _scipy.norm.ppf(0.5 + level / 2) * math.sqrt(1 / (n1 - 3) + 1 / (n2 - 3))
    return Interval(diff, diff - half, diff + half, min(n1, n2), "Fisher z difference")


def slope_interval(x: Sequence[float], y: Sequence[float], level: float = LEVEL) -> Interval:
    """Least-squares slope of y on x with its t interval (n - 2 degrees of freedom)."""
    n = len(x)
    if n != len(y):
        raise ValueError(f"x and y need equal lengths, got {n} and {len(y)}")
    if n < 3:
        return _nan_interval(n, f"least-squares slope, {max(n - 2, 0)} df")
    fit = _scipy.linregress(x, y)
    half = _scipy.t.ppf(0.5 + level / 2, n - 2) * fit.stderr
    return Interval(
        float(fit.slope), fit.slope - half, fit.slope + half, n, f"least-squares slope, {n - 2} df"
    )
