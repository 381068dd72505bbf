"""The bert-geometry note without its model (inconclusive, with the command), its intervals, the
sense classifier's folds and the chain baseline."""

import dataclasses
import json
import math

import numpy as np
import pytest

from nngarden.data.grammar import SenseUse, right_branching, sense_uses
from nngarden.nn.probes import tree_edges
from nngarden.notes import get_note
from nngarden.notes.bert_geometry.config import BertGeometryConfig
from nngarden.notes.bert_geometry.experiment import Sentences
from nngarden.notes.bert_geometry.intervals import (
    mean_interval,
    ratio_interval,
    stratified_interval,
    t_interval,
    wilson_interval,
)
from nngarden.notes.bert_geometry.senses import development, nearest_centroid
from nngarden.runs import rejudge_run, run_note


def test_without_the_model_the_findings_are_inconclusive_and_name_the_fetch_command(tmp_path, monkeypatch):
    monkeypatch.setenv("NNGARDEN_DATA", str(tmp_path / "empty"))
    note = get_note("bert-geometry")
    config = dataclasses.replace(BertGeometryConfig.tiny(), own_bert_steps=0)  # nothing to draw
    data, _ = run_note(note, config, tmp_path / "run", preset="tiny")
    claims = {c["id"]: c for c in data["claims"]}
    assert claims["pythagorean"]["verdict"] == "holds"  # needs no model
    for claim_id in ("syntax-is-there", "not-the-probe", "middle-layers", "senses", "own-bert"):
        assert claims[claim_id]["verdict"] == "inconclusive"
    assert "nngarden data fetch" in claims["senses"]["criterion"]
    assert "model.safetensors is missing" in claims["senses"]["criterion"]
    assert data["figures"] == []
    # rejudging reads the cached "model missing" stage, even once the model would be there, and
    # swaps in an empty figures folder
    again = rejudge_run(note, tmp_path / "run")
    assert [c["verdict"] for c in again["claims"]] == [c["verdict"] for c in data["claims"]]


def test_wilson_and_t_intervals_match_known_values():
    share, low, high = wilson_interval(8, 10)
    assert share == 0.8 and low == pytest.approx(0.4902, abs=1e-4) and high == pytest.approx(0.9433, abs=1e-4)
    mean, low, high = t_interval([1.0, 2.0, 3.0])  # t(0.975, 2 df) = 4.303, s.e. = 1/sqrt(3)
    assert mean == 2.0 and high - mean == pytest.approx(4.3027 / math.sqrt(3), abs=1e-3)
    assert math.isnan(t_interval([1.0])[1])


def test_ratio_intervals_are_paired_and_micro_averaged():
    rng = np.random.default_rng(0)
    totals = rng.integers(4, 20, 300)
    a = rng.binomial(totals, 0.8)
    estimate, low, high = ratio_interval(a, totals)
    assert estimate == pytest.approx(a.sum() / totals.sum()) and low < estimate < high < 1
    same = ratio_interval(a, totals, a)  # a difference with itself: exactly 0, no width
    assert same == (0.0, 0.0, 0.0)
    b = np.minimum(a + rng.integers(0, 2, 300), totals)  # b is a paired small shift of a: a narrow interval
    gap = ratio_interval(b, totals, a)
    unpaired_se = math.sqrt(2 * 0.8 * 0.2 / totals.sum())
    assert 0 < gap[1] and (gap[2] - gap[1]) / (2 * 1.96) < unpaired_se


def test_the_stratified_mean_weighs_strata_alike():
    values = [1.0] * 10 + [0.0] * 2
    strata = [5] * 10 + [6] * 2
    mean, low, high = stratified_interval(values, strata)
    assert mean == 0.5 and low == high == 0.5  # no spread inside either stratum
    mean, low, high = mean_interval([0.1, 0.3, float("nan")])
    assert mean == pytest.approx(0.2) and low < 0.2 < high


def test_the_sense_classifier_is_tested_on_frames_and_cues_it_was_not_fitted_on():
    train = sense_uses("train")
    rng = np.random.default_rng(0)
    words = sorted({u.word for u in train})
    direction = {w: rng.normal(size=16) for w in words}
    x = np.stack([direction[u.word] * (1 if u.sense else -1) + 0.3 * rng.normal(size=16) for u in train])
    right, margin = development(x, train)
    assert right == len(train) and margin > 0  # each training use evaluated once, all right
    flipped = [SenseUse(u.word, 1 - u.sense, u.words, u.position, u.frame, u.cue) for u in train]
    right, _ = nearest_centroid(x, train, x, flipped)
    assert not right.any()


def test_the_chain_baseline_counts_gold_edges_between_neighbours():
    cfg = BertGeometryConfig.tiny()
    sentences = Sentences(cfg)
    summary = sentences.summary()
    for words, heads, hits in zip(sentences.words["test"], sentences.heads["test"], summary["chain_hits"]):
        assert hits == len(tree_edges(right_branching(len(words))) & tree_edges(heads))
        assert hits == sum(abs(c - h) == 1 for c, h in enumerate(heads) if h >= 0)
    example = summary["example"]
    assert sentences.words["test"][example["index"]] == example["words"]
    json.dumps(summary)  # plain JSON for the results


def test_own_bert_trains_and_its_twin_keeps_the_initial_weights(tmp_path):
    import torch

    from nngarden.notes.bert_geometry.own_bert import own_vectors, train_own_bert
    from nngarden.runs import RunContext

    cfg = BertGeometryConfig.tiny()
    ctx = RunContext(tmp_path)
    texts = [["the", "dog", "sleeps"], ["a", "cat", "sees", "the", "soup"]]
    result = train_own_bert(cfg, ctx, texts)
    assert math.isfinite(result["train_loss"]) and result["vocabulary"] > 50
    trained, untrained = own_vectors(cfg, ctx, texts, True), own_vectors(cfg, ctx, texts, False)
    assert trained[1].shape == (cfg.own_bert_layers + 1, 5, cfg.own_bert_width)
    assert not np.allclose(trained[1], untrained[1])
    from safetensors.torch import load_model

    from nngarden.notes.bert_geometry.own_bert import build, corpus, vocabulary

    vocab = vocabulary(texts, corpus(cfg.seed, cfg.own_bert_corpus))
    fresh, saved = build(cfg, vocab), build(cfg, vocab)
    for p in saved.parameters():
        torch.nn.init.zeros_(p)
    load_model(saved, str(tmp_path / "checkpoints" / "own_bert_untrained.safetensors"))
    for (name, a), b in zip(fresh.state_dict().items(), saved.state_dict().values()):
        assert torch.equal(a, b), name  # the twin is the initialisation the training started from
