"""The inductive-bias note: its measurements, the criteria its verdicts follow, and the tiny run."""

import numpy as np
import pytest
import torch

from nngarden.config import ConfigError
from nngarden.data.graphs import sort_lists
from nngarden.findings import validate_findings
from nngarden.notes import get_note
from nngarden.notes.inductive_bias import (
    CLAIMS,
    PUBLISHED,
    InductiveBiasConfig,
    _padded_lists,
    judge_mnist1d,
    judge_relational,
    measure_invariances,
    train_classifier,
)
from nngarden.runs import run_note


def test_invariance_measurements_separate_exact_symmetries_from_broken_ones():
    res = measure_invariances(num_graphs=4, seed=1)
    for key in (
        "gn_nodes_error",
        "gn_edges_error",
        "gn_globals_error",
        "conv_shift_equivariance_error",
        "conv_pool_shift_invariance_error",
        "gru_delay_equivariance_error",
    ):
        assert res[key] < 1e-5, key
    for key in (
        "conv_dense_shift_invariance_error",
        "mlp_permutation_equivariance_error",
        "mlp_permutation_invariance_error",
        "gru_delay_equivariance_error_with_bias",
        "gru_permutation_equivariance_error",
    ):
        assert res[key] > 1e-2, key


def published_like(**changes):
    acc = {
        "logistic_plain": 32.0,
        "logistic_shuffled": 32.0,
        "mlp_plain": 66.0,
        "mlp_shuffled": 66.5,
        "cnn_plain": 93.0,
        "cnn_shuffled": 56.0,
        "gru_plain": 90.0,
        "gru_shuffled": 57.0,
    }
    acc.update(changes)
    return acc


def test_mnist1d_verdict_follows_the_issue_criteria():
    assert judge_mnist1d(CLAIMS["mnist1d"], published_like(), with_gru=False).verdict == "holds"
    assert judge_mnist1d(CLAIMS["mnist1d"], published_like(), with_gru=True).verdict == "holds"
    for change in (
        {"mlp_shuffled": 63.5},
        {"logistic_plain": 36.0},
        {"cnn_plain": 87.0},
        {"cnn_shuffled": 70.0},
        {"mlp_plain": 61.0, "mlp_shuffled": 61.0},
    ):
        assert (
            judge_mnist1d(CLAIMS["mnist1d"], published_like(**change), with_gru=False).verdict == "fails"
        ), change
    assert (
        judge_mnist1d(CLAIMS["mnist1d"], published_like(gru_shuffled=80.0), with_gru=True).verdict == "fails"
    )
    missing = published_like()
    del missing["cnn_shuffled"]
    assert judge_mnist1d(CLAIMS["mnist1d"], missing, with_gru=False).verdict == "inconclusive"
    claim = judge_mnist1d(CLAIMS["mnist1d"], published_like(), with_gru=False)
    assert claim.evidence["cnn_published"] == PUBLISHED["cnn"][0]


def test_relational_verdict_needs_in_distribution_generalization_and_a_gap_to_the_mlp():
    cfg = InductiveBiasConfig.full()
    rel = {
        "sort_gn": {"solved_in": 0.95, "solved_larger": 0.6},
        "sort_mlp": {"solved_in": 0.2, "max_length": 16},
    }
    assert judge_relational("s", rel, cfg, decide=True).verdict == "holds"
    rel["sort_gn"]["solved_larger"] = 0.3
    assert judge_relational("s", rel, cfg, decide=True).verdict == "fails"
    assert judge_relational("s", rel, cfg, decide=False).verdict == "inconclusive"


def test_padded_lists_put_values_mask_and_successor_matrix_in_place():
    inputs, targets = sort_lists(3, 3, 5, np.random.default_rng(0))
    x, y, mask = _padded_lists(inputs, targets, width=6)
    for i, (g, t) in enumerate(zip(inputs.split(), targets.split())):
        n = g.num_nodes
        assert torch.equal(x[i, :n], g.nodes[:, 0]) and x[i, 6:].sum() == n
        assert mask[i, :6].sum() == n and mask[i, 6:].sum() == n * n
        assert y[i, 6:].sum() == n - 1 and y[i, :6].sum() == 1
    with pytest.raises(ConfigError, match="exceeds"):
        _padded_lists(inputs, targets, width=2)


def test_classifier_training_learns_mnist1d_above_chance(tmp_path, monkeypatch):
    monkeypatch.setenv("NNGARDEN_CACHE", str(tmp_path))
    from nngarden.data.mnist1d import load_mnist1d

    data = load_mnist1d(num_samples=1000)
    result = train_classifier(
        "mlp", data, steps=300, lr=1e-2, batch_size=100, eval_every=100, seed=0, average_last=100
    )
    assert [s for s, _ in result["curve"]] == [0, 100, 200, 300]
    assert result["final"] > 30  # chance is 10%
    assert result["final"] == pytest.approx(np.mean([a for s, a in result["curve"] if s >= 200]))


def test_config_validation_and_presets():
    with pytest.raises(ConfigError, match="models"):
        InductiveBiasConfig(models=("logistic", "resnet"))
    with pytest.raises(ConfigError, match="test_sizes"):
        InductiveBiasConfig(test_sizes=(16, 8))
    quick = InductiveBiasConfig.quick()
    assert {"logistic", "mlp", "cnn"} <= set(quick.models) and min(quick.steps, quick.cnn_steps) >= 1000
    full = InductiveBiasConfig.full()
    assert "gru" in full.models and full.relational_steps >= 1000 and full.seeds >= 3
    note = get_note("inductive-bias")
    assert set(note.quick_decides) == {"invariances", "mnist1d"}


def test_tiny_run_keeps_the_contract(tmp_path, monkeypatch):
    monkeypatch.setenv("NNGARDEN_CACHE", str(tmp_path / "cache"))
    note = get_note("inductive-bias")
    data, _ = run_note(note, InductiveBiasConfig.tiny(), tmp_path / "run", preset="tiny")
    assert validate_findings(data, list(note.claims)) == []
    verdicts = {c["id"]: c["verdict"] for c in data["claims"]}
    assert verdicts["invariances"] == "holds"  # exact symmetries need no training
    assert verdicts["mnist1d"] == "inconclusive"  # 200 samples and 30 steps decide nothing
    assert verdicts["relational-generalization"] == "inconclusive"
    names = {f.split("/")[-1] for f in data["figures"]}
    assert names == {
        "table1_measured.png",
        "mnist1d_accuracy.png",
        "mnist1d_learning_curves.png",
        "relational_generalization.png",
    }
