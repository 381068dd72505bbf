"""Targets, observation masks, measures and the two baselines on small exact cases."""

import numpy as np
import pytest

from nngarden.config import ConfigError
from nngarden.data.matrices import (
    effective_rank,
    low_rank_matrix,
    nuclear_norm,
    nuclear_norm_minimisation,
    observed_error,
    random_mask,
    soft_impute,
    soft_threshold_svd,
    test_error,
)


def test_low_rank_matrix_rank_and_scale():
    w = low_rank_matrix(30, 20, 3, np.random.default_rng(0))
    assert w.shape == (30, 20)
    assert np.linalg.matrix_rank(w) == 3
    assert np.mean(w**2) == pytest.approx(1.0)
    with pytest.raises(ConfigError, match="rank"):
        low_rank_matrix(5, 5, 6, np.random.default_rng(0))


def test_random_mask_has_exact_count_and_is_uniform():
    rng = np.random.default_rng(1)
    counts = np.zeros((10, 10))
    for _ in range(400):
        m = random_mask(10, 10, 30, rng)
        assert m.dtype == bool and m.sum() == 30
        counts += m
    # every entry observed about 400 * 0.3 = 120 times
    assert counts.min() > 80 and counts.max() < 160
    with pytest.raises(ConfigError, match="observations"):
        random_mask(3, 3, 10, rng)


def test_effective_rank_on_known_spectra():
    assert effective_rank(sigma=np.array([2.0, 2.0, 2.0, 0.0])) == pytest.approx(3.0)
    assert effective_rank(sigma=np.array([5.0])) == pytest.approx(1.0)
    p = np.array([0.5, 0.25, 0.25])
    assert effective_rank(sigma=4 * p) == pytest.approx(np.exp(-(p * np.log(p)).sum()))
    w = np.diag([1.0, 1.0, 0.0])
    assert effective_rank(w) == pytest.approx(2.0)
    with pytest.raises(ValueError):
        effective_rank(np.zeros((3, 3)))


def test_errors_and_nuclear_norm():
    target = np.zeros((2, 2))
    w = np.array([[1.0, 0.0], [0.0, 3.0]])
    mask = np.array([[True, False], [False, False]])
    assert test_error(w, target) == pytest.approx(10.0 / 4)
    assert observed_error(w, target, mask) == pytest.approx(1.0)
    assert nuclear_norm(w) == pytest.approx(4.0)


def test_soft_threshold_shrinks_singular_values():
    w = np.diag([3.0, 1.0, 0.5])
    assert np.allclose(soft_threshold_svd(w, 0.75), np.diag([2.25, 0.25, 0.0]))


def _tiny_case(seed=0, n=12, rank=1, count=80):
    rng = np.random.default_rng(seed)
    target = low_rank_matrix(n, n, rank, rng)
    return target, random_mask(n, n, count, rng)


def test_nuclear_norm_minimisation_fits_observed_and_recovers_an_easy_case():
    target, mask = _tiny_case()
    w, info = nuclear_norm_minimisation(target, mask, solver="SCS")
    assert info["max_violation"] < 1e-5
    assert test_error(w, target) < 1e-4  # rank 1 from 80 of 144 entries: exact recovery
    # its objective is no larger than the target's own nuclear norm (the target is feasible)
    assert nuclear_norm(w) <= nuclear_norm(target) + 1e-4
    with pytest.raises(ConfigError, match="solver"):
        nuclear_norm_minimisation(target, mask, solver="MOSEK_OR_NOTHING")


def test_nuclear_norm_minimiser_has_least_nuclear_norm_among_fits():
    target, mask = _tiny_case(seed=2, count=40)  # too few entries to recover
    w, _ = nuclear_norm_minimisation(target, mask)
    rng = np.random.default_rng(3)
    for _ in range(5):  # other matrices that agree on the observed entries
        other = np.where(mask, target, w + 0.1 * rng.standard_normal(w.shape))
        assert nuclear_norm(other) >= nuclear_norm(w) - 1e-5


def test_soft_impute_recovers_an_easy_case_and_fits_observed():
    target, mask = _tiny_case()
    w, info = soft_impute(target, mask)
    assert observed_error(w, target, mask) < 1e-6
    assert test_error(w, target) < 1e-4
    assert info["iterations"] > 0
