import pytest
import torch

from nngarden.config import ConfigError
from nngarden.nn.digits_nets import DigitsCNN, DigitsMLP
from nngarden.nn.gpt import GPT, GPTConfig
from nngarden.prune import (
    choose_gpt_units,
    count_params,
    mask_gpt_units,
    shrink_cnn,
    shrink_gpt,
    shrink_mlp,
    widths_for_compression,
)
from nngarden.prune.structured import cnn_param_count, mlp_param_count


def test_structured_mlp_with_nothing_removed_is_the_same_function():
    m = DigitsMLP()
    x = torch.rand(6, 1, 8, 8)
    assert torch.equal(shrink_mlp(m, (300, 100))(x), m(x))


def test_structured_mlp_equals_the_model_with_those_neurons_zeroed():
    m = DigitsMLP().double()
    small = shrink_mlp(m, (120, 40))
    assert count_params(small) == mlp_param_count(64, (120, 40), 10)
    # zero the dropped neurons' incoming rows and biases: ReLU(0) = 0 removes them exactly
    with torch.no_grad():
        for layer, keep in zip(m.hidden, (120, 40)):
            drop = torch.topk(layer.weight.norm(dim=1), layer.out_features - keep, largest=False).indices
            layer.weight[drop] = 0
            layer.bias[drop] = 0
    x = torch.rand(6, 1, 8, 8, dtype=torch.float64)
    torch.testing.assert_close(small(x), m(x), rtol=0, atol=1e-12)


def test_structured_cnn_identity_and_size():
    m = DigitsCNN()
    x = torch.rand(3, 1, 8, 8)
    torch.testing.assert_close(shrink_cnn(m, (16, 32, 64))(x), m(x), rtol=0, atol=1e-6)
    small = shrink_cnn(m, (8, 10, 20))
    assert small(x).shape == (3, 10)
    assert count_params(small) == cnn_param_count((8, 10, 20))


def test_widths_for_compression_reach_about_the_target():
    count = lambda ws: mlp_param_count(64, ws, 10)  # noqa: E731
    for c in (2, 4, 8, 16, 32):
        w = widths_for_compression(count, (300, 100), c)
        achieved = count((300, 100)) / count(w)
        assert c <= achieved < c * 1.1
    with pytest.raises(ConfigError, match="widths"):
        shrink_mlp(DigitsMLP(), (301, 100))


def test_widths_for_compression_round_to_a_multiple():
    count = lambda ws: mlp_param_count(512, ws, 512)  # noqa: E731
    for c in (2.0, 2.8284, 4.0, 32.0):
        widths = widths_for_compression(count, (2048, 2048), c, multiple=8)
        assert all(w % 8 == 0 and w >= 8 for w in widths)
        assert count((2048, 2048)) / count(widths) >= c  # at most the target's parameters
    assert widths_for_compression(count, (2048, 2048), 1e6, multiple=8) == (8, 8)
    with pytest.raises(ConfigError, match="multiple"):
        widths_for_compression(count, (2048, 2048), 2.0, multiple=0)


def _gpt(dtype=torch.float64):
    torch.manual_seed(0)
    g = GPT(GPTConfig(vocab_size=23, block_size=12, n_layer=2, n_head=4, n_embd=32)).to(dtype)
    with torch.no_grad():  # GPT-2 init has zero biases; make them matter for the test
        for p in g.parameters():
            if p.dim() == 1:
                p.normal_(0, 0.1)
    return g.eval()


def test_gpt_heads_and_neurons_removed_equal_masked_model_exactly():
    g = _gpt()
    kh, kn = choose_gpt_units(g, 0.5, 0.25)
    assert [len(h) for h in kh] == [2, 2] and [len(n) for n in kn] == [32, 32]
    small = shrink_gpt(g, kh, kn)
    assert count_params(small) < count_params(g)
    x = torch.randint(0, 23, (3, 12))
    torch.testing.assert_close(small(x)[0], mask_gpt_units(g, kh, kn)(x)[0], rtol=0, atol=1e-12)
    # and in float32, to float32 rounding
    g32 = _gpt(torch.float32)
    torch.testing.assert_close(
        shrink_gpt(g32, kh, kn)(x)[0], mask_gpt_units(g32, kh, kn)(x)[0], rtol=1e-5, atol=1e-5
    )


def test_gpt_with_nothing_removed_is_the_same_and_all_heads_removed_still_runs():
    g = _gpt()
    x = torch.randint(0, 23, (2, 12))
    kh, kn = choose_gpt_units(g, 1.0, 1.0)
    torch.testing.assert_close(shrink_gpt(g, kh, kn)(x)[0], g(x)[0], rtol=0, atol=1e-12)
    kh, kn = choose_gpt_units(g, 0.0, 0.5)
    torch.testing.assert_close(
        shrink_gpt(g, kh, kn)(x)[0], mask_gpt_units(g, kh, kn)(x)[0], rtol=0, atol=1e-12
    )


def test_pruned_gpt_generates_with_kv_cache_like_without():
    g = _gpt()
    kh, kn = choose_gpt_units(g, 0.5, 0.5)
    small = shrink_gpt(g, kh, kn)
    idx = torch.randint(0, 23, (1, 3))
    a = small.generate(idx, 6, temperature=0, use_cache=True)
    b = small.generate(idx, 6, temperature=0, use_cache=False)
    assert torch.equal(a, b)


def test_bad_fractions_are_named():
    with pytest.raises(ConfigError, match="head_fraction"):
        choose_gpt_units(_gpt(), 1.5, 0.5)


def test_a_shrunk_gpt_is_a_gpt_that_its_config_rebuilds():
    g = _gpt()
    kh, kn = choose_gpt_units(g, 0.5, 0.25)
    small = shrink_gpt(g, kh, kn)
    assert type(small) is GPT
    cfg = small.config
    assert (cfg.n_head, cfg.head_dim, cfg.n_inner, cfg.n_embd) == (2, 8, 32, 32)
    rebuilt = GPT(cfg).to(torch.float64).eval()
    rebuilt.load_state_dict(small.state_dict())
    x = torch.randint(0, 23, (2, 12))
    assert torch.equal(rebuilt(x)[0], small(x)[0])
    assert g.config.n_head == 4 and g.config.head_dim is None  # the original is untouched
    with pytest.raises(ConfigError, match="keep_heads"):
        shrink_gpt(g, [kh[0], kh[1][:1]], kn)  # one n_head for every block


def test_a_gpt_without_heads_still_tracks_positions_in_its_kv_cache():
    g = _gpt()
    small = shrink_gpt(g, *choose_gpt_units(g, 0.0, 1.0))
    assert small.config.n_head == 0
    idx = torch.randint(0, 23, (2, 8))
    caches = [{} for _ in small.transformer.h]
    parts = [small(idx[:, :3], kv_caches=caches)[0]] + [
        small(idx[:, t : t + 1], kv_caches=caches)[0] for t in range(3, 8)
    ]
    torch.testing.assert_close(torch.cat(parts, 1), small(idx)[0], rtol=0, atol=1e-12)
