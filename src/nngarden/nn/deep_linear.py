"""Deep linear networks W_N ... W_1 for matrix completion and sensing.

Arora, Cohen, Hu, Luo (2019) "Implicit Regularization in Deep Matrix Factorization" (NeurIPS);
Arora, Cohen, Hazan (2018) "On the Optimization of Deep Networks: Implicit Acceleration by
Overparameterization" (balanced initialisation, end-to-end dynamics).

There are no inputs: the model *is* its end-to-end matrix W = W_N ... W_1, and data enters only through
a loss on W, here the squared error over the observed entries Omega. Depth changes nothing the model can
express (any product is just an n_rows x n_cols matrix) but changes which matrix gradient descent finds.

Shapes: W_1 is (width, n_cols), W_2 ... W_{N-1} are (width, width), W_N is (n_rows, width); depth 1 is a
single (n_rows, n_cols) matrix. The end-to-end matrix is (n_rows, n_cols).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn

from ..config import Config, option


@dataclass
class DeepLinearConfig(Config):
    """Shape and initialisation of a deep linear network."""

    n_rows: int = option(100, "rows of the end-to-end matrix", low=1)
    n_cols: int = option(100, "columns of the end-to-end matrix", low=1)
    depth: int = option(3, "number of factors N (1 = the matrix itself)", low=1)
    width: int = option(0, "hidden width of the factors; 0 means max(n_rows, n_cols)", low=0)
    init: str = option(
        "gaussian",
        "independent Gaussian factors, or a balanced factorisation of a Gaussian product",
        choices=("gaussian", "balanced"),
    )
    init_scale: float = option(
        1e-3,
        "standard deviation of each factor's entries (gaussian); balanced "
        "uses the product scale a Gaussian init of this std would give",
        low=0.0,
    )

    @property
    def hidden(self) -> int:
        return self.width or max(self.n_rows, self.n_cols)

    def shapes(self) -> list[tuple[int, int]]:
        """Shapes of W_1 ... W_N (each is (out, in))."""
        if self.depth == 1:
            return [(self.n_rows, self.n_cols)]
        d = self.hidden
        return [(d, self.n_cols)] + [(d, d)] * (self.depth - 2) + [(self.n_rows, d)]


def _chain(mats: list[torch.Tensor], n: int, like: torch.Tensor) -> torch.Tensor:
    """The product mats[-1] @ ... @ mats[0]; the (n, n) identity for an empty list."""
    if not mats:
        return torch.eye(n, dtype=like.dtype, device=like.device)
    out = mats[0].clone() if len(mats) == 1 else mats[0]  # never hand out the parameter itself
    for m in mats[1:]:
        out = m @ out
    return out


class DeepLinear(nn.Module):
    """The factors W_1 ... W_N as parameters; ``forward()`` returns W_N ... W_1."""

    def __init__(
        self,
        config: DeepLinearConfig,
        *,
        generator: torch.Generator | None = None,
        dtype: torch.dtype = torch.float64,
        device: str | torch.device = "cpu",
    ):
        super().__init__()
        self.config = config
        shapes = config.shapes()
        if config.init == "gaussian":
            factors = [
                torch.randn(s, generator=generator, dtype=dtype, device=device) * config.init_scale
                for s in shapes
            ]
        else:
            factors = balanced_factors(config, generator=generator, dtype=dtype, device=device)
        self.factors = nn.ParameterList([nn.Parameter(f) for f in factors])

    @property
    def depth(self) -> int:
        return len(self.factors)

    def forward(self, x: torch.Tensor | None = None) -> torch.Tensor:
        """The end-to-end matrix (n_rows, n_cols), or its product with ``x`` (n_cols, ...)."""
        w = self.product()
        return w if x is None else w @ x

    def product(self) -> torch.Tensor:
        return _chain(list(self.factors), self.config.n_cols, self.factors[0])

    @torch.no_grad()
    def partial_products(self) -> list[torch.Tensor]:
        """[W_1, W_2 W_1, ..., W_N ... W_1]: the last is the product, the others are what the gradients
        of the factors need, so a gradient step computes the product once (``factor_gradients``)."""
        ws = list(self.factors)
        out = [ws[0]]
        for w in ws[1:]:
            out.append(w @ out[-1])
        return out

    @torch.no_grad()
    def factor_gradients(
        self, grad_product: torch.Tensor, partial: list[torch.Tensor] | None = None
    ) -> list[torch.Tensor]:
        """dL/dW_j = (W_N ... W_{j+1})^T G (W_{j-1} ... W_1)^T for G = dL/dW (the chain rule).

        ``partial`` is ``partial_products()`` of the current factors (computed here when not given).
        The left factors accumulate from the top, (W_N ... W_{j+1})^T G = W_{j+1}^T (... W_N^T G), so a
        step costs 2(N - 1) matrix products beyond the product itself, as autograd's backward would,
        without its per-call overhead; the tests check it against autograd of the explicit product.
        """
        ws = list(self.factors)
        partial = self.partial_products() if partial is None else partial
        grads: list[torch.Tensor] = [grad_product] * len(ws)
        left = grad_product  # (W_N ... W_{j+1})^T G
        for j in range(len(ws) - 1, 0, -1):
            grads[j] = left @ partial[j - 1].T
            left = ws[j].T @ left
        grads[0] = left
        return grads

    @torch.no_grad()
    def imbalance(self) -> float:
        """max_j ||W_{j+1}^T W_{j+1} - W_j W_j^T||_F: zero for a balanced network, kept by gradient flow."""
        ws = list(self.factors)
        gaps = [
            torch.linalg.matrix_norm(ws[j + 1].T @ ws[j + 1] - ws[j] @ ws[j].T).item()
            for j in range(len(ws) - 1)
        ]
        return max(gaps, default=0.0)


def balanced_factors(
    config: DeepLinearConfig,
    *,
    generator: torch.Generator | None = None,
    dtype: torch.dtype = torch.float64,
    device: str | torch.device = "cpu",
) -> list[torch.Tensor]:
    """Factors with W_{j+1}^T W_{j+1} = W_j W_j^T whose product is a small Gaussian matrix.

    Arora, Cohen, Hazan (2018), Procedure 1: draw the end-to-end matrix, take its SVD U S V^T and give
    every factor S^(1/N). The product's entry std is init_scale^N * hidden^((N-1)/2), the scale of a
    product of N Gaussian factors with entry std init_scale, so both inits start equally small.
    """
    n_rows, n_cols, depth = config.n_rows, config.n_cols, config.depth
    scale = config.init_scale**depth * config.hidden ** ((depth - 1) / 2)
    end = torch.randn(n_rows, n_cols, generator=generator, dtype=dtype, device=device) * scale
    if depth == 1:
        return [end]
    u, s, vh = torch.linalg.svd(end, full_matrices=False)
    k = min(config.hidden, s.numel())
    root = s[:k] ** (1.0 / depth)
    d = config.hidden
    first = torch.zeros(d, n_cols, dtype=dtype, device=device)
    first[:k] = root[:, None] * vh[:k]
    middle = torch.zeros(d, d, dtype=dtype, device=device)
    middle[range(k), range(k)] = root
    last = torch.zeros(n_rows, d, dtype=dtype, device=device)
    last[:, :k] = u[:, :k] * root[None, :]
    return [first] + [middle.clone() for _ in range(depth - 2)] + [last]


# --- the loss over observed entries --------------------------------------------------------------------


def masked_loss(product: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """l(W) = 1/(2|Omega|) sum_{(i,j) in Omega} (W_ij - W*_ij)^2: unobserved entries do not enter."""
    mask = mask.to(product.dtype)
    count = mask.sum().clamp_min(1.0)
    return 0.5 * ((product - target) ** 2 * mask).sum() / count


def masked_loss_grad(product: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """dl/dW = P_Omega(W - W*) / |Omega|, zero on every unobserved entry."""
    mask = mask.to(product.dtype)
    return (product - target) * mask / mask.sum().clamp_min(1.0)


# --- penalties ------------------------------------------------------------------------------------------


def nuclear_norm(w: torch.Tensor) -> torch.Tensor:
    """||W||_* = sum of singular values (differentiable through ``svdvals``)."""
    return torch.linalg.svdvals(w).sum()


def nuclear_frobenius_ratio(w: torch.Tensor) -> torch.Tensor:
    """||W||_* / ||W||_F: between 1 and sqrt(rank), unchanged by rescaling W, so it favours few
    dominant directions without shrinking the matrix."""
    s = torch.linalg.svdvals(w)
    return s.sum() / s.square().sum().sqrt().clamp_min(1e-30)


def factor_weight_decay(factors) -> torch.Tensor:
    """sum_j ||W_j||_F^2, the usual weight decay on the factors."""
    return sum(f.square().sum() for f in factors)


def schatten_power(w: torch.Tensor, depth: int) -> torch.Tensor:
    """sum_i sigma_i(W)^(2/N): the Schatten-2/N quasi-norm of W raised to the power 2/N.

    The least weight decay over all depth-N factorisations of W is N times this (the AM-GM inequality
    on each singular direction; equality for the balanced factorisation), so weight decay on a deep
    factorisation is a penalty that, for N >= 3, is not even a norm of the product.
    """
    return (torch.linalg.svdvals(w) ** (2.0 / depth)).sum()


PENALTIES = ("none", "nuclear", "ratio", "weight_decay")


def penalty(name: str, model: DeepLinear, product: torch.Tensor) -> torch.Tensor:
    """The named penalty of ``model`` whose end-to-end matrix is ``product``."""
    if name == "none":
        return product.new_zeros(())
    if name == "nuclear":
        return nuclear_norm(product)
    if name == "ratio":
        return nuclear_frobenius_ratio(product)
    if name == "weight_decay":
        return factor_weight_decay(model.factors)
    from ..config import ConfigError

    raise ConfigError(f"penalty: got {name!r}, allowed: {', '.join(PENALTIES)}")


# --- the singular value law -----------------------------------------------------------------------------


@torch.no_grad()
def singular_value_rates(
    product: torch.Tensor, grad_product: torch.Tensor, depth: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """(sigma, predicted d sigma/dt) under balanced gradient flow (Arora et al. 2019, Theorem 3):

        d sigma_r / dt = -N (sigma_r^2)^(1 - 1/N) <grad l(W), u_r v_r^T>

    so each singular value moves at a speed proportional to sigma^(2 - 2/N): the larger ones run away
    from the smaller ones once N >= 2, which is what drives the product towards low rank.
    """
    u, s, vh = torch.linalg.svd(product, full_matrices=False)
    along = torch.einsum("ir,ij,rj->r", u, grad_product, vh)  # <G, u_r v_r^T>
    return s, -depth * (s**2) ** (1.0 - 1.0 / depth) * along
