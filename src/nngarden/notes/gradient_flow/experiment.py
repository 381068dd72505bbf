"""The measurements: optimizers on worst-case convex problems, logistic regression and Lessard's
function, the Bregman-Lagrangian ODEs and their Euler discretizations, and an MLP on MNIST-1D.

Every optimizer run goes through fit(): the convex problems as a one-parameter module (the iterate x)
whose loss is f(x), measured in float64 on the CPU whatever the run's device (they are vectors of at
most 2N + 1 numbers, and the problem classes keep their data on the CPU); the MLP on the run's device.
"""

from __future__ import annotations

import math
from itertools import accumulate

import numpy as np
import torch
from scipy.signal import lfilter
from torch import nn

from ...data.mnist1d import load_mnist1d
from ...optim import (
    BregmanNaive,
    BregmanRateMatching,
    HeavyBall,
    LessardFunction,
    LogisticRegression,
    NesterovConvex,
    Quadratic1D,
    WorstCaseQuadratic,
    euler_discretization,
    predicted_divergence_time,
    solve_bregman_ode,
)
from ...train.fit import NonFiniteLoss, fit
from .claims import MLP_KEYS, divergence_summary, mlp_summary, rate_summary, reddi_summary, same_path_summary
from .config import GradientFlowConfig

CONVEX_DEVICE = "cpu"

# --- optimizers on an objective f(x) ---------------------------------------------------------------


class _Point(nn.Module):
    """The iterate x as a module, so that fit() runs an optimizer on f(x)."""

    def __init__(self, x0: torch.Tensor):
        super().__init__()
        self.x = nn.Parameter(x0.clone())


class _StepsOnObjective:
    """An optimizer whose step needs the objective itself, as fit() drives it.

    BregmanRateMatching differentiates f on its own, at x_k and at y_k, so it takes ``step(closure)``;
    fit() calls ``step()`` after its backward pass, which this method does not use.
    """

    def __init__(self, optimizer: torch.optim.Optimizer, objective):
        self.optimizer, self.objective = optimizer, objective
        self.param_groups = optimizer.param_groups

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.optimizer.zero_grad(set_to_none=set_to_none)

    def step(self):
        return self.optimizer.step(self.objective)


def iterate(optimizer, x: torch.Tensor) -> torch.Tensor:
    """The iterate the method's theorem is about (x_k for Nesterov, y_k for rate matching)."""
    if hasattr(optimizer, "guaranteed_iterates"):
        return optimizer.guaranteed_iterates()[0]
    return x.detach()


def minimise(f, x0, make_optimizer, steps: int, *, observe=None, needs_objective: bool = False):
    """``steps`` updates of ``make_optimizer([x])`` on f from x0: (final iterate, observations, diverged).

    ``observe(x)`` sees the guaranteed iterate after every step k = 0 .. steps (observations[k]). A
    non-finite loss stops the run before the bad update (``diverged``; the observations end there).
    """
    point = _Point(x0)
    optimizer = make_optimizer([point.x])
    driven = _StepsOnObjective(optimizer, lambda: f(point.x)) if needs_objective else optimizer
    observations: list = []
    evaluate = None
    if observe is not None:

        def evaluate(model):
            observations.append(observe(iterate(optimizer, model.x)))
            return {}

    try:
        fit(
            point,
            lambda model, batch: f(model.x),
            lambda step: None,
            lambda params: driven,
            steps=steps,
            device=CONVEX_DEVICE,
            evaluate=evaluate,
            eval_every=1 if observe is not None else 0,
        )
        diverged = False
    except NonFiniteLoss:
        diverged = True
    with torch.no_grad():
        return iterate(optimizer, point.x).clone(), observations, diverged


