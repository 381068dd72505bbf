"""The transformers note: its data, its order-blind model, its measurements, and its run."""

import json

import pytest
import torch

from nngarden.config import ConfigError
from nngarden.notes.transformers import NOTE
from nngarden.notes.transformers import experiment as transformers_experiment
from nngarden.notes.transformers.config import TransformersConfig
from nngarden.notes.transformers.experiment import (
    SortednessClassifier,
    accuracy,
    equivariance_error,
    measure_convex,
    measure_relative,
    multiset_keys,
    paired_set,
    random_batch,
    train_arm,
)
from nngarden.runs import RunContext, rejudge_run, run_note
from nngarden.train import fit as fit_module


def _is_sorted(rows):
    return (rows[:, 1:] >= rows[:, :-1]).all(dim=1)


def test_labels_say_sorted_and_negatives_are_permutations_of_sorted_rows():
    cfg = TransformersConfig.tiny()
    x, y = random_batch(400, cfg, torch.Generator().manual_seed(0))
    assert torch.equal(_is_sorted(x).float(), y)
    assert 0.4 < y.mean().item() < 0.6
    # every negative, sorted, is a valid positive: same multiset, only the order differs
    neg = x[y == 0]
    assert _is_sorted(neg.sort(dim=1).values).all() and not _is_sorted(neg).any()


def test_hard_negatives_are_one_adjacent_swap_from_sorted():
    cfg = TransformersConfig.tiny().with_overrides(["hard_fraction=1.0"])
    x, y = random_batch(200, cfg, torch.Generator().manual_seed(1))
    neg = x[y == 0]
    differs = (neg != neg.sort(dim=1).values).sum(dim=1)
    assert (differs == 2).all()


def test_paired_set_holds_each_multiset_sorted_and_unsorted():
    cfg = TransformersConfig.tiny()
    x, y = paired_set(50, cfg, torch.Generator().manual_seed(2))
    pos, neg = x[:50], x[50:]
    assert torch.equal(y, torch.cat([torch.ones(50), torch.zeros(50)]))
    assert torch.equal(neg.sort(dim=1).values, pos)
    assert _is_sorted(pos).all() and not _is_sorted(neg).any()


@pytest.mark.parametrize("arm", ["none", "sinusoidal", "learned"])
def test_only_the_model_without_positions_is_permutation_invariant(arm):
    torch.manual_seed(0)
    model = SortednessClassifier(vocab=8, max_len=6, d_model=16, n_head=2, n_layer=2, position=arm)
    x = torch.randint(8, (32, 6))
    err = equivariance_error(model, x, torch.Generator().manual_seed(0))
    if arm == "none":
        assert err["feature_error"] < 1e-5 and err["logit_gap"] < 1e-5
    else:
        assert err["feature_error"] > 1e-2 and err["logit_gap"] > 1e-4


def test_the_training_stream_never_shows_a_held_out_multiset():
    cfg = TransformersConfig.tiny().with_overrides(["vocab=4"])  # few multisets: collisions are common
    held_out_rows, _ = paired_set(10, cfg, torch.Generator().manual_seed(4))
    held_out = multiset_keys(held_out_rows[:10], cfg.vocab)
    redrawn = [0]
    g = torch.Generator().manual_seed(5)
    for _ in range(20):
        x, y = random_batch(64, cfg, g, held_out, redrawn)
        keys = multiset_keys(x.sort(dim=1).values, cfg.vocab)
        assert not torch.isin(keys, held_out).any()
        assert torch.equal(_is_sorted(x).float(), y)
    assert redrawn[0] > 0  # the exclusion was exercised


def test_multiset_keys_tell_multisets_apart_and_ignore_order():
    rows = torch.tensor([[0, 1, 3], [0, 3, 1], [1, 1, 2], [0, 2, 2]])
    keys = multiset_keys(rows.sort(dim=1).values, 4)
    assert keys[0] == keys[1] and len(set(keys.tolist())) == 3
    with pytest.raises(ConfigError, match="seq_len"):
        TransformersConfig(vocab=64, seq_len=11)


def test_without_positions_any_weights_score_exactly_one_half_on_pairs():
    cfg = TransformersConfig.tiny()
    x, y = paired_set(100, cfg, torch.Generator().manual_seed(3))
    for seed in range(3):
        torch.manual_seed(seed)
        model = SortednessClassifier(cfg.vocab, cfg.seq_len, 16, 2, 1, "none")
        with torch.no_grad():
            model.head.bias.fill_(0.01 * (seed - 1))  # whatever it leans to, one of each pair is wrong
        assert accuracy(model, x, y) == pytest.approx(0.5, abs=0.011)


