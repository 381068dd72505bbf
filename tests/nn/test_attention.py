"""Attention: the SDPA fast path and the explicit path agree; masks never turn into NaN."""

import pytest
import torch

from nngarden.nn.attention import (
    AdditiveAttention,
    MultiHeadAttention,
    attention_weights,
    build_mask,
    masked_softmax,
    scaled_dot_product_attention,
)

B, H, TQ, TK, D = 2, 3, 5, 7, 4


def _qkv(t_q=TQ, t_k=TK, dtype=torch.float64):
    g = torch.Generator().manual_seed(1)
    return [torch.randn(B, H, t, D, generator=g, dtype=dtype, requires_grad=True) for t in (t_q, t_k, t_k)]


def _padding(t_k=TK):
    pad = torch.zeros(B, t_k, dtype=torch.bool)
    pad[0, -2:] = True  # sequence 0 has two padded keys
    pad[1, 3:] = True  # sequence 1 keeps only three keys
    return pad


MASKS = {
    "none": lambda: (None, TQ, TK),
    "causal-square": lambda: (build_mask(TK, TK, causal=True), TK, TK),
    "causal-cache": lambda: (build_mask(2, TK, causal=True), 2, TK),  # last queries against a longer past
    "key-padding": lambda: (build_mask(TQ, TK, key_padding_mask=_padding()), TQ, TK),
    "causal+padding": lambda: (build_mask(TK, TK, causal=True, key_padding_mask=_padding()), TK, TK),
}


def _both_paths(mask, t_q, t_k):
    """Outputs and input gradients of the fast and the explicit path for the same inputs."""
    results = []
    for explicit in (False, True):
        q, k, v = _qkv(t_q, t_k)
        out, weights = scaled_dot_product_attention(q, k, v, mask, explicit=explicit)
        (out * torch.linspace(-1, 1, out.numel(), dtype=out.dtype).view_as(out)).sum().backward()
        results.append((out.detach(), weights, [t.grad for t in (q, k, v)]))
    return results


@pytest.mark.parametrize("case", list(MASKS))
def test_fast_and_explicit_paths_agree_in_outputs_and_gradients(case):
    mask, t_q, t_k = MASKS[case]()
    (fast, w_fast, g_fast), (slow, w_slow, g_slow) = _both_paths(mask, t_q, t_k)
    assert w_fast is None and w_slow.shape == (B, H, t_q, t_k)
    torch.testing.assert_close(fast, slow, atol=1e-10, rtol=1e-8)
    for a, b in zip(g_fast, g_slow):
        torch.testing.assert_close(a, b, atol=1e-10, rtol=1e-8)


def test_causal_mask_aligns_last_query_with_last_key():
    m = build_mask(2, 4, causal=True)
    assert m.tolist() == [[True, True, True, False], [True, True, True, True]]
    assert build_mask(3, 3) is None  # no mask at all: SDPA may use its unmasked kernel


def test_fully_masked_rows_give_zeros_not_nan_in_both_paths_and_gradients():
    pad = torch.zeros(B, TK, dtype=torch.bool)
    pad[1] = True  # sequence 1 is padding only: every query row is empty
    mask = build_mask(TQ, TK, key_padding_mask=pad)
    for explicit in (False, True):
        q, k, v = _qkv()
        out, weights = scaled_dot_product_attention(q, k, v, mask, explicit=explicit)
        assert torch.isfinite(out).all()
        assert torch.equal(out[1], torch.zeros_like(out[1]))
        out.sum().backward()
        for t in (q, k, v):
            assert torch.isfinite(t.grad).all()
            assert torch.equal(t.grad[1], torch.zeros_like(t.grad[1]))  # nothing flows from empty rows
        if explicit:
            assert torch.equal(weights[1], torch.zeros_like(weights[1]))
            assert (weights[0].sum(-1) - 1).abs().max() < 1e-12


def test_weights_are_a_convex_combination_and_masked_entries_are_exactly_zero():
    pad = _padding()
    pad[0] = True  # one empty sequence as well
    mask = build_mask(TK, TK, causal=True, key_padding_mask=pad)
    q, k, _ = _qkv(TK, TK)
    w = attention_weights(q * 10, k, mask)  # sharp scores stress the softmax
    assert (w >= 0).all()
    sums = w.sum(-1)
    has_key = mask.expand_as(w).any(-1)
    torch.testing.assert_close(sums[has_key], torch.ones_like(sums[has_key]))
    assert torch.equal(sums[~has_key], torch.zeros_like(sums[~has_key]))
    assert torch.equal(w[~mask.expand_as(w)], torch.zeros_like(w[~mask.expand_as(w)]))


