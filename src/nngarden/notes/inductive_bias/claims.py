"""The inductive-bias note's judges: each claim's verdict from the measured results (no training)."""

from __future__ import annotations

from typing import Any

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


def mnist1d(results: dict[str, Any], t: Thresholds, cfg: InductiveBiasConfig) -> Outcome:
    acc = results["mnist1d_accuracy"]
    needed = ["logistic", "mlp", "cnn"] + (["gru"] if "gru" in cfg.models else [])
    if any(f"{m}_plain" not in acc or f"{m}_shuffled" not in acc for m in needed):
        return Outcome.undecided(f"needs {', '.join(needed)} trained plain and shuffled")
    checks = [
        abs(acc["logistic_plain"] - t.logistic_target) <= t.logistic_tolerance,
        abs(acc["mlp_plain"] - t.mlp_target) <= t.mlp_tolerance,
        abs(acc["mlp_shuffled"] - acc["mlp_plain"]) <= t.mlp_max_shuffle_gap,
        acc["cnn_plain"] >= t.cnn_min_plain,
        acc["cnn_shuffled"] <= t.cnn_max_shuffled,
    ]
    if "gru" in needed:
        checks += [acc["gru_plain"] >= t.gru_min_plain, acc["gru_shuffled"] <= t.gru_max_shuffled]
    evidence = {k: v for k, v in acc.items() if not k.endswith("_spread")}
    evidence["mlp_shuffle_gap"] = acc["mlp_shuffled"] - acc["mlp_plain"]
    for m in needed:
        evidence[f"{m}_published"], evidence[f"{m}_shuffled_published"] = PUBLISHED[m]
    return Outcome(all(checks), evidence)


def relational_generalization(results: dict[str, Any], t: Thresholds, cfg: InductiveBiasConfig) -> Outcome:
    relational = results.get("relational")
    if not relational:
        return Outcome.undecided("the relational models were not trained")
    gn, mlp = relational["sort_gn"], relational["sort_mlp"]
    evidence = {
        "sort_gn_solved_in_distribution": gn["solved_in"],
        "sort_gn_solved_larger": gn["solved_larger"],
        "sort_mlp_solved_in_distribution": mlp["solved_in"],
        "sort_mlp_longest_list": mlp["max_length"],
        "train_steps": cfg.relational_steps,
    }
    if "path_gn" in relational:
        evidence["path_gn_solved_in_distribution"] = relational["path_gn"]["solved_in"]
        evidence["path_gn_solved_larger"] = relational["path_gn"]["solved_larger"]
    passed = (
        gn["solved_in"] >= t.min_solved_in
        and gn["solved_larger"] >= t.min_solved_larger
        and mlp["solved_in"] <= gn["solved_in"] - t.min_gap_to_mlp
    )
    return Outcome(passed, evidence)


JUDGES = {
    "invariances": invariances,
    "mnist1d": mnist1d,
    "relational-generalization": relational_generalization,
}
