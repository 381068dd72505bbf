"""Each seq2seq-attention judge on made-up measurements: holds, fails and inconclusive, without training."""

import math

from nngarden.notes.seq2seq_attention import NOTE
from nngarden.notes.seq2seq_attention.config import Seq2SeqNoteConfig

NAN = math.nan


def _curve(hidden, params, exact, token=None, aligned=None, near=None):
    return {
        "hidden": hidden,
        "params": params,
        "lengths": [5, 10, 15, 20],
        "exact": exact,
        "token": token or [1.0] * 4,
        "aligned": aligned or [1.0] * 4,
        "near": near or [1.0] * 4,
        "n_aligned": [10, 20, 30, 40],
    }


def _results(**changes):
    """A run in which every claim holds (the fixed models collapse, attention does not), then ``changes``."""
    scores = {
        "chrf": 95.0,
        "bleu": 90.0,
        "chrf_beam": 95.5,
        "lengths_differ": 1.0,
        "src_len_mean": 6.0,
        "tgt_len_mean": 10.0,
    }
    results = {
        "fixed": [_curve(32, 60_000, [0.95, 0.2, 0.0, 0.0]), _curve(64, 200_000, [0.99, 0.6, 0.05, 0.0])],
        "attention": _curve(
            32, 65_000, [1.0, 0.99, 0.9, 0.8], token=[1.0, 1.0, 0.99, 0.97], aligned=[1.0, 0.98, 0.95, 0.93]
        ),
        "reverse": _curve(32, 65_000, [1.0] * 4, aligned=[0.99] * 4),
        "transformer": None,
        "dates": {"attention": scores, "fixed": dict(scores, chrf=80.0)},
        "verses": None,
    }
    results.update(changes)
    return results


CFG = Seq2SeqNoteConfig(min_len=5, max_len=20, fixed_widths=(32, 64), dates_steps=10)


def _claims(results, cfg=CFG):
    return {claim.id: claim for claim in NOTE.judge(cfg, results)}


def _verdicts(results, cfg=CFG):
    return {claim_id: claim.verdict for claim_id, claim in _claims(results, cfg).items()}


def test_every_claim_holds_on_a_clean_run_with_thresholds_in_the_criterion():
    claims = _claims(_results())
    assert {c.verdict for c in claims.values()} == {"holds"}
    assert claims["bottleneck"].criterion == (
        "narrowest fixed model: exact accuracy >= 0.8 at the shortest length and <= 0.05 at the longest; "
        "widest: its knee (length where exact accuracy crosses 0.5) lies beyond the narrowest's, yet its "
        "exact accuracy at the longest length is <= 0.1"
    )
    assert claims["bottleneck"].evidence["knee_narrow"] == 8.0  # 5 + 5 * (0.95 - 0.5) / (0.95 - 0.2)
    assert claims["attention-holds"].criterion.startswith("attention model's greedy token accuracy >= 0.95")
    assert "max_len (20)" in claims["attention-holds"].criterion
    assert ">= 90% of target tokens" in claims["alignment"].criterion
    assert claims["alignment"].evidence["copy_within_one_position"] == 1.0
    assert claims["translation"].criterion.startswith("attention model's greedy corpus chrF >= 90 ")
    assert claims["translation"].evidence["chrf_fixed"] == 80.0


def test_bottleneck_fails_when_widening_removes_the_collapse_and_needs_two_widths():
    fixed = _results()["fixed"]
    wide_ok = [fixed[0], _curve(64, 200_000, [0.99, 0.9, 0.8, 0.7])]
    assert _verdicts(_results(fixed=wide_ok))["bottleneck"] == "fails"
    no_collapse = [_curve(32, 60_000, [0.95, 0.6, 0.3, 0.2]), fixed[1]]
    assert _verdicts(_results(fixed=no_collapse))["bottleneck"] == "fails"
    one_width = Seq2SeqNoteConfig(min_len=5, max_len=20, fixed_widths=(32,))
    claim = _claims(_results(fixed=fixed[:1]), one_width)["bottleneck"]
    assert claim.verdict == "inconclusive" and "two fixed-vector widths" in claim.criterion
    unmeasured = [_curve(32, 60_000, [0.95, 0.2, 0.0, NAN]), fixed[1]]
    assert _verdicts(_results(fixed=unmeasured))["bottleneck"] == "inconclusive"


def test_attention_holds_fails_on_a_dip_or_a_larger_model_and_is_undecided_without_accuracy():
    attn = _results()["attention"]
    assert (
        _verdicts(_results(attention=dict(attn, token=[1.0, 0.99, 0.94, 0.97])))["attention-holds"] == "fails"
    )
    assert _verdicts(_results(attention=dict(attn, params=300_000)))["attention-holds"] == "fails"
    assert _verdicts(_results(attention=dict(attn, token=[NAN] * 4)))["attention-holds"] == "inconclusive"


def test_alignment_needs_both_copy_and_reverse_and_is_undecided_without_weights():
    reverse = _results()["reverse"]
    assert _verdicts(_results(reverse=dict(reverse, aligned=[0.5] * 4)))["alignment"] == "fails"
    attn = _results()["attention"]
    # 0.925 averaged over lengths, 0.88 over tokens: the fraction is over all target tokens
    dipping = dict(attn, aligned=[1.0, 1.0, 1.0, 0.7])
    assert _verdicts(_results(attention=dipping))["alignment"] == "fails"
    assert _verdicts(_results(attention=dict(attn, aligned=[NAN] * 4)))["alignment"] == "inconclusive"


def test_translation_reads_chrf_and_needs_a_trained_translation_model():
    dates = _results()["dates"]
    assert (
        _verdicts(_results(dates=dict(dates, attention=dict(dates["attention"], chrf=85.0))))["translation"]
        == "fails"
    )
    same_lengths = dict(dates, attention=dict(dates["attention"], lengths_differ=0.3))
    assert _verdicts(_results(dates=same_lengths))["translation"] == "fails"
    no_dates = Seq2SeqNoteConfig(min_len=5, max_len=20, fixed_widths=(32, 64), dates_steps=0)
    claim = _claims(_results(dates=None), no_dates)["translation"]
    assert claim.verdict == "inconclusive" and "dates_steps=0" in claim.criterion
