"""Each inductive-bias judge on made-up results: holds, fails and inconclusive, without training."""

import pytest

from nngarden.findings import Thresholds, judge_claims
from nngarden.notes.inductive_bias import CLAIMS
from nngarden.notes.inductive_bias.claims import BROKEN_ERRORS, EXACT_ERRORS, JUDGES
from nngarden.notes.inductive_bias.config import PUBLISHED, InductiveBiasConfig

SPECS = {spec.id: spec for spec in CLAIMS}


def verdict(claim_id, results, cfg):
    spec = SPECS[claim_id]
    reason = spec.missing_requirement(cfg)
    if reason is not None:
        return spec.undecided(reason)
    return spec.decide(JUDGES[claim_id](results, Thresholds(spec.thresholds), cfg))


def test_every_claim_has_a_judge_and_its_kind():
    assert set(JUDGES) == set(SPECS)
    assert {spec.id: spec.kind for spec in CLAIMS} == {
        "invariances": "check",
        "mnist1d": "finding",
        "relational-generalization": "finding",
    }


# --- invariances ---------------------------------------------------------------------------------
def invariance_results(**changes):
    errors = {k: 1e-7 for k in EXACT_ERRORS} | {k: 0.9 for k in BROKEN_ERRORS}
    errors |= {"conv_pool_shift_invariance_error": 1e-7, "gru_permutation_equivariance_error": 0.6}
    return {"invariances": errors | changes}


def test_invariances_holds_fails_and_states_its_thresholds():
    cfg = InductiveBiasConfig.quick()
    claim = verdict("invariances", invariance_results(), cfg)
    assert claim.verdict == "holds" and claim.kind == "check"
    assert claim.criterion.startswith("relative error <= 1e-05 (float32 rounding: the symmetry holds) for ")
    assert (
        all(name in claim.criterion for name in EXACT_ERRORS + BROKEN_ERRORS) and ">= 0.01" in claim.criterion
    )
    assert verdict("invariances", invariance_results(gn_edges_error=2e-5), cfg).verdict == "fails"
    assert (
        verdict("invariances", invariance_results(mlp_permutation_invariance_error=5e-3), cfg).verdict
        == "fails"
    )


def test_invariances_is_inconclusive_when_an_error_is_not_a_number():
    claim = verdict(
        "invariances", invariance_results(gn_nodes_error=float("nan")), InductiveBiasConfig.quick()
    )
    assert claim.verdict == "inconclusive" and "gn_nodes_error" in claim.criterion


# --- mnist1d -------------------------------------------------------------------------------------
def published_like(**changes):
    acc = {
        "logistic_plain": 32.0,
        "logistic_shuffled": 32.0,
        "mlp_plain": 66.0,
        "mlp_shuffled": 66.5,
        "cnn_plain": 93.0,
        "cnn_shuffled": 56.0,
        "gru_plain": 90.0,
        "gru_shuffled": 57.0,
        "mlp_plain_spread": 3.0,
    }
    acc.update(changes)
    return {"mnist1d_accuracy": acc}


def test_mnist1d_verdict_follows_the_issue_criteria():
    quick, full = InductiveBiasConfig.quick(), InductiveBiasConfig.full()
    assert verdict("mnist1d", published_like(), quick).verdict == "holds"
    assert verdict("mnist1d", published_like(), full).verdict == "holds"  # with the GRU
    for change in (
        {"mlp_shuffled": 63.5},
        {"logistic_plain": 36.0},
        {"cnn_plain": 87.0},
        {"cnn_shuffled": 70.0},
        {"mlp_plain": 61.0, "mlp_shuffled": 61.0},
    ):
        assert verdict("mnist1d", published_like(**change), quick).verdict == "fails", change
    assert verdict("mnist1d", published_like(gru_shuffled=80.0), full).verdict == "fails"
    assert verdict("mnist1d", published_like(gru_shuffled=80.0), quick).verdict == "holds"  # no GRU trained
    claim = verdict("mnist1d", published_like(), quick)
    assert claim.evidence["cnn_published"] == PUBLISHED["cnn"][0]
    assert claim.evidence["mlp_shuffle_gap"] == pytest.approx(0.5)
    assert "mlp_plain_spread" not in claim.evidence and "gru_published" not in claim.evidence
    assert "logistic 32 +- 3%" in claim.criterion and "|shuffled - plain| <= 2 points" in claim.criterion


def test_mnist1d_is_inconclusive_without_the_paper_setup_or_a_trained_model():
    results = published_like()
    del results["mnist1d_accuracy"]["cnn_shuffled"]
    claim = verdict("mnist1d", results, InductiveBiasConfig.quick())
    assert claim.verdict == "inconclusive" and "trained plain and shuffled" in claim.criterion
    tiny = verdict("mnist1d", published_like(), InductiveBiasConfig.tiny())
    assert tiny.verdict == "inconclusive" and "5000 samples" in tiny.criterion


# --- relational-generalization ---------------------------------------------------------------------
def relational_results(gn_in=0.95, gn_larger=0.6, mlp_in=0.2, path=True):
    relational = {
        "sort_gn": {"solved_in": gn_in, "solved_larger": gn_larger},
        "sort_mlp": {"solved_in": mlp_in, "max_length": 16},
    }
    if path:
        relational["path_gn"] = {"solved_in": 0.8, "solved_larger": 0.4}
    return {"relational": relational}


def test_relational_verdict_needs_in_distribution_generalization_and_a_gap_to_the_mlp():
    full = InductiveBiasConfig.full()
    claim = verdict("relational-generalization", relational_results(), full)
    assert claim.verdict == "holds" and claim.evidence["path_gn_solved_larger"] == 0.4
    assert claim.evidence["train_steps"] == full.relational_steps
    assert verdict("relational-generalization", relational_results(gn_larger=0.3), full).verdict == "fails"
    assert verdict("relational-generalization", relational_results(mlp_in=0.7), full).verdict == "fails"
    assert verdict("relational-generalization", relational_results(gn_in=0.85), full).verdict == "fails"
    assert (
        "path_gn_solved_in_distribution"
        not in verdict("relational-generalization", relational_results(path=False), full).evidence
    )


def test_relational_is_inconclusive_when_not_trained_or_trained_too_briefly():
    quick = verdict("relational-generalization", {"relational": None}, InductiveBiasConfig.quick())
    assert quick.verdict == "inconclusive" and "relational_steps=0" in quick.criterion
    assert ">= 0.9 on the training sizes" in quick.criterion
    tiny = verdict("relational-generalization", relational_results(), InductiveBiasConfig.tiny())
    assert tiny.verdict == "inconclusive" and "fewer than 1000 steps" in tiny.criterion


def test_judge_claims_decides_every_claim_of_a_quick_run():
    results = invariance_results() | published_like() | {"relational": None}
    claims = judge_claims(CLAIMS, JUDGES, results, InductiveBiasConfig.quick())
    assert [c.verdict for c in claims] == ["holds", "holds", "inconclusive"]
