"""The judges: each claim's verdict from the measured results, no training.

Findings are decided by 95% t intervals over seeds (each seed its own target and observed entries, the
methods compared on the same ones): on log10 of test errors, which span orders of magnitude, on the log
of the depth-2 / minimiser error ratio, on effective ranks and on relative nuclear-norm excesses.
"""

from __future__ import annotations

import math

from ... import stats
from ...findings import Outcome
from .config import MANY_OBSERVATIONS

NOT_CONVERGED = "a gradient descent run stopped at max_steps before its training loss reached tol"


def mean(values) -> float:
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else math.nan


def per_seed(results: dict, count: int, method: str, key: str) -> list[float]:
    """``key`` of ``method`` with ``count`` observations, one value per seed (empty when absent)."""
    return [r[key] for r in results["runs"][str(count)].get(method, [])]


def average(results: dict, count: int, method: str, key: str) -> float:
    """The mean of ``key`` over the seeds of ``method`` with ``count`` observations (nan when absent)."""
    return mean(per_seed(results, count, method, key))


def log10_all(values) -> list[float]:
    """log10 of each value; nan for a value <= 0 (not finite, so the claim cannot be decided)."""
    return [math.log10(v) if v > 0 else math.nan for v in values]


def converged(results: dict, count: int, methods) -> bool:
    runs = results["runs"][str(count)]
    return all(r.get("converged", True) for m in methods for r in runs.get(m, []))


def setting(results: dict, cfg) -> dict:
    """What the criterion says the numbers are about."""
    context = dict(seeds=cfg.seeds, n=cfg.n, rank=cfg.rank, observations=cfg.base_observations)
    return {**context, "solver": cfg.solver, "eps": cfg.solver_eps, "n_seeds": cfg.seeds, "df": cfg.seeds - 1}


def _decided(passed: bool, ok: bool, evidence: dict, context: dict) -> Outcome:
    """``passed`` when every gradient descent run converged, otherwise undecided with its evidence."""
    return Outcome(passed if ok else None, evidence, context, "" if ok else NOT_CONVERGED)


def depth1_fits_seen(results, t, cfg) -> Outcome:
    base = cfg.base_observations
    fraction = 1 - base / cfg.n**2
    test, observed = (
        average(results, base, "depth1", "test_error"),
        average(results, base, "depth1", "observed_error"),
    )
    evidence = {
        "depth1_test_error": test,
        "one_minus_fraction_observed": fraction,
        "depth1_observed_mse": observed,
        "depth1_unobserved_mse": average(results, base, "depth1", "unobserved_error"),
    }
    passed = abs(test - fraction) < t.max_gap and observed < t.max_observed_mse
    return _decided(passed, converged(results, base, ["depth1"]), evidence, setting(results, cfg))


def depth2_like_nuclear(results, t, cfg) -> Outcome:
    base = cfg.base_observations
    d2, nuc = (
        per_seed(results, base, "depth2", "test_error"),
        per_seed(results, base, "nuclear", "test_error"),
    )
    log_ratio = stats.t_interval([math.log(a / b) if a > 0 and b > 0 else math.nan for a, b in zip(d2, nuc)])
    bound = math.log(t.max_factor)
    evidence = {
        **log_ratio.evidence("ln_error_ratio"),
        "geometric_mean_factor": math.exp(log_ratio.estimate),
        "depth2_test_error": mean(d2),
        "nuclear_test_error": mean(nuc),
        "depth2_unobserved_mse": average(results, base, "depth2", "unobserved_error"),
        "nuclear_unobserved_mse": average(results, base, "nuclear", "unobserved_error"),
        "depth2_effective_rank": average(results, base, "depth2", "effective_rank"),
        "nuclear_effective_rank": average(results, base, "nuclear", "effective_rank"),
    }
    passed = stats.on_side(log_ratio, -bound, "above") and stats.on_side(log_ratio, bound, "below")
    return _decided(passed, converged(results, base, ["depth2"]), evidence, setting(results, cfg))


def depth3_recovers(results, t, cfg) -> Outcome:
    base, deep = cfg.base_observations, [d for d in cfg.depths if d >= 3]
    max_rank = cfg.rank + t.rank_margin
    evidence, passed = {}, True
    for d in deep:
        error = stats.t_interval(log10_all(per_seed(results, base, f"depth{d}", "test_error")))
        rank = stats.t_interval(per_seed(results, base, f"depth{d}", "effective_rank"))
        evidence.update(error.evidence(f"depth{d}_log10_test_error"))
        evidence.update(rank.evidence(f"depth{d}_effective_rank"))
        passed &= stats.on_side(error, math.log10(t.max_test_error), "below")
        passed &= stats.on_side(rank, max_rank, "below")
    ok = converged(results, base, [f"depth{d}" for d in deep])
    return _decided(passed, ok, evidence, {**setting(results, cfg), "max_rank": f"{max_rank:g}"})


def relative_excess(results: dict, count: int, depth: int, corrected: bool = False) -> list[float]:
    """Per seed, (||W_depth||_* - ||X_min||_*) / ||X_min||_*; ``corrected`` adds the nuclear norm of
    W's residual on the observed entries, which makes W an exact interpolant."""
    norms = per_seed(results, count, f"depth{depth}", "nuclear_norm")
    residuals = per_seed(results, count, f"depth{depth}", "residual_nuclear_norm") if corrected else None
    minima = per_seed(results, count, "nuclear", "nuclear_norm")
    return [(w + (residuals[i] if corrected else 0.0) - x) / x for i, (w, x) in enumerate(zip(norms, minima))]


