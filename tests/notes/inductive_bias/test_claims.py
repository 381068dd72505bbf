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
        "relational-generalization-far": "finding",
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
SEED_OFFSETS = (-0.3, 0.0, 0.3)  # three seeds around each made-up accuracy


def published_like(seeds=3, mlp_seeds=8, **changes):
    """Per-seed final accuracies around the published ones; ``changes`` replaces a model/condition's
    mean (number) or its per-seed list (list)."""
    means = {
        "logistic/plain": 32.0,
        "logistic/shuffled": 32.0,
        "mlp/plain": 66.0,
        "mlp/shuffled": 66.5,
        "cnn/plain": 93.0,
        "cnn/shuffled": 56.0,
        "gru/plain": 90.0,
        "gru/shuffled": 57.0,
    }
    runs = {}
    for key, mean in means.items():
        count = mlp_seeds if key.startswith("mlp") else seeds
        values = [mean + SEED_OFFSETS[i % 3] for i in range(count)]
        change = changes.get(key.replace("/", "_"))
        if isinstance(change, list):
            values = change
        elif change is not None:
            values = [change + SEED_OFFSETS[i % 3] for i in range(count)]
        runs[key] = [{"final": v} for v in values]
    return {"mnist1d": runs}


def test_mnist1d_verdict_follows_the_issue_criteria():
    quick, full = InductiveBiasConfig.quick(), InductiveBiasConfig.full()
    assert verdict("mnist1d", published_like(), quick).verdict == "holds"
    assert verdict("mnist1d", published_like(mlp_seeds=10), full).verdict == "holds"  # with the GRU
    for change in (
        {"mlp_shuffled": 63.5},
        {"logistic_plain": 36.0},
        {"cnn_plain": 87.0},
        {"cnn_shuffled": 70.0},
        {"mlp_plain": 61.0, "mlp_shuffled": 61.0},
        {"cnn_plain": [95.0, 93.0, 84.0]},  # mean 90.7 >= 88, but the interval straddles 88
        {"logistic_plain": [28.0, 32.0, 36.0]},  # mean 32, the interval leaves 32 +- 3
    ):
        assert verdict("mnist1d", published_like(**change), quick).verdict == "fails", change
    # the MLP's shuffle gap: mean +1, but the paired interval over 8 seeds straddles +2
    noisy = [66.0 + d for d in (4.0, -2.0, 3.0, -1.0, 4.0, -2.0, 3.0, -1.0)]
    assert verdict("mnist1d", published_like(mlp_shuffled=noisy), quick).verdict == "fails"
    assert verdict("mnist1d", published_like(gru_shuffled=80.0), full).verdict == "fails"
    assert verdict("mnist1d", published_like(gru_shuffled=80.0), quick).verdict == "holds"  # no GRU trained
    claim = verdict("mnist1d", published_like(), quick)
    assert claim.evidence["cnn_published"] == PUBLISHED["cnn"][0]
    assert claim.evidence["mlp_shuffle_gap"] == pytest.approx(0.5)
    assert claim.evidence["mlp_shuffle_gap_low"] == pytest.approx(0.5)  # the same offsets: no spread
    assert claim.evidence["cnn_plain_low"] < 93.0 < claim.evidence["cnn_plain_high"]
    assert claim.evidence["mlp_n_seeds"] == 8 and claim.evidence["cnn_n_seeds"] == 3
    assert "gru_published" not in claim.evidence
    assert "logistic inside 32 +- 3%" in claim.criterion and "inside +-2 points" in claim.criterion
    assert "seeds: logistic 3, mlp 8, cnn 3; n - 1 df each" in claim.criterion
    assert claim.revised.startswith("2026-11-30")


