"""The speedrun options of GPT (rotary, QK norm, untied head, zero-initialised projections, logit
soft-cap, ReLU squared): shapes, parameter counts, causality, KV-cache equality, and export refusal."""

import math

import pytest
import torch

from nngarden.config import ConfigError
from nngarden.interop import hf_config
from nngarden.nn.attention import rotary_angles, rotate
from nngarden.nn.gpt import GPT, GPTConfig

OPTIONS = {
    "rotary": {"position": "rotary"},
    "qk_norm": {"qk_norm": True},
    "untied": {"tie_embeddings": False},
    "zero_init": {"zero_init": True, "tie_embeddings": False},
    "softcap": {"logit_softcap": 2.0},
    "relu2": {"activation": "relu2"},
    "all": {
        "position": "rotary",
        "qk_norm": True,
        "tie_embeddings": False,
        "zero_init": True,
        "logit_softcap": 2.0,
        "activation": "relu2",
    },
}


def small(**kw) -> GPT:
    cfg = dict(vocab_size=11, block_size=8, n_layer=2, n_head=2, n_embd=16)
    cfg.update(kw)
    torch.manual_seed(0)
    model = GPT(GPTConfig(**cfg)).eval()
    with torch.no_grad():  # zero-initialised projections would hide every later token: give them weights
        for p in model.parameters():
            if p.dim() == 2 and not p.any():
                p.normal_(0, 0.5)
    return model


@pytest.mark.parametrize("name", OPTIONS)
def test_each_option_keeps_the_shapes_and_causality(name):
    model = small(**OPTIONS[name])
    idx = torch.randint(11, (3, 8))
    logits, loss = model(idx, idx)
    assert logits.shape == (3, 8, 11) and loss.ndim == 0 and torch.isfinite(loss)
    for t in (0, 4, 6):
        changed = idx.clone()
        changed[:, t + 1 :] = (changed[:, t + 1 :] + 1) % 11
        other, _ = model(changed)
        assert torch.equal(logits[:, : t + 1], other[:, : t + 1]), t  # no leak at all
        assert not torch.allclose(logits[:, t + 1 :], other[:, t + 1 :])


@pytest.mark.parametrize("name", OPTIONS)
def test_each_option_decodes_with_the_kv_cache_as_without(name):
    model = small(**OPTIONS[name])
    idx = torch.randint(11, (2, 8))
    full, _ = model(idx)
    caches = [{} for _ in model.transformer.h]
    parts = [model(idx[:, :5], kv_caches=caches)[0]]
    parts += [model(idx[:, t : t + 1], kv_caches=caches)[0] for t in range(5, 8)]
    torch.testing.assert_close(torch.cat(parts, 1), full, atol=1e-5, rtol=1e-4)
    prompt = idx[:, :3]
    assert torch.equal(
        model.generate(prompt, 9, temperature=0), model.generate(prompt, 9, temperature=0, use_cache=False)
    )


def test_rotary_has_no_position_table_and_scores_depend_on_the_offset_only():
    learned, rotary = small(), small(position="rotary")
    assert "transformer.wpe.weight" not in dict(rotary.named_parameters())
    assert rotary.num_params() == learned.num_params() - 8 * 16
    assert rotary.num_params(non_embedding=True) == rotary.num_params()
    cos, sin = rotary_angles(12, 6)
    q, k = torch.randn(6), torch.randn(6)
    score = [rotate(q, cos[s], sin[s]) @ rotate(k, cos[s - 2], sin[s - 2]) for s in (2, 5, 11)]
    torch.testing.assert_close(torch.stack(score), score[0].expand(3))  # the same at every offset of 2
    torch.testing.assert_close(rotate(q, cos[0], sin[0]), q)  # position 0 is not turned
    with pytest.raises(ConfigError, match="rotary needs an even head width"):
        GPTConfig(vocab_size=11, block_size=8, n_head=2, n_embd=6, position="rotary")


def test_qk_norm_untied_head_zero_init_and_the_softcap_do_what_they_say():
    qk = small(qk_norm=True)
    names = dict(qk.named_parameters())
    assert names["transformer.h.0.attn.q_norm.weight"].shape == (8,)  # a gain per head dimension
    assert qk.num_params() == small().num_params() + 2 * 2 * 8
    untied = small(tie_embeddings=False)
    assert untied.lm_head.weight is not untied.transformer.wte.weight
    assert untied.num_params() == small().num_params() + 11 * 16
    torch.manual_seed(0)
    zero = GPT(
        GPTConfig(
            vocab_size=11, block_size=8, n_layer=2, n_head=2, n_embd=16, zero_init=True, tie_embeddings=False
        )
    )
    zeroed = {n for n, p in zero.named_parameters() if p.dim() == 2 and not p.any()}
    assert zeroed == {"lm_head.weight"} | {
        f"transformer.h.{i}.{m}.c_proj.weight" for i in (0, 1) for m in ("attn", "mlp")
    }
    logits, loss = zero(torch.randint(11, (2, 8)), torch.randint(11, (2, 8)))
    assert not logits.any() and loss.item() == pytest.approx(math.log(11))  # uniform at the start
    capped, free = small(logit_softcap=2.0), small()
    with torch.no_grad():
        capped.lm_head.weight.mul_(100)
        free.lm_head.weight.mul_(100)
    idx = torch.randint(11, (2, 8))
    assert capped(idx)[0].abs().max() <= 2.0 < free(idx)[0].abs().max()  # c tanh(z / c), z the free logits
    torch.testing.assert_close(capped(idx)[0], 2.0 * torch.tanh(free(idx)[0] / 2.0))


@pytest.mark.parametrize("option", ["position", "qk_norm", "logit_softcap", "tie_embeddings"])
def test_export_to_gpt2_refuses_each_option_it_cannot_hold(option):
    value = {"position": "rotary", "qk_norm": True, "logit_softcap": 30.0, "tie_embeddings": False}[option]
    config = GPTConfig(vocab_size=11, block_size=8, n_layer=1, n_head=2, n_embd=16, **{option: value})
    with pytest.raises(ConfigError, match=option):
        hf_config(config)
    hf_config(GPTConfig(vocab_size=11, block_size=8, n_layer=1, n_head=2, n_embd=16, zero_init=True))
