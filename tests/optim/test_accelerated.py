"""The custom optimizers: hand-computed sequences, equivalences, and descent on convex quadratics."""

import math

import pytest
import torch

from nngarden.config import ConfigError
from nngarden.optim import BregmanNaive, BregmanRateMatching, HeavyBall, NesterovConvex


def _quadratic(dim=6, seed=0):
    """A convex quadratic 1/2 x^T A x - b^T x with known minimiser (A positive definite, L = 1)."""
    g = torch.Generator().manual_seed(seed)
    Q, _ = torch.linalg.qr(torch.randn(dim, dim, generator=g, dtype=torch.float64))
    eigs = torch.linspace(0.05, 1.0, dim, dtype=torch.float64)
    A = Q @ torch.diag(eigs) @ Q.T
    b = torch.randn(dim, generator=g, dtype=torch.float64)
    x_star = torch.linalg.solve(A, b)

    def f(x):
        return 0.5 * x @ A @ x - b @ x

    return f, x_star, float(f(x_star))


def _run(make, f, x0, steps, second_order=False):
    x = x0.clone().requires_grad_(True)
    opt = make([x])
    for _ in range(steps):
        if second_order:
            opt.step(lambda: f(x))
        else:
            opt.zero_grad()
            f(x).backward()
            opt.step()
    it = opt.guaranteed_iterates()[0] if hasattr(opt, "guaranteed_iterates") else x.detach()
    return it, opt


def test_nesterov_matches_hand_computed_sequence():
    # f = x^2 (a = 2), lr 1/4 so a gradient step halves: x_{k+1} = y_k / 2,
    # y_{k+1} = x_{k+1} + k/(k+3) (x_{k+1} - x_k), y_0 = x_0 = 1.
    # k=0: x1 = 0.5,     y1 = 0.5 + 0 = 0.5
    # k=1: x2 = 0.25,    y2 = 0.25 + 1/4 (0.25 - 0.5)       = 0.1875
    # k=2: x3 = 0.09375, y3 = 0.09375 + 2/5 (0.09375 - 0.25) = 0.03125
    # k=3: x4 = 0.015625, y4 = 0.015625 + 3/6 (0.015625 - 0.09375) = -0.0234375
    x = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
    opt = NesterovConvex([x], lr=0.25)
    xs, ys = [], []
    for _ in range(4):
        opt.zero_grad()
        (x**2).sum().backward()
        opt.step()
        xs.append(opt.guaranteed_iterates()[0].item())
        ys.append(x.item())
    assert xs == pytest.approx([0.5, 0.25, 0.09375, 0.015625], abs=1e-15)
    assert ys == pytest.approx([0.5, 0.1875, 0.03125, -0.0234375], abs=1e-15)


def test_heavy_ball_equals_torch_sgd_momentum_in_position_form():
    f, _, _ = _quadratic()
    x0 = torch.ones(6, dtype=torch.float64)
    ours, _ = _run(lambda ps: HeavyBall(ps, lr=0.3, momentum=0.7), f, x0, 25)
    theirs, _ = _run(lambda ps: torch.optim.SGD(ps, lr=0.3, momentum=0.7), f, x0, 25)
    assert torch.allclose(ours, theirs, atol=1e-12)


def test_naive_p2_first_steps_by_hand():
    # f = x^2 / 2 (grad x), eps = 0.5, C = 1/4, p = 2: z_k = z_{k-1} - eps C 2 k x_k = z_{k-1} - k x_k / 4,
    # x_{k+1} = 2/(k+2) z_k + k/(k+2) x_k, z_0 = x_1 = 1.
    # k=1: z1 = 1 - 1/4 = 0.75;            x2 = 2/3 * 0.75 + 1/3 * 1 = 0.8333...
    # k=2: z2 = 0.75 - 2 * 0.8333/4 = 0.3333...; x3 = 1/2 * 0.3333 + 1/2 * 0.8333 = 0.58333...
    x = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
    opt = BregmanNaive([x], lr=0.5, p=2, C=0.25)
    seen = []
    for _ in range(2):
        opt.zero_grad()
        (0.5 * x**2).sum().backward()
        opt.step()
        seen.append(x.item())
    assert seen == pytest.approx([5 / 6, 7 / 12], abs=1e-15)


