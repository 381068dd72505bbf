"""Each bert judge on made-up results: holds, fails and inconclusive, without training."""

import pytest

from nngarden.findings import judge_claims
from nngarden.notes.bert import CLAIMS, BertNoteConfig
from nngarden.notes.bert.claims import JUDGES

FULL = BertNoteConfig.full()  # trains the higher-rate model too


def results(accuracy=0.40, higher=0.38, trivial=0.15, both=0.46, left=0.25, gpt=0.42, z_gpt=3.9, z_left=22.0):
    return {
        "trivial_accuracy": trivial,
        "hidden_accuracy": {"bert": accuracy, "bert-0.4": higher},
        "both_sides": {
            "bert_both_sides": both,
            "bert_left_only": left,
            "gpt_left_only": gpt,
            "z_bert_both_sides_vs_gpt_left_only": z_gpt,
            "z_bert_both_sides_vs_bert_left_only": z_left,
        },
    }


def verdicts(res, cfg=FULL):
    return {c.id: c for c in judge_claims(CLAIMS, JUDGES, res, cfg)}


def test_every_claim_is_a_finding():
    assert {spec.kind for spec in CLAIMS} == {"finding"}


def test_every_claim_holds_on_a_good_run():
    claims = verdicts(results())
    assert {cid: c.verdict for cid, c in claims.items()} == dict.fromkeys(claims, "holds")
    assert "15% of the characters" in claims["denoises"].criterion
    assert "z >= 3" in claims["both-sides"].criterion and "50% of its lead" in claims["both-sides"].criterion


@pytest.mark.parametrize(
    "change, claim",
    [
        ({"accuracy": 0.33, "higher": 0.33}, "denoises"),  # needs max(2 x 0.15, 0.15 + 0.2) = 0.35
        ({"z_gpt": 2.0}, "both-sides"),  # BERT's lead over the GPT is not significant
        ({"z_left": 2.0}, "both-sides"),
        ({"left": 0.45}, "both-sides"),  # hiding the right side costs less than half the lead
        ({"higher": 0.30}, "mask-rate"),  # the rate moved accuracy by 0.10 > 0.25 x 0.15
    ],
)
def test_a_claim_fails_when_its_criterion_is_missed(change, claim):
    claims = verdicts(results(**change))
    assert claims[claim].verdict == "fails"
    assert all(c.verdict == "holds" for cid, c in claims.items() if cid != claim)


def test_mask_rate_is_inconclusive_without_a_higher_rate_model():
    quick = BertNoteConfig.quick()
    res = results()
    del res["hidden_accuracy"]["bert-0.4"]
    claim = verdicts(res, quick)["mask-rate"]
    assert claim.verdict == "inconclusive" and "masking.compare_rate=0" in claim.criterion


def test_non_finite_evidence_is_inconclusive():
    assert verdicts(results(z_gpt=float("nan")))["both-sides"].verdict == "inconclusive"
