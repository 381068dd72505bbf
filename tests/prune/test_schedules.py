import copy

import pytest
import torch
import torch.nn.functional as F

from nngarden.nn.digits_nets import DigitsMLP
from nngarden.prune import (
    compression_ratio,
    effective_weight,
    geometric_ratios,
    iterative,
    lottery_rewind,
    one_shot,
    prunable_layers,
)


def _finetune_counter(calls):
    x, y = torch.rand(32, 1, 8, 8), torch.randint(0, 10, (32,))

    def finetune(model):
        calls.append(compression_ratio(model))
        opt = torch.optim.Adam(model.parameters(), lr=1e-2)
        for _ in range(3):
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()

    return finetune


def test_geometric_ratios():
    assert geometric_ratios(16, 4) == pytest.approx([2, 4, 8, 16])


def test_one_shot_and_iterative_reach_the_target_through_finetuning():
    calls = []
    m = DigitsMLP()
    one_shot(m, 8, _finetune_counter(calls))
    assert calls == [pytest.approx(8, rel=1e-3)]
    calls.clear()
    m = DigitsMLP()
    iterative(m, 16, 4, _finetune_counter(calls))
    assert calls == [pytest.approx(r, rel=1e-3) for r in (2, 4, 8, 16)]
    assert compression_ratio(m) == pytest.approx(16, rel=1e-3)


def test_lottery_rewinding_puts_survivors_back_to_early_weights():
    m = DigitsMLP()
    early = copy.deepcopy(m.state_dict())
    with torch.no_grad():
        for p in m.parameters():
            p.add_(1.0)  # "training" moved every weight
    lottery_rewind(m, early, 4, 2, retrain=lambda model: None)
    for name, layer in prunable_layers(m).items():
        w = effective_weight(layer)
        kept = w != 0
        assert torch.equal(w[kept], early[f"{name}.weight"][kept])
    assert torch.equal(m.classifier.weight, early["classifier.weight"])
    assert compression_ratio(m) == pytest.approx(4, rel=1e-3)
