"""Each gpt judge on made-up results: holds, fails (a straddle too) and inconclusive, without training."""

import math

import pytest

from nngarden.findings import judge_claims
from nngarden.notes.gpt import CLAIMS, GPTNoteConfig
from nngarden.notes.gpt.claims import JUDGES
from nngarden.notes.gpt.config import REFERENCE_VAL_LOSS
from nngarden.notes.gpt.speedrun import summarize

QUICK = GPTNoteConfig.quick()  # nanoGPT's recipe stopped early on its schedule
FULL = GPTNoteConfig.full().with_overrides(["train.max_steps=1000", "train.lr_decay_steps=2000"])
VOCAB = 65
REFERENCE = REFERENCE_VAL_LOSS[1000]  # 2.041


def results(
    initial=(0.0, 0.01, -0.01),
    val=(2.04, 2.05, 2.06),
    train=None,
    step=1000,
    leak=0.0,
    seen=1.0,
    model_shares=(0.62, 0.6, 0.64),
    ngram_shares=(0.5, 0.52, 0.49),
):
    train = train or val
    trained = [
        {
            "seed": seed,
            "evals": [
                {"step": 0, "val_loss": math.log(VOCAB) + d, "train_eval_loss": math.log(VOCAB) + d},
                {"step": step, "val_loss": v + 0.01, "train_eval_loss": tr},
            ],
            "whole_split": [{"step": step, "val_loss": v}],
        }
        for seed, d, v, tr in zip(range(3), initial, val, train)
    ]
    return {
        "trained": trained,
        "final_step": step,
        "vocab_size": VOCAB,
        "val_tokens": 478_514,
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
            "per_seed": [
                {
                    "seed": seed,
                    "share_model": m,
                    "words_model": 250,
                    "copy_model": "t there shall",
                    "share_ngram": n,
                    "words_ngram": 260,
                    "copy_ngram": "my lord, and the",
                }
                for seed, m, n in zip(range(3), model_shares, ngram_shares)
            ],
            "ngram_order": 5,
            "ngram_val_loss": 1.57,
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


def test_the_revised_findings_say_so():
    revised = {spec.id for spec in CLAIMS if spec.revised}
    assert revised == {"learns", "samples"}


def test_every_claim_holds_on_a_good_run():
    claims = verdicts(results())
    assert claims.pop("speedrun").verdict == "inconclusive"  # the quick preset does not compare recipes
    assert {cid: c.verdict for cid, c in claims.items()} == dict.fromkeys(claims, "holds")
    learns = claims["learns"]
    assert (
        "step 1000" in learns.criterion
        and "2.041" in learns.criterion
        and "t interval, 2 df" in learns.criterion
    )
    assert learns.evidence["reference_step_1000"] == REFERENCE
    assert learns.evidence["n_seeds"] == 3
    assert learns.evidence["val_loss_step_1000"] == pytest.approx(2.05)
    assert learns.evidence["val_loss_step_1000_low"] < 2.05 < learns.evidence["val_loss_step_1000_high"]
    samples = claims["samples"]
    assert samples.evidence["model_minus_ngram"] == pytest.approx((0.62 + 0.6 + 0.64 - 0.5 - 0.52 - 0.49) / 3)
    assert samples.evidence["longest_copy_ngram_chars"] == len("my lord, and the")
    assert "5-gram" in samples.criterion and "3 letters" in samples.criterion


@pytest.mark.parametrize(
    "change, claim",
    [
        ({"leak": 1e-3}, "causal"),  # a later token moved an earlier output
        ({"seen": 0.0}, "causal"),  # the test could not see any change at all
        ({"initial": (0.5, 0.52, 0.48)}, "learns"),  # did not start at ln V
        ({"initial": (0.0, 0.2, -0.2)}, "learns"),  # the interval of the start straddles the tolerance
        ({"val": (2.10, 2.11, 2.12)}, "learns"),  # well above nanoGPT's 2.041 even widened by 0.02
        ({"val": (1.96, 1.97, 1.98)}, "learns"),  # well below it: two-sided, "matches" fails too
        ({"model_shares": (0.45, 0.47, 0.46), "ngram_shares": (0.3, 0.3, 0.3)}, "samples"),  # under half
        ({"model_shares": (0.4, 0.6, 0.8), "ngram_shares": (0.3, 0.3, 0.3)}, "samples"),  # a straddle of 0.5
        ({"ngram_shares": (0.7, 0.7, 0.7)}, "samples"),  # below the 5-gram
        ({"ngram_shares": (0.5, 0.7, 0.55)}, "samples"),  # the paired difference straddles 0
    ],
)
def test_a_claim_fails_when_its_criterion_is_missed(change, claim):
    claims = verdicts(results(**change))
    assert claims[claim].verdict == "fails"
    assert all(c.verdict == "holds" for cid, c in claims.items() if cid not in (claim, "speedrun"))


def test_learns_holds_while_the_reference_is_inside_the_widened_interval():
    # the seeds' interval is 2.071 +- 0.0248; widened by 0.02 its low end is 2.026 < 2.041: inside
    assert verdicts(results(val=(2.06, 2.07, 2.08)))["learns"].verdict == "holds"


def test_learns_reports_and_flags_the_train_minus_validation_gap():
    claims = verdicts(results(train=(1.90, 1.91, 1.92)))  # train 0.14 below validation
    learns = claims["learns"]
    assert learns.verdict == "holds"  # a flag, not a verdict
    assert learns.evidence["train_minus_val_step_1000"] == pytest.approx(-0.14)
    assert learns.evidence["train_val_gaps_flagged"] == 1
    assert "step 1000 (-0.140)" in learns.criterion


def test_learns_without_a_training_estimate_reports_no_gap():
    res = results()
    for seed in res["trained"]:  # an engine evaluating the whole split (eval_batches=0) skips the train split
        for row in seed["evals"]:
            row["train_eval_loss"] = None
    learns = verdicts(res)["learns"]
    assert learns.verdict == "holds" and "not measured" in learns.criterion
    assert "train_minus_val_step_1000" not in learns.evidence


def test_shapes_fail_when_a_count_is_off_by_more_than_the_tolerance():
    res = results()
    res["shapes"]["counts"]["gpt3_175b"]["params"] = 170e9
    assert verdicts(res)["shapes"].verdict == "fails"


def test_learns_is_inconclusive_off_the_recipe_or_off_the_curve():
    tiny = verdicts(results(), GPTNoteConfig.tiny())["learns"]
    assert tiny.verdict == "inconclusive" and "model.n_layer" in tiny.criterion
    assert tiny.evidence["initial_minus_ln_vocab"] == pytest.approx(0.0)  # evidence is kept
    off_curve = QUICK.with_overrides(["train.max_steps=900"])
    claim = verdicts(results(step=900), off_curve)["learns"]
    assert claim.verdict == "inconclusive" and "step 900" in claim.criterion


def test_findings_need_three_seeds():
    two = QUICK.with_overrides(["findings.seeds=2"])
    claims = verdicts(results(), two)
    for cid in ("learns", "samples"):
        assert claims[cid].verdict == "inconclusive" and "fewer than 3 seeds" in claims[cid].criterion


def test_samples_without_words_or_baseline_are_inconclusive():
    assert verdicts(results(model_shares=(float("nan"), 0.6, 0.6)))["samples"].verdict == "inconclusive"
    res = results()
    res["samples"]["ngram_order"] = None
    claim = verdicts(res)["samples"]
    assert claim.verdict == "inconclusive" and "too large" in claim.criterion


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
