"""The intervals the sequence-models verdicts rest on: a t interval over seeds, Wilson over held-out items,
and the slope of a least-squares line with its t interval. Plain numpy and scipy, no torch."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats


def t_interval(values, level: float = 0.95) -> tuple[float, float, float, int]:
    """(mean, low, high, degrees of freedom) of the Student t interval for the mean of ``values``."""
    x = np.asarray(values, dtype=float)
    n = x.size
    if n < 2:
        raise ValueError(f"a t interval needs at least 2 values, got {n}")
    mean = float(x.mean())
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * x.std(ddof=1) / math.sqrt(n))
    return mean, mean - half, mean + half, n - 1


def wilson_interval(successes: int, n: int, level: float = 0.95) -> tuple[float, float, float]:
    """(proportion, low, high): the Wilson score interval of ``successes`` out of ``n``."""
    if n <= 0:
        raise ValueError(f"a Wilson interval needs n > 0, got {n}")
    z = float(stats.norm.ppf(0.5 + level / 2))
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    low = 0.0 if successes == 0 else max(0.0, centre - half)  # exact at the ends, not rounding residue
    high = 1.0 if successes == n else min(1.0, centre + half)
    return p, low, high


def fitted_slope(x, y, level: float = 0.95) -> tuple[float, float, float, int]:
    """(slope, low, high, degrees of freedom) of the least-squares line y = a + b x: the interval is
    b +- t(n - 2) * its standard error, from the residuals."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    n = x.size
    if n < 3:
        raise ValueError(f"a slope interval needs at least 3 points, got {n}")
    dx = x - x.mean()
    slope = float((dx * (y - y.mean())).sum() / (dx * dx).sum())
    residuals = y - y.mean() - slope * dx
    se = math.sqrt(float((residuals**2).sum()) / (n - 2) / float((dx * dx).sum()))
    half = float(stats.t.ppf(0.5 + level / 2, n - 2)) * se
    return slope, slope - half, slope + half, n - 2
