import copy

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from nngarden.config import ConfigError
from nngarden.nn.digits_nets import DigitsCNN, DigitsMLP
from nngarden.prune import (
    compression_ratio,
    count_nonzero,
    count_params,
    effective_weight,
    lamp_transform,
    layer_densities,
    load_pruned,
    make_permanent,
    masks_from_scores,
    prunable_layers,
    prune_model,
    save_pruned,
)


def test_classifier_left_out_unless_asked():
    m = DigitsMLP()
    assert list(prunable_layers(m)) == ["hidden.0", "hidden.1"]
    assert list(prunable_layers(m, include_classifier=True))[-1] == "classifier"
    assert list(prunable_layers(m, classifier="hidden.0")) == ["hidden.1", "classifier"]
    with pytest.raises(ConfigError, match="classifier"):
        prunable_layers(m, classifier="nope")


@pytest.mark.parametrize("ranking,floor", [("layer", 0.0), ("global", 0.0), ("global", 0.2), ("lamp", 0.0)])
@pytest.mark.parametrize("ratio", [2, 4, 8, 16, 32])
def test_compression_is_exact(ranking, floor, ratio):
    m = DigitsMLP()
    prune_model(m, ratio, ranking=ranking, floor=floor)
    assert compression_ratio(m) == pytest.approx(ratio, rel=1e-3)
    assert m.classifier.weight.count_nonzero() == m.classifier.weight.numel()  # untouched


def test_compression_exact_on_cnn_with_classifier_pruned():
    m = DigitsCNN()
    prune_model(m, 10, include_classifier=True, ranking="global")
    assert compression_ratio(m) == pytest.approx(10, rel=1e-3)


def test_unreachable_ratio_is_a_clear_error():
    with pytest.raises(ConfigError, match="compression"):
        prune_model(DigitsCNN(), 1000)
    with pytest.raises(ConfigError, match="ranking"):
        prune_model(DigitsMLP(), 2, ranking="sideways")
    with pytest.raises(ConfigError, match="score"):
        prune_model(DigitsMLP(), 2, score="vibes")


def test_global_threshold_starves_the_small_weight_layer_and_the_floor_prevents_it():
    # the 300x100 layer's init scale (1/sqrt(300)) is below the first layer's (1/sqrt(64))
    g, f, lamp = DigitsMLP(), None, None
    f, lamp = copy.deepcopy(g), copy.deepcopy(g)
    prune_model(g, 16, ranking="global")
    prune_model(f, 16, ranking="global", floor=0.2)
    prune_model(lamp, 16, ranking="lamp")
    assert layer_densities(prunable_layers(g))["hidden.1"] == 0.0
    assert min(layer_densities(prunable_layers(f)).values()) > 0
    assert min(layer_densities(prunable_layers(lamp)).values()) > 0


def test_floor_reserves_its_share():
    scores = {"a": torch.arange(100.0), "b": torch.full((100,), -1.0)}
    masks = masks_from_scores(scores, 20, ranking="global", floor=0.5)
    assert int(masks["b"].sum()) == 5 and int(masks["a"].sum()) == 15


def test_lamp_keeps_the_top_of_every_layer():
    s = lamp_transform(torch.tensor([3.0, 1.0, 2.0]))
    assert float(s[0]) == 1.0
    assert float(s[1]) == pytest.approx(1 / 14)


def test_magnitude_keeps_the_largest_weights():
    m = DigitsMLP()
    w = m.hidden[0].weight.detach().abs().clone()
    prune_model(m, 2, ranking="layer")
    kept = effective_weight(m.hidden[0]) != 0
    assert float(w[kept].min()) >= float(w[~kept].max())


def test_masks_survive_optimizer_steps_and_retraining_lowers_loss():
    torch.manual_seed(0)
    m = DigitsMLP()
    prune_model(m, 8)
    zeros = {n: effective_weight(layer) == 0 for n, layer in prunable_layers(m).items()}
    nz = count_nonzero(m)
    opt = torch.optim.SGD(m.parameters(), lr=0.5, momentum=0.9, weight_decay=1e-3)
    x, y = torch.rand(64, 1, 8, 8), torch.randint(0, 10, (64,))
    losses = []
    for _ in range(20):
        loss = F.cross_entropy(m(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    assert losses[-1] < losses[0]
    for n, layer in prunable_layers(m).items():
        assert torch.all(effective_weight(layer)[zeros[n]] == 0)
        layer(torch.zeros(1, layer.in_features))  # the forward hook refreshes .weight
        assert torch.all(layer.weight[zeros[n]] == 0)
    assert count_nonzero(m) == nz


def test_iterative_pruning_never_revives_weights():
    m = DigitsMLP()
    prune_model(m, 2)
    first = {n: effective_weight(layer) == 0 for n, layer in prunable_layers(m).items()}
    with torch.no_grad():  # make pruned entries of weight_orig large: magnitude must still ignore them
        for layer in prunable_layers(m).values():
            layer.weight_orig.add_(10 * (layer.weight_mask == 0))
    prune_model(m, 4)
    for n, layer in prunable_layers(m).items():
        assert torch.all(effective_weight(layer)[first[n]] == 0)
    assert compression_ratio(m) == pytest.approx(4, rel=1e-3)


def test_gradient_scores_and_random_scores_reach_the_target():
    m = DigitsMLP()
    x, y = torch.rand(32, 1, 8, 8), torch.randint(0, 10, (32,))
    prune_model(m, 4, score="gradient", ranking="global", batches=[(x, y)], loss_fn=F.cross_entropy)
    assert compression_ratio(m) == pytest.approx(4, rel=1e-3)
    r = DigitsMLP()
    prune_model(r, 4, score="random", generator=torch.Generator().manual_seed(0))
    assert compression_ratio(r) == pytest.approx(4, rel=1e-3)


def test_save_and_load_a_pruned_model(tmp_path):
    m = DigitsMLP()
    prune_model(m, 8, ranking="global", floor=0.2)
    path = tmp_path / "pruned.safetensors"
    save_pruned(m, path)
    fresh = DigitsMLP()
    load_pruned(fresh, path)
    x = torch.rand(4, 1, 8, 8)
    assert torch.equal(fresh(x), m(x))
    assert compression_ratio(fresh) == pytest.approx(8, rel=1e-3)
    with pytest.raises(ConfigError, match="path"):
        load_pruned(DigitsCNN(), path)


def test_make_permanent_keeps_the_function():
    m = DigitsMLP()
    prune_model(m, 4)
    x = torch.rand(4, 1, 8, 8)
    before = m(x)
    make_permanent(m)
    assert not hasattr(m.hidden[0], "weight_mask")
    assert torch.equal(m(x), before)
    assert count_params(m) / count_nonzero(m) == pytest.approx(4, rel=1e-3)


def test_tied_weights_counted_once():
    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(4, 4, bias=False)
            self.b = nn.Linear(4, 4, bias=False)
            self.b.weight = self.a.weight

    assert count_params(Tied()) == 16
