"""Each matrix-completion judge on made-up results: holds, fails (a straddling interval included), and
inconclusive, without training."""

import math

import pytest

from nngarden.notes.matrix_completion import NOTE, MatrixCompletionConfig

SPREAD = (0.9, 1.0, 1.1)  # three seeds: each made-up value is scaled by these


def _run(test_error, effective_rank=5.0, nuclear_norm=220.0, observed_error=1e-12, converged=True, **more):
    return dict(
        test_error=test_error,
        unobserved_error=test_error * 1.25,
        effective_rank=effective_rank,
        nuclear_norm=nuclear_norm,
        residual_nuclear_norm=0.01,
        observed_error=observed_error,
        converged=converged,
        **more,
    )


def _seeds(*args, **kwargs):
    """Three seeds around one run: the test error scaled by SPREAD, the rest as given."""
    base = _run(*args, **kwargs)
    return [{**base, "test_error": base["test_error"] * f} for f in SPREAD]


def _law(relative_error=0.01, exponent_error=0.0):
    return {
        str(d): {"relative_error": relative_error, "exponent": 2 - 2 / d + exponent_error} for d in (1, 2, 3)
    }


def _results(changes=None):
    """Results in which every claim holds for the quick preset with the penalty run; ``changes`` maps
    (observations, method) -> a replacement list of per-seed runs, or "law" -> replacement law results."""
    runs = {
        "2000": {
            "depth1": _seeds(0.8, 68.0, 330.0),
            "depth2": _seeds(0.03, 7.3, 221.0),
            "depth3": _seeds(1e-6, 4.95, 221.5),
            "nuclear": _seeds(0.04, 8.2, 217.0, status="optimal"),
            "ratio_penalty": _seeds(1e-5, 5.0),
        },
        "5000": {
            "depth1": _seeds(0.5),
            "depth2": _seeds(1e-6),
            "depth3": _seeds(1e-7),
            "nuclear": _seeds(1e-12, status="optimal"),
        },
    }
    changes = dict(changes or {})
    law = changes.pop("law", _law())
    for (count, method), seeds in changes.items():
        runs[count][method] = seeds
    return {"runs": runs, "law": law}


CFG = MatrixCompletionConfig(observations=(2000, 5000), penalty_run=True)


def _verdicts(results, cfg=CFG):
    return {c.id: c for c in NOTE.judge(cfg, results)}


def test_every_claim_holds_on_results_that_meet_its_criterion():
    claims = _verdicts(_results())
    assert {cid: c.verdict for cid, c in claims.items()} == {cid: "holds" for cid in NOTE.claim_ids}
    assert claims["depth1-fits-seen"].kind == "check" and claims["penalty"].kind == "finding"
    assert claims["not-a-norm-check"].kind == "check" and claims["not-a-norm"].kind == "finding"
    assert claims["depth1-fits-seen"].evidence["one_minus_fraction_observed"] == pytest.approx(0.8)
    assert (
        "< 0.05" in claims["depth1-fits-seen"].criterion
        and "100x100 rank 5" in claims["depth1-fits-seen"].criterion
    )
    assert "rank + 0.2 = 5.2" in claims["depth3-recovers"].criterion
    assert "above 0.1%" in claims["not-a-norm"].criterion and "||W_3||_*" in claims["not-a-norm"].criterion
    assert "for depths 1-3" in claims["singular-value-law"].criterion
    like = claims["depth2-like-nuclear"]
    assert "t interval over 3 seeds (2 df)" in like.criterion and "(-ln 2, ln 2)" in like.criterion
    assert "eps = 1e-07" in like.criterion
    assert like.evidence["ln_error_ratio"] == pytest.approx(math.log(0.75))
    assert (
        like.evidence["ln_error_ratio_low"]
        <= like.evidence["ln_error_ratio"]
        <= like.evidence["ln_error_ratio_high"]
    )
    assert like.evidence["n_seeds"] == 3 and like.evidence["nuclear_unobserved_mse"] == pytest.approx(0.05)
    for cid in ("depth2-like-nuclear", "depth3-recovers", "not-a-norm", "more-observations", "penalty"):
        assert claims[cid].revised.startswith("2026-11-30")


def _shifted(errors, **kwargs):
    """One run per seed with the given test errors."""
    return [_run(e, **kwargs) for e in errors]