def methods(L: float, cfg: GradientFlowConfig) -> dict:
    """The first-order methods compared on the worst-case family: name -> (factory, needs_objective)."""
    return {
        "gradient descent": (lambda ps: torch.optim.SGD(ps, lr=1 / L), False),
        "Nesterov k/(k+3)": (lambda ps: NesterovConvex(ps, lr=1 / L), False),
        "heavy ball (0.9)": (lambda ps: HeavyBall(ps, lr=1 / L, momentum=0.9), False),
        "Bregman naive p=2": (lambda ps: BregmanNaive(ps, lr=1 / L, p=2, C=cfg.C), False),
        f"Bregman naive p=3 (eps={cfg.naive_p3_eps:g}/L)": (
            lambda ps: BregmanNaive(ps, lr=cfg.naive_p3_eps / L, p=3, C=cfg.C),
            False,
        ),
        "Bregman rate-matching p=2": (lambda ps: BregmanRateMatching(ps, lr=1 / L, p=2, C=cfg.C), True),
    }


def _final_gap(problem, make, steps: int, needs_objective: bool = False) -> float:
    """f(x_N) - f* at the guaranteed iterate; nan when the run diverged."""
    x, _, diverged = minimise(problem.f, problem.x0(), make, steps, needs_objective=needs_objective)
    gap = float(problem.f(x)) - problem.f_star
    return gap if math.isfinite(gap) and not diverged else float("nan")


# --- stage (a): rates on per-N worst cases ---------------------------------------------------------


def rates(cfg: GradientFlowConfig, ctx) -> dict:
    L = cfg.L
    out = {"N": list(cfg.horizons), "gd_1d_constant": [], "worst": {}, "adam_constant": [], "adam_lr": []}
    for N in cfg.horizons:
        problem = WorstCaseQuadratic(N, L)
        scale = L * problem.r2
        for name, (make, needs_objective) in methods(L, cfg).items():
            out["worst"].setdefault(name, []).append(_final_gap(problem, make, N, needs_objective) / scale)
        best, best_lr = float("inf"), float("nan")
        for lr in cfg.adam_lrs:  # Adam tuned at each horizon: the best of the grid for this N
            gap = _final_gap(problem, lambda ps, lr=lr: torch.optim.Adam(ps, lr=lr), N) / scale
            if gap < best:
                best, best_lr = gap, lr
        out["adam_constant"].append(N * N * best)
        out["adam_lr"].append(best_lr)
        quad = Quadratic1D.tight_for_gd(N, L)
        gap = _final_gap(quad, lambda ps: torch.optim.SGD(ps, lr=1 / L), N)
        out["gd_1d_constant"].append(N * gap / (L * quad.x_start**2))
        nesterov = out["worst"]["Nesterov k/(k+3)"][-1] * N * N
        ctx.log(
            N,
            nesterov_constant=nesterov,
            gd_constant=out["gd_1d_constant"][-1],
            adam_constant=out["adam_constant"][-1],
        )
    return out


def logistic(cfg: GradientFlowConfig) -> dict:
    """Every method (and Adam at its best step size) on generated logistic regression."""
    problem = LogisticRegression(cfg.logistic_samples, cfg.logistic_dim, seed=cfg.seed)
    K = cfg.logistic_iters
    marks = sorted(set(np.unique(np.geomspace(1, K, 60).astype(int)).tolist()))
    runs = dict(methods(problem.L, cfg))
    runs["Bregman rate-matching p=3 (eps=1)"] = (
        lambda ps: BregmanRateMatching(ps, lr=1.0, p=3, C=cfg.C),
        True,
    )
    for lr in cfg.adam_lrs:
        runs[f"Adam lr={lr:g}"] = (lambda ps, lr=lr: torch.optim.Adam(ps, lr=lr), False)
    curves = {}
    for name, (make, needs_objective) in runs.items():
        steps = min(K, 300) if "p=3 (eps=1)" in name else K  # a Newton-type step per iteration: cap it
        _, gaps, _ = minimise(
            problem.f,
            problem.x0(),
            make,
            steps,
            observe=lambda x: float(problem.f(x)) - problem.f_star,
            needs_objective=needs_objective,
        )
        ks = [k for k in marks if k <= steps]
        curves[name] = {"k": ks, "gap": [gaps[k] if k < len(gaps) else float("nan") for k in ks]}
    adam = {n: c for n, c in curves.items() if n.startswith("Adam")}
    best_adam = min(adam, key=lambda n: adam[n]["gap"][-1] if math.isfinite(adam[n]["gap"][-1]) else 1e300)
    curves = {n: c for n, c in curves.items() if not n.startswith("Adam") or n == best_adam}
    return {"L": problem.L, "f_star": problem.f_star, "curves": curves, "best_adam": best_adam}


