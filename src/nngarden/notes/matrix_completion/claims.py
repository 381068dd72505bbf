"""The judges: each claim's verdict from the measured results (means over seeds), no training."""

from __future__ import annotations

import math

from ...findings import Outcome
from . import FEW_OBSERVATIONS, MANY_OBSERVATIONS

NOT_CONVERGED = "a gradient descent run stopped at max_steps before its training loss reached tol"


def mean(values) -> float:
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else math.nan


def average(results: dict, count: int, method: str, key: str) -> float:
    """The mean of ``key`` over the seeds of ``method`` with ``count`` observations (nan when absent)."""
    return mean(r[key] for r in results["runs"][str(count)].get(method, []))


def converged(results: dict, count: int, methods) -> bool:
    runs = results["runs"][str(count)]
    return all(r.get("converged", True) for m in methods for r in runs.get(m, []))


def base_count(results: dict, cfg) -> int:
    """The paper's few observations when the preset ran them, else the first count it ran."""
    return FEW_OBSERVATIONS if str(FEW_OBSERVATIONS) in results["runs"] else cfg.observations[0]


def setting(results: dict, cfg) -> dict:
    """What the criterion says the numbers are about."""
    context = dict(seeds=cfg.seeds, n=cfg.n, rank=cfg.rank, observations=base_count(results, cfg))
    return {**context, "solver": cfg.solver}


def _decided(passed: bool, ok: bool, evidence: dict, context: dict) -> Outcome:
    """``passed`` when every gradient descent run converged, otherwise undecided with its evidence."""
    return Outcome(passed if ok else None, evidence, context, "" if ok else NOT_CONVERGED)


def depth1_fits_seen(results, t, cfg) -> Outcome:
    base = base_count(results, cfg)
    fraction = 1 - base / cfg.n**2
    test, observed = (
        average(results, base, "depth1", "test_error"),
        average(results, base, "depth1", "observed_error"),
    )
    evidence = {
        "depth1_test_error": test,
        "one_minus_fraction_observed": fraction,
        "depth1_observed_mse": observed,
    }
    passed = abs(test - fraction) < t.max_gap and observed < t.max_observed_mse
    return _decided(passed, converged(results, base, ["depth1"]), evidence, setting(results, cfg))


def depth2_like_nuclear(results, t, cfg) -> Outcome:
    base = base_count(results, cfg)
    t2, tn = average(results, base, "depth2", "test_error"), average(results, base, "nuclear", "test_error")
    factor = max(t2 / tn, tn / t2) if t2 > 0 and tn > 0 else math.nan
    evidence = {
        "depth2_test_error": t2,
        "nuclear_test_error": tn,
        "factor": factor,
        "depth2_effective_rank": average(results, base, "depth2", "effective_rank"),
        "nuclear_effective_rank": average(results, base, "nuclear", "effective_rank"),
    }
    return _decided(
        factor <= t.max_factor, converged(results, base, ["depth2"]), evidence, setting(results, cfg)
    )


def depth3_recovers(results, t, cfg) -> Outcome:
    base, deep = base_count(results, cfg), [d for d in cfg.depths if d >= 3]
    max_rank = cfg.rank + t.rank_margin
    evidence, passed = {}, True
    for d in deep:
        error = evidence[f"depth{d}_test_error"] = average(results, base, f"depth{d}", "test_error")
        rank = evidence[f"depth{d}_effective_rank"] = average(results, base, f"depth{d}", "effective_rank")
        passed &= error < t.max_test_error and rank < max_rank
    ok = converged(results, base, [f"depth{d}" for d in deep])
    return _decided(passed, ok, evidence, {**setting(results, cfg), "max_rank": f"{max_rank:g}"})


def not_a_norm(results, t, cfg) -> Outcome:
    base, deep = base_count(results, cfg), [d for d in cfg.depths if d >= 3]
    first = deep[0]
    deep_norm = average(results, base, f"depth{first}", "nuclear_norm")
    min_norm = average(results, base, "nuclear", "nuclear_norm")
    evidence = {
        f"depth{first}_nuclear_norm": deep_norm,
        "nuclear_min_nuclear_norm": min_norm,
        f"depth{first}_test_error": average(results, base, f"depth{first}", "test_error"),
        "nuclear_test_error": average(results, base, "nuclear", "test_error"),
    }
    ok = converged(results, base, [f"depth{d}" for d in deep])
    passed = deep_norm - min_norm > t.min_excess * min_norm
    return _decided(passed, ok, evidence, {**setting(results, cfg), "depth": first})


def more_observations(results, t, cfg) -> Outcome:
    many = MANY_OBSERVATIONS
    evidence = {f"depth{d}_test_error": average(results, many, f"depth{d}", "test_error") for d in cfg.depths}
    evidence["nuclear_test_error"] = average(results, many, "nuclear", "test_error")
    deeper = [evidence[f"depth{d}_test_error"] for d in cfg.depths if d >= 2] + [
        evidence["nuclear_test_error"]
    ]
    passed = (
        all(e < t.max_test_error for e in deeper) and evidence["depth1_test_error"] > t.min_depth1_test_error
    )
    ok = converged(results, many, [f"depth{d}" for d in cfg.depths])
    return _decided(passed, ok, evidence, {"seeds": cfg.seeds})


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
    first, deepest = cfg.observations[0], max(cfg.depths)
    test, rank = (
        average(results, first, "ratio_penalty", "test_error"),
        average(results, first, "ratio_penalty", "effective_rank"),
    )
    evidence = {
        "ratio_penalty_test_error": test,
        "ratio_penalty_effective_rank": rank,
        f"depth{deepest}_test_error": average(results, first, f"depth{deepest}", "test_error"),
        f"depth{deepest}_effective_rank": average(results, first, f"depth{deepest}", "effective_rank"),
        "penalty_weight": cfg.penalty_weight,
    }
    context = dict(weight=f"{cfg.penalty_weight:g}", lr=f"{cfg.penalty_lr:g}", steps=cfg.penalty_steps)
    context.update(observations=first, deepest=deepest)
    return Outcome(test < t.max_test_error and rank < cfg.rank + t.rank_margin, evidence, context)


JUDGES = {
    "depth1-fits-seen": depth1_fits_seen,
    "depth2-like-nuclear": depth2_like_nuclear,
    "depth3-recovers": depth3_recovers,
    "not-a-norm": not_a_norm,
    "more-observations": more_observations,
    "singular-value-law": singular_value_law,
    "penalty": penalty,
}