def test_masked_softmax_matches_softmax_without_mask_and_handles_empty_rows():
    s = torch.randn(4, 6)
    torch.testing.assert_close(masked_softmax(s, None), torch.softmax(s, -1))
    mask = torch.ones(4, 6, dtype=torch.bool)
    mask[1, :] = False
    mask[2, 4:] = False
    w = masked_softmax(s, mask)
    assert torch.equal(w[1], torch.zeros(6)) and torch.equal(w[2, 4:], torch.zeros(2))
    torch.testing.assert_close(w[2, :4], torch.softmax(s[2, :4], -1))


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("setting", ["self-causal", "self-padding", "cross-padding", "cross"])
def test_multi_head_attention_paths_agree(bias, setting):
    torch.manual_seed(0)
    mha = MultiHeadAttention(16, 4, bias=bias, cross=setting.startswith("cross")).double()
    x = torch.randn(2, 5, 16, dtype=torch.float64)
    mem = torch.randn(2, 8, 16, dtype=torch.float64)
    kwargs = {}
    kv = None
    if setting == "self-causal":
        kwargs["causal"] = True
    if setting.startswith("cross"):
        kv = mem
    if setting.endswith("padding"):
        pad = torch.zeros(2, 8 if kv is not None else 5, dtype=torch.bool)
        pad[0, -3:] = True
        kwargs["key_padding_mask"] = pad
    outs, grads = [], []
    for need_weights in (False, True):
        mha.zero_grad()
        xi = x.clone().requires_grad_()
        out, w = mha(xi, kv, need_weights=need_weights, **kwargs)
        assert (w is not None) == need_weights
        out.pow(2).sum().backward()
        outs.append(out.detach())
        grads.append([xi.grad] + [p.grad.clone() for p in mha.parameters()])
    torch.testing.assert_close(outs[0], outs[1], atol=1e-10, rtol=1e-8)
    for a, b in zip(*grads):
        torch.testing.assert_close(a, b, atol=1e-10, rtol=1e-8)


def test_multi_head_attention_weights_shape_and_padding():
    mha = MultiHeadAttention(8, 2, cross=True)
    x, mem = torch.randn(3, 4, 8), torch.randn(3, 6, 8)
    pad = torch.zeros(3, 6, dtype=torch.bool)
    pad[:, 4:] = True
    _, w = mha(x, mem, key_padding_mask=pad, need_weights=True)
    assert w.shape == (3, 2, 4, 6)
    assert torch.equal(w[..., 4:], torch.zeros_like(w[..., 4:]))
    torch.testing.assert_close(w.sum(-1), torch.ones(3, 2, 4))


def test_multi_head_attention_kv_cache_equals_full_causal_pass():
    torch.manual_seed(0)
    mha = MultiHeadAttention(8, 2).eval()
    x = torch.randn(2, 6, 8)
    full, _ = mha(x, causal=True)
    cache: dict = {}
    steps = [mha(x[:, :3], causal=True, kv_cache=cache)[0]]
    steps += [mha(x[:, t : t + 1], causal=True, kv_cache=cache)[0] for t in range(3, 6)]
    torch.testing.assert_close(torch.cat(steps, 1), full, atol=1e-6, rtol=1e-5)


def test_multi_head_attention_rejects_indivisible_width():
    with pytest.raises(ValueError, match="divisible"):
        MultiHeadAttention(10, 3)


def test_additive_attention_gives_padded_keys_exactly_zero_weight():
    torch.manual_seed(0)
    att = AdditiveAttention(query_dim=5, key_dim=6, hidden=7)
    query, keys = torch.randn(3, 5), torch.randn(3, 4, 6)
    pad = torch.tensor([[False, False, True, True], [False, False, False, False], [True, True, True, True]])
    context, w = att(query, keys, key_padding_mask=pad)
    assert w.shape == (3, 4) and context.shape == (3, 6)
    assert torch.equal(w[0, 2:], torch.zeros(2)) and torch.equal(w[2], torch.zeros(4))
    torch.testing.assert_close(w[:2].sum(-1), torch.ones(2))
    torch.testing.assert_close(context, torch.einsum("bt,btd->bd", w, keys))
    assert torch.equal(context[2], torch.zeros(6))
    # padded keys cannot influence the result, whatever they hold
    keys2 = keys.clone()
    keys2[0, 2:] = 100.0
    torch.testing.assert_close(att(query, keys2, key_padding_mask=pad)[0][0], context[0])
    # precomputed key projections give the same answer
    torch.testing.assert_close(att(query, keys, pad, projected_keys=att.w_key(keys))[1], w)
