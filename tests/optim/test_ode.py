"""The Bregman-Lagrangian ODE and its Euler discretizations."""

import math

import numpy as np
import pytest

from nngarden.config import ConfigError
from nngarden.optim.ode import (
    euler_discretization,
    predicted_divergence_time,
    series_start,
    solve_bregman_ode,
)


def _quadratic(eigs=(0.02, 0.3, 1.0)):
    eigs = np.array(eigs)
    x_star = np.ones(len(eigs))
    return (lambda x: eigs * (x - x_star)), (lambda x: 0.5 * np.sum(eigs * (x - x_star) ** 2)), x_star


def test_series_start_satisfies_the_ode_near_zero():
    grad, _, _ = _quadratic()
    x0 = np.zeros(3)
    for p in (2, 3, 4):
        t = 1e-3
        x, v = series_start(x0, grad, p, 0.25, t)
        # x'' from the series, compared with the ODE's right-hand side
        acc = -0.5 * 0.25 * p * (p - 1) * grad(x0) * t ** (p - 2)
        rhs = -(p + 1) / t * v - 0.25 * p * p * t ** (p - 2) * grad(x)
        assert np.allclose(acc, rhs, rtol=1e-5)


def test_p2_solution_matches_the_closed_form_on_a_one_dimensional_quadratic():
    # x'' + 3/t x' + lam x = 0, x(0) = 1, x'(0) = 0 has x(t) = 2 J_1(sqrt(lam) t) / (sqrt(lam) t)
    from scipy.special import j1

    lam = 0.7
    t = np.linspace(0.5, 20, 50)
    sol = solve_bregman_ode(lambda x: lam * x, np.array([1.0]), 2, 0.25, 20.0, t_eval=t)
    exact = 2 * j1(math.sqrt(lam) * t) / (math.sqrt(lam) * t)
    assert np.max(np.abs(sol.x[:, 0] - exact)) < 1e-9


def test_solutions_for_different_p_are_one_path():
    grad, f, x_star = _quadratic()
    x0 = np.zeros(3)
    s = np.geomspace(0.01, 30.0, 60)
    ref = solve_bregman_ode(grad, x0, 2, 0.25, 30.0, t0=1e-3, t_eval=s)
    for p in (3, 4):
        t = s ** (2 / p)
        sol = solve_bregman_ode(grad, x0, p, 0.25, t[-1] * (1 + 1e-12), t0=1e-3 ** (2 / p), t_eval=t)
        assert np.max(np.abs(sol.x - ref.x)) < 1e-9
        gaps = np.array([f(x) for x in sol.x])
        assert np.all(t**p * gaps <= np.sum(x_star**2) / (2 * 0.25))


def test_semi_implicit_euler_diverges_near_the_predicted_time_and_p2_does_not():
    grad = lambda x: x  # noqa: E731  (L = 1)
    for p, h in ((4, 0.1), (3, 0.2)):
        run = euler_discretization(grad, np.array([1.0]), np.zeros(1), p, 0.25, h, 1e4)
        t_star = predicted_divergence_time(p, 0.25, 1.0, h)
        assert abs(run.t_div / t_star - 1) < 0.3
        # forward Euler goes first, off the law
        fwd = euler_discretization(grad, np.array([1.0]), np.zeros(1), p, 0.25, h, 1e4, scheme="forward")
        assert fwd.t_div < run.t_div
    stable = euler_discretization(grad, np.array([1.0]), np.zeros(1), 2, 0.25, 0.5, 500.0)
    assert math.isinf(stable.t_div) and stable.dist[-1] < 1e-2


def test_predicted_divergence_time_formula():
    assert predicted_divergence_time(4, 0.25, 1.0, 0.1) == pytest.approx(10.0)
    assert math.isinf(predicted_divergence_time(2, 0.25, 1.0, 0.1))


def test_bad_inputs_are_refused():
    grad, _, _ = _quadratic()
    with pytest.raises(ConfigError, match="p"):
        solve_bregman_ode(grad, np.zeros(3), 1.5, 0.25, 1.0)
    with pytest.raises(ConfigError, match="scheme"):
        euler_discretization(grad, np.zeros(3), np.ones(3), 3, 0.25, 0.1, 1.0, scheme="rk4")