@pytest.mark.parametrize(
    "claim_id, changes",
    [
        ("depth1-fits-seen", {("2000", "depth1"): _seeds(0.7, 68.0, 330.0)}),  # fills unseen entries
        ("depth1-fits-seen", {("2000", "depth1"): _seeds(0.8, observed_error=1e-3)}),  # misses seen ones
        ("depth2-like-nuclear", {("2000", "depth2"): _seeds(0.01)}),  # a factor 4 on every seed
        # a factor 1.5, 1.5 and 3: the mean ratio is within 2, its interval straddles ln 2
        ("depth2-like-nuclear", {("2000", "depth2"): _shifted([0.054, 0.06, 0.132], nuclear_norm=221.0)}),
        ("depth3-recovers", {("2000", "depth3"): _seeds(2e-3)}),
        ("depth3-recovers", {("2000", "depth3"): _seeds(1e-6, effective_rank=5.3)}),
        ("depth3-recovers", {("2000", "depth3"): _shifted([1e-7, 1e-7, 0.02])}),  # one seed fails: straddles
        ("not-a-norm", {("2000", "depth3"): _seeds(1e-6, nuclear_norm=217.1)}),  # within solver tolerance
        # excesses of 0.05%, 2% and 4%: the interval's lower bound goes below 0.1%
        (
            "not-a-norm",
            {("2000", "depth3"): [_run(1e-6, nuclear_norm=217.0 * (1 + x)) for x in (5e-4, 0.02, 0.04)]},
        ),
        ("not-a-norm-check", {("2000", "depth2"): _seeds(0.03, nuclear_norm=216.0)}),  # below the minimum
        ("not-a-norm-check", {("2000", "nuclear"): _seeds(0.04, 8.2, 217.0, status="optimal_inaccurate")}),
        ("more-observations", {("5000", "depth2"): _seeds(2e-3)}),
        ("more-observations", {("5000", "depth2"): _shifted([1e-7, 1e-7, 1e-2])}),  # straddles
        ("more-observations", {("5000", "depth1"): _seeds(0.2)}),
        ("singular-value-law", {"law": _law(relative_error=0.06)}),
        ("singular-value-law", {"law": _law(exponent_error=0.15)}),
        ("penalty", {("2000", "ratio_penalty"): _seeds(0.02, 7.0)}),
    ],
)
def test_a_claim_fails_when_its_measurement_misses_the_threshold(claim_id, changes):
    claims = _verdicts(_results(changes))
    assert claims[claim_id].verdict == "fails"


def test_a_straddle_fails_although_the_mean_is_inside():
    changes = {("2000", "depth2"): _shifted([0.054, 0.06, 0.132])}
    like = _verdicts(_results(changes))["depth2-like-nuclear"]
    assert abs(like.evidence["ln_error_ratio"]) < math.log(2) < like.evidence["ln_error_ratio_high"]
    assert like.verdict == "fails"


@pytest.mark.parametrize(
    "claim_id, changes, cfg, reason",
    [
        ("depth1-fits-seen", {("2000", "depth1"): _seeds(0.8, converged=False)}, CFG, "max_steps"),
        ("depth1-fits-seen", {}, MatrixCompletionConfig(depths=(2, 3)), "depth 1 not in depths"),
        ("depth2-like-nuclear", {("2000", "depth2"): _seeds(0.03, converged=False)}, CFG, "max_steps"),
        ("depth2-like-nuclear", {}, MatrixCompletionConfig(seeds=1), "at least 3 seeds"),
        ("depth2-like-nuclear", {("2000", "depth2"): _seeds(0.0)}, CFG, "not measurable"),
        ("depth3-recovers", {("2000", "depth3"): _seeds(1e-6, converged=False)}, CFG, "max_steps"),
        ("not-a-norm", {}, MatrixCompletionConfig(depths=(1, 2)), "no depth >= 3"),
        ("not-a-norm", {}, MatrixCompletionConfig(seeds=2), "at least 3 seeds"),
        ("not-a-norm-check", {}, MatrixCompletionConfig(depths=(1,)), "no depth >= 2"),
        ("more-observations", {}, MatrixCompletionConfig(), "does not run 5000"),
        ("more-observations", {("5000", "depth3"): _seeds(1e-7, converged=False)}, CFG, "max_steps"),
        ("singular-value-law", {"law": _law(exponent_error=math.nan)}, CFG, "not measurable"),
        ("penalty", {}, MatrixCompletionConfig(observations=(2000, 5000)), "penalty_run is off"),
    ],
)
def test_a_claim_is_inconclusive_when_the_run_cannot_decide_it(claim_id, changes, cfg, reason):
    claim = _verdicts(_results(changes), cfg)[claim_id]
    assert claim.verdict == "inconclusive" and reason in claim.criterion
