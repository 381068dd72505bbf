"""Each bert judge on made-up results: holds, fails (a straddle too) and inconclusive, without training."""

import pytest

from nngarden.findings import judge_claims
from nngarden.notes.bert import CLAIMS, BertNoteConfig
from nngarden.notes.bert.claims import JUDGES, paired

FULL = BertNoteConfig.full()  # trains the higher-rate model too


def table(n, first, second, both):
    """A 2x2 table of n items: the first reader right on ``first``, the second on ``second``, both on
    ``both`` of them."""
    return {
        "both": both,
        "only_a": first - both,
        "only_b": second - both,
        "neither": n - first - second + both,
    }


def results(
    bert=(6000, 2400, 900, 800),  # hidden characters, BERT right, most frequent right, both right
    higher=(2300, 2200),  # the higher-rate BERT right, both BERTs right
    both=(6000, 2760),  # windows, BERT right at the middle character
    left=(1500, 1400),  # the left-only masked model right, it and BERT right
    gpt=(2520, 2300),  # the GPT with BERT's steps right, it and BERT right
    tokens=(1200, 1100),  # the GPT with BERT's predicted tokens right, it and BERT right
):
    n, right, trivial_right, together = bert
    windows, bert_mid = both
    return {
        "trivial_accuracy": trivial_right / n,
        "hidden_accuracy": {"bert": right / n, "bert-0.4": higher[0] / n},
        "hidden_right": {
            "bert_vs_most_frequent": table(n, right, trivial_right, together),
            "standard_vs_higher": table(n, right, higher[0], higher[1]),
        },
        "both_sides": {
            "bert_both_sides": bert_mid / windows,
            "bert_left_only": left[0] / windows,
            "gpt_equal_steps": gpt[0] / windows,
            "gpt_equal_tokens": tokens[0] / windows,
            "tables": {
                "bert_both_sides_vs_bert_left_only": table(windows, bert_mid, left[0], left[1]),
                "bert_both_sides_vs_gpt_equal_steps": table(windows, bert_mid, gpt[0], gpt[1]),
                "bert_both_sides_vs_gpt_equal_tokens": table(windows, bert_mid, tokens[0], tokens[1]),
                "bert_left_only_vs_gpt_equal_steps": table(windows, left[0], gpt[0], 1300),
            },
        },
    }


def verdicts(res, cfg=FULL):
    return {c.id: c for c in judge_claims(CLAIMS, JUDGES, res, cfg)}


def test_every_claim_is_a_revised_finding():
    assert {spec.kind for spec in CLAIMS} == {"finding"}
    assert all(spec.revised for spec in CLAIMS)


def test_a_table_gives_the_paired_difference():
    lead = paired(table(100, 60, 40, 30))  # 30 right only for the first, 10 only for the second
    assert lead.difference.estimate == pytest.approx(0.2)
    assert (lead.only_a, lead.only_b, lead.difference.n) == (30, 10, 100)


def test_every_claim_holds_on_a_good_run():
    claims = verdicts(results())
    assert {cid: c.verdict for cid, c in claims.items()} == dict.fromkeys(claims, "holds")
    assert "15% of the characters" in claims["denoises"].criterion
    both = claims["both-sides"]
    assert "paired difference" in both.criterion and "150" not in both.criterion  # full: 450 steps
    assert both.evidence["n_items"] == 6000
    assert both.evidence["both_minus_gpt_equal_steps"] == pytest.approx(0.04)
    assert both.evidence["gpt_equal_steps_predicted_tokens"] == 32 * 64 * 3000
    assert both.evidence["bert_predicted_tokens"] == pytest.approx(0.15 * 32 * 64 * 3000)
    assert both.evidence["gpt_equal_tokens_predicted_tokens"] == 32 * 64 * 450


@pytest.mark.parametrize(
    "change, claim",
    [
        ({"bert": (6000, 2000, 900, 700), "higher": (2000, 1900)}, "denoises"),  # 0.183 over 0.15
        ({"bert": (6000, 2100, 900, 700), "higher": (2100, 2000)}, "denoises"),  # 0.2, straddling 0.2
        ({"gpt": (2700, 2500)}, "both-sides"),  # BERT's lead over the GPT is 0.01
        ({"gpt": (2620, 2300)}, "both-sides"),  # a lead of 0.023 whose lower bound is under 0.02
        ({"left": (2700, 2500)}, "both-sides"),  # the left-only masked model as good as BERT
        ({"higher": (1800, 1800)}, "mask-rate"),  # the rate moved accuracy by 0.1 > 0.25 x 0.15
        ({"higher": (2120, 2100)}, "mask-rate"),  # 0.047 apart, the interval reaching past 0.051
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
    assert "150 steps" in verdicts(res, quick)["both-sides"].criterion  # quick: 15% of 1000


def test_no_items_is_inconclusive():
    res = results(both=(6000, 2760))
    for key in res["both_sides"]["tables"]:
        res["both_sides"]["tables"][key] = table(0, 0, 0, 0)
    assert verdicts(res)["both-sides"].verdict == "inconclusive"
