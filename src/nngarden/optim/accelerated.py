"""Accelerated first-order methods that ``torch.optim`` lacks, as ``torch.optim.Optimizer`` subclasses.

* :class:`NesterovConvex`: Nesterov's method for convex L-smooth problems with the k/(k+3) momentum
  schedule (Nesterov 1983; the form analysed by Su, Boyd and Candes 2016).
* :class:`HeavyBall`: Polyak's heavy-ball method, x_{k+1} = x_k - a grad f(x_k) + b (x_k - x_{k-1}).
* :class:`BregmanNaive` and :class:`BregmanRateMatching`: the two discretizations of the Euclidean
  Bregman-Lagrangian dynamics in Wibisono, Wilson and Jordan, "A variational perspective on
  accelerated methods in optimization" (PNAS 2016), Section 3 (their eqs. 17-18 and 19-21).

Gradient descent and Adam are ``torch.optim.SGD`` and ``torch.optim.Adam``. Every optimizer here
works on any list of parameters (any shapes, any dtype); the state it keeps lives per parameter.
Where a method's guarantee holds for an iterate other than the one it evaluates gradients at, the
optimizer exposes that iterate through :meth:`guaranteed_iterates` (x_k for Nesterov, y_k for the
rate-matching method), so measured suboptimality refers to the point the theorem talks about.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import torch
from torch.optim import Optimizer

from ..config import ConfigError


def _check_positive(name: str, value: float) -> float:
    if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
        raise ConfigError(f"{name}: got {value!r}, expected a finite number > 0")
    return float(value)


def rising_factorial(k: int, n: int) -> float:
    """k^(n) = k (k+1) ... (k+n-1), the discrete analogue of t^n that WWJ's discretizations use."""
    out = 1.0
    for i in range(n):
        out *= k + i
    return out


class _GuaranteedIterate(Optimizer):
    """Shared helper: report the iterate the method's convergence theorem is about."""

    _primal_key = "x"

    def guaranteed_iterates(self) -> list[torch.Tensor]:
        """One tensor per parameter: the iterate with the rate guarantee (the parameter before step 1)."""
        out = []
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state.get(p, {})
                out.append(state[self._primal_key] if self._primal_key in state else p.detach())
        return out

    @torch.no_grad()
    def load_guaranteed_iterates(self) -> None:
        """Copy the guaranteed iterates into the parameters, to evaluate a model at them.

        The momentum state no longer matches the parameters afterwards, so it is cleared: a further
        ``step`` restarts the method from these iterates.
        """
        for p, x in zip([p for g in self.param_groups for p in g["params"]], self.guaranteed_iterates()):
            p.copy_(x)
        self.state.clear()


