"""95% intervals for the note's findings: over paired test items (sentences, uses) and over seeds.

Items: a micro-averaged rate such as UUAS (gold edges recovered / gold edges, summed over sentences) is
a ratio estimator; its interval, and that of a paired difference of two such rates on the same
sentences, is the normal interval of the delta method (the standard error of sum(a_i - b_i - D e_i)
over sentences). A share of items right uses Wilson's interval; a mean over items the normal interval;
a mean over strata (Hewitt and Manning's Spearman, averaged within sentence lengths, then across them)
the stratified normal interval. Seeds: Student's t with n - 1 degrees of freedom.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ... import stats

Z95 = 1.959963984540054  # the normal 97.5% quantile


def ratio_interval(
    hits: Sequence[float], totals: Sequence[float], baseline: Sequence[float] | None = None
) -> tuple[float, float, float]:
    """(estimate, low, high) of sum(hits - baseline) / sum(totals) over paired items."""
    a = np.asarray(hits, dtype=float)
    b = np.zeros_like(a) if baseline is None else np.asarray(baseline, dtype=float)
    e = np.asarray(totals, dtype=float)
    n, total = len(a), e.sum()
    if n < 2 or total <= 0:
        return math.nan, math.nan, math.nan
    estimate = float((a - b).sum() / total)
    residual = (a - b) - estimate * e
    se = math.sqrt(n / (n - 1) * float((residual**2).sum())) / total
    return estimate, estimate - Z95 * se, estimate + Z95 * se


def wilson_interval(successes: float, n: int) -> tuple[float, float, float]:
    """(share, low, high): Wilson's score interval (``nngarden.stats``). ``successes`` may be fractional
    (a per-item score averaged over seeds lies in [0, 1]; its variance is at most p(1 - p), so the
    interval stays valid)."""
    out = stats.wilson_interval(successes, n)
    return out.estimate, out.low, out.high


def mean_interval(values: Sequence[float]) -> tuple[float, float, float]:
    """(mean, low, high): the normal interval of a mean over many items (non-finite values dropped)."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if len(x) < 2:
        return math.nan, math.nan, math.nan
    mean, se = float(x.mean()), float(x.std(ddof=1) / math.sqrt(len(x)))
    return mean, mean - Z95 * se, mean + Z95 * se


def stratified_interval(values: Sequence[float], strata: Sequence[int]) -> tuple[float, float, float]:
    """(mean of the strata's means, low, high); a stratum of one item borrows the pooled variance."""
    x, s = np.asarray(values, dtype=float), np.asarray(strata)
    keep = np.isfinite(x)
    x, s = x[keep], s[keep]
    groups = [x[s == label] for label in np.unique(s)]
    if len(x) < 2 or not groups:
        return math.nan, math.nan, math.nan
    freedom = sum(len(g) - 1 for g in groups)
    pooled = sum(float(((g - g.mean()) ** 2).sum()) for g in groups) / freedom if freedom else 0.0
    k = len(groups)
    mean = float(np.mean([g.mean() for g in groups]))
    variance = sum((g.var(ddof=1) if len(g) > 1 else pooled) / len(g) for g in groups) / k**2
    se = math.sqrt(variance)
    return mean, mean - Z95 * se, mean + Z95 * se


def t_interval(values: Sequence[float]) -> tuple[float, float, float]:
    """(mean, low, high): Student's t interval over seeds, n - 1 degrees of freedom (``nngarden.stats``)."""
    out = stats.t_interval(values)
    mean = float(np.mean(values)) if len(values) else math.nan
    return (mean if math.isnan(out.estimate) else out.estimate), out.low, out.high
