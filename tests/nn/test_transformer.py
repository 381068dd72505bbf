"""The shared pre-LN block: shapes, causality, padding, KV cache, head width, fast and explicit paths."""

import pytest
import torch
import torch.nn as nn

from nngarden.config import ConfigError
from nngarden.nn import count_parameters
from nngarden.nn.attention import MultiHeadAttention
from nngarden.nn.gpt import GPT, GPTConfig
from nngarden.nn.transformer import Block

B, T, S, C = 3, 7, 5, 16


def _block(seed=0, dtype=torch.float64, **kw) -> Block:
    torch.manual_seed(seed)
    block = Block(C, kw.pop("n_head", 4), **kw).to(dtype).eval()
    with torch.no_grad():  # random biases and LayerNorm gains, so that no parameter is a no-op
        for p in block.parameters():
            if p.dim() == 1:
                p.normal_(0, 0.5)
    return block


def _x(t=T, seed=1, dtype=torch.float64):
    return torch.randn(B, t, C, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def _padding(t):
    pad = torch.zeros(B, t, dtype=torch.bool)
    pad[0, -2:] = True
    pad[1, 1:] = True  # a single real position
    return pad


def test_shapes_and_weights_of_self_and_cross_attention():
    block = _block(causal=True, cross_attention=True)
    memory = _x(S, seed=2)
    weights = {"self": None, "cross": None}
    out = block(_x(), memory, memory_padding_mask=_padding(S), weights=weights)
    assert out.shape == (B, T, C)
    assert weights["self"].shape == (B, 4, T, T) and weights["cross"].shape == (B, 4, T, S)
    assert torch.equal(weights["self"].triu(1), torch.zeros_like(weights["self"]))  # causal
    assert torch.equal(weights["cross"][0, ..., -2:], torch.zeros(4, T, 2, dtype=torch.float64))
    only_cross = {"cross": None}
    block(_x(), memory, weights=only_cross)
    assert set(only_cross) == {"cross"}
    with pytest.raises(ValueError, match="memory"):
        block(_x())
    with pytest.raises(ValueError, match="cross-attention"):
        _block()(_x(), weights={"cross": None})
    with pytest.raises(ValueError, match="keys"):
        _block()(_x(), weights={"all": None})


@pytest.mark.parametrize("cross", [False, True])
def test_causal_outputs_up_to_t_do_not_move_when_later_inputs_change(cross):
    block = _block(causal=True, cross_attention=cross)
    memory = _x(S, seed=2) if cross else None
    x = _x()
    out = block(x, memory)
    for t in (0, 3, T - 2):
        changed = x.clone()
        changed[:, t + 1 :] += torch.randn_like(changed[:, t + 1 :])
        other = block(changed, memory)
        assert torch.equal(out[:, : t + 1], other[:, : t + 1])  # exactly: nothing leaks from the future
        assert not torch.allclose(out[:, t + 1 :], other[:, t + 1 :])
    # without the causal mask the past does see the future
    free = _block()
    changed = x.clone()
    changed[:, -1] += torch.randn_like(changed[:, -1])  # not a constant shift: LayerNorm removes those
    assert not torch.allclose(free(x)[:, 0], free(changed)[:, 0])


def test_padded_keys_and_padded_memory_change_nothing_at_real_positions():
    x, pad = _x(), _padding(T)
    encoder = _block()
    changed = x.clone()
    changed[pad] += torch.randn_like(changed[pad])
    torch.testing.assert_close(
        encoder(x, key_padding_mask=pad)[~pad], encoder(changed, key_padding_mask=pad)[~pad]
    )
    decoder = _block(causal=True, cross_attention=True)
    memory, mpad = _x(S, seed=2), _padding(S)
    other = memory.clone()
    other[mpad] += torch.randn_like(other[mpad])
    torch.testing.assert_close(
        decoder(x, memory, memory_padding_mask=mpad), decoder(x, other, memory_padding_mask=mpad)
    )


@pytest.mark.parametrize("cross", [False, True])
def test_kv_cache_decoding_equals_the_full_forward(cross):
    blocks = [_block(seed=i, causal=True, cross_attention=cross) for i in range(2)]
    memory = _x(S, seed=2) if cross else None
    x = _x()

    def run(inputs, caches=None):
        for i, block in enumerate(blocks):
            inputs = block(inputs, memory, kv_cache=None if caches is None else caches[i])
        return inputs

    full = run(x)
    caches = [{}, {}]
    parts = [run(x[:, :3], caches)] + [run(x[:, t : t + 1], caches) for t in range(3, T)]
    torch.testing.assert_close(torch.cat(parts, dim=1), full, rtol=1e-12, atol=1e-12)
    assert caches[0]["k"].shape == (B, 4, T, C // 4)
    two_at_once = [{}, {}]  # a chunk of several new positions after a cache: causal within the chunk
    parts = [run(x[:, :2], two_at_once), run(x[:, 2:5], two_at_once), run(x[:, 5:], two_at_once)]
    torch.testing.assert_close(torch.cat(parts, dim=1), full, rtol=1e-12, atol=1e-12)


def test_head_width_independent_of_model_width():
    block = _block(n_head=3, head_dim=8, n_inner=10, causal=True, cross_attention=True)  # 3 x 8 = 24 != 16
    assert block.attn.c_attn.weight.shape == (3 * 24, C) and block.attn.c_proj.weight.shape == (C, 24)
    assert block.cross_attn.q_attn.weight.shape == (24, C) and block.cross_attn.c_attn.weight.shape == (48, C)
    assert block.mlp.c_fc.weight.shape == (10, C)
    weights = {"self": None}
    x, memory = _x(), _x(S, seed=2)
    out = block(x, memory, weights=weights)
    assert out.shape == (B, T, C) and weights["self"].shape == (B, 3, T, T)
    cache: dict = {}
    steps = [block(x[:, t : t + 1], memory, kv_cache=cache) for t in range(T)]
    torch.testing.assert_close(torch.cat(steps, 1), out, rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="divisible"):
        Block(C, 3)  # 16 / 3 without an explicit head_dim


def test_gpt_with_its_own_head_width_and_mlp_width():
    cfg = GPTConfig(vocab_size=11, block_size=8, n_layer=2, n_head=3, n_embd=16, head_dim=4, n_inner=20)
    torch.manual_seed(0)
    model = GPT(cfg).eval()
    assert model.transformer.h[0].attn.c_attn.weight.shape == (36, 16)
    assert model.transformer.h[1].mlp.c_proj.weight.shape == (16, 20)
    per_block = 2 * 16 * 2 + (16 * 36 + 36) + (12 * 16 + 16) + (16 * 20 + 20) + (20 * 16 + 16)
    assert model.num_params() == count_parameters(model) == 2 * per_block + 11 * 16 + 8 * 16 + 2 * 16
    idx = torch.randint(11, (2, 8))
    logits, _ = model(idx)
    caches = [{} for _ in range(2)]
    stepped = [model(idx[:, :4], kv_caches=caches)[0]] + [
        model(idx[:, t : t + 1], kv_caches=caches)[0] for t in range(4, 8)
    ]
    torch.testing.assert_close(torch.cat(stepped, 1), logits, rtol=1e-4, atol=1e-5)
    with pytest.raises(ConfigError, match="n_embd"):
        GPTConfig(vocab_size=11, block_size=8, n_head=3, n_embd=16)  # no head_dim: 16 / 3


@pytest.mark.parametrize("setting", ["causal", "padding", "causal+padding", "cross", "cache"])
def test_fast_and_explicit_paths_agree_in_outputs_and_gradients(setting):
    cross = setting == "cross"
    block = _block(causal="causal" in setting or setting == "cache", cross_attention=cross)
    block.train()  # dropout is 0: training mode only checks that the paths do not depend on it
    x, memory = _x(), (_x(S, seed=2) if cross else None)
    kwargs = {"key_padding_mask": _padding(T)} if "padding" in setting else {}
    if cross:
        kwargs["memory_padding_mask"] = _padding(S)
    results = []
    for explicit in (False, True):
        block.zero_grad()
        xi = x.clone().requires_grad_()
        weights = {("cross" if cross else "self"): None} if explicit else None
        if setting == "cache":  # three new positions after four cached ones
            cache: dict = {}
            block(xi[:, :4], kv_cache=cache, weights=weights)
            out = block(xi[:, 4:], kv_cache=cache, weights=weights)
        else:
            out = block(xi, memory, weights=weights, **kwargs)
        (out * torch.linspace(-1, 1, out.numel(), dtype=out.dtype).view_as(out)).sum().backward()
        results.append([out.detach(), xi.grad] + [p.grad.clone() for p in block.parameters()])
    for fast, slow in zip(*results):
        torch.testing.assert_close(fast, slow, rtol=1e-10, atol=1e-12)


def test_a_block_with_every_head_removed_still_runs_and_caches():
    block = _block(n_head=0, head_dim=4, causal=True)
    x = _x()
    cache: dict = {}
    out = block(x, kv_cache=cache)
    assert out.shape == (B, T, C) and cache["k"].shape == (B, 0, T, 4)
    attn_out = block.attn(block.ln_1(x))[0]
    assert torch.equal(attn_out, block.attn.c_proj.bias.expand_as(attn_out))  # only the output bias


def test_fused_qkv_is_initialised_like_separate_q_and_kv_projections():
    """Models that had separate q and k/v Linear layers (default init) get the same numbers from a seed."""
    torch.manual_seed(0)
    fused = MultiHeadAttention(C, 4)
    after_fused = torch.rand(3)
    torch.manual_seed(0)
    q, kv, out = nn.Linear(C, C), nn.Linear(C, 2 * C), nn.Linear(C, C)
    assert torch.equal(fused.c_attn.weight, torch.cat([q.weight, kv.weight]))
    assert torch.equal(fused.c_attn.bias, torch.cat([q.bias, kv.bias]))
    assert torch.equal(fused.c_proj.weight, out.weight)
    assert torch.equal(torch.rand(3), after_fused)  # and the generator is left where it was


def test_self_attention_refuses_memory():
    with pytest.raises(ValueError, match="cross=True"):
        MultiHeadAttention(C, 4)(_x(dtype=torch.float32), _x(S, dtype=torch.float32))