# --- stage (b): one path at many speeds ------------------------------------------------------------


def same_path(cfg: GradientFlowConfig) -> dict:
    problem = WorstCaseQuadratic(cfg.ode_problem_n, cfg.L)

    def grad(x):
        return problem.grad(torch.from_numpy(np.array(x))).numpy()

    def gap(x):
        return float(problem.f(torch.from_numpy(np.array(x)))) - problem.f_star

    x0 = problem.x0().numpy()
    s0 = 1e-3
    s = np.geomspace(10 * s0, cfg.ode_horizon, 300)
    paths, out = {}, {"s": s.tolist(), "bound": problem.r2 / (2 * cfg.C), "paths": {}}
    for p in cfg.ode_powers:
        t = s ** (2 / p)
        t[-1] = max(t[-1], s[-1] ** (2 / p))
        sol = solve_bregman_ode(
            grad,
            x0,
            p,
            cfg.C,
            float(t[-1]) * (1 + 1e-12),
            t0=s0 ** (2 / p),
            t_eval=t,
            rtol=cfg.ode_rtol,
            atol=cfg.ode_atol,
        )
        paths[p] = sol.x
        gaps = [gap(x) for x in sol.x]
        out["paths"][str(p)] = {
            "t": sol.t.tolist(),
            "gap": gaps,
            "nfev": sol.nfev,
            "max_scaled_gap": float(np.max(sol.t**p * np.array(gaps))),
        }
    r = math.sqrt(problem.r2)
    out["max_deviation"] = {
        str(p): float(np.max(np.abs(paths[p] - paths[2]))) / r for p in cfg.ode_powers if p != 2
    }
    return out


# --- stage (c): where the discretization breaks ----------------------------------------------------


def divergence(cfg: GradientFlowConfig) -> dict:
    L, C = cfg.L, cfg.C

    def grad(x):  # f = L x^2 / 2: the top eigen-direction of any L-smooth quadratic
        return L * x

    x0, xs = np.array([1.0]), np.zeros(1)
    out = {"runs": {}, "p2": {}}
    for p in cfg.euler_powers:
        rows = []
        for h in cfg.euler_steps:
            t_pred = predicted_divergence_time(p, C, L, h)
            horizon = 5 * t_pred + 10
            every = max(1, int(round(t_pred / h / 400)))
            semi = euler_discretization(grad, x0, xs, p, C, h, horizon, record_every=every)
            fwd = euler_discretization(grad, x0, xs, p, C, h, horizon, scheme="forward", record_every=every)
            rows.append(
                {
                    "h": h,
                    "t_pred": t_pred,
                    "t_div": semi.t_div,
                    "t_div_forward": fwd.t_div,
                    "t": semi.t.tolist(),
                    "dist": np.minimum(semi.dist, 1e300).tolist(),
                }
            )
        out["runs"][str(p)] = rows
    h = cfg.euler_p2_step
    run = euler_discretization(
        grad, x0, xs, 2, C, h, cfg.euler_p2_horizon, record_every=max(1, int(cfg.euler_p2_horizon / h / 400))
    )
    out["p2"] = {
        "h": h,
        "t_div": run.t_div,
        "final_dist": float(run.dist[-1]),
        "max_dist_after_start": float(np.max(run.dist[1:])),
        "t": run.t.tolist(),
        "dist": run.dist.tolist(),
        "horizon": cfg.euler_p2_horizon,
    }
    return out


# --- stage (d): heavy ball on Lessard's function ---------------------------------------------------


