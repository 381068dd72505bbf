"""Deep linear networks: shapes, inits, the masked loss, hand-written gradients, penalties, the law."""

import math

import pytest
import torch

from nngarden.config import ConfigError
from nngarden.nn.deep_linear import (
    DeepLinear,
    DeepLinearConfig,
    factor_weight_decay,
    masked_loss,
    masked_loss_grad,
    nuclear_frobenius_ratio,
    nuclear_norm,
    penalty,
    schatten_power,
    singular_value_rates,
)


def _model(depth, init="gaussian", n_rows=7, n_cols=5, width=6, scale=0.5, seed=0):
    cfg = DeepLinearConfig(
        n_rows=n_rows, n_cols=n_cols, depth=depth, width=width, init=init, init_scale=scale
    )
    return DeepLinear(cfg, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("depth", [1, 2, 3, 4])
def test_shapes_and_product(depth):
    model = _model(depth)
    shapes = [tuple(f.shape) for f in model.factors]
    assert shapes[0][1] == 5 and shapes[-1][0] == 7 and len(shapes) == depth
    explicit = model.factors[0]
    for f in list(model.factors)[1:]:
        explicit = f @ explicit
    assert torch.allclose(model(), explicit)
    x = torch.randn(5, 3, dtype=torch.float64)
    assert torch.allclose(model(x), explicit @ x)


def test_width_zero_means_largest_side():
    assert DeepLinearConfig(n_rows=4, n_cols=9, depth=3, width=0).shapes() == [(9, 9), (9, 9), (4, 9)]


def test_bad_init_is_a_config_error():
    with pytest.raises(ConfigError, match="init"):
        DeepLinearConfig(init="orthogonal")
    with pytest.raises(ConfigError, match="depth"):
        DeepLinearConfig(depth=0)


@pytest.mark.parametrize("depth", [2, 3, 4])
def test_balanced_init_is_balanced_and_small(depth):
    model = _model(depth, init="balanced", width=8, scale=0.1)
    assert model.imbalance() < 1e-12
    gaussian = _model(depth, init="gaussian", width=8, scale=0.1)
    assert gaussian.imbalance() > 1e-3  # independent factors are not balanced
    # both inits start at the same product scale (within a factor of a few)
    ratio = model().norm() / gaussian().norm()
    assert 0.2 < ratio < 5


def test_masked_loss_ignores_unobserved_entries():
    target = torch.randn(4, 4, dtype=torch.float64)
    mask = torch.zeros(4, 4, dtype=torch.bool)
    mask[0, 1] = mask[2, 3] = True
    w = target.clone()
    w[~mask] += 100.0  # anything off the mask
    assert masked_loss(w, target, mask).item() == 0.0
    w[0, 1] += 2.0
    assert masked_loss(w, target, mask).item() == pytest.approx(0.5 * 4.0 / 2)
    grad = masked_loss_grad(w, target, mask)
    assert grad[~mask].abs().max() == 0 and grad[0, 1] == pytest.approx(1.0)


@pytest.mark.parametrize("depth", [1, 2, 3, 5])
def test_factor_gradients_match_autograd_of_the_explicit_product(depth):
    model = _model(depth)
    target = torch.randn(7, 5, dtype=torch.float64)
    mask = torch.rand(7, 5) < 0.5
    loss = masked_loss(model(), target, mask)
    auto = torch.autograd.grad(loss, list(model.factors))
    with torch.no_grad():
        mine = model.factor_gradients(masked_loss_grad(model(), target, mask))
    for a, b in zip(auto, mine):
        assert torch.allclose(a, b, atol=1e-12, rtol=1e-10)


def test_penalties_values_and_scale_invariance():
    u, _ = torch.linalg.qr(torch.randn(6, 6, dtype=torch.float64))
    v, _ = torch.linalg.qr(torch.randn(6, 6, dtype=torch.float64))
    s = torch.tensor([3.0, 2.0, 1.0, 0.0, 0.0, 0.0], dtype=torch.float64)
    w = u @ torch.diag(s) @ v.T
    assert nuclear_norm(w).item() == pytest.approx(6.0)
    assert nuclear_frobenius_ratio(w).item() == pytest.approx(6.0 / math.sqrt(14.0))
    assert nuclear_frobenius_ratio(10 * w).item() == pytest.approx(nuclear_frobenius_ratio(w).item())
    assert schatten_power(w, 2).item() == pytest.approx(6.0)  # N=2: the nuclear norm itself
    assert schatten_power(w, 3).item() == pytest.approx(3 ** (2 / 3) + 2 ** (2 / 3) + 1)
    with pytest.raises(ConfigError, match="penalty"):
        penalty("l1", _model(2), w)


@pytest.mark.parametrize("depth", [2, 3])
def test_weight_decay_minimum_is_n_times_schatten_power(depth):
    """min over factorisations of sum ||W_j||_F^2 = N sum sigma^(2/N): the balanced factorisation attains it,
    other factorisations of the same product (an invertible A inserted between factors) cost more, and
    minimising over A by gradient descent comes back down to it."""
    model = _model(depth, init="balanced", n_rows=5, n_cols=5, width=5, scale=0.8, seed=3)
    w = model().detach()
    bound = depth * schatten_power(w, depth).item()
    assert factor_weight_decay(model.factors).item() == pytest.approx(bound, rel=1e-9)

    factors = [f.detach() for f in model.factors]
    a = torch.eye(5, dtype=torch.float64) + 0.3 * torch.randn(5, 5, dtype=torch.float64)
    a = a.requires_grad_()

    def cost(a):
        f = list(factors)
        f[0] = a @ f[0]
        f[1] = f[1] @ torch.linalg.inv(a)
        return factor_weight_decay(f), f

    start, f = cost(a)
    product = f[0]
    for g in f[1:]:
        product = g @ product
    assert torch.allclose(product, w, atol=1e-10)  # still a factorisation of the same matrix
    assert start.item() > bound * 1.01
    opt = torch.optim.LBFGS([a], max_iter=200, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        value, _ = cost(a)
        value.backward()
        return value

    opt.step(closure)
    assert cost(a)[0].item() == pytest.approx(bound, rel=1e-4)


@pytest.mark.parametrize("depth", [1, 2, 3])
def test_singular_value_law_matches_a_tiny_gradient_step(depth):
    model = _model(depth, init="balanced", n_rows=6, n_cols=6, width=6, scale=0.7, seed=1)
    target = torch.randn(6, 6, dtype=torch.float64)
    mask = torch.rand(6, 6) < 0.6
    lr = 1e-6
    with torch.no_grad():
        w = model()
        grad = masked_loss_grad(w, target, mask)
        s, rate = singular_value_rates(w, grad, depth)
        for f, g in zip(model.factors, model.factor_gradients(grad)):
            f.sub_(lr * g)
        measured = (torch.linalg.svdvals(model()) - s) / lr
    assert torch.allclose(measured, rate, rtol=1e-3, atol=1e-6 * rate.abs().max().item())
