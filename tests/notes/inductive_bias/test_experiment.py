"""The inductive-bias measurements: invariance errors, padded lists, classifier training through fit()
(step s is the model after s updates), the presets, and the tiny run with its rejudge."""

import json

import numpy as np
import pytest
import torch

from nngarden import cli
from nngarden.config import ConfigError
from nngarden.data.graphs import sort_lists
from nngarden.data.mnist1d import load_mnist1d
from nngarden.findings import validate_findings
from nngarden.notes import get_note
from nngarden.notes.inductive_bias import experiment
from nngarden.notes.inductive_bias.config import InductiveBiasConfig
from nngarden.notes.inductive_bias.experiment import measure_invariances, padded_lists, train_classifier
from nngarden.runs import run_note
from nngarden.train import fit as fit_module


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


def test_padded_lists_put_values_mask_and_successor_matrix_in_place():
    inputs, targets = sort_lists(3, 3, 5, np.random.default_rng(0))
    x, y, mask = padded_lists(inputs, targets, width=6)
    for i, g in enumerate(inputs.split()):
        n = g.num_nodes
        assert torch.equal(x[i, :n], g.nodes[:, 0]) and x[i, 6:].sum() == n
        assert mask[i, :6].sum() == n and mask[i, 6:].sum() == n * n
        assert y[i, 6:].sum() == n - 1 and y[i, :6].sum() == 1
    with pytest.raises(ConfigError, match="exceeds"):
        padded_lists(inputs, targets, width=2)


def test_classifier_training_learns_mnist1d_above_chance_and_step_s_is_after_s_updates(tmp_path, monkeypatch):
    monkeypatch.setenv("NNGARDEN_CACHE", str(tmp_path))
    data = load_mnist1d(num_samples=1000)
    train = dict(lr=1e-2, batch_size=100, eval_every=100, seed=0)
    result = train_classifier("mlp", data, steps=300, average_last=100, **train)
    assert [s for s, _ in result["curve"]] == [0, 100, 200, 300]
    assert result["final"] > 30  # chance is 10%
    assert result["final"] == pytest.approx(np.mean([a for s, a in result["curve"] if s >= 200]))
    # The evaluation logged at step 100 measured the model after 100 updates: the last one of a
    # 100-step run with the same seed; at step 0 the untrained model.
    shorter = train_classifier("mlp", data, steps=100, **train)
    assert shorter["last"] == result["curve"][1][1] and shorter["curve"][0] == result["curve"][0]


def test_config_validation_and_presets():
    with pytest.raises(ConfigError, match="models"):
        InductiveBiasConfig(models=("logistic", "resnet"))
    with pytest.raises(ConfigError, match="test_sizes"):
        InductiveBiasConfig(test_sizes=(16, 8))
    quick = InductiveBiasConfig.quick()
    assert {"logistic", "mlp", "cnn"} <= set(quick.models) and min(quick.steps, quick.cnn_steps) >= 1000
    assert list(quick.seeds_of("mlp")) == [0, 1, 2, 3] and quick.steps_of("cnn") == 3000
    full = InductiveBiasConfig.full()
    assert "gru" in full.models and full.relational_steps >= 1000 and full.seeds >= 3
    note = get_note("inductive-bias")
    assert set(note.quick_decides) == {"invariances", "mnist1d"}


def test_tiny_run_trains_through_fit_on_the_device_and_rejudges_without_training(tmp_path, monkeypatch):
    monkeypatch.setenv("NNGARDEN_CACHE", str(tmp_path / "cache"))
    note = get_note("inductive-bias")
    seen = []
    with fit_module.record_fits(
        lambda model, batch, device: seen.append((device, {p.device.type for p in model.parameters()}))
    ):
        data, _ = run_note(note, InductiveBiasConfig.tiny(), tmp_path / "run", preset="tiny")
    # 4 classifiers x 2 conditions, then the sort GN, the sort MLP and the shortest-path GN
    assert seen == [("cpu", {"cpu"})] * 11
    assert validate_findings(data, note.claim_ids) == []
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
    rows = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    runs = {row["run"] for row in rows}
    assert {"mnist1d/cnn/shuffled/seed0", "sort/gn", "sort/mlp", "shortest_path/gn"} <= runs
    evaluations = [r for r in rows if r["run"] == "mnist1d/mlp/plain/seed0" and "test_acc" in r]
    assert [r["step"] for r in evaluations] == [0, 10, 20, 30] and all("val_loss" in r for r in evaluations)

    def no_training(*args, **kwargs):
        raise AssertionError("rejudge must not train")

    monkeypatch.setattr(experiment, "fit", no_training)
    assert cli.main(["rejudge", str(tmp_path / "run")]) == 0
    after = json.loads((tmp_path / "run" / "findings.json").read_text())
    assert [c["verdict"] for c in after["claims"]] == [c["verdict"] for c in data["claims"]]
    assert [c["evidence"] for c in after["claims"]] == [c["evidence"] for c in data["claims"]]