def heavy_ball(cfg: GradientFlowConfig) -> dict:
    """Heavy ball, gradient descent and Nesterov from each starting point (the claim's instances)."""
    F = LessardFunction()
    lr, momentum = F.heavy_ball_tuning
    makers = {
        "heavy ball": lambda ps: HeavyBall(ps, lr=lr, momentum=momentum),
        "gradient descent": lambda ps: torch.optim.SGD(ps, lr=1 / F.L),
        "Nesterov k/(k+3)": lambda ps: NesterovConvex(ps, lr=1 / F.L),
    }
    out = {"lr": lr, "momentum": momentum, "starts": {}}
    for start in cfg.lessard_starts:
        paths = {}
        for name, make in makers.items():
            x0 = torch.tensor([start], dtype=torch.float64)
            _, path, _ = minimise(F.f, x0, make, cfg.lessard_iters, observe=lambda x: float(x[0]))
            paths[name] = path  # x_0, x_1, ..., x_K
        out["starts"][f"{start:g}"] = paths
    return out


# --- stage (e): Reddi, Kale and Kumar's stochastic counterexample to Adam ---------------------------

REDDI_BIG, REDDI_SMALL, REDDI_P = 1010.0, -10.0, 0.01  # f_t(x) = 1010 x with probability 0.01, else -10 x
REDDI_BETAS = (0.9, 0.99)
REDDI_METHODS = ("Adam", "AMSGrad", "SGD")
REDDI_CHUNK = 1_000_000  # steps held in memory at once


def reddi_directions(
    g: np.ndarray, alpha: float, sgd_alpha: float, first_step: int = 1, state: dict | None = None
) -> dict:
    """Each method's unprojected update at steps first_step .. first_step + len(g) - 1 from the gradients g.

    The gradients of linear f_t do not depend on x, so the moment estimates are linear filters of g and
    g^2 (as in Reddi et al.: no bias correction, no epsilon; v_t > 0 since g never vanishes), and only
    the projection onto [-1, 1] is sequential. SGD is not scale-invariant, so it has its own alpha.
    ``state`` (the filters' memory and the running max of v) carries over from the previous chunk.
    """
    beta1, beta2 = REDDI_BETAS
    state = state if state is not None else {"m": np.zeros(1), "v": np.zeros(1), "v_max": 0.0}
    m, state["m"] = lfilter([1 - beta1], [1, -beta1], g, zi=state["m"])
    v, state["v"] = lfilter([1 - beta2], [1, -beta2], g * g, zi=state["v"])
    v_max = np.maximum.accumulate(np.maximum(v, state["v_max"]))
    state["v_max"] = float(v_max[-1])
    schedule = 1 / np.sqrt(np.arange(first_step, first_step + len(g), dtype=float))
    return {
        "Adam": -alpha * schedule * m / np.sqrt(v),
        "AMSGrad": -alpha * schedule * m / np.sqrt(v_max),
        "SGD": -sgd_alpha * schedule * g,
    }


def _clip_step(x: float, d: float) -> float:
    return min(1.0, max(-1.0, x + d))


def projected_walk(directions: np.ndarray, x0: float, record: np.ndarray) -> tuple[float, list[float]]:
    """x_{k+1} = clip(x_k + d_k, -1, 1) from x0: (x after every step, [x_k for k in record]), 0 < k < n.

    Exact and fast: over a run of updates of one sign the walk is monotone, so only the bound it moves
    towards can bind, and the run's clipped sum equals the sequence of clipped steps. The walk is cut
    into such runs (and at the recorded steps), and only the runs are visited one by one.
    """
    positive = directions > 0
    changes = np.flatnonzero(positive[1:] != positive[:-1]) + 1
    starts = np.union1d(np.concatenate(([0], changes)), record)
    xs = list(accumulate(np.add.reduceat(directions, starts).tolist(), _clip_step, initial=x0))
    at = np.searchsorted(starts, record)
    return xs[-1], [xs[i] for i in at]


