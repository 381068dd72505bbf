"""Each matrix-completion judge on made-up results: holds, fails, and inconclusive, without training."""

import math

import pytest

from nngarden.notes.matrix_completion import NOTE, MatrixCompletionConfig


def _run(test_error, effective_rank=5.0, nuclear_norm=220.0, observed_error=1e-12, converged=True):
    return dict(
        test_error=test_error,
        effective_rank=effective_rank,
        nuclear_norm=nuclear_norm,
        observed_error=observed_error,
        converged=converged,
    )


def _law(relative_error=0.01, exponent_error=0.0):
    return {
        str(d): {"relative_error": relative_error, "exponent": 2 - 2 / d + exponent_error} for d in (1, 2, 3)
    }


def _results(changes=None):
    """Results in which every claim holds for the quick preset with the penalty run; ``changes`` maps
    (observations, method) -> a replacement run, or "law" -> replacement law results."""
    runs = {
        "2000": {
            "depth1": [_run(0.8, 68.0, 330.0)],
            "depth2": [_run(0.03, 7.3, 221.0)],
            "depth3": [_run(1e-6, 4.95, 221.5)],
            "nuclear": [_run(0.04, 8.2, 217.0)],
            "ratio_penalty": [_run(1e-5, 5.0)],
        },
        "5000": {
            "depth1": [_run(0.5)],
            "depth2": [_run(1e-6)],
            "depth3": [_run(1e-7)],
            "nuclear": [_run(1e-12)],
        },
    }
    changes = dict(changes or {})
    law = changes.pop("law", _law())
    for (count, method), run in changes.items():
        runs[count][method] = [run]
    return {"runs": runs, "law": law}


CFG = MatrixCompletionConfig(observations=(2000, 5000), penalty_run=True)


def _verdicts(results, cfg=CFG):
    return {c.id: c for c in NOTE.judge(cfg, results)}


def test_every_claim_holds_on_results_that_meet_its_criterion():
    claims = _verdicts(_results())
    assert {cid: c.verdict for cid, c in claims.items()} == {cid: "holds" for cid in NOTE.claim_ids}
    assert claims["depth1-fits-seen"].kind == "check" and claims["penalty"].kind == "finding"
    assert claims["depth1-fits-seen"].evidence["one_minus_fraction_observed"] == pytest.approx(0.8)
    assert (
        "< 0.05" in claims["depth1-fits-seen"].criterion
        and "100x100 rank 5" in claims["depth1-fits-seen"].criterion
    )
    assert "rank + 0.2 = 5.2" in claims["depth3-recovers"].criterion
    assert "more than 0.1%" in claims["not-a-norm"].criterion and "depth-3" in claims["not-a-norm"].criterion
    assert "for depths 1-3" in claims["singular-value-law"].criterion


@pytest.mark.parametrize(
    "claim_id, changes",
    [
        ("depth1-fits-seen", {("2000", "depth1"): _run(0.7, 68.0, 330.0)}),  # fills unseen entries
        ("depth1-fits-seen", {("2000", "depth1"): _run(0.8, observed_error=1e-3)}),  # does not fit seen ones
        ("depth2-like-nuclear", {("2000", "depth2"): _run(0.01)}),  # factor 4
        ("depth3-recovers", {("2000", "depth3"): _run(2e-3)}),
        ("depth3-recovers", {("2000", "depth3"): _run(1e-6, effective_rank=5.3)}),
        ("not-a-norm", {("2000", "depth3"): _run(1e-6, nuclear_norm=217.1)}),  # within solver tolerance
        ("more-observations", {("5000", "depth2"): _run(2e-3)}),
        ("more-observations", {("5000", "depth1"): _run(0.2)}),
        ("singular-value-law", {"law": _law(relative_error=0.06)}),
        ("singular-value-law", {"law": _law(exponent_error=0.15)}),
        ("penalty", {("2000", "ratio_penalty"): _run(0.02, 7.0)}),
    ],
)
def test_a_claim_fails_when_its_measurement_misses_the_threshold(claim_id, changes):
    claims = _verdicts(_results(changes))
    assert claims[claim_id].verdict == "fails"


@pytest.mark.parametrize(
    "claim_id, changes, cfg, reason",
    [
        ("depth1-fits-seen", {("2000", "depth1"): _run(0.8, converged=False)}, CFG, "max_steps"),
        ("depth1-fits-seen", {}, MatrixCompletionConfig(depths=(2, 3)), "depth 1 not in depths"),
        ("depth2-like-nuclear", {("2000", "depth2"): _run(0.03, converged=False)}, CFG, "max_steps"),
        ("depth3-recovers", {("2000", "depth3"): _run(1e-6, converged=False)}, CFG, "max_steps"),
        ("not-a-norm", {}, MatrixCompletionConfig(depths=(1, 2)), "no depth >= 3"),
        ("more-observations", {}, MatrixCompletionConfig(), "does not run 5000"),
        ("more-observations", {("5000", "depth3"): _run(1e-7, converged=False)}, CFG, "max_steps"),
        ("singular-value-law", {"law": _law(exponent_error=math.nan)}, CFG, "not measurable"),
        ("penalty", {}, MatrixCompletionConfig(observations=(2000, 5000)), "penalty_run is off"),
    ],
)
def test_a_claim_is_inconclusive_when_the_run_cannot_decide_it(claim_id, changes, cfg, reason):
    claim = _verdicts(_results(changes), cfg)[claim_id]
    assert claim.verdict == "inconclusive" and reason in claim.criterion
