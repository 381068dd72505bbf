"""Test problems: minimisers, constants and gradients are what the notes rely on."""

import math

import pytest
import torch

from nngarden.config import ConfigError
from nngarden.optim import LessardFunction, LogisticRegression, Quadratic1D, WorstCaseQuadratic


@pytest.mark.parametrize("N", [1, 5, 40])
def test_worst_case_quadratic_minimiser_gradient_and_value(N):
    P = WorstCaseQuadratic(N, L=2.0)
    x = P.x_star().requires_grad_(True)
    P.f(x).backward()
    assert torch.allclose(x.grad, torch.zeros_like(x), atol=1e-13)
    assert float(P.f(P.x_star())) == pytest.approx(P.f_star, abs=1e-13)
    z = torch.randn(P.n, dtype=torch.float64, requires_grad=True)
    P.f(z).backward()
    assert torch.allclose(P.grad(z.detach()), z.grad, atol=1e-12)
    # L-smooth: the Hessian L/4 tridiag(-1,2,-1) has eigenvalues below L
    A = torch.stack(
        [
            P.grad(e) - P.grad(torch.zeros(P.n, dtype=torch.float64))
            for e in torch.eye(P.n, dtype=torch.float64)
        ]
    )
    assert float(torch.linalg.eigvalsh(A)[-1]) <= P.L


def test_first_order_methods_cannot_reach_past_the_kth_coordinate():
    # the mechanism of the lower bound: after k gradient steps from 0 only x_1..x_k can be non-zero
    P = WorstCaseQuadratic(10)
    x = P.x0()
    for k in range(1, 6):
        x = x - 0.9 * P.grad(x)
        assert torch.all(x[k:] == 0) and x[k - 1] != 0


def test_quadratic_tight_for_gd_reaches_one_over_4e():
    N = 2000
    q = Quadratic1D.tight_for_gd(N, L=1.0)
    x = q.x_start * (1 - q.lam) ** N
    assert N * 0.5 * q.lam * x**2 == pytest.approx(1 / (4 * math.e), rel=1e-3)


def test_logistic_regression_minimum_is_a_stationary_point():
    P = LogisticRegression(n_samples=100, dim=5, seed=3)
    w = P.w_star.clone().requires_grad_(True)
    P.f(w).backward()
    assert float(w.grad.norm()) < 1e-12
    assert P.f_star < math.log(2)  # better than w = 0


def test_lessard_function_constants():
    F = LessardFunction()
    xs = torch.linspace(-3, 4, 2001, dtype=torch.float64, requires_grad=True)
    F.f(xs).backward()
    slopes = torch.diff(xs.grad) / torch.diff(xs.detach())
    assert float(slopes.min()) >= F.m - 1e-9 and float(slopes.max()) <= F.L + 1e-9
    lr, momentum = F.heavy_ball_tuning
    assert lr == pytest.approx(1 / 9) and momentum == pytest.approx(4 / 9)


def test_bad_problem_sizes_are_refused():
    with pytest.raises(ConfigError, match="N"):
        WorstCaseQuadratic(0)
    with pytest.raises(ConfigError, match="flip"):
        LogisticRegression(flip=0.0)
