"""The form of the loss in matrix completion: depth as an implicit regulariser, and the ratio penalty.

Arora, Cohen, Hu, Luo (2019) "Implicit Regularization in Deep Matrix Factorization". A deep linear
network W_N ... W_1 has no inputs: only the observed entries of the target enter, through the loss
||P_Omega(W_N ... W_1 - W*)||^2. Every depth can express every matrix, yet gradient descent from a small
initialisation finds very different ones: depth 1 leaves unobserved entries where they started, depth 2
behaves roughly like nuclear-norm minimisation, depth 3 and more find the low-rank target from fewer
observations. The measurements here reproduce their 100 x 100 rank-5 experiment, check the singular
value law that explains it, and try the scale-invariant ratio penalty ||W||_* / ||W||_F on depth 1.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch

from ..config import ConfigError, option
from ..data.matrices import (
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
from ..findings import Findings, judge, undecided
from ..nn.deep_linear import (
    DeepLinear,
    DeepLinearConfig,
    masked_loss,
    masked_loss_grad,
    nuclear_frobenius_ratio,
    singular_value_rates,
)
from ..plotting import figure
from .base import Note, NoteConfig

CLAIMS = {
    "depth1-fits-seen": "Depth 1 only fits what it sees: its test error is about 1 - |Omega|/n^2, the "
    "unobserved entries staying near their small initial values.",
    "depth2-like-nuclear": "Depth 2 behaves like nuclear-norm minimisation: its test error is within a "
    "factor 2 of the nuclear-norm minimiser's.",
    "depth3-recovers": "Depth 3 and more recover the rank-5 matrix from 2000 observations: test error "
    "below 1e-3 and effective rank below 5.2.",
    "not-a-norm": "Depth's implicit regularisation is not a norm: the depth-3 solution has a higher "
    "nuclear norm than the nuclear-norm minimiser.",
    "more-observations": "With 5000 observations depth 2 and more and nuclear-norm minimisation all recover "
    "the matrix, while depth 1 never fills unobserved entries.",
    "singular-value-law": "The singular values of the product move as d sigma/dt = -N sigma^(2-2/N) "
    "<grad l(W), u v^T>: speed proportional to sigma^(2-2/N).",
    "penalty": "The scale-invariant penalty ||W||_*/||W||_F with Adam gives a depth-1 model the effect of "
    "depth (recovery as depth 3 without a penalty).",
}


@dataclass
class MatrixCompletionConfig(NoteConfig):
    """Sizes of the completion experiments, the law check and the penalty run."""

    n: int = option(100, "rows and columns of the square target", low=2)
    rank: int = option(5, "rank of the target", low=1)
    observations: tuple[int, ...] = option((2000,), "numbers of observed entries to sweep", low=1)
    depths: tuple[int, ...] = option((1, 2, 3), "depths of the factorisations", low=1)
    seeds: int = option(1, "targets and observation sets per setting (seed, seed+1, ...)", low=1)
    init_scale: float = option(1e-3, "std of each factor's entries at initialisation", low=0.0, low_open=True)
    step_scale: float = option(
        1.0,
        "learning rate as a fraction of |Omega| / (N s^(2-2/N)), s the target's top "
        "singular value estimated from the observed entries",
        low=0.0,
        low_open=True,
    )
    tol: float = option(
        1e-8, "stop when the training loss (half the observed MSE) is below this", low=0.0, low_open=True
    )
    max_steps: int = option(
        100_000, "gradient steps at most per run (a run that stops here is not converged)", low=1
    )
    log_every: int = option(250, "steps between logged metrics", low=1)
    solver: str = option("SCS", "cvxpy solver for nuclear-norm minimisation", choices=("SCS", "CLARABEL"))
    soft_impute: bool = option(True, "also run the Soft-Impute baseline")
    # singular value law, checked on a small problem with balanced initialisation
    law_n: int = option(30, "size of the matrix in the singular value law check", low=2)
    law_rank: int = option(3, "rank of its target", low=1)
    law_observations: int = option(300, "its observed entries", low=1)
    law_steps: int = option(6000, "gradient steps of the law check", low=2)
    law_step_scale: float = option(
        0.02, "its (small, so close to gradient flow) step scale", low=0.0, low_open=True
    )
    law_init_scale: float = option(0.1, "its init scale", low=0.0, low_open=True)
    # the ratio penalty on depth 1
    penalty_run: bool = option(False, "run depth 1 + ratio penalty with Adam (claim `penalty`)")
    penalty_weight: float = option(0.01, "weight of ||W||_*/||W||_F in the loss", low=0.0)
    penalty_lr: float = option(3e-3, "Adam learning rate of the penalty run", low=0.0, low_open=True)
    penalty_steps: int = option(12_000, "Adam steps of the penalty run", low=1)

    def validate(self) -> None:
        if self.rank > self.n:
            raise ConfigError(f"rank: got {self.rank}, must be <= n = {self.n}")
        if max(self.observations) > self.n * self.n:
            raise ConfigError(f"observations: got {max(self.observations)}, must be <= n^2 = {self.n**2}")
        if self.law_rank > self.law_n or self.law_observations > self.law_n**2:
            raise ConfigError("law_rank must be <= law_n and law_observations <= law_n^2")

    @classmethod
    def tiny(cls):
        return cls(
            n=20,
            rank=2,
            observations=(150,),
            depths=(1, 2, 3),
            init_scale=1e-2,
            max_steps=3000,
            tol=1e-7,
            log_every=100,
            soft_impute=True,
            law_n=12,
            law_rank=2,
            law_observations=80,
            law_steps=300,
            penalty_run=True,
            penalty_steps=300,
            penalty_lr=1e-2,
        )

    @classmethod
    def quick(cls):
        return cls(observations=(2000, 5000))

    @classmethod
    def full(cls):
        return cls(observations=(2000, 5000), depths=(1, 2, 3), seeds=3, penalty_run=True)


# --- one gradient descent run ---------------------------------------------------------------------------


def step_size(target: np.ndarray, mask: np.ndarray, depth: int, scale: float) -> float:
    """scale * |Omega| / (N s^(2-2/N)).

    The end-to-end update of a balanced depth-N network is the plain gradient preconditioned by at most
    N sigma_max^(2-2/N); the loss's curvature is 1/|Omega| per observed entry. s estimates sigma_max of
    the target from what is observed (sigma_max(P_Omega(W*)) n^2 / |Omega|), so no hidden entry is used.
    """
    count = int(mask.sum())
    s_hat = singular_values(np.where(mask, target, 0.0))[0] * mask.size / count
    return scale * count / (depth * s_hat ** (2.0 - 2.0 / depth))


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
    init: str = "gaussian",
    top: int = 10,
) -> dict:
    """Plain gradient descent on the masked loss of a depth-N network; returns measures and a trajectory."""
    n_rows, n_cols = target.shape
    gen = torch.Generator().manual_seed(seed)
    model = DeepLinear(
        DeepLinearConfig(n_rows=n_rows, n_cols=n_cols, depth=depth, init=init, init_scale=init_scale),
        generator=gen,
    )
    w_star, m = torch.tensor(target), torch.tensor(mask, dtype=torch.float64)
    lr = step_size(target, mask, depth, step_scale)
    trajectory = []
    cpu0 = time.process_time()
    step, loss = 0, math.inf
    with torch.no_grad():
        for step in range(max_steps + 1):
            product = model.product()
            loss = masked_loss(product, w_star, m).item()
            done = loss < tol or step == max_steps or not math.isfinite(loss)
            if step % log_every == 0 or done:
                sv = torch.linalg.svdvals(product)[:top]
                trajectory.append(
                    {
                        "step": step,
                        "loss": loss,
                        "test": float(((product - w_star) ** 2).mean()),
                        "sv": sv.tolist(),
                    }
                )
            if done:
                break
            grads = model.factor_gradients(masked_loss_grad(product, w_star, m))
            for factor, grad in zip(model.factors, grads):
                factor.sub_(lr * grad)
        w = model.product().numpy()
    return {
        "depth": depth,
        "lr": lr,
        "steps": step,
        "converged": bool(loss < tol),
        "cpu_seconds": time.process_time() - cpu0,
        **measures(w, target, mask),
        "trajectory": trajectory,
    }


def measures(w: np.ndarray, target: np.ndarray, mask: np.ndarray) -> dict:
    return {
        "test_error": test_error(w, target),
        "observed_error": observed_error(w, target, mask),
        "effective_rank": effective_rank(w),
        "nuclear_norm": nuclear_norm(w),
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
) -> dict:
    """Depth 1 trained with Adam on masked loss + weight * ||W||_*/||W||_F (autograd through svdvals)."""
    gen = torch.Generator().manual_seed(seed)
    n_rows, n_cols = target.shape
    model = DeepLinear(
        DeepLinearConfig(n_rows=n_rows, n_cols=n_cols, depth=1, init_scale=init_scale), generator=gen
    )
    w_star, m = torch.tensor(target), torch.tensor(mask, dtype=torch.float64)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    trajectory = []
    cpu0 = time.process_time()
    for step in range(steps + 1):
        product = model()
        fit = masked_loss(product, w_star, m)
        ratio = nuclear_frobenius_ratio(product)
        if step % log_every == 0 or step == steps:
            trajectory.append(
                {
                    "step": step,
                    "loss": fit.item(),
                    "ratio": ratio.item(),
                    "test": float(((product.detach() - w_star) ** 2).mean()),
                }
            )
        if step == steps:
            break
        opt.zero_grad()
        (fit + weight * ratio).backward()
        opt.step()
    w = model.product().detach().numpy()
    return {"cpu_seconds": time.process_time() - cpu0, **measures(w, target, mask), "trajectory": trajectory}


# --- the singular value law -----------------------------------------------------------------------------


def check_singular_value_law(cfg: MatrixCompletionConfig, depth: int) -> dict:
    """Run gradient descent with a small step from a balanced init; at every step compare the measured
    change of each singular value, (sigma(t+1) - sigma(t)) / lr, with the law's prediction at time t."""
    rng = np.random.default_rng(cfg.seed + 10_000)
    target = low_rank_matrix(cfg.law_n, cfg.law_n, cfg.law_rank, rng)
    mask = random_mask(cfg.law_n, cfg.law_n, cfg.law_observations, rng)
    gen = torch.Generator().manual_seed(cfg.seed)
    model = DeepLinear(
        DeepLinearConfig(
            n_rows=cfg.law_n, n_cols=cfg.law_n, depth=depth, init="balanced", init_scale=cfg.law_init_scale
        ),
        generator=gen,
    )
    w_star, m = torch.tensor(target), torch.tensor(mask, dtype=torch.float64)
    lr = step_size(target, mask, depth, cfg.law_step_scale)
    k = cfg.law_rank + 2  # the target's directions and two beyond, which should stay small
    sigmas, predicted, integrated = [], [], []
    with torch.no_grad():
        s_pred = None
        for _ in range(cfg.law_steps):
            product = model.product()
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
        product = model.product()
    sig, pred = np.array(sigmas), np.array(predicted)
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
    stride = max(1, len(sigmas) // 200)
    return {
        "depth": depth,
        "lr": lr,
        "relative_error": rel,
        "exponent": slope,
        "expected_exponent": 2 - 2 / depth,
        "points": int(keep.sum()),
        "steps": list(range(0, len(sigmas), stride)),
        "sigma": sig[::stride].tolist(),
        "integrated": np.array(integrated)[::stride].tolist(),
        "final_test_error": test_error(product.numpy(), target),
    }


# --- the note -------------------------------------------------------------------------------------------


def _mean(values) -> float:
    values = [v for v in values if v is not None]
    return float(np.mean(values)) if values else float("nan")


def run(cfg: MatrixCompletionConfig, ctx) -> Findings:
    figures: list[str] = []
    n = cfg.n
    results: dict[int, dict] = {}  # observations -> {"depth<N>": [per seed], "nuclear": [...], ...}
    for count in cfg.observations:
        per = results.setdefault(count, {})
        for s in range(cfg.seeds):
            seed = cfg.seed + s
            rng = np.random.default_rng(seed)
            target = low_rank_matrix(n, n, cfg.rank, rng)
            mask = random_mask(n, n, count, rng)
            for depth in cfg.depths:
                name = f"gd-obs{count}-depth{depth}-seed{seed}"

                def compute(depth=depth, target=target, mask=mask, seed=seed, name=name):
                    out = fit_gradient_descent(
                        target,
                        mask,
                        depth=depth,
                        init_scale=cfg.init_scale,
                        step_scale=cfg.step_scale,
                        tol=cfg.tol,
                        max_steps=cfg.max_steps,
                        seed=seed,
                        log_every=cfg.log_every,
                    )
                    for row in out["trajectory"]:
                        ctx.log(
                            row["step"],
                            run=name,
                            loss=row["loss"],
                            test_error=row["test"],
                            singular_values=row["sv"],
                        )
                    return out

                per.setdefault(f"depth{depth}", []).append(ctx.stage(name, compute))

            def nuclear(target=target, mask=mask):
                cpu0 = time.process_time()
                w, info = nuclear_norm_minimisation(target, mask, solver=cfg.solver)
                return {**measures(w, target, mask), **info, "cpu_seconds": time.process_time() - cpu0}

            per.setdefault("nuclear", []).append(ctx.stage(f"nuclear-obs{count}-seed{seed}", nuclear))

            if cfg.soft_impute:

                def soft(target=target, mask=mask):
                    cpu0 = time.process_time()
                    w, info = soft_impute(target, mask)
                    return {**measures(w, target, mask), **info, "cpu_seconds": time.process_time() - cpu0}

                per.setdefault("soft_impute", []).append(ctx.stage(f"softimpute-obs{count}-seed{seed}", soft))

            if cfg.penalty_run and count == cfg.observations[0]:

                def pen(target=target, mask=mask, seed=seed):
                    out = fit_ratio_penalty(
                        target,
                        mask,
                        init_scale=cfg.init_scale,
                        weight=cfg.penalty_weight,
                        lr=cfg.penalty_lr,
                        steps=cfg.penalty_steps,
                        seed=seed,
                        log_every=cfg.log_every,
                    )
                    for row in out["trajectory"]:
                        ctx.log(
                            row["step"],
                            run=f"ratio-penalty-seed{seed}",
                            loss=row["loss"],
                            ratio=row["ratio"],
                            test_error=row["test"],
                        )
                    return out

                per.setdefault("ratio_penalty", []).append(ctx.stage(f"ratio-penalty-seed{seed}", pen))

    law = {d: ctx.stage(f"law-depth{d}", lambda d=d: check_singular_value_law(cfg, d)) for d in (1, 2, 3)}

    def avg(count, method, key):
        return _mean(r[key] for r in results[count].get(method, []))

    def all_converged(count, methods):
        return all(r.get("converged", True) for m in methods for r in results[count].get(m, []))

    metrics: dict[str, float] = {}
    for count, per in results.items():
        for method, runs in per.items():
            for key in ("test_error", "effective_rank", "nuclear_norm"):
                metrics[f"{method}_obs{count}_{key}"] = _mean(r[key] for r in runs)
                if len(runs) > 1:
                    metrics[f"{method}_obs{count}_{key}_std"] = float(np.std([r[key] for r in runs]))

    claims = []
    base = 2000 if 2000 in results else cfg.observations[0]
    fraction = 1 - base / n**2
    seeds_note = f"mean over {cfg.seeds} seed(s), {n}x{n} rank {cfg.rank}, {base} observations"
    not_converged = "a gradient descent run stopped at max_steps before its training loss reached tol"

    # (a) depth 1 fits only what it sees
    if 1 in cfg.depths:
        t1, o1 = avg(base, "depth1", "test_error"), avg(base, "depth1", "observed_error")
        ok = all_converged(base, ["depth1"])
        claims.append(
            judge(
                "depth1-fits-seen",
                CLAIMS["depth1-fits-seen"],
                (abs(t1 - fraction) < 0.05 and o1 < 1e-6) if ok else None,
                {"depth1_test_error": t1, "one_minus_fraction_observed": fraction, "depth1_observed_mse": o1},
                f"|test error - (1 - |Omega|/n^2)| < 0.05 and observed MSE < 1e-6 ({seeds_note})"
                + ("" if ok else f"; undecided: {not_converged}"),
            )
        )
    else:
        claims.append(undecided("depth1-fits-seen", CLAIMS["depth1-fits-seen"], "depth 1 not in depths"))

    tn, rn, nn_ = (
        avg(base, "nuclear", "test_error"),
        avg(base, "nuclear", "effective_rank"),
        avg(base, "nuclear", "nuclear_norm"),
    )
    solver_note = f"nuclear-norm minimisation by cvxpy/{cfg.solver}"
    # (b) depth 2 like nuclear norm
    if 2 in cfg.depths:
        t2, r2 = avg(base, "depth2", "test_error"), avg(base, "depth2", "effective_rank")
        factor = max(t2 / tn, tn / t2) if t2 > 0 and tn > 0 else float("nan")
        ok = all_converged(base, ["depth2"])
        claims.append(
            judge(
                "depth2-like-nuclear",
                CLAIMS["depth2-like-nuclear"],
                (factor <= 2.0) if ok else None,
                {
                    "depth2_test_error": t2,
                    "nuclear_test_error": tn,
                    "factor": factor,
                    "depth2_effective_rank": r2,
                    "nuclear_effective_rank": rn,
                },
                f"max(d2/nuc, nuc/d2) of test errors <= 2 ({seeds_note}; {solver_note})"
                + ("" if ok else f"; undecided: {not_converged}"),
            )
        )
    else:
        claims.append(
            undecided("depth2-like-nuclear", CLAIMS["depth2-like-nuclear"], "depth 2 not in depths")
        )

    # (c) depth >= 3 recovers, (d) with a higher nuclear norm than the minimiser
    deep = [d for d in cfg.depths if d >= 3]
    if deep:
        ev, ok_all = {}, True
        for d in deep:
            ev[f"depth{d}_test_error"] = avg(base, f"depth{d}", "test_error")
            ev[f"depth{d}_effective_rank"] = avg(base, f"depth{d}", "effective_rank")
            ok_all &= ev[f"depth{d}_test_error"] < 1e-3 and ev[f"depth{d}_effective_rank"] < cfg.rank + 0.2
        ok = all_converged(base, [f"depth{d}" for d in deep])
        claims.append(
            judge(
                "depth3-recovers",
                CLAIMS["depth3-recovers"],
                ok_all if ok else None,
                ev,
                f"every depth >= 3 has test error < 1e-3 and effective rank < rank + 0.2 = {cfg.rank + 0.2:g} ({seeds_note})"
                + ("" if ok else f"; undecided: {not_converged}"),
            )
        )
        n3 = avg(base, f"depth{deep[0]}", "nuclear_norm")
        claims.append(
            judge(
                "not-a-norm",
                CLAIMS["not-a-norm"],
                (n3 - nn_ > 1e-3 * nn_) if ok else None,
                {
                    f"depth{deep[0]}_nuclear_norm": n3,
                    "nuclear_min_nuclear_norm": nn_,
                    f"depth{deep[0]}_test_error": ev[f"depth{deep[0]}_test_error"],
                    "nuclear_test_error": tn,
                },
                f"depth-{deep[0]} nuclear norm exceeds the minimiser's by more than 0.1% "
                f"(solver tolerance) ({seeds_note}; {solver_note})"
                + ("" if ok else f"; undecided: {not_converged}"),
            )
        )
    else:
        for cid in ("depth3-recovers", "not-a-norm"):
            claims.append(undecided(cid, CLAIMS[cid], "no depth >= 3 in depths"))

    # (e) more observations
    if 5000 in results and 1 in cfg.depths and any(d >= 2 for d in cfg.depths):
        ev = {f"depth{d}_test_error": avg(5000, f"depth{d}", "test_error") for d in cfg.depths}
        ev["nuclear_test_error"] = avg(5000, "nuclear", "test_error")
        deeper_ok = (
            all(ev[f"depth{d}_test_error"] < 1e-3 for d in cfg.depths if d >= 2)
            and ev["nuclear_test_error"] < 1e-3
        )
        ok = all_converged(5000, [f"depth{d}" for d in cfg.depths])
        claims.append(
            judge(
                "more-observations",
                CLAIMS["more-observations"],
                (deeper_ok and ev["depth1_test_error"] > 0.3) if ok else None,
                ev,
                f"with 5000 observations: depth >= 2 and nuclear-norm test error < 1e-3, depth 1 "
                f"test error > 0.3 (mean over {cfg.seeds} seed(s))"
                + ("" if ok else f"; undecided: {not_converged}"),
            )
        )
    else:
        claims.append(
            undecided(
                "more-observations",
                CLAIMS["more-observations"],
                "this preset does not run 5000 observations with depth 1 and deeper (run --full)",
            )
        )

    # (f) singular value law
    ev, passed = {}, True
    for d, res in law.items():
        ev[f"depth{d}_relative_error"] = res["relative_error"]
        ev[f"depth{d}_exponent"] = res["exponent"]
        passed &= res["relative_error"] < 0.05 and abs(res["exponent"] - (2 - 2 / d)) < 0.1
    claims.append(
        judge(
            "singular-value-law",
            CLAIMS["singular-value-law"],
            passed,
            ev,
            f"{cfg.law_n}x{cfg.law_n} rank-{cfg.law_rank} target, {cfg.law_observations} observations, "
            f"balanced init, {cfg.law_steps} small gradient steps: for depths 1-3, "
            "||measured - predicted dsigma/dt|| / ||measured|| < 0.05 over the top singular values "
            "and the fitted exponent of sigma within 0.1 of 2 - 2/N",
        )
    )

    # (g) the ratio penalty
    if "ratio_penalty" in results.get(cfg.observations[0], {}):
        first = cfg.observations[0]
        tp, rp = avg(first, "ratio_penalty", "test_error"), avg(first, "ratio_penalty", "effective_rank")
        deepest = max(cfg.depths)
        td, rd = avg(first, f"depth{deepest}", "test_error"), avg(first, f"depth{deepest}", "effective_rank")
        claims.append(
            judge(
                "penalty",
                CLAIMS["penalty"],
                tp < 1e-3 and rp < cfg.rank + 0.2,
                {
                    "ratio_penalty_test_error": tp,
                    "ratio_penalty_effective_rank": rp,
                    f"depth{deepest}_test_error": td,
                    f"depth{deepest}_effective_rank": rd,
                    "penalty_weight": cfg.penalty_weight,
                },
                f"depth 1 + {cfg.penalty_weight:g} * ratio, Adam lr {cfg.penalty_lr:g}, "
                f"{cfg.penalty_steps} steps, {first} observations: test error < 1e-3 and effective "
                f"rank < rank + 0.2 (what depth {deepest} reaches unpenalised is reported beside it)",
            )
        )
    else:
        claims.append(
            undecided("penalty", CLAIMS["penalty"], "penalty_run is off in this preset (run --full)")
        )

    _draw(ctx, cfg, results, law, figures)
    for d, res in law.items():
        metrics[f"law_depth{d}_relative_error"] = res["relative_error"]
    return Findings(claims=claims, metrics=metrics, figures=figures)


# --- figures --------------------------------------------------------------------------------------------


def _draw(ctx, cfg, results, law, figures) -> None:
    counts = sorted(results)
    with figure(ctx, "depth.png", figures, ncols=2) as (fig, (ax_err, ax_rank)):
        for count in counts:
            per = results[count]
            errs = [_mean(r["test_error"] for r in per[f"depth{d}"]) for d in cfg.depths]
            ranks = [_mean(r["effective_rank"] for r in per[f"depth{d}"]) for d in cfg.depths]
            (line,) = ax_err.semilogy(cfg.depths, errs, "o-", label=f"deep linear, |Omega|={count}")
            ax_rank.semilogy(
                cfg.depths, ranks, "o-", color=line.get_color(), label=f"deep linear, |Omega|={count}"
            )
            for method, style in (("nuclear", "--"), ("soft_impute", ":")):
                if method in per:
                    label = f"{'nuclear-norm min' if method == 'nuclear' else 'Soft-Impute'}, |Omega|={count}"
                    ax_err.axhline(
                        _mean(r["test_error"] for r in per[method]),
                        ls=style,
                        color=line.get_color(),
                        label=label,
                    )
                    ax_rank.axhline(
                        _mean(r["effective_rank"] for r in per[method]),
                        ls=style,
                        color=line.get_color(),
                        label=label,
                    )
        ax_rank.axhline(cfg.rank, color="gray", lw=0.8, label=f"target rank {cfg.rank}")
        ax_err.set(xlabel="depth N", ylabel="test error (MSE over all entries)", xticks=list(cfg.depths))
        ax_rank.set(xlabel="depth N", ylabel="effective rank", xticks=list(cfg.depths))
        ax_err.legend(fontsize=6)
        ax_rank.legend(fontsize=6)

    with figure(ctx, "observations.png", figures) as (fig, ax):
        for d in cfg.depths:
            ax.semilogy(
                counts,
                [_mean(r["test_error"] for r in results[c][f"depth{d}"]) for c in counts],
                "o-",
                label=f"depth {d}",
            )
        for method, label in (("nuclear", "nuclear-norm min"), ("soft_impute", "Soft-Impute")):
            if all(method in results[c] for c in counts):
                ax.semilogy(
                    counts,
                    [_mean(r["test_error"] for r in results[c][method]) for c in counts],
                    "s--",
                    label=label,
                )
        ax.set(xlabel="observed entries |Omega|", ylabel="test error (MSE over all entries)", xticks=counts)
        ax.legend(fontsize=7)

    first = counts[0]
    with figure(ctx, "singular_values.png", figures, ncols=len(cfg.depths)) as (fig, axes):
        axes = np.atleast_1d(axes)
        for ax, d in zip(axes, cfg.depths):
            traj = results[first][f"depth{d}"][0]["trajectory"]
            steps = [row["step"] for row in traj]
            sv = np.array([row["sv"] for row in traj])
            for r in range(sv.shape[1]):
                ax.semilogy(steps, np.maximum(sv[:, r], 1e-12), color="C0" if r < cfg.rank else "C3", lw=1)
            ax.set(
                xlabel="gradient step",
                ylabel="singular value of W_N...W_1",
                title=f"depth {d} (blue: top {cfg.rank}, red: next)",
            )

    with figure(ctx, "singular_value_law.png", figures, ncols=len(law)) as (fig, axes):
        for ax, (d, res) in zip(np.atleast_1d(axes), law.items()):
            steps = res["steps"]
            sig, integ = np.array(res["sigma"]), np.array(res["integrated"])
            for r in range(sig.shape[1]):
                ax.semilogy(steps, np.maximum(sig[:, r], 1e-12), color=f"C{r}", lw=1.5)
                ax.semilogy(steps, np.maximum(integ[:, r], 1e-12), color="k", ls="--", lw=0.8)
            ax.set(
                xlabel="gradient step",
                ylabel="singular value",
                title=f"depth {d}: measured (colour), law (dashed)\nrel. error of rates {res['relative_error']:.3f}",
            )

    if "ratio_penalty" in results[first]:
        deepest = max(cfg.depths)
        with figure(ctx, "penalty.png", figures, ncols=2) as (fig, (ax_err, ax_rank)):
            names = ["depth 1", "depth 1 + ratio\n(Adam)", f"depth {deepest}", "nuclear-norm min"]
            keys = ["depth1", "ratio_penalty", f"depth{deepest}", "nuclear"]
            keys_names = [(k, nm) for k, nm in zip(keys, names) if k in results[first]]
            errs = [_mean(r["test_error"] for r in results[first][k]) for k, _ in keys_names]
            ranks = [_mean(r["effective_rank"] for r in results[first][k]) for k, _ in keys_names]
            labels = [nm for _, nm in keys_names]
            ax_err.bar(labels, errs)
            ax_err.set(yscale="log", ylabel="test error (MSE over all entries)", title=f"|Omega| = {first}")
            ax_rank.bar(labels, ranks)
            ax_rank.axhline(cfg.rank, color="gray", lw=0.8)
            ax_rank.set(ylabel="effective rank")
            for ax in (ax_err, ax_rank):
                ax.tick_params(axis="x", labelsize=7)


NOTE = Note(
    slug="matrix-completion",
    title="The form of the loss in matrix completion",
    claims=CLAIMS,
    config_cls=MatrixCompletionConfig,
    run=run,
    summary=(
        "Matrix completion has no inputs: the weight matrices W_1 ... W_N are the model and only the "
        "observed entries enter the loss. Following Arora, Cohen, Hu and Luo (2019) we complete a "
        "100 x 100 rank-5 matrix from 2000 (and 5000) random entries by plain gradient descent from a "
        "small initialisation at depths 1 to 3 (others can be set), and compare with nuclear-norm minimisation (cvxpy) and "
        "Soft-Impute: test error over all entries, effective rank, nuclear norm. A small problem checks "
        "the singular value law d sigma/dt proportional to sigma^(2-2/N) step by step, and the "
        "scale-invariant ratio penalty ||W||_*/||W||_F with Adam is tried on depth 1."
    ),
    links=("gradient-flow", "inductive-bias"),
    quick_decides=(
        "depth1-fits-seen",
        "depth2-like-nuclear",
        "depth3-recovers",
        "not-a-norm",
        "more-observations",
        "singular-value-law",
    ),
    packages=("cvxpy",),
)