def not_a_norm(results, t, cfg) -> Outcome:
    base, deep = cfg.base_observations, [d for d in cfg.depths if d >= 3]
    first = deep[0]
    excess = stats.t_interval(relative_excess(results, base, first))
    evidence = {
        **excess.evidence(f"depth{first}_relative_excess"),
        f"depth{first}_nuclear_norm": average(results, base, f"depth{first}", "nuclear_norm"),
        "nuclear_min_nuclear_norm": average(results, base, "nuclear", "nuclear_norm"),
        f"depth{first}_test_error": average(results, base, f"depth{first}", "test_error"),
        "nuclear_test_error": average(results, base, "nuclear", "test_error"),
    }
    ok = converged(results, base, [f"depth{d}" for d in deep])
    passed = stats.on_side(excess, t.min_excess, "above")
    return _decided(passed, ok, evidence, {**setting(results, cfg), "depth": first})


def not_a_norm_check(results, t, cfg) -> Outcome:
    base = cfg.base_observations
    depths = [d for d in cfg.depths if d >= 2]
    evidence, worst = {}, math.inf
    for d in depths:
        evidence.update(
            stats.t_interval(relative_excess(results, base, d)).evidence(f"depth{d}_relative_excess")
        )
        corrected = relative_excess(results, base, d, corrected=True)
        evidence[f"depth{d}_worst_corrected_excess"] = min(corrected)
        worst = min(worst, *corrected)
    statuses = [r.get("status", "optimal") for r in results["runs"][str(base)].get("nuclear", [])]
    evidence["solver_optimal_runs"] = sum(s == "optimal" for s in statuses)
    evidence["n_seeds"] = len(statuses)
    passed = worst >= -t.tolerance and all(s == "optimal" for s in statuses)
    return Outcome(passed, evidence, setting(results, cfg))


def more_observations(results, t, cfg) -> Outcome:
    many = MANY_OBSERVATIONS
    methods = [f"depth{d}" for d in cfg.depths if d >= 2] + ["nuclear"]
    evidence, passed = {}, True
    for method in methods:
        error = stats.t_interval(log10_all(per_seed(results, many, method, "test_error")))
        evidence.update(error.evidence(f"{method}_log10_test_error"))
        passed &= stats.on_side(error, math.log10(t.max_test_error), "below")
    shallow = stats.t_interval(per_seed(results, many, "depth1", "test_error"))
    evidence.update(shallow.evidence("depth1_test_error"))
    passed &= stats.on_side(shallow, t.min_depth1_test_error, "above")
    ok = converged(results, many, [f"depth{d}" for d in cfg.depths])
    return _decided(passed, ok, evidence, {"n_seeds": cfg.seeds, "df": cfg.seeds - 1})


def singular_value_law(results, t, cfg) -> Outcome:
    evidence, passed = {}, True
    for d, res in results["law"].items():
        evidence[f"depth{d}_relative_error"] = res["relative_error"]
        evidence[f"depth{d}_exponent"] = res["exponent"]
        exponent_error = abs(res["exponent"] - (2 - 2 / int(d)))
        passed &= res["relative_error"] < t.max_relative_error and exponent_error < t.max_exponent_error
    depths = sorted(int(d) for d in results["law"])
    context = dict(law_n=cfg.law_n, law_rank=cfg.law_rank, law_observations=cfg.law_observations)
    context.update(law_steps=cfg.law_steps, law_depths=f"{depths[0]}-{depths[-1]}")
    return Outcome(passed, evidence, context)


def penalty(results, t, cfg) -> Outcome:
    base, deepest = cfg.base_observations, max(cfg.depths)
    error = stats.t_interval(log10_all(per_seed(results, base, "ratio_penalty", "test_error")))
    rank = stats.t_interval(per_seed(results, base, "ratio_penalty", "effective_rank"))
    evidence = {
        **error.evidence("ratio_penalty_log10_test_error"),
        **rank.evidence("ratio_penalty_effective_rank"),
        f"depth{deepest}_test_error": average(results, base, f"depth{deepest}", "test_error"),
        f"depth{deepest}_effective_rank": average(results, base, f"depth{deepest}", "effective_rank"),
        "penalty_weight": cfg.penalty_weight,
    }
    context = dict(weight=f"{cfg.penalty_weight:g}", lr=f"{cfg.penalty_lr:g}", steps=cfg.penalty_steps)
    context.update(observations=base, deepest=deepest, n_seeds=cfg.seeds, df=cfg.seeds - 1)
    passed = stats.on_side(error, math.log10(t.max_test_error), "below")
    passed &= stats.on_side(rank, cfg.rank + t.rank_margin, "below")
    return Outcome(passed, evidence, context)


JUDGES = {
    "depth1-fits-seen": depth1_fits_seen,
    "depth2-like-nuclear": depth2_like_nuclear,
    "depth3-recovers": depth3_recovers,
    "not-a-norm": not_a_norm,
    "not-a-norm-check": not_a_norm_check,
    "more-observations": more_observations,
    "singular-value-law": singular_value_law,
    "penalty": penalty,
}
