"""Low-rank matrices to complete, observation sets, the measures of a completion, and two baselines.

Arora, Cohen, Hu, Luo (2019) set the protocol: a rank-r target W* = U V^T with Gaussian U, V, scaled to
unit mean square entry, |Omega| entries observed uniformly at random, and the test error of a solution is
the mean squared error over all n_rows * n_cols entries (observed or not).

Baselines: nuclear-norm minimisation (Candes and Recht 2009) solved by cvxpy, and Soft-Impute (Mazumder,
Hastie, Tibshirani 2010). Everything here is numpy (float64); the notes convert to torch where they train.
"""

from __future__ import annotations

import numpy as np

from ..config import ConfigError

# --- targets and observations ---------------------------------------------------------------------------


def low_rank_matrix(n_rows: int, n_cols: int, rank: int, rng: np.random.Generator) -> np.ndarray:
    """U V^T with standard Gaussian U (n_rows, rank), V (n_cols, rank), scaled to mean square entry 1."""
    if rank < 1 or rank > min(n_rows, n_cols):
        raise ConfigError(
            f"rank: got {rank}, must be between 1 and min(n_rows, n_cols) = {min(n_rows, n_cols)}"
        )
    w = rng.standard_normal((n_rows, rank)) @ rng.standard_normal((rank, n_cols))
    return w / np.sqrt(np.mean(w**2))


def random_mask(n_rows: int, n_cols: int, count: int, rng: np.random.Generator) -> np.ndarray:
    """A boolean (n_rows, n_cols) mask with exactly ``count`` entries set, uniformly without replacement."""
    total = n_rows * n_cols
    if count < 1 or count > total:
        raise ConfigError(f"observations: got {count}, must be between 1 and n_rows * n_cols = {total}")
    mask = np.zeros(total, dtype=bool)
    mask[rng.choice(total, size=count, replace=False)] = True
    return mask.reshape(n_rows, n_cols)


# --- measures -------------------------------------------------------------------------------------------


def singular_values(w: np.ndarray) -> np.ndarray:
    return np.linalg.svd(np.asarray(w, dtype=np.float64), compute_uv=False)


def effective_rank(w: np.ndarray | None = None, *, sigma: np.ndarray | None = None) -> float:
    """exp(entropy of sigma / sum(sigma)) (Roy and Vetterli 2007): r for r equal singular values, and
    between 1 and the rank otherwise. Takes a matrix or its singular values."""
    s = singular_values(w) if sigma is None else np.asarray(sigma, dtype=np.float64)
    total = s.sum()
    if total <= 0:
        raise ValueError("effective rank of the zero matrix is undefined")
    p = s[s > 0] / total
    return float(np.exp(-(p * np.log(p)).sum()))


def nuclear_norm(w: np.ndarray) -> float:
    return float(singular_values(w).sum())


def test_error(w: np.ndarray, target: np.ndarray) -> float:
    """Mean squared error over all entries, observed or not (Arora et al.'s 'test error')."""
    return float(np.mean((np.asarray(w) - np.asarray(target)) ** 2))


test_error.__test__ = False  # a measure, not a pytest test, when a test module imports it


def observed_error(w: np.ndarray, target: np.ndarray, mask: np.ndarray) -> float:
    """Mean squared error over the observed entries only (what the training loss sees)."""
    return float(np.mean((np.asarray(w) - np.asarray(target))[mask] ** 2))


# --- baselines ------------------------------------------------------------------------------------------

NUCLEAR_SOLVERS = ("SCS", "CLARABEL")


def nuclear_norm_minimisation(
    target: np.ndarray, mask: np.ndarray, *, solver: str = "SCS", eps: float = 1e-7, max_iters: int = 200_000
) -> tuple[np.ndarray, dict]:
    """argmin ||X||_* subject to X_ij = W*_ij on every observed (i, j), solved by cvxpy.

    Returns (X, info) with the solver's name, status and the largest violation of the constraints.
    """
    import cvxpy as cp

    if solver not in NUCLEAR_SOLVERS:
        raise ConfigError(f"solver: got {solver!r}, allowed: {', '.join(NUCLEAR_SOLVERS)}")
    if solver not in cp.installed_solvers():
        raise ConfigError(
            f"solver: {solver} is not installed for cvxpy; installed: {', '.join(cp.installed_solvers())}"
        )
    mask = np.asarray(mask, dtype=bool)
    rows, cols = np.nonzero(mask)
    x = cp.Variable(target.shape)
    # index the observed entries through a flat view: one affine constraint over |Omega| entries
    flat = rows * target.shape[1] + cols
    problem = cp.Problem(cp.Minimize(cp.normNuc(x)), [cp.vec(x, order="C")[flat] == target[rows, cols]])
    kwargs = (
        {"eps": eps, "max_iters": max_iters}
        if solver == "SCS"
        else {"tol_gap_abs": eps, "tol_gap_rel": eps, "tol_feas": eps}
    )
    problem.solve(solver=solver, **kwargs)
    if x.value is None:
        raise RuntimeError(f"cvxpy/{solver} found no solution (status {problem.status})")
    sol = np.asarray(x.value, dtype=np.float64)
    info = {
        "solver": solver,
        "status": problem.status,
        "max_violation": float(np.abs(sol - target)[mask].max()),
        "objective": float(problem.value),
    }
    return sol, info


def soft_threshold_svd(z: np.ndarray, lam: float) -> np.ndarray:
    """U max(S - lam, 0) V^T: the proximal map of lam * ||.||_*."""
    u, s, vh = np.linalg.svd(z, full_matrices=False)
    s = np.maximum(s - lam, 0.0)
    keep = s > 0
    return (u[:, keep] * s[keep]) @ vh[keep]


def soft_impute(
    target: np.ndarray,
    mask: np.ndarray,
    *,
    lambdas: np.ndarray | None = None,
    tol: float = 1e-9,
    max_iters: int = 300,
) -> tuple[np.ndarray, dict]:
    """Soft-Impute (Mazumder, Hastie, Tibshirani 2010): for each lam on a decreasing path, iterate
    Z <- S_lam(P_Omega(W*) + P_Omega^perp(Z)) to convergence, warm-starting from the previous lam.

    The default path runs from the largest singular value of P_Omega(W*) down to 1e-4 of it, so the
    final solution nearly interpolates the observed entries (the noiseless setting of this note).
    """
    mask = np.asarray(mask, dtype=bool)
    observed = np.where(mask, target, 0.0)
    if lambdas is None:
        top = singular_values(observed)[0]
        lambdas = top * np.geomspace(0.5, 1e-4, 20)
    z = np.zeros_like(observed)
    iters = 0
    for lam in lambdas:
        for _ in range(max_iters):
            new = soft_threshold_svd(np.where(mask, target, z), lam)
            change = np.linalg.norm(new - z) ** 2 / max(np.linalg.norm(z) ** 2, 1e-30)
            z = new
            iters += 1
            if change < tol:
                break
    return z, {"iterations": iters, "final_lambda": float(lambdas[-1])}
