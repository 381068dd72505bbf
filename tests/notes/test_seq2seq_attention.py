"""The seq2seq-attention note: presets, the knee, the verdict rules, and the verse corpus skipping cleanly."""

import pytest

from nngarden.config import ConfigError
from nngarden.notes import get_note
from nngarden.notes import seq2seq_attention as note_module
from nngarden.notes.seq2seq_attention import CLAIMS, Seq2SeqNoteConfig, _verdicts, knee


def test_registered_with_the_issue_claim_ids():
    note = get_note("seq2seq-attention")
    assert list(note.claims) == ["bottleneck", "attention-holds", "alignment", "translation"]
    assert set(note.quick_decides) == {"bottleneck", "attention-holds", "alignment"}


def test_presets_and_bad_values():
    quick, full = Seq2SeqNoteConfig.quick(), Seq2SeqNoteConfig.full()
    assert full.hidden == 64 and full.min_len == 5 and full.max_len == 30 and full.steps == 2000
    assert quick.fixed_widths[-1] > quick.fixed_widths[0]
    with pytest.raises(ConfigError, match="min_len"):
        Seq2SeqNoteConfig(min_len=9, max_len=4)
    with pytest.raises(ConfigError, match="score"):
        Seq2SeqNoteConfig(score="cosine")
    with pytest.raises(ConfigError, match="fixed_widths"):
        Seq2SeqNoteConfig().with_overrides(["fixed_widths=0,8"])


def test_knee_interpolates_where_exact_accuracy_crosses_one_half():
    assert knee([5, 10, 15], [0.9, 0.1, 0.0]) == pytest.approx(7.5)
    assert knee([5, 10, 15], [0.9, 0.7, 0.3]) == pytest.approx(12.5)
    assert knee([5, 10], [1.0, 0.9]) == 10.0
    assert knee([5, 10], [0.2, 0.0]) == 5.0


def _curve(hidden, params, exact, token=None, aligned=None):
    lengths = [5, 10, 15, 20]
    return {
        "hidden": hidden,
        "params": params,
        "lengths": lengths,
        "exact": exact,
        "token": token or [1.0] * 4,
        "aligned": aligned or [1.0] * 4,
        "n_aligned": [10, 20, 30, 40],
    }


def _verdict_map(cfg, fixed, attn, reverse, dates=None):
    return {c.id: c.verdict for c in _verdicts(cfg, fixed, attn, reverse, dates)}


def test_verdicts_follow_the_measurements():
    cfg = Seq2SeqNoteConfig(min_len=5, max_len=20)
    fixed = [_curve(32, 60_000, [0.95, 0.2, 0.0, 0.0]), _curve(64, 200_000, [0.99, 0.6, 0.05, 0.0])]
    attn = _curve(
        32, 65_000, [1.0, 0.99, 0.9, 0.8], token=[1.0, 1.0, 0.99, 0.97], aligned=[1.0, 0.98, 0.95, 0.93]
    )
    reverse = _curve(32, 65_000, [1.0] * 4, aligned=[0.99] * 4)
    v = _verdict_map(cfg, fixed, attn, reverse)
    assert v == {
        "bottleneck": "holds",
        "attention-holds": "holds",
        "alignment": "holds",
        "translation": "inconclusive",
    }
    # widening removes the collapse: the bottleneck claim fails
    fixed_wide_ok = [fixed[0], _curve(64, 200_000, [0.99, 0.9, 0.8, 0.7])]
    assert _verdict_map(cfg, fixed_wide_ok, attn, reverse)["bottleneck"] == "fails"
    # the attention model dips below 0.95 at one length, or is not smaller: fails
    dipping = dict(attn, token=[1.0, 0.99, 0.94, 0.97])
    assert _verdict_map(cfg, fixed, dipping, reverse)["attention-holds"] == "fails"
    assert _verdict_map(cfg, fixed, dict(attn, params=300_000), reverse)["attention-holds"] == "fails"
    # a reverse model looking elsewhere breaks the alignment claim
    assert _verdict_map(cfg, fixed, attn, dict(reverse, aligned=[0.5] * 4))["alignment"] == "fails"
    # one width cannot say whether widening moves the knee
    assert _verdict_map(cfg, fixed[:1], attn, reverse)["bottleneck"] == "inconclusive"


def test_translation_verdict_reads_chrf():
    cfg = Seq2SeqNoteConfig()
    fixed = [_curve(32, 60_000, [0.95, 0.2, 0.0, 0.0]), _curve(64, 200_000, [0.99, 0.6, 0.05, 0.0])]
    attn = _curve(32, 65_000, [1.0] * 4)
    scores = {
        "chrf": 95.0,
        "bleu": 90.0,
        "chrf_beam": 95.5,
        "lengths_differ": 1.0,
        "src_len_mean": 6.0,
        "tgt_len_mean": 10.0,
    }
    dates = {"attention": scores, "fixed": dict(scores, chrf=80.0)}
    assert _verdict_map(cfg, fixed, attn, attn, dates)["translation"] == "holds"
    dates["attention"] = dict(scores, chrf=85.0)
    assert _verdict_map(cfg, fixed, attn, attn, dates)["translation"] == "fails"
    assert set(CLAIMS) == {"bottleneck", "attention-holds", "alignment", "translation"}


def test_verses_stage_skips_with_a_reason_when_the_corpus_is_absent(monkeypatch, tmp_path):
    from nngarden.data import sword

    monkeypatch.setattr(sword, "sword_status", lambda *a, **k: (False, "the SWORD corpus is not installed"))
    from nngarden.runs import RunContext

    out = note_module._verses_stage(RunContext(tmp_path), Seq2SeqNoteConfig.tiny(), seed=0)
    assert out == {"skipped": "the SWORD corpus is not installed"}