class NesterovConvex(_GuaranteedIterate):
    """Nesterov's accelerated gradient for convex L-smooth f, momentum k/(k+3), k = 0, 1, ...

    x_{k+1} = y_k - lr grad f(y_k)
    y_{k+1} = x_{k+1} + k/(k+3) (x_{k+1} - x_k),      y_0 = x_0.

    The parameters hold y_k (gradients are taken there); x_k is in ``state['x']``. With lr = 1/L,
    f(x_k) - f* <= 2 L ||x_0 - x*||^2 / (k+1)^2.
    """

    def __init__(self, params: Iterable, lr: float):
        super().__init__(params, {"lr": _check_positive("lr", lr)})

    @torch.no_grad()
    def step(self, closure: Callable | None = None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["k"] = 0
                    state["x"] = p.detach().clone()
                k = state["k"]
                x_next = p - group["lr"] * p.grad
                momentum = k / (k + 3)
                p.copy_(x_next + momentum * (x_next - state["x"]))
                state["x"] = x_next
                state["k"] = k + 1
        return loss


class HeavyBall(Optimizer):
    """Polyak's heavy ball: x_{k+1} = x_k - lr grad f(x_k) + momentum (x_k - x_{k-1}), x_{-1} = x_0.

    Written in this position form (not torch's velocity form) because that is the form in which
    Lessard, Recht and Packard (2016) tune it: lr = 4/(sqrt L + sqrt m)^2,
    momentum = ((sqrt kappa - 1)/(sqrt kappa + 1))^2.
    """

    def __init__(self, params: Iterable, lr: float, momentum: float):
        if not (0.0 <= momentum < 1.0):
            raise ConfigError(f"momentum: got {momentum!r}, expected a number in [0, 1)")
        super().__init__(params, {"lr": _check_positive("lr", lr), "momentum": float(momentum)})

    @torch.no_grad()
    def step(self, closure: Callable | None = None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                previous = state.get("previous", p.detach().clone())
                current = p.detach().clone()
                p.add_(p.grad, alpha=-group["lr"]).add_(current - previous, alpha=group["momentum"])
                state["previous"] = current
        return loss


def _check_order(p: float, C: float) -> tuple[float, float]:
    if not (isinstance(p, (int, float)) and p >= 2):
        raise ConfigError(f"p: got {p!r}, expected a number >= 2 (the rate O(1/t^p) of the ODE)")
    return float(p), _check_positive("C", C)


class BregmanNaive(_GuaranteedIterate):
    """The naive discretization of the Euclidean Bregman-Lagrangian ODE (WWJ 2016, eqs. 17-18).

    With eps = delta^p (delta the time step) and k = 1, 2, ...:
        z_k     = z_{k-1} - eps C p k^(p-1) grad f(x_k)          (mirror step, Euclidean h)
        x_{k+1} = p/(k+p) z_k + k/(k+p) x_k,                      z_0 = x_1 = x_0.
    It follows the ODE as delta -> 0 but has no matching O(1/(eps k^p)) guarantee: the step
    eps C p k^(p-1) grows without bound for p > 2, and the scheme eventually becomes unstable.
    The parameters hold x_k.
    """

    def __init__(self, params: Iterable, lr: float, p: float = 2.0, C: float = 0.25):
        p, C = _check_order(p, C)
        super().__init__(params, {"lr": _check_positive("lr", lr), "p": p, "C": C})

    @torch.no_grad()
    def step(self, closure: Callable | None = None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            eps, p_ord, C = group["lr"], group["p"], group["C"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["k"] = 1
                    state["z"] = p.detach().clone()
                k = state["k"]
                weight = eps * C * p_ord * _rising(k, p_ord)
                state["z"].add_(p.grad, alpha=-weight)
                p.mul_(k / (k + p_ord)).add_(state["z"], alpha=p_ord / (k + p_ord))
                state["k"] = k + 1
        return loss


def _mirror(z: torch.Tensor, p: float) -> torch.Tensor:
    """grad h(z) = ||z||^(p-2) z for h(z) = ||z||^p / p."""
    return torch.linalg.vector_norm(z) ** (p - 2) * z


def _mirror_inverse(u: torch.Tensor, p: float) -> torch.Tensor:
    """(grad h)^-1(u) = ||u||^((2-p)/(p-1)) u (zero at u = 0)."""
    norm = torch.linalg.vector_norm(u)
    if float(norm) == 0.0:
        return torch.zeros_like(u)
    return norm ** ((2 - p) / (p - 1)) * u


def _rising(k: int, p: float) -> float:
    """k^(p-1) for integer p (rising factorial); for non-integer p the continuous analogue k^(p-1)."""
    if float(p).is_integer():
        return rising_factorial(k, int(p) - 1)
    return float(k) ** (p - 1)


class BregmanRateMatching(_GuaranteedIterate):
    """The rate-matching ("accelerated") discretization of WWJ 2016 (eqs. 19-21):

        y_k     = argmin_y  f_{p-1}(y; x_k) + N/(p eps) ||y - x_k||^p     (Taylor step of order p-1)
        z_k     = argmin_z  C p k^(p-1) <grad f(y_k), z> + (1/eps) D_h(z, z_{k-1})
        x_{k+1} = p/(k+p) z_k + k/(k+p) y_k,                              z_0 = x_1 = x_0,

    with the distance-generating function h(x) = ||x||^p / p over all parameters flattened, which is
    uniformly convex of order p as their guarantee requires (for p = 2 it is the Euclidean h). The
    mirror step is then explicit: grad h(z_k) = grad h(z_{k-1}) - eps C p k^(p-1) grad f(y_k), with
    grad h(z) = ||z||^(p-2) z and its inverse u -> ||u||^((2-p)/(p-1)) u. (With the Euclidean h and
    p = 3 the z-step grows like k^2 with nothing to contain it, and the method blows up even on a
    quadratic; the tests check that this one does not.)
    When the (p-1)-th derivative of f is (1/eps)-Lipschitz and C is small enough this attains
    f(y_k) - f* = O(1/(eps k^p)).
    p = 2: the Taylor step is a gradient step y = x - (eps/N) grad f(x) (a Nesterov-type method).
    p = 3: the Taylor step is a cubic-regularised Newton step, solved exactly from the Hessian
    (built from Hessian-vector products, so at most ``max_hessian_size`` scalar parameters) and a
    one-dimensional secular equation. Higher p needs third and higher derivatives and is refused.

    ``step(closure)``: the closure must return the loss *without* calling ``backward``; this optimizer
    differentiates it itself (twice for p = 3) and calls it twice per step (at x_k and at y_k).
    The parameters hold x_k; the guaranteed iterate y_k is in ``guaranteed_iterates()``.
    """

    _primal_key = "y"

    def __init__(
        self,
        params: Iterable,
        lr: float,
        p: int = 2,
        C: float = 0.25,
        N: float = 1.0,
        max_hessian_size: int = 2000,
    ):
        if p not in (2, 3):
            raise ConfigError(
                f"p: got {p!r}; the rate-matching step is implemented for p in (2, 3) "
                "(p >= 4 needs derivatives of order 3 and higher)"
            )
        _check_order(p, C)
        super().__init__(
            params,
            {"lr": _check_positive("lr", lr), "p": int(p), "C": float(C), "N": _check_positive("N", N)},
        )
        self.max_hessian_size = int(max_hessian_size)
        self.k = 1

    def _params(self) -> list[torch.Tensor]:
        return [p for g in self.param_groups for p in g["params"] if p.requires_grad]

    def step(self, closure: Callable | None = None):
        if closure is None:
            raise ConfigError("closure: BregmanRateMatching needs a closure returning the loss")
        if len(self.param_groups) != 1:
            raise ConfigError("param_groups: BregmanRateMatching takes a single parameter group")
        group = self.param_groups[0]
        eps, p_ord, C, N = group["lr"], group["p"], group["C"], group["N"]
        params = self._params()
        first = self.state[params[0]]  # the dual variable grad h(z) spans all parameters; kept with the first
        if "dual" not in first:
            first["dual"] = _mirror(torch.cat([p.detach().reshape(-1) for p in params]), p_ord)
        x = [p.detach().clone() for p in params]

        # y-step at x_k
        with torch.enable_grad():
            loss = closure()
            grads = torch.autograd.grad(loss, params, create_graph=(p_ord == 3))
        if p_ord == 2:
            y = [xi - (eps / N) * g.detach() for xi, g in zip(x, grads)]
        else:
            y = self._cubic_step(params, grads, x, reg=N / eps)

        # z-step with the gradient at y_k
        with torch.no_grad():
            for p, yi in zip(params, y):
                p.copy_(yi)
        with torch.enable_grad():
            loss_y = closure()
            grads_y = torch.autograd.grad(loss_y, params)
        k = self.k
        weight = eps * C * p_ord * _rising(k, p_ord)
        with torch.no_grad():
            first["dual"] = first["dual"] - weight * torch.cat([g.reshape(-1) for g in grads_y])
            z = _mirror_inverse(first["dual"], p_ord)
            offset = 0
            for p, yi in zip(params, y):
                zi = z[offset : offset + p.numel()].reshape(p.shape)
                offset += p.numel()
                self.state[p]["y"] = yi
                p.copy_(yi * (k / (k + p_ord)) + zi * (p_ord / (k + p_ord)))
        self.k = k + 1
        return loss.detach()

    def _cubic_step(self, params, grads, x, reg: float) -> list[torch.Tensor]:
        """argmin_d g.d + d.H d/2 + (reg/3) ||d||^3, via H's eigendecomposition and a secular equation."""
        from scipy.optimize import brentq

        sizes = [p.numel() for p in params]
        n = sum(sizes)
        if n > self.max_hessian_size:
            raise ConfigError(
                f"max_hessian_size: the cubic step builds the {n}x{n} Hessian; "
                f"allowed up to {self.max_hessian_size} parameters"
            )
        flat_g = torch.cat([g.reshape(-1) for g in grads])
        rows = []
        for i in range(n):  # Hessian column i = H e_i from one Hessian-vector product
            e = torch.zeros(n, dtype=flat_g.dtype, device=flat_g.device)
            e[i] = 1.0
            hv = torch.autograd.grad(flat_g, params, grad_outputs=e, retain_graph=True, allow_unused=True)
            rows.append(
                torch.cat(
                    [(h if h is not None else torch.zeros_like(p)).reshape(-1) for h, p in zip(hv, params)]
                )
            )
        H = torch.stack(rows).double()
        H = 0.5 * (H + H.T)
        evals, evecs = torch.linalg.eigh(H)
        gt = evecs.T @ flat_g.detach().double()
        # the minimiser solves g + (H + lam I) d = 0 with lam = reg ||d||, lam >= max(0, -min eig)
        lo = max(0.0, -float(evals[0])) + 1e-300

        def norm_d(lam: float) -> float:
            return float(torch.sqrt(torch.sum((gt / (evals + lam)) ** 2)))

        def secular(lam: float) -> float:
            return lam - reg * norm_d(lam)

        if float(torch.linalg.vector_norm(gt)) == 0.0:
            lam = lo
        else:
            hi = max(1.0, lo * 2)
            while secular(hi) < 0:
                hi *= 2.0
            lam = hi if secular(lo) >= 0 else brentq(secular, lo, hi, xtol=1e-300, rtol=1e-14, maxiter=500)
        d = -(evecs @ (gt / (evals + lam))).to(flat_g.dtype)
        out, offset = [], 0
        for xi, size in zip(x, sizes):
            out.append(xi + d[offset : offset + size].reshape(xi.shape))
            offset += size
        return out
