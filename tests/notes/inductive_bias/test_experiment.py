"""The inductive-bias measurements: invariance errors, padded lists, classifier training through fit()
(step s is the model after s updates), the presets, and the tiny run with its rejudge."""

import json

import numpy as np
import pytest
import torch

from nngarden import cli
from nngarden.config import ConfigError
from nngarden.data.graphs import sort_lists
from nngarden.data.mnist1d import load_mnist1d, shuffle_positions
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


def test_a_stack_of_seeds_trains_each_as_it_would_train_alone(tmp_path, monkeypatch):
    monkeypatch.setenv("NNGARDEN_CACHE", str(tmp_path))
    plain = load_mnist1d(num_samples=1000)
    data = {"plain": plain, "shuffled": shuffle_positions(plain, 0)[0]}
    train = dict(steps=60, lr=1e-2, batch_size=100, eval_every=20, average_last=40)
    members = [("plain", 0), ("shuffled", 0), ("plain", 1)]
    stacked = experiment.train_stacked("mlp", data, members, **train)
    for (condition, seed), result in zip(members, stacked):
        alone = train_classifier("mlp", data[condition], seed=seed, **train)
        assert result["condition"] == condition and result["seed"] == seed
        assert [s for s, _ in result["curve"]] == [s for s, _ in alone["curve"]] == [0, 20, 40, 60]
        # float rounding of the batched products only: test accuracy within 0.3 points
        assert max(abs(a - b) for (_, a), (_, b) in zip(result["curve"], alone["curve"])) <= 0.3


def test_relational_models_face_the_same_held_out_lists_above_training():
    cfg = InductiveBiasConfig.tiny()
    sets = experiment.evaluation_sets("sort", cfg, seed=0)
    again = experiment.evaluation_sets("sort", cfg, seed=0)
    for band, (lo, hi) in (("in", cfg.train_sizes), ("near", cfg.near_sizes), ("far", cfg.far_sizes)):
        inputs, _ = sets[band]
        graph_sizes = [g.num_nodes for g in inputs.split()]
        assert len(graph_sizes) == cfg.eval_graphs and lo <= min(graph_sizes) and max(graph_sizes) <= hi
        assert torch.equal(inputs.nodes, again[band][0].nodes)
    mlp = experiment.train_sort_mlp(cfg, seed=0)
    gn = experiment.train_graph_task("sort", cfg, seed=0)
    assert mlp["max_length"] == cfg.far_sizes[1]
    for band in ("in", "near", "far"):
        assert len(mlp["solved"][band]) == len(gn["solved"][band]) == cfg.eval_graphs
    assert set(mlp["by_size"]) == set(gn["by_size"])  # padded to the longest size, it reads every list


def test_config_validation_and_presets():
    with pytest.raises(ConfigError, match="models"):
        InductiveBiasConfig(models=("logistic", "resnet"))
    with pytest.raises(ConfigError, match="near_sizes"):
        InductiveBiasConfig(near_sizes=(24, 17))
    with pytest.raises(ConfigError, match="strictly above"):
        InductiveBiasConfig(near_sizes=(16, 24))  # 16 is a training size
    with pytest.raises(ConfigError, match="strictly above"):
        InductiveBiasConfig(far_sizes=(24, 32))
    quick = InductiveBiasConfig.quick()
    assert {"logistic", "mlp", "cnn"} <= set(quick.models) and min(quick.steps, quick.cnn_steps) >= 1000
    assert list(quick.seeds_of("mlp")) == list(range(8)) and quick.steps_of("cnn") == 3000
    assert len(quick.seeds_of("cnn")) == len(quick.seeds_of("logistic")) == 3
    full = InductiveBiasConfig.full()
    assert "gru" in full.models and full.relational_steps >= 1000 and full.seeds >= 3
    assert min(len(full.seeds_of(m)) for m in full.models) >= 3 and full.eval_graphs >= 200
    assert full.near_sizes == (17, 24) and full.far_sizes == (25, 32)
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
    # logistic, MLP and CNN as one stack each, the GRU x 2 conditions, then the sort GN, the sort MLP
    # and the shortest-path GN
    assert seen == [("cpu", {"cpu"})] * 8
    assert validate_findings(data, note.claim_ids) == []
    verdicts = {c["id"]: c["verdict"] for c in data["claims"]}
    assert verdicts["invariances"] == "holds"  # exact symmetries need no training
    assert verdicts["mnist1d"] == "inconclusive"  # 200 samples and 30 steps decide nothing
    assert (
        verdicts["relational-generalization"] == verdicts["relational-generalization-far"] == "inconclusive"
    )
    names = {f.split("/")[-1] for f in data["figures"]}
    assert names == {
        "table1_measured.png",
        "mnist1d_accuracy.png",
        "mnist1d_learning_curves.png",
        "relational_generalization.png",
    }
    rows = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    runs = {row["run"] for row in rows}
    assert {
        "mnist1d/gru/shuffled/seed0",
        "mnist1d/mlp/stacked",
        "mnist1d/cnn/stacked",
        "sort/gn",
        "sort/mlp",
        "shortest_path/gn",
    } <= runs
    evaluations = [r for r in rows if r["run"] == "mnist1d/mlp/stacked" and "test_acc_0" in r]
    assert [r["step"] for r in evaluations] == [0, 10, 20, 30] and all("val_loss" in r for r in evaluations)
    assert all("test_acc_1" in r for r in evaluations)  # plain seed 0, then shuffled seed 0

    def no_training(*args, **kwargs):
        raise AssertionError("rejudge must not train")

    monkeypatch.setattr(experiment, "fit", no_training)
    assert cli.main(["rejudge", str(tmp_path / "run")]) == 0
    after = json.loads((tmp_path / "run" / "findings.json").read_text())
    assert [c["verdict"] for c in after["claims"]] == [c["verdict"] for c in data["claims"]]
    assert [c["evidence"] for c in after["claims"]] == [c["evidence"] for c in data["claims"]]
