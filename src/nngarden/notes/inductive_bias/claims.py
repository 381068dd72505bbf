"""The inductive-bias note's judges: each claim's verdict from the measured results (no training).

MNIST-1D accuracies are decided by 95% t intervals over seeds (the MLP's shuffle gap paired by seed);
the relational claims by Wilson intervals over held-out lists and the paired difference of the graph
network and the MLP on the same lists."""

from __future__ import annotations

from typing import Any

from ... import stats
from ...findings import Outcome, Thresholds
from .config import PUBLISHED, InductiveBiasConfig

# Symmetries each architecture has by construction: their errors must be float32 rounding.
EXACT_ERRORS = (
    "gn_nodes_error",
    "gn_edges_error",
    "gn_globals_error",
    "conv_shift_equivariance_error",
    "gru_delay_equivariance_error",
)
# Symmetries a dense layer breaks: their errors must be of the order of the outputs.
BROKEN_ERRORS = (
    "conv_dense_shift_invariance_error",
    "mlp_permutation_equivariance_error",
    "mlp_permutation_invariance_error",
)


def invariances(results: dict[str, Any], t: Thresholds, cfg: InductiveBiasConfig) -> Outcome:
    errors = results["invariances"]
    passed = all(errors[k] <= t.exact for k in EXACT_ERRORS) and all(
        errors[k] >= t.broken for k in BROKEN_ERRORS
    )
    context = {"exact_errors": ", ".join(EXACT_ERRORS), "broken_errors": ", ".join(BROKEN_ERRORS)}
    return Outcome(passed, dict(errors), context)


def finals(results: dict[str, Any], model: str, condition: str) -> list[float]:
    """The final accuracy of each seed of ``model`` in ``condition``, in seed order."""
    return [r["final"] for r in results["mnist1d"].get(f"{model}/{condition}", [])]


def inside(interval: stats.Interval, low: float, high: float) -> bool:
    """The whole interval within [low, high] (a two-sided bound)."""
    return stats.on_side(interval, low, "at_least") and stats.on_side(interval, high, "at_most")


def mnist1d(results: dict[str, Any], t: Thresholds, cfg: InductiveBiasConfig) -> Outcome:
    needed = ["logistic", "mlp", "cnn"] + (["gru"] if "gru" in cfg.models else [])
    if any(not finals(results, m, c) for m in needed for c in ("plain", "shuffled")):
        return Outcome.undecided(f"needs {', '.join(needed)} trained plain and shuffled")
    iv = {f"{m}_{c}": stats.t_interval(finals(results, m, c)) for m in needed for c in ("plain", "shuffled")}
    gap = stats.paired_t_interval(finals(results, "mlp", "shuffled"), finals(results, "mlp", "plain"))
    checks = [
        inside(
            iv["logistic_plain"],
            t.logistic_target - t.logistic_tolerance,
            t.logistic_target + t.logistic_tolerance,
        ),
        inside(iv["mlp_plain"], t.mlp_target - t.mlp_tolerance, t.mlp_target + t.mlp_tolerance),
        inside(gap, -t.mlp_max_shuffle_gap, t.mlp_max_shuffle_gap),
        stats.on_side(iv["cnn_plain"], t.cnn_min_plain, "at_least"),
        stats.on_side(iv["cnn_shuffled"], t.cnn_max_shuffled, "at_most"),
    ]
    if "gru" in needed:
        checks += [
            stats.on_side(iv["gru_plain"], t.gru_min_plain, "at_least"),
            stats.on_side(iv["gru_shuffled"], t.gru_max_shuffled, "at_most"),
        ]
    evidence: dict[str, float] = {}
    for name, interval in iv.items():
        evidence.update({k: v for k, v in interval.evidence(name).items() if k != "n_seeds"})
    evidence.update({k: v for k, v in gap.evidence("mlp_shuffle_gap").items() if k != "n_seeds"})
    for m in needed:
        evidence[f"{m}_n_seeds"] = len(finals(results, m, "plain"))
        evidence[f"{m}_published"], evidence[f"{m}_shuffled_published"] = PUBLISHED[m]
    counts = ", ".join(f"{m} {len(finals(results, m, 'plain'))}" for m in needed)
    return Outcome(all(checks), evidence, {"counts": f"seeds: {counts}; n - 1 df each"})


def sizes(pair) -> str:
    return f"{pair[0]}-{pair[1]}"


def relational_band(band: str):
    """The judge of the relational claim on ``band`` (near or far): the GN's Wilson bounds on the
    training sizes and on the band, and its paired difference from the MLP on the band's lists."""

    def judge(results: dict[str, Any], t: Thresholds, cfg: InductiveBiasConfig) -> Outcome:
        relational = results.get("relational")
        if not relational:
            return Outcome.undecided("the relational models were not trained")
        gn, mlp = relational["sort_gn"]["solved"], relational["sort_mlp"]["solved"]
        solved_in = stats.wilson_interval(sum(gn["in"]), len(gn["in"]))
        solved_band = stats.wilson_interval(sum(gn[band]), len(gn[band]))
        paired = stats.paired_proportions([bool(v) for v in gn[band]], [bool(v) for v in mlp[band]])
        evidence = {
            **solved_in.evidence("sort_gn_solved_in", "n_items"),
            **solved_band.evidence(f"sort_gn_solved_{band}", "n_items"),
            **paired.difference.evidence(f"gn_minus_mlp_{band}", "n_items"),
            "mcnemar_p": paired.mcnemar_p,
            f"sort_mlp_solved_{band}": sum(mlp[band]) / len(mlp[band]),
            "sort_mlp_solved_in": sum(mlp["in"]) / len(mlp["in"]),
            "train_steps": cfg.relational_steps,
        }
        if "path_gn" in relational:
            for b in ("in", band):
                solved = relational["path_gn"]["solved"][b]
                evidence[f"path_gn_solved_{b}"] = sum(solved) / len(solved)
        passed = (
            stats.on_side(solved_in, t.min_solved_in, "at_least")
            and stats.on_side(solved_band, t.min_solved_larger, "at_least")
            and stats.on_side(paired.difference, t.min_gap_to_mlp, "at_least")
        )
        context = dict(n_items=len(gn[band]), train=sizes(cfg.train_sizes), width=cfg.far_sizes[1])
        context.update(near=sizes(cfg.near_sizes), far=sizes(cfg.far_sizes))
        return Outcome(passed, evidence, context)

    return judge


JUDGES = {
    "invariances": invariances,
    "mnist1d": mnist1d,
    "relational-generalization": relational_band("near"),
    "relational-generalization-far": relational_band("far"),
}
