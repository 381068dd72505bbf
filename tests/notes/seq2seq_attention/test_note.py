"""The seq2seq-attention note: registration, presets, the knee, training through fit on the run's device,
rejudging without training, and the verse corpus skipping cleanly."""

import json

import pytest
import torch

from nngarden.config import ConfigError
from nngarden.notes import get_note
from nngarden.notes.seq2seq_attention import NOTE
from nngarden.notes.seq2seq_attention import experiment as note_experiment
from nngarden.notes.seq2seq_attention.claims import knee
from nngarden.notes.seq2seq_attention.config import Seq2SeqNoteConfig
from nngarden.runs import RunContext, rejudge_run, run_note
from nngarden.train import fit as fit_module


def test_registered_with_the_issue_claim_ids_all_findings():
    note = get_note("seq2seq-attention")
    assert note is NOTE
    assert note.claim_ids == ["bottleneck", "attention-holds", "alignment", "alignment-exact", "translation"]
    assert {note.kind(claim_id) for claim_id in note.claim_ids} == {"finding"}
    assert set(note.quick_decides) == {"bottleneck", "attention-holds", "alignment", "alignment-exact"}


def test_presets_and_bad_values():
    quick, full = Seq2SeqNoteConfig.quick(), Seq2SeqNoteConfig.full()
    assert full.hidden == 64 and full.min_len == 5 and full.max_len == 30 and full.steps == 2000
    assert quick.fixed_widths[-1] > quick.fixed_widths[0]
    assert quick.n_seeds >= 3 and full.n_seeds >= 3 and full.dates_seeds >= 3
    # both attention scores at both presets: one decides, the other is reported
    assert {quick.score, quick.other_score} == {full.score, full.other_score} == {"general", "additive"}
    assert quick.other_score_seeds >= 1 and full.other_score_seeds >= 1
    with pytest.raises(ConfigError, match="other_score"):
        Seq2SeqNoteConfig(score="general", other_score="general")
    with pytest.raises(ConfigError, match="min_len"):
        Seq2SeqNoteConfig(min_len=9, max_len=4)
    with pytest.raises(ConfigError, match="score"):
        Seq2SeqNoteConfig(score="cosine")
    with pytest.raises(ConfigError, match="fixed_widths"):
        Seq2SeqNoteConfig().with_overrides(["fixed_widths=0,8"])


def test_knee_interpolates_where_exact_accuracy_crosses_the_level():
    assert knee([5, 10, 15], [0.9, 0.1, 0.0], 0.5) == pytest.approx(7.5)
    assert knee([5, 10, 15], [0.9, 0.7, 0.3], 0.5) == pytest.approx(12.5)
    assert knee([5, 10], [1.0, 0.9], 0.5) == 10.0
    assert knee([5, 10], [0.2, 0.0], 0.5) == 5.0


def test_every_model_trains_through_fit_on_the_run_device_and_rejudge_trains_nothing(tmp_path, monkeypatch):
    seen = []

    def record(model, batch, device):
        assert next(model.parameters()).device.type == device
        assert all(tensor.device.type == device for tensor in batch)
        seen.append(device)

    run_dir = tmp_path / "run"
    with fit_module.record_fits(record):
        data, _ = run_note(NOTE, Seq2SeqNoteConfig.tiny(), run_dir, preset="tiny")
    # one fit per stack: each fixed width, attention copy + reverse, the control, the other score on copy
    # + reverse; then the transformer, dates fixed and attention (the tiny preset trains one seed of each)
    assert seen == ["cpu"] * 8
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert {row["run"] for row in rows if "train_loss" in row} == {
        "copy-fixed-8-seed0",
        "copy-fixed-12-seed0",
        "copy-attention-8-seed0",
        "reverse-attention-8-seed0",
        "copy-control-8-seed0",
        "copy-attention-additive-8-seed0",
        "reverse-attention-additive-8-seed0",
        "copy-transformer-seed0",
        "dates-fixed-seed0",
        "dates-attention-seed0",
    }
    # the signed-offset histogram of every attention model is logged
    logged = {row["run"] for row in rows if "alignment_offset" in row}
    assert "copy-control-8-seed0" in logged and "reverse-attention-8-seed0" in logged

    def no_training(*args, **kwargs):
        raise AssertionError("rejudge must not train")

    monkeypatch.setattr(note_experiment, "fit", no_training)
    again = rejudge_run(NOTE, run_dir)
    assert again["claims"] == data["claims"]
    assert again["figures"] == data["figures"] and len(data["figures"]) == 5


def test_verses_stage_skips_with_a_reason_when_the_corpus_is_absent(monkeypatch, tmp_path):
    from nngarden.data import sword

    monkeypatch.setattr(sword, "sword_status", lambda *a, **k: (False, "the SWORD corpus is not installed"))
    out = note_experiment.verses_stage(RunContext(tmp_path), Seq2SeqNoteConfig.tiny(), seed=0)
    assert out == {"skipped": "the SWORD corpus is not installed"}


def test_loss_curve_averages_each_window_of_steps_and_ends_at_the_last_step():
    assert note_experiment._window_means([1.0, 2.0, 3.0, 4.0, 5.0], 2) == [[2, 1.5], [4, 3.5], [5, 5.0]]


def test_each_stacked_member_draws_the_batches_it_would_draw_alone():
    from nngarden.data.seq2seq_tasks import TaskSampler

    cfg = Seq2SeqNoteConfig.quick()

    def samplers():
        return [
            TaskSampler(task, cfg.n_symbols, cfg.min_len, cfg.max_len, seed=s)
            for task, s in [("copy", 0), ("reverse", 11), ("copy", 20)]
        ]

    stacked = note_experiment._stacked_batches(cfg, samplers())
    alone = [note_experiment._algorithmic_batches(cfg, sampler) for sampler in samplers()]
    for step in range(5):
        src, src_len, tgt_in, tgt_out = stacked(step)
        for m, next_batch in enumerate(alone):
            own = next_batch()
            s = own.src.size(1)
            assert torch.equal(src[m, :, :s], own.src) and not src[m, :, s:].any()
            assert torch.equal(src_len[m], own.src_len)
            assert torch.equal(tgt_in[m, :, : s + 1], own.tgt_in) and torch.equal(
                tgt_out[m, :, : s + 1], own.tgt_out
            )
