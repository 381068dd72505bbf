"""The continuous-time side: the Euclidean Bregman-Lagrangian ODE and its Euler discretizations.

Wibisono, Wilson and Jordan (PNAS 2016) show that with ideal scaling the Euler-Lagrange equation of
the Bregman Lagrangian, for the Euclidean distance, is

    x'' + (p + 1)/t x' + C p^2 t^(p-2) grad f(x) = 0,      x(0) = x0, x'(0) = 0,

with f(X_t) - f* <= ||x0 - x*||^2 / (2 C t^p). p = 2, C = 1/4 is Su, Boyd and Candes' ODE for
Nesterov's method. Solutions for different p are one curve run at different speeds:
X_p(t) = X_2(t^(p/2)). Everything here is numpy float64: the measurements need 1e-11 accuracy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..config import ConfigError

Grad = Callable[[np.ndarray], np.ndarray]


def _check(p: float, C: float) -> None:
    if not p >= 2:
        raise ConfigError(f"p: got {p!r}, expected a number >= 2")
    if not C > 0:
        raise ConfigError(f"C: got {C!r}, expected a number > 0")


def series_start(x0: np.ndarray, grad: Grad, p: float, C: float, t0: float) -> tuple[np.ndarray, np.ndarray]:
    """(X(t0), X'(t0)) from the expansion X(t) = x0 - (C/2) grad f(x0) t^p + O(t^(2p)).

    The ODE is singular at t = 0; substituting x = x0 + a t^p gives a 2 p^2 = -C p^2 grad f(x0).
    The expansion is the same curve for every p (t^p = (t^(p/2))^2), so starting p at
    t0 = s0^(2/p) puts every solution at the same point of the common path.
    """
    g = grad(x0)
    return x0 - 0.5 * C * g * t0**p, -0.5 * C * p * g * t0 ** (p - 1)


def bregman_rhs(grad: Grad, p: float, C: float) -> Callable[[float, np.ndarray], np.ndarray]:
    """First-order system (x, v)' = (v, -(p+1)/t v - C p^2 t^(p-2) grad f(x)) for solve_ivp."""
    _check(p, C)

    def rhs(t: float, state: np.ndarray) -> np.ndarray:
        n = state.size // 2
        x, v = state[:n], state[n:]
        return np.concatenate([v, -(p + 1) / t * v - C * p * p * t ** (p - 2) * grad(x)])

    return rhs


@dataclass
class OdePath:
    t: np.ndarray  # (T,) times
    x: np.ndarray  # (T, n) positions X(t)
    nfev: int


def solve_bregman_ode(
    grad: Grad,
    x0: np.ndarray,
    p: float,
    C: float,
    t_end: float,
    *,
    t0: float = 1e-3,
    t_eval: np.ndarray | None = None,
    rtol: float = 1e-12,
    atol: float = 1e-14,
    method: str = "DOP853",
) -> OdePath:
    """Integrate the Euclidean Bregman-Lagrangian ODE from the series start at t0 to t_end."""
    from scipy.integrate import solve_ivp

    _check(p, C)
    if not 0 < t0 < t_end:
        raise ConfigError(f"t0, t_end: got {t0!r}, {t_end!r}; expected 0 < t0 < t_end")
    x0 = np.asarray(x0, dtype=np.float64)
    xs, vs = series_start(x0, grad, p, C, t0)
    sol = solve_ivp(
        bregman_rhs(grad, p, C),
        (t0, t_end),
        np.concatenate([xs, vs]),
        method=method,
        t_eval=t_eval,
        rtol=rtol,
        atol=atol,
    )
    if not sol.success:
        raise RuntimeError(f"solve_ivp failed for p={p}: {sol.message}")
    return OdePath(sol.t, sol.y[: x0.size].T, int(sol.nfev))


def predicted_divergence_time(p: float, C: float, L: float, h: float) -> float:
    """t* = (4 / (C p^2 L h^2))^(1/(p-2)): when the local frequency sqrt(C p^2 L t^(p-2)) reaches 2/h.

    Semi-implicit Euler on x'' = -w^2 x is stable exactly for h w < 2; for p > 2 the frequency of the
    ODE grows like t^((p-2)/2), so every step size h eventually loses. For p = 2 it never does.
    """
    if p <= 2:
        return float("inf")
    return (4.0 / (C * p * p * L * h * h)) ** (1.0 / (p - 2))


@dataclass
class EulerRun:
    t: np.ndarray  # (K,) times t_k
    dist: np.ndarray  # (K,) ||x_k - x*||
    t_div: float  # first time with ||x_k - x*|| > blowup * ||x_0 - x*||, inf if never


def euler_discretization(
    grad: Grad,
    x0: np.ndarray,
    x_star: np.ndarray,
    p: float,
    C: float,
    h: float,
    t_max: float,
    *,
    scheme: str = "semi-implicit",
    t0: float | None = None,
    blowup: float = 1.0,
    record_every: int = 1,
) -> EulerRun:
    """Run an Euler discretization of the ODE with step h from rest at t0 (default h) to t_max.

    semi-implicit (symplectic) Euler:
        v_{k+1} = v_k - h ((p+1)/t_k v_k + C p^2 t_k^(p-2) grad f(x_k));  x_{k+1} = x_k + h v_{k+1}
    forward Euler uses v_k instead of v_{k+1} in the position update (and is unstable for any h on
    an undamped oscillator, so it diverges earlier and off the t* law).
    Divergence: the distance to x* first exceeds ``blowup`` times its starting value (it first falls
    during the damped phase, so with blowup = 1 this marks the instability), or becomes non-finite.
    """
    if scheme not in ("semi-implicit", "forward"):
        raise ConfigError(f"scheme: got {scheme!r}, allowed: semi-implicit, forward")
    if not h > 0:
        raise ConfigError(f"h: got {h!r}, expected a number > 0")
    _check(p, C)
    x = np.asarray(x0, dtype=np.float64).copy()
    v = np.zeros_like(x)
    t_start = h if t0 is None else float(t0)
    t = t_start
    start = float(np.linalg.norm(x - x_star))
    limit = blowup * start
    ts, ds = [t], [start]
    t_div = float("inf")
    k = 0
    with np.errstate(over="ignore", invalid="ignore"):
        while t < t_max:
            a = -(p + 1) / t * v - C * p * p * t ** (p - 2) * grad(x)
            if scheme == "semi-implicit":
                v = v + h * a
                x = x + h * v
            else:
                x = x + h * v
                v = v + h * a
            k += 1
            t = t_start + k * h  # no accumulated rounding in t
            d = float(np.linalg.norm(x - x_star))
            if k % record_every == 0:
                ts.append(t)
                ds.append(d)
            if not np.isfinite(d) or d > limit:
                t_div = t
                if ts[-1] != t:
                    ts.append(t)
                    ds.append(d)
                break
    return EulerRun(np.array(ts), np.array(ds), t_div)
