"""The transformers note's judges: each claim's verdict from the measured results and its thresholds."""

from __future__ import annotations

from nngarden.findings import Outcome, Thresholds
from nngarden.stats import on_side, t_interval

from .config import TransformersConfig

CONVEX_EVIDENCE = (
    "min_weight",
    "max_row_sum_error",
    "max_empty_row_sum",
    "max_hull_violation",
    "fast_vs_explicit",
    "empty_rows",
    "rows",
)


def convex_combination(results: dict, t: Thresholds, cfg: TransformersConfig) -> Outcome:
    convex = results["convex"]
    passed = (
        convex["min_weight"] >= 0
        and convex["max_row_sum_error"] <= t.tolerance
        and convex["max_empty_row_sum"] == 0  # a fully masked row attends to nothing, exactly
        and convex["max_hull_violation"] <= t.tolerance
        and convex["fast_vs_explicit"] <= t.tolerance
    )
    evidence = {key: convex[key] for key in CONVEX_EVIDENCE}
    return Outcome(passed, evidence, {"rows": convex["rows"], "empty_rows": convex["empty_rows"]})


def relative_position(results: dict, t: Thresholds, cfg: TransformersConfig) -> Outcome:
    rel = results["relative"]
    evidence = {
        "max_closed_form_error": max(rel["closed_error"]),
        "max_fitted_residual": max(rel["fit_error"]),
        "max_dot_spread": max(rel["dot_spread"]),
        "max_offset": cfg.max_offset,
        "positions": cfg.pe_positions,
        "encoding_norm": rel["norm"],
    }
    passed = (
        evidence["max_closed_form_error"] <= t.tolerance
        and evidence["max_fitted_residual"] <= t.tolerance
        and evidence["max_dot_spread"] <= t.tolerance
    )
    context = {"max_offset": cfg.max_offset, "positions": cfg.pe_positions, "width": cfg.pe_dim}
    return Outcome(passed, evidence, {**context, "norm": rel["norm"]})


def mean_test_accuracy(results: dict, arm: str) -> float:
    runs = results["arms"][arm]
    return sum(r["test_acc"] for r in runs) / len(runs)


def sortedness_context(cfg: TransformersConfig) -> dict:
    """The criterion's setup: training steps, seeds, test pairs, sequence length."""
    return {
        "steps": cfg.steps,
        "seeds": cfg.n_seeds,
        "control_seeds": cfg.control_seeds,
        "test_pairs": cfg.test_pairs,
        "seq_len": cfg.seq_len,
    }


def needs_position(results: dict, t: Thresholds, cfg: TransformersConfig) -> Outcome:
    """The finding: with either encoding the encoder learns the order-dependent task, seed after seed."""
    intervals = {
        arm: t_interval([r["test_acc"] for r in results["arms"][arm]]) for arm in ("sinusoidal", "learned")
    }
    evidence: dict[str, float] = {}
    for arm, interval in intervals.items():
        evidence.update(interval.evidence(f"test_acc_{arm}"))
    runs = [r for arm in intervals for r in results["arms"][arm]]
    evidence.update(
        test_acc_without_positions=mean_test_accuracy(results, "none"),
        test_examples_per_seed=2 * cfg.test_pairs,
        # training rows whose multiset was held out and was drawn again, per run
        held_out_multisets_redrawn_per_run=sum(r.get("held_out_multisets_redrawn", 0) for r in runs)
        / len(runs),
    )
    passed = all(on_side(interval, t.min_accuracy, "at_least") for interval in intervals.values())
    context = {**sortedness_context(cfg), "method": intervals["sinusoidal"].method}
    return Outcome(passed, evidence, context)


def needs_position_check(results: dict, t: Thresholds, cfg: TransformersConfig) -> Outcome:
    """The identity: without encodings the encoder is permutation-equivariant, so pairs score 1/2."""
    without = results["arms"]["none"]
    accuracy = mean_test_accuracy(results, "none")
    evidence = {
        "test_acc_without_positions": accuracy,
        "equivariance_error_without": max(r["feature_error"] for r in without),
        "logit_gap_under_permutation_without": max(r["logit_gap"] for r in without),
        # the same measurement on an encoder that sees positions: the identity is not vacuous
        "logit_gap_under_permutation_sinusoidal": min(r["logit_gap"] for r in results["arms"]["sinusoidal"]),
        "control_seeds": len(without),
        "test_examples_per_seed": 2 * cfg.test_pairs,
    }
    passed = (
        evidence["equivariance_error_without"] <= t.max_equivariance_error
        and abs(accuracy - 0.5) <= t.chance_margin
    )
    return Outcome(passed, evidence, sortedness_context(cfg))


JUDGES = {
    "convex-combination": convex_combination,
    "relative-position": relative_position,
    "needs-position": needs_position,
    "needs-position-check": needs_position_check,
}
