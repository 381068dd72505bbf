"""Each gpt judge on made-up results: holds, fails and inconclusive, without training."""

import math

import pytest

from nngarden.findings import judge_claims
from nngarden.notes.gpt import CLAIMS, GPTNoteConfig
from nngarden.notes.gpt.claims import JUDGES
from nngarden.notes.gpt.config import REFERENCE_VAL_LOSS
from nngarden.notes.gpt.speedrun import summarize

QUICK = GPTNoteConfig.quick()  # nanoGPT's recipe stopped at step 1000, a point of its curve
FULL = GPTNoteConfig.full().with_overrides(["train.max_steps=1000", "train.lr_decay_steps=2000"])
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
        "speedrun": None,
    }


def run(recipe, seed, curve):
    """A made-up training: (step, val_loss, train_cpu_seconds) rows."""
    return {"recipe": recipe, "seed": seed, "steps": curve[-1][0], "evals": [list(row) for row in curve]}


def with_speedrun(times=(30.0, 31.0, 29.0), never=()):
    """Babies end at 1.88 after 120 CPU s; each speedrun crosses 1.88 at its given time (or never)."""
    babies = [run("baby", s, [(0, 4.3, 0.0), (2000, 1.88, 120.0)]) for s in range(3)]
    fast = [
        run("speedrun", s, [(0, 4.3, 0.0), (300, 2.0, t - 10), (400, 1.9 if s in never else 1.87, t)])
        for s, t in enumerate(times)
    ]
    res = results()
    res["speedrun"] = {**summarize(babies, fast), "runs": {"baby": babies, "speedrun": fast}}
    return res


def verdicts(res, cfg=QUICK):
    return {c.id: c for c in judge_claims(CLAIMS, JUDGES, res, cfg)}


def test_kinds_follow_the_plan():
    assert {spec.id: spec.kind for spec in CLAIMS} == {
        "causal": "check",
        "shapes": "check",
        "learns": "finding",
        "samples": "finding",
        "speedrun": "finding",
    }


def test_every_claim_holds_on_a_good_run():
    claims = verdicts(results())
    assert claims.pop("speedrun").verdict == "inconclusive"  # the quick preset does not compare recipes
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
    assert all(c.verdict == "holds" for cid, c in claims.items() if cid not in (claim, "speedrun"))


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


def test_speedrun_needs_the_full_preset():
    claim = verdicts(results())["speedrun"]
    assert claim.verdict == "inconclusive" and "--full" in claim.criterion


def test_speedrun_holds_when_the_whole_interval_is_under_a_third():
    claim = verdicts(with_speedrun(), FULL)["speedrun"]
    assert claim.verdict == "holds"
    ev = claim.evidence
    assert ev["cpu_ratio"] == pytest.approx(0.25) and ev["cpu_ratio_high"] < 1 / 3 < 0.34
    assert ev["n_seeds"] == 3 and ev["seeds_reaching_target"] == 3 and ev["target_val_loss"] == 1.88
    assert ev["speedrun_cpu_seconds"] == pytest.approx(30.0) and ev["baby_cpu_seconds"] == 120.0
    assert "2 df" in claim.criterion and "0.3333" in claim.criterion


def test_speedrun_fails_when_the_interval_reaches_past_a_third_or_a_seed_never_gets_there():
    straddles = verdicts(with_speedrun(times=(30.0, 45.0, 36.0)), FULL)["speedrun"]
    assert straddles.verdict == "fails" and straddles.evidence["cpu_ratio_high"] > 1 / 3
    never = verdicts(with_speedrun(never=(1,)), FULL)["speedrun"]
    assert never.verdict == "fails" and never.evidence["seeds_reaching_target"] == 2
    assert "cpu_ratio" not in never.evidence
