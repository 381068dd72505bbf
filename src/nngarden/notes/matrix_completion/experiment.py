"""Complete low-rank matrices by gradient descent at several depths, solve the baselines, and check the
singular value law step by step. Every run is a stage, so ``nngarden rejudge`` trains nothing."""

from __future__ import annotations

import time

import numpy as np
import torch

from ...data.matrices import (
    effective_rank,
    low_rank_matrix,
    nuclear_norm,
    nuclear_norm_minimisation,
    observed_error,
    random_mask,
    singular_values,
    soft_impute,
    test_error,
)
from ...nn.deep_linear import (
    DeepLinear,
    DeepLinearConfig,
    masked_loss,
    masked_loss_grad,
    nuclear_frobenius_ratio,
    singular_value_rates,
)
from ...train.fit import check_finite, fit
from .claims import mean
from .config import MatrixCompletionConfig

LAW_DEPTHS = (1, 2, 3)  # the singular value law is checked at these depths whatever cfg.depths holds


def step_size(target: np.ndarray, mask: np.ndarray, depth: int, scale: float) -> float:
    """scale * |Omega| / (N s^(2-2/N)).

    The end-to-end update of a balanced depth-N network is the plain gradient preconditioned by at most
    N sigma_max^(2-2/N); the loss's curvature is 1/|Omega| per observed entry. s estimates sigma_max of
    the target from what is observed (sigma_max(P_Omega(W*)) n^2 / |Omega|), so no hidden entry is used.
    """
    count = int(mask.sum())
    s_hat = singular_values(np.where(mask, target, 0.0))[0] * mask.size / count
    return scale * count / (depth * s_hat ** (2.0 - 2.0 / depth))


def measures(w: np.ndarray, target: np.ndarray, mask: np.ndarray) -> dict:
    return {
        "test_error": test_error(w, target),
        "observed_error": observed_error(w, target, mask),
        "effective_rank": effective_rank(w),
        "nuclear_norm": nuclear_norm(w),
    }


def _deep_linear(target: np.ndarray, depth: int, init: str, init_scale: float, seed: int) -> DeepLinear:
    """Factors drawn on the CPU from ``seed``, so that every device starts from the same matrices."""
    n_rows, n_cols = target.shape
    config = DeepLinearConfig(n_rows=n_rows, n_cols=n_cols, depth=depth, init=init, init_scale=init_scale)
    return DeepLinear(config, generator=torch.Generator().manual_seed(seed))


