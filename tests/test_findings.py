import math

from nngarden.findings import Findings, judge, undecided, validate_findings


def test_judge_maps_booleans_and_drops_non_finite_evidence():
    assert judge("a", "s", True, {"x": 1}, "x > 0").verdict == "holds"
    assert judge("a", "s", False, {"x": -1}, "x > 0").verdict == "fails"
    claim = judge("a", "s", True, {"x": math.nan, "y": 2}, "x > 0")
    assert (
        claim.verdict == "inconclusive"
        and "x" not in claim.evidence
        and "not measurable: x" in claim.criterion
    )
    assert undecided("a", "s", "budget too small").verdict == "inconclusive"


def test_validate_findings_catches_contract_breaks():
    f = Findings(
        claims=[judge("a", "s", True, {"x": 1.0}, "x > 0")],
        note="n",
        title="t",
        provenance={
            "preset": "quick",
            "seed": 0,
            "threads": 1,
            "seconds": 1.0,
            "commit": "c",
            "versions": {},
        },
    )
    data = f.to_dict()
    assert validate_findings(data, ["a"]) == []
    assert validate_findings(data, ["a", "b"])
    data["claims"][0]["verdict"] = "maybe"
    assert any("bad verdict" in p for p in validate_findings(data))


# --- claims declared as data -------------------------------------------------------------------------
import pytest  # noqa: E402

from nngarden.findings import ClaimSpec, Outcome, Requirement, Thresholds, judge_claims  # noqa: E402


def _spec(**kw):
    base = dict(
        id="small-error",
        statement="the error is small",
        kind="finding",
        criterion="error < {max_error:g} over {seeds} seeds",
        thresholds={"max_error": 0.05},
    )
    return ClaimSpec(**{**base, **kw})


def test_claim_spec_formats_its_criterion_from_thresholds_and_context():
    spec = _spec()
    claim = spec.decide(Outcome(True, {"error": 0.01}, {"seeds": 3}))
    assert claim.verdict == "holds" and claim.kind == "finding"
    assert claim.criterion == "error < 0.05 over 3 seeds"
    assert claim.thresholds == {"max_error": 0.05}
    assert spec.decide(Outcome(False, {"error": 0.2}, {"seeds": 3})).verdict == "fails"


def test_claim_spec_refuses_bad_kinds_unstated_and_non_finite_thresholds():
    with pytest.raises(ValueError, match="kind"):
        _spec(kind="result")
    with pytest.raises(ValueError, match="does not state"):
        _spec(criterion="error is small")
    with pytest.raises(ValueError, match="finite"):
        _spec(thresholds={"max_error": math.inf})


def test_an_undecided_outcome_says_why_and_a_missing_context_field_is_marked():
    claim = _spec().decide(Outcome.undecided("the run did not converge", {"error": 0.3}))
    assert claim.verdict == "inconclusive"
    assert claim.criterion == "error < 0.05 over <seeds> seeds; undecided: the run did not converge"


def test_judge_claims_checks_requirements_before_calling_the_judge():
    calls = []

    def judge_small(results, t, cfg):
        calls.append(cfg)
        assert isinstance(t, Thresholds) and t.max_error == 0.05
        return Outcome(results["error"] < t.max_error, {"error": results["error"]}, {"seeds": cfg["seeds"]})

    spec = _spec(requires=(Requirement(lambda cfg: cfg["seeds"] >= 3, "this preset runs one seed"),))
    judges = {"small-error": judge_small}
    (claim,) = judge_claims((spec,), judges, {"error": 0.01}, {"seeds": 1})
    assert claim.verdict == "inconclusive" and "this preset runs one seed" in claim.criterion and not calls
    (claim,) = judge_claims((spec,), judges, {"error": 0.01}, {"seeds": 3})
    assert claim.verdict == "holds" and len(calls) == 1


def test_validate_findings_accepts_kinds_and_older_files_without_them():
    claim = _spec().decide(Outcome(True, {"error": 0.01}, {"seeds": 3}))
    prov = {"preset": "quick", "seed": 0, "threads": 1, "seconds": 1.0, "commit": "c", "versions": {}}
    data = Findings(claims=[claim], note="n", title="t", provenance=prov).to_dict()
    assert data["claims"][0]["kind"] == "finding" and validate_findings(data, ["small-error"]) == []
    del data["claims"][0]["kind"]
    assert validate_findings(data) == []
    data["claims"][0]["kind"] = "opinion"
    assert any("bad kind" in p for p in validate_findings(data))


def test_an_integer_too_large_for_a_float_is_not_measurable_and_never_crashes():
    huge = 10**400
    claim = judge("a", "s", True, {"x": huge, "y": 1}, "x > 0")
    assert claim.verdict == "inconclusive" and "x" not in claim.evidence
    data = {
        "note": "n", "title": "t", "metrics": {}, "figures": [],
        "claims": [{"id": "a", "verdict": "holds", "evidence": {"x": huge}, "criterion": "c"}],
        "provenance": {"preset": "quick", "seed": 0, "threads": 1, "seconds": 1, "commit": "c",
                       "versions": {}},
    }  # fmt: skip
    assert any("not a finite number" in p for p in validate_findings(data))


def test_a_context_field_with_a_format_spec_missing_reads_as_a_placeholder():
    spec = _spec(criterion="error < {max_error:g} with weight {weight:.2f}")
    assert spec.undecided("penalty run is off").criterion == (
        "error < 0.05 with weight <weight>; undecided: penalty run is off"
    )
