"""Muon: the Newton-Schulz iteration orthogonalises, the groups cover every parameter once, the update
matches torch.optim.Muon's rule, and the combined optimizer's state round-trips through a checkpoint."""

import pytest
import torch

from nngarden.nn.gpt import GPT, GPTConfig
from nngarden.train.config import TrainConfig
from nngarden.train.muon import MuonAdamW, muon_param_groups, orthogonalize
from nngarden.train.optim import build_optimizer


def gpt(**kw) -> GPT:
    torch.manual_seed(0)
    shape = dict(vocab_size=13, block_size=8, n_layer=2, n_head=2, n_embd=16)
    shape.update(kw)
    return GPT(GPTConfig(**shape))


def test_newton_schulz_pushes_every_singular_value_near_one_for_wide_tall_and_batched():
    torch.manual_seed(0)
    for shape in [(16, 48), (48, 16), (3, 24, 16)]:
        # singular values spread over a factor of 30, as a gradient's are skewed
        g = torch.randn(shape) @ torch.diag_embed(torch.logspace(-1.5, 0, shape[-1]))
        assert torch.linalg.cond(g).min() > 5
        s = torch.linalg.svdvals(orthogonalize(g, steps=5))
        assert orthogonalize(g, 5).shape == g.shape
        assert s.min() > 0.5 and s.max() < 1.3, (shape, s.min(), s.max())  # Jordan et al.'s band


@pytest.mark.parametrize("tie", [True, False])
@pytest.mark.parametrize("position", ["learned", "rotary"])
def test_the_groups_cover_every_parameter_exactly_once(tie, position):
    model = gpt(tie_embeddings=tie, position=position, qk_norm=True, bias=True)
    groups = muon_param_groups(model, 0.1)
    ids = [id(p) for g in groups for p in g["params"]]
    assert len(ids) == len(set(ids))  # none twice
    assert set(ids) == {id(p) for p in model.parameters()}  # none left out
    names = {id(p): n for n, p in model.named_parameters()}
    muon = {names[id(p)] for p in groups[0]["params"]}
    assert groups[0]["muon"] and all(p.dim() == 2 for p in groups[0]["params"])
    assert muon == {
        n
        for n in names.values()
        if n.startswith("transformer.h.") and n.endswith("weight") and "ln_" not in n and "norm" not in n
    }
    adam = {names[id(p)] for g in groups[1:] for p in g["params"]}
    assert "transformer.wte.weight" in adam and ("lm_head.weight" in adam) == (not tie)


def test_the_muon_update_is_torch_optim_muons_in_float32():
    """One step on one matrix: the same rule as torch.optim.Muon (which iterates in bfloat16)."""
    torch.manual_seed(0)
    w = torch.nn.Parameter(torch.randn(8, 24))
    ref = torch.nn.Parameter(w.detach().clone())
    ours = MuonAdamW([{"params": [w], "muon": True, "lr": 0.02, "weight_decay": 0.0}])
    theirs = torch.optim.Muon([ref], lr=0.02, weight_decay=0.0, momentum=0.95)
    for _ in range(3):
        grad = torch.randn(8, 24)
        w.grad, ref.grad = grad.clone(), grad.clone()
        ours.step()
        theirs.step()
    torch.testing.assert_close(w, ref, atol=2e-3, rtol=0)  # bfloat16's rounding on their side


def test_build_optimizer_scales_the_muon_group_and_the_engine_state_is_one_dict():
    model = gpt()
    cfg = TrainConfig(optimizer="muon", lr=2e-3, muon_lr=0.04)
    opt = build_optimizer(model, cfg, "cpu")
    assert isinstance(opt, MuonAdamW)
    scales = [g["lr_scale"] for g in opt.param_groups]
    assert scales[0] == pytest.approx(20.0) and scales[1:] == [1.0, 1.0]
    idx = torch.randint(13, (2, 8))
    model(idx, idx)[1].backward()
    opt.step()
    state = opt.state_dict()["state"]
    assert len(state) == len(list(model.parameters()))  # every parameter has its state
    kinds = {frozenset(s) for s in state.values()}
    assert kinds == {frozenset({"momentum_buffer"}), frozenset({"step", "exp_avg", "exp_avg_sq"})}
