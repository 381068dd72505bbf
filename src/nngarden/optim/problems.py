"""Test problems for first-order methods, each with its minimiser and constants known.

* :class:`WorstCaseQuadratic`: Nesterov's tridiagonal quadratic (Introductory Lectures, Sec. 2.1.2),
  built for a horizon N in dimension 2N + 1, on which no first-order method started at 0 beats
  3 L ||x0 - x*||^2 / (32 (N + 1)^2) after N steps. Rebuild it for each N: on one fixed large
  instance the early iterates see an "infinite" problem and log-log slopes mislead.
* :class:`Quadratic1D`: f(x) = lam x^2 / 2; with lam = L / (2N + 1) (:meth:`Quadratic1D.tight_for_gd`)
  it is the worst one-dimensional quadratic for N steps of gradient descent with step 1/L.
* :class:`LogisticRegression`: generated, non-separable data; f* from Newton's method in float64.
* :class:`LessardFunction`: the piecewise quadratic (m = 1, L = 25) of Lessard, Recht and Packard
  (SIAM J. Optim. 2016, Sec. 4.6) on which heavy ball with its quadratic-optimal tuning cycles.

Every ``f`` takes a torch tensor and is differentiable by autograd, so any optimizer can run on it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from ..config import ConfigError


@dataclass
class WorstCaseQuadratic:
    """f(x) = L/4 (1/2 [x_1^2 + sum_i (x_i - x_{i+1})^2 + x_n^2] - x_1) in R^n, n = 2N + 1."""

    N: int
    L: float = 1.0

    def __post_init__(self) -> None:
        if self.N < 1:
            raise ConfigError(f"N: got {self.N!r}, expected an integer >= 1")
        if not self.L > 0:
            raise ConfigError(f"L: got {self.L!r}, expected a number > 0")
        self.n = 2 * self.N + 1

    def laplacian_times(self, x: torch.Tensor) -> torch.Tensor:
        """A x for the tridiagonal A = tridiag(-1, 2, -1), without building A (x: (n,))."""
        out = 2 * x
        out[1:] = out[1:] - x[:-1]
        out[:-1] = out[:-1] - x[1:]
        return out

    def f(self, x: torch.Tensor) -> torch.Tensor:
        quad = x[0] ** 2 + torch.sum((x[1:] - x[:-1]) ** 2) + x[-1] ** 2
        return self.L / 4 * (0.5 * quad - x[0])

    def grad(self, x: torch.Tensor) -> torch.Tensor:
        g = self.laplacian_times(x)
        g[0] = g[0] - 1.0
        return self.L / 4 * g

    def x_star(self, dtype=torch.float64) -> torch.Tensor:
        i = torch.arange(1, self.n + 1, dtype=dtype)
        return 1 - i / (self.n + 1)

    @property
    def f_star(self) -> float:
        return self.L / 8 * (-1 + 1 / (self.n + 1))

    def x0(self, dtype=torch.float64) -> torch.Tensor:
        return torch.zeros(self.n, dtype=dtype)

    @property
    def r2(self) -> float:
        """||x0 - x*||^2 with x0 = 0."""
        return float(torch.sum(self.x_star() ** 2))


@dataclass
class Quadratic1D:
    """f(x) = lam x^2 / 2 on the real line; x* = 0, f* = 0."""

    lam: float
    x_start: float = 1.0

    @classmethod
    def tight_for_gd(cls, N: int, L: float = 1.0, R: float = 1.0) -> Quadratic1D:
        """lam = L / (2N + 1): gradient descent with step 1/L then has N (f - f*) / (L R^2) -> 1/(4e)."""
        if N < 1:
            raise ConfigError(f"N: got {N!r}, expected an integer >= 1")
        return cls(lam=L / (2 * N + 1), x_start=R)

    def f(self, x: torch.Tensor) -> torch.Tensor:
        return 0.5 * self.lam * torch.sum(x**2)

    def x0(self, dtype=torch.float64) -> torch.Tensor:
        return torch.tensor([self.x_start], dtype=dtype)

    f_star = 0.0


class LogisticRegression:
    """Mean logistic loss of a linear model on generated Gaussian data with flipped labels.

    Labels come from a random hyperplane and a fraction ``flip`` of them is flipped, so the data are
    not separable and a finite minimiser exists (convex, not strongly convex in general).
    """

    def __init__(self, n_samples: int = 200, dim: int = 20, flip: float = 0.1, seed: int = 0):
        if n_samples < 2 or dim < 1:
            raise ConfigError(
                f"n_samples, dim: got {n_samples!r}, {dim!r}; expected n_samples >= 2, dim >= 1"
            )
        if not 0 < flip < 0.5:
            raise ConfigError(
                f"flip: got {flip!r}, expected a fraction in (0, 0.5) so the data are not separable"
            )
        rng = np.random.default_rng(seed)
        X = rng.standard_normal((n_samples, dim))
        w_true = rng.standard_normal(dim)
        y = np.sign(X @ w_true)
        y[y == 0] = 1
        y[rng.random(n_samples) < flip] *= -1
        self.X = torch.tensor(X, dtype=torch.float64)
        self.y = torch.tensor(y, dtype=torch.float64)
        self.dim = dim
        # Hessian of the mean logistic loss <= X^T X / (4 n)
        self.L = float(np.linalg.eigvalsh(X.T @ X / (4 * n_samples))[-1])
        self.w_star, self.f_star = self._newton()

    def f(self, w: torch.Tensor) -> torch.Tensor:
        margins = self.y.to(w.dtype) * (self.X.to(w.dtype) @ w)
        return torch.nn.functional.softplus(-margins).mean()

    def x0(self, dtype=torch.float64) -> torch.Tensor:
        return torch.zeros(self.dim, dtype=dtype)

    def _newton(self, iters: int = 100) -> tuple[torch.Tensor, float]:
        """Damped Newton in float64 to machine precision: f* must be far more exact than any gap we plot."""
        X, y = self.X.numpy(), self.y.numpy()
        n = len(y)
        w = np.zeros(self.dim)

        def value(w):
            return np.mean(np.logaddexp(0.0, -y * (X @ w)))

        for _ in range(iters):
            s = 1 / (1 + np.exp(y * (X @ w)))  # sigmoid(-margin)
            g = -(X.T @ (y * s)) / n
            H = (X.T * (s * (1 - s))) @ X / n
            step = np.linalg.solve(H, g)
            t, f0 = 1.0, value(w)
            while value(w - t * step) > f0 - 0.25 * t * g @ step and t > 1e-10:
                t /= 2
            w = w - t * step
            if np.linalg.norm(g) < 1e-15:
                break
        return torch.tensor(w), float(value(w))


class LessardFunction:
    """Lessard, Recht, Packard 2016: m = 1, L = 25, strongly convex, piecewise quadratic.

    f(x) = 25/2 x^2                    for x < 1
           1/2 x^2 + 24 x - 12         for 1 <= x < 2
           25/2 x^2 - 24 x + 36        for x >= 2
    """

    m = 1.0
    L = 25.0
    x_star = 0.0
    f_star = 0.0

    def f(self, x: torch.Tensor) -> torch.Tensor:
        low = 12.5 * x**2
        mid = 0.5 * x**2 + 24 * x - 12
        high = 12.5 * x**2 - 24 * x + 36
        return torch.where(x < 1, low, torch.where(x < 2, mid, high)).sum()

    @property
    def heavy_ball_tuning(self) -> tuple[float, float]:
        """(lr, momentum) optimal for quadratics with these m, L.

        lr = 4/(sqrt L + sqrt m)^2, momentum = ((sqrt k - 1)/(sqrt k + 1))^2 with k = L/m.
        """
        sl, sm = math.sqrt(self.L), math.sqrt(self.m)
        kappa = self.L / self.m
        return 4 / (sl + sm) ** 2, ((math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)) ** 2