def test_a_small_encoder_with_positions_learns_sortedness():
    cfg = TransformersConfig.tiny()
    torch.manual_seed(0)
    model = SortednessClassifier(cfg.vocab, cfg.seq_len, 32, 2, 1, "sinusoidal")
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    g = torch.Generator().manual_seed(0)
    for _ in range(300):
        x, y = random_batch(64, cfg, g)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert accuracy(model, *paired_set(200, cfg, torch.Generator().manual_seed(9))) > 0.85


def test_convex_combination_measurement():
    out = measure_convex(TransformersConfig.tiny())
    assert out["min_weight"] >= 0 and out["max_row_sum_error"] < 1e-5
    assert out["empty_rows"] > 0 and out["max_empty_row_sum"] == 0
    assert out["max_hull_violation"] <= 1e-5 and out["fast_vs_explicit"] < 1e-5
    assert out["max_weight"] > 0.9  # the scores were sharp: the hull bound is not trivially met


def test_relative_position_measurement():
    cfg = TransformersConfig.tiny()
    out = measure_relative(cfg)
    assert len(out["closed_error"]) == cfg.max_offset
    assert max(out["closed_error"]) < 1e-6 and max(out["fit_error"]) < 1e-5 and max(out["dot_spread"]) < 1e-5
    curves = list(out["curves"].values())
    torch.testing.assert_close(torch.tensor(curves[0]), torch.tensor(curves[-1]), atol=1e-5, rtol=0)


def test_config_errors_name_the_field():
    with pytest.raises(ConfigError, match="pe_dim"):
        TransformersConfig(pe_dim=15)
    with pytest.raises(ConfigError, match="d_model"):
        TransformersConfig(d_model=30, n_head=4)
    with pytest.raises(ConfigError, match="max_offset"):
        TransformersConfig(pe_positions=64, pe_dim=64, max_offset=8)
    with pytest.raises(ConfigError, match="hard_fraction"):
        TransformersConfig().with_overrides(["hard_fraction=2"])


def test_an_encoder_trains_through_fit_on_the_run_device_and_logs_its_curves(tmp_path):
    cfg = TransformersConfig.tiny().with_overrides(["steps=12", "eval_interval=5"])
    ctx = RunContext(tmp_path)
    seen = []
    with fit_module.record_fits(lambda model, batch, device: seen.append((device, batch[0].device.type))):
        result = train_arm(cfg, "sinusoidal", 0, ctx)
    assert seen == [("cpu", "cpu")]
    assert 0 <= result["test_acc"] <= 1 and result["feature_error"] > 0
    assert result["held_out_multisets"] > 0 and result["held_out_multisets_redrawn"] >= 0
    rows = ctx.metrics()
    assert {row["run"] for row in rows} == {"sinusoidal-seed0"}
    evaluations = [row for row in rows if "val_acc" in row]
    assert [row["step"] for row in evaluations] == [0, 5, 10, 12]
    assert {"val_loss", "train_cpu_seconds", "wall_seconds"} <= set(evaluations[0])
    assert {"train_loss", "lr", "train_cpu_seconds", "wall_seconds"} <= set(
        next(row for row in rows if "train_loss" in row)
    )
    assert evaluations[-1]["val_acc"] == result["val_acc"]


def test_the_tiny_run_rejudges_from_its_stages_without_training(tmp_path, monkeypatch):
    run_dir = tmp_path / "run"
    data, _ = run_note(NOTE, TransformersConfig.tiny(), run_dir, preset="tiny")
    assert [c["id"] for c in data["claims"]] == [spec.id for spec in NOTE.claims]
    assert {c["id"]: c["kind"] for c in data["claims"]} == {
        "convex-combination": "check",
        "relative-position": "check",
        "needs-position": "finding",
        "needs-position-check": "check",
    }

    def no_training(*args, **kwargs):
        raise AssertionError("rejudge must not train")

    monkeypatch.setattr(transformers_experiment, "fit", no_training)
    after = rejudge_run(NOTE, run_dir)
    assert [c["verdict"] for c in after["claims"]] == [c["verdict"] for c in data["claims"]]
    assert [c["evidence"] for c in after["claims"]] == [c["evidence"] for c in data["claims"]]
    assert after["figures"] == data["figures"]
    assert json.loads((run_dir / "findings.json").read_text())["claims"] == after["claims"]
