"""The pruning note's presets, and its training through fit(): epoch batches, masks kept."""

from types import SimpleNamespace

import pytest
import torch

from nngarden.config import ConfigError
from nngarden.data.digits import load_digits_split
from nngarden.nn.digits_nets import DigitsMLP
from nngarden.notes.pruning import NOTE, PruningConfig
from nngarden.notes.pruning.experiment import epoch_batches, prune_strategy, train_classifier
from nngarden.prune import compression_ratio, count_params, prunable_layers


def test_presets_and_validation():
    assert PruningConfig.quick().seeds >= 3
    assert PruningConfig.full().iterative_rounds > 0
    assert PruningConfig.quick().ratios == (2.0, 4.0, 8.0, 16.0, 32.0)
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
    assert [r["step"] for r in rows] == [0, 4, 7]  # one row per epoch of 4 batches, and the last step
    assert {"train_loss", "lr", "train_cpu_seconds", "wall_seconds"} <= set(rows[0])
