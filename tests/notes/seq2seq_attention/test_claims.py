"""Each seq2seq-attention judge on made-up measurements: holds, fails (a straddle included) and
inconclusive, without training; and the alignment convention on oracle attention weights."""

import math

import pytest
import torch

from nngarden.notes.seq2seq_attention import NOTE
from nngarden.notes.seq2seq_attention.claims import modal_offset, offset_share
from nngarden.notes.seq2seq_attention.config import Seq2SeqNoteConfig
from nngarden.notes.seq2seq_attention.experiment import alignment_histogram

NAN = math.nan
LENGTHS = [5, 10, 15, 20]


def _histograms(shift=0, share=1.0, n=10):
    """Per length: n sequences whose tokens sit at ``shift`` from the aligned position with probability
    ``share`` (of the tokens that have such a position), the rest two positions further."""
    out = []
    for length in LENGTHS:
        valid = n * (length - abs(shift))
        hits = round(share * valid)
        out.append([[shift, hits], [shift + 2, n * length - hits]])
    return out


def _curve(hidden=32, params=65_000, exact=None, token=None, shift=0, share=1.0, score="general", **extra):
    run = {
        "hidden": hidden,
        "params": params,
        "score": score,
        "lengths": LENGTHS,
        "exact": exact or [1.0] * 4,
        "token": token or [1.0] * 4,
        "offsets": _histograms(shift, share),
        "n_sequences": [10] * 4,
    }
    return {**run, **extra}


def _seeds(*runs):
    return list(runs)


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
    narrow = [_curve(32, 60_000, [0.95, 0.2, 0.0, 0.0]), _curve(32, 60_000, [0.97, 0.25, 0.0, 0.0])]
    narrow.append(_curve(32, 60_000, [0.96, 0.15, 0.0, 0.0]))
    wide = [_curve(64, 200_000, [0.99, 0.6, 0.05, 0.0]) for _ in range(2)]
    wide.append(_curve(64, 200_000, [0.99, 0.7, 0.02, 0.0]))
    attention = [
        _curve(token=[1.0, 1.0, 0.99, t], shift=1, share=s)
        for t, s in ((0.97, 0.99), (0.98, 0.98), (0.97, 0.99))
    ]
    results = {
        "fixed": [narrow, wide],
        "attention": attention,
        "reverse": [_curve(shift=-1, share=s) for s in (0.99, 0.995, 0.985)],
        "control": [_curve(share=s) for s in (0.97, 0.98, 0.96)],
        "other_score": {"copy": [_curve(score="additive", share=0.8)], "reverse": [_curve(score="additive")]},
        "transformer": None,
        "dates": {
            "attention": [dict(scores, chrf=c) for c in (95.0, 94.0, 96.0)],
            "fixed": [dict(scores, chrf=80.0)] * 3,
        },
        "verses": None,
    }
    results.update(changes)
    return results


CFG = Seq2SeqNoteConfig(min_len=5, max_len=20, fixed_widths=(32, 64), dates_steps=10, score="general")


def _claims(results, cfg=CFG):
    return {claim.id: claim for claim in NOTE.judge(cfg, results)}


def _verdicts(results, cfg=CFG):
    return {claim_id: claim.verdict for claim_id, claim in _claims(results, cfg).items()}


def test_every_claim_holds_on_a_clean_run_with_intervals_in_its_evidence():
    claims = _claims(_results())
    assert {c.verdict for c in claims.values()} == {"holds"}
    assert {c.kind for c in claims.values()} == {"finding"}
    bottleneck = claims["bottleneck"]
    assert "95% intervals (t interval, 2 df)" in bottleneck.criterion and ">= 0.8" in bottleneck.criterion
    assert bottleneck.evidence["knee_narrow"] == pytest.approx(8.0, abs=0.2)
    assert bottleneck.evidence["n_seeds"] == 3
    assert (
        "exact_first_narrow_low" in bottleneck.evidence
        and "knee_widest_minus_narrowest_low" in bottleneck.evidence
    )
    holds = claims["attention-holds"]
    assert "max_len (20)" in holds.criterion and "(general score)" in holds.criterion
    assert holds.evidence["additive_min_token_accuracy"] == 1.0
    align = claims["alignment"]
    assert "Measured m: copy +1, +1, +1; reverse -1, -1, -1" in align.criterion
    assert (
        align.evidence["copy_modal_offset_seed0"] == 1 and align.evidence["reverse_modal_offset_seed2"] == -1
    )
    assert align.evidence["copy_share_at_modal_offset"] == pytest.approx(0.9833, abs=0.01)
    assert align.evidence["additive_copy_share_at_modal_offset_seed0"] == pytest.approx(0.8, abs=0.01)
    exact = claims["alignment-exact"]
    assert exact.evidence["control_exact_share"] == pytest.approx(0.97, abs=0.01)
    assert claims["translation"].evidence["chrf_fixed"] == 80.0
    for claim_id in ("bottleneck", "attention-holds", "alignment", "translation"):
        assert claims[claim_id].revised