def reddi_seed(cfg: GradientFlowConfig, rng: np.random.Generator, marks: np.ndarray) -> dict:
    """One gradient sequence, shared by the three methods: each one's x_T and x_t at ``marks``."""
    x = {method: 0.0 for method in REDDI_METHODS}
    paths: dict[str, list[float]] = {method: [] for method in REDDI_METHODS}
    state = {"m": np.zeros(1), "v": np.zeros(1), "v_max": 0.0}  # m_0 = v_0 = 0
    for done in range(0, cfg.reddi_steps, REDDI_CHUNK):
        n = min(REDDI_CHUNK, cfg.reddi_steps - done)
        g = np.where(rng.random(n) < REDDI_P, REDDI_BIG, REDDI_SMALL)
        directions = reddi_directions(g, cfg.reddi_alpha, cfg.reddi_sgd_alpha, done + 1, state)
        inside = marks[(marks > done) & (marks < done + n)] - done  # steps taken within this chunk
        ends_here = bool(np.any(marks == done + n))
        for method, d in directions.items():
            x[method], recorded = projected_walk(d, x[method], inside)
            paths[method] += recorded + ([x[method]] if ends_here else [])
    return {"final_x": x, "paths": paths}


def reddi(cfg: GradientFlowConfig) -> dict:
    """Final iterates of Adam, AMSGrad and SGD over ``reddi_seeds`` independent gradient sequences, and
    their paths at about 200 log-spaced steps."""
    marks = np.unique(np.geomspace(1, cfg.reddi_steps, 200).astype(int))
    out = {
        "t": marks.tolist(),
        "final_x": {m: [] for m in REDDI_METHODS},
        "paths": {m: [] for m in REDDI_METHODS},
    }
    for seed in np.random.SeedSequence(cfg.seed).spawn(cfg.reddi_seeds):
        run = reddi_seed(cfg, np.random.default_rng(seed), marks)
        for method in REDDI_METHODS:
            out["final_x"][method].append(run["final_x"][method])
            out["paths"][method].append(run["paths"][method])
    return out


# --- stage (f): Adam and the others on an MLP for MNIST-1D -----------------------------------------

MLP_OPTIMIZERS = {
    "gradient descent": lambda params, lr: torch.optim.SGD(params, lr=lr),
    "Nesterov k/(k+3)": lambda params, lr: NesterovConvex(params, lr=lr),
    "Adam": lambda params, lr: torch.optim.Adam(params, lr=lr),
}


def _mnist1d(cfg: GradientFlowConfig, device: str) -> tuple[torch.Tensor, ...]:
    """Standardised MNIST-1D (train statistics) on ``device``: X, y, X_test, y_test."""
    data = load_mnist1d(cfg.mlp_samples, seed=42 + cfg.seed)  # the paper's seed 42, shifted by the run's
    X, Xt = torch.tensor(data["x"]), torch.tensor(data["x_test"])
    mean, std = X.mean(0), X.std(0) + 1e-6
    X, Xt = (X - mean) / std, (Xt - mean) / std
    return tuple(t.to(device) for t in (X, torch.tensor(data["y"]), Xt, torch.tensor(data["y_test"])))