@pytest.mark.parametrize(
    "name, make, second",
    [
        ("nesterov", lambda ps: NesterovConvex(ps, lr=1.0), False),
        ("heavy ball", lambda ps: HeavyBall(ps, lr=0.5, momentum=0.5), False),
        ("naive p=2", lambda ps: BregmanNaive(ps, lr=1.0, p=2), False),
        ("naive p=3", lambda ps: BregmanNaive(ps, lr=1e-3, p=3), False),
        ("rate-matching p=2", lambda ps: BregmanRateMatching(ps, lr=1.0, p=2), True),
        ("rate-matching p=3", lambda ps: BregmanRateMatching(ps, lr=1.0, p=3), True),
    ],
)
def test_each_optimizer_decreases_a_convex_quadratic(name, make, second):
    f, x_star, f_star = _quadratic()
    x0 = torch.zeros(6, dtype=torch.float64)
    start = float(f(x0)) - f_star
    x, _ = _run(make, f, x0, 60, second_order=second)
    assert float(f(x)) - f_star < 0.05 * start, name


def test_nesterov_meets_its_bound_on_many_parameters_of_any_shape():
    # two parameters of different shapes, one objective: the state is per parameter
    f, x_star, f_star = _quadratic()
    a = torch.zeros(2, 2, dtype=torch.float64, requires_grad=True)
    b = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    opt = NesterovConvex([a, b], lr=1.0)
    for _ in range(30):
        opt.zero_grad()
        f(torch.cat([a.reshape(-1), b])).backward()
        opt.step()
    xa, xb = opt.guaranteed_iterates()
    gap = float(f(torch.cat([xa.reshape(-1), xb]))) - f_star
    assert gap <= 2 * 1.0 * float(torch.sum(x_star**2)) / 31**2


def test_rate_matching_p3_beats_p2_on_a_smooth_problem():
    # The cubic-regularised Newton step is the point of p = 3: with the Hessian it outruns p = 2.
    g = torch.Generator().manual_seed(1)
    X = torch.randn(80, 5, generator=g, dtype=torch.float64)
    y = torch.sign(torch.randn(80, generator=g, dtype=torch.float64))

    def f(w):
        return torch.nn.functional.softplus(-y * (X @ w)).mean()

    w_ref, _ = _run(
        lambda ps: BregmanRateMatching(ps, lr=1.0, p=3),
        f,
        torch.zeros(5, dtype=torch.float64),
        200,
        second_order=True,
    )
    f_star = float(f(w_ref))
    x2, _ = _run(
        lambda ps: BregmanRateMatching(ps, lr=1.0, p=2),
        f,
        torch.zeros(5, dtype=torch.float64),
        20,
        second_order=True,
    )
    x3, _ = _run(
        lambda ps: BregmanRateMatching(ps, lr=1.0, p=3),
        f,
        torch.zeros(5, dtype=torch.float64),
        20,
        second_order=True,
    )
    assert float(f(x3)) - f_star < 0.1 * (float(f(x2)) - f_star)


def test_naive_p3_eventually_diverges_with_a_fixed_eps():
    # its step eps C p k (k+1) grows without bound: the discrete form of "discretization breaks"
    f, _, f_star = _quadratic()
    x, _ = _run(lambda ps: BregmanNaive(ps, lr=1e-2, p=3), f, torch.zeros(6, dtype=torch.float64), 300)
    gap = float(f(x)) - f_star
    assert not math.isfinite(gap) or gap > 1e3


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda ps: NesterovConvex(ps, lr=0.0), "lr"),
        (lambda ps: HeavyBall(ps, lr=0.1, momentum=1.0), "momentum"),
        (lambda ps: BregmanNaive(ps, lr=0.1, p=1), "p"),
        (lambda ps: BregmanRateMatching(ps, lr=0.1, p=4), "p"),
        (lambda ps: BregmanNaive(ps, lr=0.1, C=-1.0), "C"),
    ],
)
def test_bad_hyperparameters_are_refused_naming_the_field(make, message):
    with pytest.raises(ConfigError, match=message):
        make([torch.zeros(2, requires_grad=True)])


def test_load_guaranteed_iterates_puts_x_k_into_the_parameters():
    x = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
    opt = NesterovConvex([x], lr=0.25)
    for _ in range(3):
        opt.zero_grad()
        (x**2).sum().backward()
        opt.step()
    opt.load_guaranteed_iterates()
    assert x.item() == pytest.approx(0.09375)  # x_3 of the hand-computed sequence, not y_3