def test_bottleneck_fails_when_widening_removes_the_collapse_and_needs_two_widths_and_three_seeds():
    narrow, wide = _results()["fixed"]
    wide_ok = [_curve(64, 200_000, [0.99, 0.9, 0.8, 0.7])] * 3
    assert _verdicts(_results(fixed=[narrow, wide_ok]))["bottleneck"] == "fails"
    no_collapse = [_curve(32, 60_000, [0.95, 0.6, 0.3, 0.2])] * 3
    assert _verdicts(_results(fixed=[no_collapse, wide]))["bottleneck"] == "fails"
    # one seed collapses at length 20 only to 0.12: the narrow model's interval straddles 0.05
    straddle = narrow[:2] + [_curve(32, 60_000, [0.96, 0.15, 0.1, 0.12])]
    assert _verdicts(_results(fixed=[straddle, wide]))["bottleneck"] == "fails"
    one_width = Seq2SeqNoteConfig(min_len=5, max_len=20, fixed_widths=(32,))
    claim = _claims(_results(fixed=[narrow]), one_width)["bottleneck"]
    assert claim.verdict == "inconclusive" and "two fixed-vector widths" in claim.criterion
    two_seeds = Seq2SeqNoteConfig(min_len=5, max_len=20, fixed_widths=(32, 64), n_seeds=2)
    claim = _claims(_results(), two_seeds)["bottleneck"]
    assert claim.verdict == "inconclusive" and "fewer than 3 seeds" in claim.criterion
    unmeasured = narrow[:2] + [_curve(32, 60_000, [0.95, 0.2, 0.0, NAN])]
    assert _verdicts(_results(fixed=[unmeasured, wide]))["bottleneck"] == "inconclusive"


def test_attention_holds_fails_on_a_dip_a_straddle_or_a_larger_model_and_is_undecided_without_accuracy():
    attn = _results()["attention"]
    dip = [dict(r, token=[1.0, 0.99, 0.90, 0.97]) for r in attn]
    assert _verdicts(_results(attention=dip))["attention-holds"] == "fails"
    straddle = attn[:2] + [dict(attn[2], token=[1.0, 1.0, 0.99, 0.92])]  # mean 0.953, lower end below
    assert _verdicts(_results(attention=straddle))["attention-holds"] == "fails"
    assert (
        _verdicts(_results(attention=[dict(r, params=300_000) for r in attn]))["attention-holds"] == "fails"
    )
    unmeasured = attn[:2] + [dict(attn[2], token=[NAN] * 4)]
    assert _verdicts(_results(attention=unmeasured))["attention-holds"] == "inconclusive"


def test_alignment_needs_a_rigid_diagonal_on_copy_and_on_reverse():
    assert _verdicts(_results(reverse=[_curve(shift=-1, share=0.6)] * 3))["alignment"] == "fails"
    far = [_curve(shift=2, share=0.99)] * 3  # rigid, but two positions off: not the aligned diagonal
    assert _verdicts(_results(attention=far))["alignment"] == "fails"
    straddle = [_curve(shift=1, share=s) for s in (0.99, 0.98, 0.8)]
    assert _verdicts(_results(attention=straddle))["alignment"] == "fails"
    mixed = [_curve(shift=1, share=0.97), _curve(shift=-1, share=0.97), _curve(shift=0, share=0.97)]
    assert _verdicts(_results(attention=mixed))["alignment"] == "holds"  # each model its own rigid shift
    unmeasured = [_curve(shift=1, share=0.99)] * 2 + [dict(_curve(), n_sequences=[0] * 4)]
    assert _verdicts(_results(attention=unmeasured))["alignment"] == "inconclusive"


def test_alignment_exact_is_decided_on_the_control_at_offset_zero():
    shifted = [_curve(shift=1, share=0.99)] * 3  # a rigid diagonal, but not on the aligned position
    assert _verdicts(_results(control=shifted))["alignment-exact"] == "fails"
    straddle = [_curve(share=s) for s in (0.99, 0.97, 0.75)]
    assert _verdicts(_results(control=straddle))["alignment-exact"] == "fails"


def test_translation_reads_chrf_over_seeds_and_needs_a_trained_translation_model():
    dates = _results()["dates"]
    low = dict(dates, attention=[dict(r, chrf=85.0) for r in dates["attention"]])
    assert _verdicts(_results(dates=low))["translation"] == "fails"
    same_lengths = dict(dates, attention=[dict(r, lengths_differ=0.3) for r in dates["attention"]])
    assert _verdicts(_results(dates=same_lengths))["translation"] == "fails"
    no_dates = Seq2SeqNoteConfig(min_len=5, max_len=20, fixed_widths=(32, 64), dates_steps=0)
    claim = _claims(_results(dates=None), no_dates)["translation"]
    assert claim.verdict == "inconclusive" and "dates_steps=0" in claim.criterion


@pytest.mark.parametrize("task", ["copy", "reverse"])
@pytest.mark.parametrize("shift", [0, 1, -1])
def test_one_hot_oracle_weights_on_the_aligned_position_score_one(task, shift):
    """The alignment convention: target token i of a length-L source is aligned with source i on copy
    and L-1-i on reverse; weights one-hot there (or rigidly ``shift`` away, where that position exists)
    give a modal offset of ``shift`` and a share of exactly 1.0."""
    batch, length = 4, 7
    aligned = torch.arange(length) if task == "copy" else length - 1 - torch.arange(length)
    looked = aligned + shift
    inside = (looked >= 0) & (looked < length)
    weights = torch.zeros(batch, length, length)
    rows = torch.arange(length)[inside]
    weights[:, rows, looked[inside]] = 1.0
    weights[:, ~inside, 0 if shift > 0 and task == "copy" else length - 1] = 1.0  # boundary: anywhere
    histogram = alignment_histogram(weights, task)
    run = {"offsets": [sorted(histogram.items())], "n_sequences": [batch], "lengths": [length]}
    assert modal_offset(run) == shift
    assert offset_share(run, shift) == 1.0
