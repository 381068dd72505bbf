"""The pruning note's presets, and its training through fit(): epoch batches, masks kept."""

import copy
from types import SimpleNamespace

import pytest
import torch

from nngarden.config import ConfigError
from nngarden.data.digits import load_digits_split
from nngarden.nn.digits_nets import DigitsMLP
from nngarden.notes.pruning import NOTE, PruningConfig, experiment
from nngarden.notes.pruning.config import RATIO_GRID
from nngarden.notes.pruning.experiment import epoch_batches, finetune_stack, prune_strategy, train_classifier
from nngarden.prune import compression_ratio, count_params, prunable_layers


def test_presets_and_validation():
    assert PruningConfig.quick().seeds >= 3 and PruningConfig.full().seeds >= 5
    assert PruningConfig.full().iterative_rounds > 0
    grid = PruningConfig.quick().ratios
    assert grid == RATIO_GRID and len(grid) == 9 and {2.0, 4.0, 8.0, 16.0, 32.0} <= set(grid)
    assert all(b / a == pytest.approx(2**0.5, rel=1e-4) for a, b in zip(grid, grid[1:]))
    assert PruningConfig.quick().speed_rounds >= 3 and PruningConfig.quick().width_multiple == 8
    with pytest.raises(ConfigError, match="strategies"):
        PruningConfig(strategies=("magic",))
    with pytest.raises(ConfigError, match="rewind_epoch"):
        PruningConfig(epochs=2, rewind_epoch=2)
    assert set(NOTE.quick_decides) == set(NOTE.claim_ids) - {"iterative"}


def test_epoch_batches_draw_one_permutation_per_epoch_like_an_epoch_loop():
    x, y = torch.arange(10.0), torch.arange(10)
    batches, per_epoch = epoch_batches(x, y, 4, torch.Generator().manual_seed(3))
    assert per_epoch == 3  # 4 + 4 + 2
    got = [batches(step)[1].tolist() for step in range(2 * per_epoch)]
    gen = torch.Generator().manual_seed(3)
    expected = []
    for _ in range(2):
        order = torch.randperm(10, generator=gen)
        expected += [order[i : i + 4].tolist() for i in range(0, 10, 4)]
    assert got == expected


def test_fine_tuning_through_fit_keeps_the_masks_and_logs_tagged_rows():
    cfg = PruningConfig(n_train=200, batch_size=50)
    data = load_digits_split(seed=0, n_train=cfg.n_train)
    torch.manual_seed(0)
    dense = DigitsMLP()
    gen = torch.Generator().manual_seed(0)
    rows = []
    ctx = SimpleNamespace(device="cpu", log=lambda step, **row: rows.append({"step": step, **row}))
    model = prune_strategy("global-magnitude", dense, 8.0, cfg, data, gen, ctx.device)
    pruned = {n: m.weight_mask.clone() for n, m in prunable_layers(model).items()}
    train_classifier(model, data, 2, cfg, gen, ctx, "seed0/global-magnitude@8x")
    assert compression_ratio(model, count_params(model)) == pytest.approx(8.0, rel=1e-3)
    for name, layer in prunable_layers(model).items():
        assert torch.equal(layer.weight_mask, pruned[name])
        assert not layer.weight[pruned[name] == 0].any()  # the pruned weights stayed zero
    assert {r["run"] for r in rows} == {"seed0/global-magnitude@8x"}
    training = [r for r in rows if "train_loss" in r]
    assert [r["step"] for r in training] == [0, 4, 7]  # one row per epoch of 4 batches, and the last step
    assert {"train_loss", "lr", "train_cpu_seconds", "wall_seconds"} <= set(training[0])
    assert [r["step"] for r in rows if "test_acc" in r] == [0, 4, 8]  # accuracy after 0, 1, 2 epochs


def test_a_stack_of_masked_models_fine_tunes_each_as_it_would_alone():
    cfg = PruningConfig(n_train=200, batch_size=50, finetune_epochs=2)
    data = load_digits_split(seed=0, n_train=cfg.n_train)
    ctx = SimpleNamespace(device="cpu", log=None)

    def pruned():
        torch.manual_seed(0)
        dense = DigitsMLP()
        gen = torch.Generator().manual_seed(0)
        return [prune_strategy(s, copy.deepcopy(dense), r, cfg, data, gen, "cpu") for s, r in STACKED]

    stacked, alone = pruned(), pruned()
    curves = finetune_stack(stacked, data, cfg, torch.Generator().manual_seed(1), ctx, "stack")
    for model, curve in zip(alone, curves):
        expected = train_classifier(model, data, 2, cfg, torch.Generator().manual_seed(1), ctx, "alone")
        assert len(curve) == len(expected) == 3
        assert max(abs(a - b) for a, b in zip(curve, expected)) <= 0.3  # float rounding only
    for a, b in zip(stacked, alone):
        assert compression_ratio(a, 50610) == pytest.approx(compression_ratio(b, 50610))
        x = data.x_test[:20]
        assert torch.allclose(a(x), b(x), atol=1e-3)


STACKED = [("global-magnitude", 8.0), ("layer-magnitude", 4.0), ("random", 2.0)]


def test_iterative_pruning_gets_one_shots_retraining_budget(monkeypatch):
    cfg = PruningConfig(n_train=200, batch_size=50, finetune_epochs=3, iterative_rounds=2, epochs=3)
    data = load_digits_split(seed=0, n_train=cfg.n_train)
    calls = []
    monkeypatch.setattr(
        experiment,
        "train_classifier",
        lambda model, d, epochs, c, g, ctx, tag, steps=None: calls.append((tag, epochs, steps)) or [0.0],
    )
    torch.manual_seed(0)
    dense = DigitsMLP()
    rows = experiment.schedule_rows(
        8.0, 0, dense, dense.state_dict(), 50610, cfg, data, torch.Generator(), None
    )
    iterative = [s for tag, _, s in calls if "iterative" in tag]
    assert iterative == [6, 6] and sum(iterative) == cfg.finetune_epochs * 4  # 4 batches of 50 an epoch
    assert rows[0]["retraining_batches"] == 12 and rows[0]["strategy"] == "iterative"