def train_mlp(cfg: GradientFlowConfig, data, method: str, lr: float, seed: int, ctx) -> dict:
    """Full-batch training (the deterministic setting of the theory) from ``seed``'s initialisation."""
    X, y, Xt, yt = data
    torch.manual_seed(seed)
    model = nn.Sequential(
        nn.Linear(X.shape[1], cfg.mlp_hidden),
        nn.ReLU(),
        nn.Linear(cfg.mlp_hidden, cfg.mlp_hidden),
        nn.ReLU(),
        nn.Linear(cfg.mlp_hidden, 10),
    )
    optimizer = MLP_OPTIMIZERS[method](list(model.parameters()), lr)
    losses: list[float] = []

    def loss_fn(model, batch):
        loss = nn.functional.cross_entropy(model(batch[0]), batch[1])
        losses.append(float(loss.detach()))  # every step's loss, for the learning curve
        return loss

    diverged = False
    try:
        fit(
            model,
            loss_fn,
            lambda step: (X, y),
            optimizer,
            steps=cfg.mlp_steps,
            device=ctx.device,
            log=ctx.log,
            tag=f"mlp-{MLP_KEYS[method]}-lr{lr:g}-seed{seed}",
        )
    except NonFiniteLoss:
        diverged = True  # reported as an infinite final loss, so never the best step size
    if hasattr(optimizer, "load_guaranteed_iterates"):
        optimizer.load_guaranteed_iterates()
    with torch.no_grad():
        final = float(nn.functional.cross_entropy(model(X), y))
        acc = float((model(Xt).argmax(1) == yt).float().mean())
    if diverged or not math.isfinite(final):
        final = float("inf")
    return {"final_loss": final, "test_acc": acc, "losses": losses}


def mlp(cfg: GradientFlowConfig, ctx) -> dict:
    """Each method at its best step size (tuned on seed 0's final training loss), over ``mlp_seeds``."""
    data = _mnist1d(cfg, ctx.device)
    grids = {
        "gradient descent": cfg.mlp_lrs_gd,
        "Nesterov k/(k+3)": cfg.mlp_lrs_nesterov,
        "Adam": cfg.mlp_lrs_adam,
    }
    out = {}
    for method, lrs in grids.items():
        tried = {lr: train_mlp(cfg, data, method, lr, cfg.seed, ctx) for lr in lrs}
        best_lr = min(tried, key=lambda lr: tried[lr]["final_loss"])
        runs = [tried[best_lr]]
        runs += [train_mlp(cfg, data, method, best_lr, cfg.seed + i, ctx) for i in range(1, cfg.mlp_seeds)]
        finals = np.array([r["final_loss"] for r in runs])
        accs = np.array([r["test_acc"] for r in runs])
        out[method] = {
            "lr": best_lr,
            "final_loss": float(finals.mean()),
            "final_loss_std": float(finals.std()),
            "test_acc": float(accs.mean()),
            "test_acc_std": float(accs.std()),
            "losses": runs[0]["losses"],
            "tried": {str(lr): r["final_loss"] for lr, r in tried.items()},
        }
    return out


# --- the note's measurements -----------------------------------------------------------------------


def measure(cfg: GradientFlowConfig, ctx) -> dict:
    return {
        "rates": ctx.stage("rates", lambda: rates(cfg, ctx)),
        "logistic": ctx.stage("logistic", lambda: logistic(cfg)),
        "same_path": ctx.stage("same_path", lambda: same_path(cfg)),
        "divergence": ctx.stage("divergence", lambda: divergence(cfg)),
        "heavy_ball": ctx.stage("heavy_ball", lambda: heavy_ball(cfg)),
        "reddi": ctx.stage("reddi", lambda: reddi(cfg)),
        "mlp": ctx.stage("mlp", lambda: mlp(cfg, ctx)),
    }


def metrics(cfg: GradientFlowConfig, results: dict) -> dict[str, float]:
    summary = rate_summary(results["rates"])
    out = {
        "nesterov_N2_constant": summary["nesterov_constant"],
        "gd_N_constant": summary["gd_constant"],
        "slope_nesterov": summary["slope_nesterov"],
        "slope_gd": summary["slope_gd"],
        "same_path_max_deviation": same_path_summary(results["same_path"])["max_deviation_relative_to_R"],
        "adam_slope_worst_case": summary["adam_slope_worst_case"],
    }
    reported = divergence_summary(results["divergence"], cfg)
    out.update({k: reported[k] for k in ("p4_h0.1_t_div", "p4_h0.1_t_star") if k in reported})
    out.update({k: v for k, v in mlp_summary(results["mlp"]).items() if not k.endswith("_lr")})
    out.update({f"reddi_{k}": v for k, v in reddi_summary(results["reddi"]).items() if k.endswith("final_x")})
    return out