def test_mnist1d_is_inconclusive_without_the_paper_setup_seeds_or_a_trained_model():
    results = published_like()
    del results["mnist1d"]["cnn/shuffled"]
    claim = verdict("mnist1d", results, InductiveBiasConfig.quick())
    assert claim.verdict == "inconclusive" and "trained plain and shuffled" in claim.criterion
    tiny = verdict("mnist1d", published_like(), InductiveBiasConfig.tiny())
    assert tiny.verdict == "inconclusive" and "5000 samples" in tiny.criterion
    few = verdict("mnist1d", published_like(), InductiveBiasConfig.quick().with_overrides(["seeds=2"]))
    assert few.verdict == "inconclusive" and "at least 3 seeds" in few.criterion
    one = published_like(cnn_plain=[float("nan")] * 3)
    assert verdict("mnist1d", one, InductiveBiasConfig.quick()).verdict == "inconclusive"


# --- relational-generalization ---------------------------------------------------------------------
def _solved(fraction, n=200):
    k = round(fraction * n)
    return [1] * k + [0] * (n - k)


def relational_results(gn_in=0.97, gn_near=0.8, gn_far=0.7, mlp_near=0.1, mlp_far=0.0, path=True):
    relational = {
        "sort_gn": {"solved": {"in": _solved(gn_in), "near": _solved(gn_near), "far": _solved(gn_far)}},
        "sort_mlp": {"solved": {"in": _solved(0.3), "near": _solved(mlp_near), "far": _solved(mlp_far)}},
    }
    if path:
        relational["path_gn"] = {"solved": {"in": _solved(0.8), "near": _solved(0.4), "far": _solved(0.2)}}
    return {"relational": relational}


@pytest.mark.parametrize(
    "claim_id, band", [("relational-generalization", "near"), ("relational-generalization-far", "far")]
)
def test_relational_verdicts_on_sizes_strictly_above_training(claim_id, band):
    full = InductiveBiasConfig.full()
    claim = verdict(claim_id, relational_results(), full)
    assert claim.verdict == "holds" and claim.evidence["n_items"] == 200
    assert claim.evidence[f"sort_gn_solved_{band}_low"] < claim.evidence[f"sort_gn_solved_{band}"]
    assert claim.evidence[f"path_gn_solved_{band}"] == pytest.approx(0.4 if band == "near" else 0.2)
    assert claim.evidence["train_steps"] == full.relational_steps
    sizes = "17-24" if band == "near" else "25-32"
    assert f">= 0.5 on {sizes}" in claim.criterion and "padded to 32" in claim.criterion
    assert "Wilson" in claim.criterion and "McNemar" in claim.criterion
    # 0.53 solved of 200: the mean is above 0.5 but Wilson's lower bound (0.46) is not
    assert verdict(claim_id, relational_results(**{f"gn_{band}": 0.53}), full).verdict == "fails"
    assert verdict(claim_id, relational_results(**{f"gn_{band}": 0.3}), full).verdict == "fails"
    # a gap of 0.33: above 0.3 on average, its lower bound below
    close = relational_results(**{f"gn_{band}": 0.8, f"mlp_{band}": 0.47})
    assert verdict(claim_id, close, full).verdict == "fails"
    assert verdict(claim_id, relational_results(gn_in=0.92), full).verdict == "fails"  # lower bound < 0.9
    assert "path_gn_solved_in" not in verdict(claim_id, relational_results(path=False), full).evidence


def test_relational_is_inconclusive_when_not_trained_or_trained_too_briefly():
    for claim_id in ("relational-generalization", "relational-generalization-far"):
        quick = verdict(claim_id, {"relational": None}, InductiveBiasConfig.quick())
        assert quick.verdict == "inconclusive" and "relational_steps=0" in quick.criterion
        assert ">= 0.9 on the training sizes" in quick.criterion
        tiny = verdict(claim_id, relational_results(), InductiveBiasConfig.tiny())
        assert tiny.verdict == "inconclusive" and "fewer than 1000 steps" in tiny.criterion
    few = InductiveBiasConfig.full().with_overrides(["eval_graphs=150"])
    assert (
        "fewer than 200 graphs" in verdict("relational-generalization", relational_results(), few).criterion
    )


def test_judge_claims_decides_every_claim_of_a_quick_run():
    results = invariance_results() | published_like() | {"relational": None}
    claims = judge_claims(CLAIMS, JUDGES, results, InductiveBiasConfig.quick())
    assert [c.verdict for c in claims] == ["holds", "holds", "inconclusive", "inconclusive"]
