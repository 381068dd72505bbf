"""Each transformers judge on made-up results: one that holds, one that fails, one that cannot decide."""

import math
import subprocess
import sys

import pytest

from nngarden.findings import Thresholds
from nngarden.notes.transformers import CLAIMS, NOTE
from nngarden.notes.transformers.claims import JUDGES
from nngarden.notes.transformers.config import TransformersConfig

SPECS = {spec.id: spec for spec in CLAIMS}
CFG = TransformersConfig.quick()


def verdict(claim_id, results, cfg=CFG):
    spec = SPECS[claim_id]
    return spec.decide(JUDGES[claim_id](results, Thresholds(spec.thresholds), cfg))


def convex(**changes):
    base = {
        "min_weight": 0.0,
        "max_row_sum_error": 2e-7,
        "max_empty_row_sum": 0.0,
        "max_hull_violation": 0.0,
        "fast_vs_explicit": 5e-7,
        "empty_rows": 56,
        "rows": 384,
    }
    return {"convex": {**base, **changes}}


def relative(**changes):
    base = {"closed_error": [7e-8, 1e-8], "fit_error": [8e-8], "dot_spread": [9e-7], "norm": 5.657}
    return {"relative": {**base, **changes}}


def arm(test_acc, feature_error=0.3, logit_gap=10.0):
    return {"test_acc": test_acc, "feature_error": feature_error, "logit_gap": logit_gap}


def sortedness(none=0.5, sinusoidal=(1.0, 0.999, 0.998), learned=(0.9995, 0.997, 0.999), equivariance=1.4e-6):
    return {
        "arms": {
            "none": [arm(none, feature_error=equivariance, logit_gap=6e-8)],
            "sinusoidal": [arm(acc, logit_gap=19.6 + i) for i, acc in enumerate(sinusoidal)],
            "learned": [arm(acc) for acc in learned],
        }
    }


def test_every_claim_has_a_judge_a_kind_and_is_decided_by_the_quick_preset():
    assert set(JUDGES) == set(SPECS) == set(NOTE.quick_decides)
    kinds = {spec.id: spec.kind for spec in CLAIMS}
    assert kinds == {
        "convex-combination": "check",
        "relative-position": "check",
        "needs-position": "finding",
        "needs-position-check": "check",
    }


@pytest.mark.parametrize(
    "results, expected",
    [
        (convex(), "holds"),
        (convex(min_weight=-1e-9), "fails"),
        (convex(max_row_sum_error=2e-5), "fails"),
        (convex(max_empty_row_sum=1e-12), "fails"),  # an empty row must be exactly zero
        (convex(max_hull_violation=2e-5), "fails"),
        (convex(fast_vs_explicit=2e-5), "fails"),
        (convex(max_row_sum_error=math.nan), "inconclusive"),
    ],
)
def test_convex_combination(results, expected):
    claim = verdict("convex-combination", results)
    assert claim.verdict == expected
    assert "over 384 masked query rows" in claim.criterion and "56 fully masked rows" in claim.criterion
    assert "|row sum - 1| <= 1e-05" in claim.criterion


@pytest.mark.parametrize(
    "results, expected",
    [
        (relative(), "holds"),
        (relative(closed_error=[1e-8, 2e-4]), "fails"),
        (relative(fit_error=[2e-4]), "fails"),
        (relative(dot_spread=[2e-4]), "fails"),
        (relative(dot_spread=[math.inf]), "inconclusive"),
    ],
)
def test_relative_position(results, expected):
    claim = verdict("relative-position", results)
    assert claim.verdict == expected
    assert claim.evidence["max_offset"] == CFG.max_offset and claim.evidence["positions"] == CFG.pe_positions
    assert "k = 1..64 over 256 positions (width 64" in claim.criterion
    assert "<= 0.0001" in claim.criterion and "norm 5.66" in claim.criterion


@pytest.mark.parametrize(
    "results, expected",
    [
        (sortedness(), "holds"),
        (sortedness(sinusoidal=(0.85, 0.86, 0.84)), "fails"),
        (sortedness(learned=(0.85, 0.86, 0.84)), "fails"),  # both encodings must learn the task
        (sortedness(learned=(1.0, 1.0, 0.82)), "fails"),  # mean 0.94, but the t interval straddles 0.9
        (sortedness(none=0.8), "holds"),  # the no-position half is needs-position-check's to judge
        (sortedness(learned=(1.0, math.nan, 1.0)), "inconclusive"),
    ],
)
def test_needs_position(results, expected):
    claim = verdict("needs-position", results)
    assert claim.verdict == expected
    assert claim.kind == "finding" and claim.revised
    assert "after 600 steps, on 1000 held-out" in claim.criterion and "never occur in the training" in (
        claim.criterion
    )
    assert "over 3 seeds, the lower end of the 95% t interval, 2 df of the test accuracy is at least 0.9" in (
        claim.criterion
    )


def test_needs_position_reads_its_interval_and_needs_three_seeds():
    claim = verdict("needs-position", sortedness(learned=(1.0, 1.0, 0.82)))
    assert claim.evidence["test_acc_learned"] == pytest.approx(0.94)
    assert claim.evidence["test_acc_learned_low"] < 0.9 < claim.evidence["test_acc_learned_high"]
    assert claim.evidence["n_seeds"] == 3
    cfg = TransformersConfig.quick().with_overrides(["n_seeds=2"])
    (judged,) = [
        c for c in NOTE.judge(cfg, {**convex(), **relative(), **sortedness()}) if c.id == "needs-position"
    ]
    assert judged.verdict == "inconclusive" and "fewer than 3 seeds" in judged.criterion


@pytest.mark.parametrize(
    "results, expected",
    [
        (sortedness(), "holds"),
        (
            sortedness(sinusoidal=(0.6,) * 3, learned=(0.6,) * 3),
            "holds",
        ),  # the identity holds however training went
        (sortedness(none=0.56), "fails"),
        (sortedness(equivariance=2e-4), "fails"),
        (sortedness(none=math.nan), "inconclusive"),
    ],
)
def test_needs_position_check(results, expected):
    claim = verdict("needs-position-check", results)
    assert claim.verdict == expected
    assert claim.kind == "check"
    assert "<= 0.0001) and its test accuracy is within 0.05 of 1/2" in claim.criterion
    assert claim.evidence["logit_gap_under_permutation_sinusoidal"] == 19.6


def test_the_note_page_and_config_import_without_torch():
    code = "import sys, nngarden.notes.transformers.config; assert 'torch' not in sys.modules, 'torch'"
    subprocess.run([sys.executable, "-c", code], check=True)