def _observed(target: np.ndarray, mask: np.ndarray, device: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The problem as the one batch every step sees: (W*, the 0/1 mask of Omega), on ``device``."""
    return torch.tensor(target, device=device), torch.tensor(mask, dtype=torch.float64, device=device)


def _trajectory(history: list[dict]) -> list[dict]:
    """The evaluation rows of a fit (step, observed loss, test error, ...) without their timings."""
    timing = ("run", "train_cpu_seconds", "wall_seconds")
    return [{k: v for k, v in row.items() if k not in timing} for row in history if "val_loss" in row]


def fit_gradient_descent(
    target: np.ndarray,
    mask: np.ndarray,
    *,
    depth: int,
    init_scale: float,
    step_scale: float,
    tol: float,
    max_steps: int,
    seed: int,
    log_every: int,
    device: str = "cpu",
    log=None,
    tag: str | None = None,
    top: int = 10,
) -> dict:
    """Plain gradient descent on the masked loss of a depth-N network, until the loss is below ``tol``.

    fit() stops after the update whose batch loss was below ``tol``: one update more than a loop that
    tests the loss before updating, which changes nothing visible at a converged minimum. The trajectory
    holds, every ``log_every`` steps and at the end: the observed loss, the test error (``val_loss``, the
    MSE over all entries) and the top singular values of the product.
    """
    model = _deep_linear(target, depth, "gaussian", init_scale, seed)
    problem = _observed(target, mask, device)
    lr = step_size(target, mask, depth, step_scale)

    def evaluate(model: DeepLinear) -> dict:
        product = model.product()
        return {
            "val_loss": float(((product - problem[0]) ** 2).mean()),
            "observed_loss": masked_loss(product, *problem).item(),
            "singular_values": torch.linalg.svdvals(product)[:top].tolist(),
        }

    result = fit(
        model,
        lambda model, batch: masked_loss(model.product(), *batch),
        lambda step: problem,
        torch.optim.SGD(model.parameters(), lr=lr),
        steps=max_steps,
        device=device,
        evaluate=evaluate,
        eval_every=log_every,
        stop=lambda step, train_loss, evaluation: train_loss < tol,
        log=log,
        log_every=log_every,
        tag=tag,
    )
    trajectory = _trajectory(result.history)
    w = model.product().detach().cpu().numpy()
    return {
        "depth": depth,
        "lr": lr,
        "steps": result.steps,
        "converged": bool(trajectory[-1]["observed_loss"] < tol),
        "train_cpu_seconds": result.train_cpu_seconds,
        **measures(w, target, mask),
        "trajectory": trajectory,
    }


def fit_ratio_penalty(
    target: np.ndarray,
    mask: np.ndarray,
    *,
    init_scale: float,
    weight: float,
    lr: float,
    steps: int,
    seed: int,
    log_every: int,
    device: str = "cpu",
    log=None,
    tag: str | None = None,
) -> dict:
    """Depth 1 trained with Adam on masked loss + weight * ||W||_*/||W||_F (autograd through svdvals)."""
    model = _deep_linear(target, 1, "gaussian", init_scale, seed)
    problem = _observed(target, mask, device)

    def loss_fn(model: DeepLinear, batch) -> torch.Tensor:
        product = model.product()
        return masked_loss(product, *batch) + weight * nuclear_frobenius_ratio(product)

    def evaluate(model: DeepLinear) -> dict:
        product = model.product()
        return {
            "val_loss": float(((product - problem[0]) ** 2).mean()),
            "observed_loss": masked_loss(product, *problem).item(),
            "ratio": nuclear_frobenius_ratio(product).item(),
        }

    result = fit(
        model,
        loss_fn,
        lambda step: problem,
        torch.optim.Adam(model.parameters(), lr=lr),
        steps=steps,
        device=device,
        evaluate=evaluate,
        eval_every=log_every,
        log=log,
        log_every=log_every,
        tag=tag,
    )
    w = model.product().detach().cpu().numpy()
    return {
        "train_cpu_seconds": result.train_cpu_seconds,
        **measures(w, target, mask),
        "trajectory": _trajectory(result.history),
    }


# --- the singular value law -----------------------------------------------------------------------------


def check_singular_value_law(cfg: MatrixCompletionConfig, depth: int, device: str = "cpu") -> dict:
    """Run gradient descent with a small step from a balanced init; at every step compare the measured
    change of each singular value, (sigma(t+1) - sigma(t)) / lr, with the law's prediction at time t.

    Written out rather than run through fit(): every step is a measurement (an SVD, the law's rates and
    its own Euler integration) made on the very gradient that the update then applies.
    """
    rng = np.random.default_rng(cfg.seed + 10_000)
    target = low_rank_matrix(cfg.law_n, cfg.law_n, cfg.law_rank, rng)
    mask = random_mask(cfg.law_n, cfg.law_n, cfg.law_observations, rng)
    model = _deep_linear(target, depth, "balanced", cfg.law_init_scale, cfg.seed).to(device)
    w_star, m = _observed(target, mask, device)
    lr = step_size(target, mask, depth, cfg.law_step_scale)
    k = cfg.law_rank + 2  # the target's directions and two beyond, which should stay small
    sigmas, predicted, integrated = [], [], []
    with torch.no_grad():
        s_pred = None
        for step in range(cfg.law_steps):
            product = model.product()
            check_finite(step, masked_loss(product, w_star, m).item())
            grad = masked_loss_grad(product, w_star, m)
            s, rate = singular_value_rates(product, grad, depth)
            s_pred = s[:k].clone() if s_pred is None else s_pred
            sigmas.append(s[:k].tolist())
            predicted.append(rate[:k].tolist())
            integrated.append(s_pred.tolist())
            # the law integrated on its own (Euler, same step), fed only the measured projections <G, u v^T>
            along = rate[:k] / (-depth * (s[:k] ** 2).clamp_min(1e-300) ** (1 - 1 / depth))
            s_pred = s_pred - lr * depth * (s_pred**2) ** (1 - 1 / depth) * along
            for factor, g in zip(model.factors, model.factor_gradients(grad)):
                factor.sub_(lr * g)
        final = model.product().cpu().numpy()
    stride = max(1, len(sigmas) // 200)
    return {
        "depth": depth,
        "lr": lr,
        **_law_fit(np.array(sigmas), np.array(predicted), depth, lr),
        "expected_exponent": 2 - 2 / depth,
        "steps": list(range(0, len(sigmas), stride)),
        "sigma": sigmas[::stride],
        "integrated": integrated[::stride],
        "final_test_error": test_error(final, target),
    }


def _law_fit(sig: np.ndarray, pred: np.ndarray, depth: int, lr: float) -> dict:
    """How well the predicted rates match the measured ones, and the exponent of sigma they follow."""
    # measured rate at step t by a central difference (second order in lr), against the law at step t
    meas = (sig[2:] - sig[:-2]) / (2 * lr)
    sig_c, pred_c = sig[1:-1], pred[1:-1]
    rel = float(np.linalg.norm(meas - pred_c) / max(np.linalg.norm(meas), 1e-300))
    # the exponent: log(rate / (-N <G, u v>)) against log sigma should have slope 2 - 2/N
    along_all = pred_c / (-depth * np.maximum(sig_c**2, 1e-300) ** (1 - 1 / depth))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = meas / (-depth * along_all)
    keep = (np.abs(pred_c) > 1e-3 * np.abs(pred_c).max()) & (ratio > 0) & (sig_c > 0) & np.isfinite(ratio)
    slope = (
        float(np.polyfit(np.log(sig_c[keep]), np.log(ratio[keep]), 1)[0]) if keep.sum() > 2 else float("nan")
    )
    return {"relative_error": rel, "exponent": slope, "points": int(keep.sum())}


# --- the note's measurements ----------------------------------------------------------------------------


def _complete(cfg: MatrixCompletionConfig, ctx, count: int, seed: int) -> dict[str, dict]:
    """Every method on one target with ``count`` observed entries: method -> its stage's result."""
    rng = np.random.default_rng(seed)
    target = low_rank_matrix(cfg.n, cfg.n, cfg.rank, rng)
    mask = random_mask(cfg.n, cfg.n, count, rng)
    out = {}
    for depth in cfg.depths:
        name = f"gd-obs{count}-depth{depth}-seed{seed}"
        gd = dict(depth=depth, init_scale=cfg.init_scale, step_scale=cfg.step_scale, tol=cfg.tol)
        gd.update(max_steps=cfg.max_steps, seed=seed, log_every=cfg.log_every, device=ctx.device)
        out[f"depth{depth}"] = ctx.stage(
            name, lambda gd=gd, name=name: fit_gradient_descent(target, mask, **gd, log=ctx.log, tag=name)
        )

    def baseline(solve) -> dict:
        cpu0 = time.process_time()
        w, info = solve(target, mask)
        return {**measures(w, target, mask), **info, "cpu_seconds": time.process_time() - cpu0}

    out["nuclear"] = ctx.stage(
        f"nuclear-obs{count}-seed{seed}",
        lambda: baseline(lambda t, m: nuclear_norm_minimisation(t, m, solver=cfg.solver)),
    )
    if cfg.soft_impute:
        out["soft_impute"] = ctx.stage(f"softimpute-obs{count}-seed{seed}", lambda: baseline(soft_impute))
    if cfg.penalty_run and count == cfg.observations[0]:
        name = f"ratio-penalty-seed{seed}"
        pen = dict(init_scale=cfg.init_scale, weight=cfg.penalty_weight, lr=cfg.penalty_lr)
        pen.update(steps=cfg.penalty_steps, seed=seed, log_every=cfg.log_every, device=ctx.device)
        out["ratio_penalty"] = ctx.stage(
            name, lambda: fit_ratio_penalty(target, mask, **pen, log=ctx.log, tag=name)
        )
    return out


def measure(cfg: MatrixCompletionConfig, ctx) -> dict:
    """``runs``: observations (as a string) -> method -> one result per seed; ``law``: depth -> result."""
    runs: dict[str, dict[str, list]] = {}
    for count in cfg.observations:
        per = runs.setdefault(str(count), {})
        for s in range(cfg.seeds):
            for method, result in _complete(cfg, ctx, count, cfg.seed + s).items():
                per.setdefault(method, []).append(result)
    law = {
        str(d): ctx.stage(f"law-depth{d}", lambda d=d: check_singular_value_law(cfg, d, ctx.device))
        for d in LAW_DEPTHS
    }
    return {"runs": runs, "law": law}


def metrics(cfg: MatrixCompletionConfig, results: dict) -> dict[str, float]:
    out: dict[str, float] = {}
    for count, per in results["runs"].items():
        for method, runs in per.items():
            for key in ("test_error", "effective_rank", "nuclear_norm"):
                out[f"{method}_obs{count}_{key}"] = mean(r[key] for r in runs)
                if len(runs) > 1:
                    out[f"{method}_obs{count}_{key}_std"] = float(np.std([r[key] for r in runs]))
    for d, res in results["law"].items():
        out[f"law_depth{d}_relative_error"] = res["relative_error"]
    return out
