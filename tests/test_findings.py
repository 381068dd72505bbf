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
