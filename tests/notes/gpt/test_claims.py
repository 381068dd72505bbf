"""Each gpt judge on made-up results: holds, fails and inconclusive, without training."""

import math

import pytest

from nngarden.findings import judge_claims
from nngarden.notes.gpt import CLAIMS, GPTNoteConfig
from nngarden.notes.gpt.claims import JUDGES
from nngarden.notes.gpt.config import REFERENCE_VAL_LOSS

QUICK = GPTNoteConfig.quick()  # nanoGPT's recipe stopped at step 1000, a point of its curve
VOCAB = 65


def results(initial=math.log(VOCAB), final=2.0, final_step=1000, leak=0.0, seen=1.0, shares=(0.6, 0.3)):
    evals = [{"step": 0, "val_loss": initial, "train_eval_loss": initial}]
    evals += [{"step": s, "val_loss": final, "train_eval_loss": final} for s in (500, final_step)]
    return {
        "final_step": final_step,
        "vocab_size": VOCAB,
        "evals": evals,
        "causal": {
            "max_change_up_to_t": leak,
            "min_change_at_changed_position": seen,
            "positions": 64,
            "sequences": 8,
        },
        "shapes": {
            "vocabulary": 50257,
            "counts": {
                "gpt2_small": {"params": 124_439_808, "published": 124e6},
                "gpt3_175b": {"params": 174_604_259_328, "published": 175e9},
            },
        },
        "samples": {
            "share_model": shares[0],
            "share_unigram": shares[1],
            "words_model": 400,
            "words_unigram": 360,
        },
    }


def verdicts(res, cfg=QUICK):
    return {c.id: c for c in judge_claims(CLAIMS, JUDGES, res, cfg)}


def test_kinds_follow_the_plan():
    assert {spec.id: spec.kind for spec in CLAIMS} == {
        "causal": "check",
        "shapes": "check",
        "learns": "finding",
        "samples": "finding",
    }


def test_every_claim_holds_on_a_good_run():
    claims = verdicts(results())
    assert {cid: c.verdict for cid, c in claims.items()} == dict.fromkeys(claims, "holds")
    assert "1000" in claims["learns"].criterion and "2.041" in claims["learns"].criterion
    assert claims["learns"].evidence["reference_val_loss"] == REFERENCE_VAL_LOSS[1000]


@pytest.mark.parametrize(
    "change, claim",
    [
        ({"leak": 1e-3}, "causal"),  # a later token moved an earlier output
        ({"seen": 0.0}, "causal"),  # the test could not see any change at all
        ({"initial": 3.0}, "learns"),  # did not start at ln V
        ({"final": 2.1}, "learns"),  # above nanoGPT's 2.041 + 0.03
        ({"shares": (0.4, 0.3)}, "samples"),  # under half the words are real
        ({"shares": (0.6, 0.7)}, "samples"),  # no better than unigram characters
    ],
)
def test_a_claim_fails_when_its_criterion_is_missed(change, claim):
    claims = verdicts(results(**change))
    assert claims[claim].verdict == "fails"
    assert all(c.verdict == "holds" for cid, c in claims.items() if cid != claim)


def test_shapes_fail_when_a_count_is_off_by_more_than_the_tolerance():
    res = results()
    res["shapes"]["counts"]["gpt3_175b"]["params"] = 170e9
    assert verdicts(res)["shapes"].verdict == "fails"


def test_learns_is_inconclusive_off_the_recipe_or_off_the_curve():
    tiny = verdicts(results(), GPTNoteConfig.tiny())["learns"]
    assert tiny.verdict == "inconclusive" and "model.n_layer" in tiny.criterion
    assert tiny.evidence["initial_val_loss"] == pytest.approx(math.log(VOCAB))  # evidence is kept
    off_curve = QUICK.with_overrides(["train.max_steps=900"])
    claim = verdicts(results(final_step=900), off_curve)["learns"]
    assert claim.verdict == "inconclusive" and "step 900" in claim.criterion


def test_samples_without_words_are_inconclusive():
    assert verdicts(results(shares=(float("nan"), 0.3)))["samples"].verdict == "inconclusive"
