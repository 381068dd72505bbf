"""GPT: causality, KV-cache generation, sampling, GPT-2 initialisation, published parameter counts."""

import math

import pytest
import torch

from nngarden.config import ConfigError
from nngarden.nn.gpt import GPT, GPTConfig


def small(**kw) -> GPT:
    cfg = dict(vocab_size=11, block_size=8, n_layer=2, n_head=2, n_embd=16)
    cfg.update(kw)
    torch.manual_seed(0)
    return GPT(GPTConfig(**cfg)).eval()


def _sharpen(model: GPT) -> GPT:
    """Scale weights up so that logits differ clearly (random-init logits are nearly flat, which would
    make greedy ties and cache/no-cache comparisons meaningless)."""
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() == 2:
                p.mul_(10)
    return model


@pytest.mark.parametrize("bias", [True, False])
def test_outputs_up_to_t_ignore_tokens_after_t(bias):
    model = small(bias=bias)
    idx = torch.randint(11, (3, 8))
    logits, _ = model(idx)
    for t in (0, 3, 6):
        changed = idx.clone()
        changed[:, t + 1 :] = (changed[:, t + 1 :] + 1 + torch.randint(10, changed[:, t + 1 :].shape)) % 11
        other, _ = model(changed)
        assert torch.equal(logits[:, : t + 1], other[:, : t + 1])  # exactly: no leak at all
        assert not torch.allclose(logits[:, t + 1 :], other[:, t + 1 :])  # later outputs do change


def test_gradient_of_output_t_reaches_only_tokens_up_to_t():
    model = small()
    x = model.transformer.wte(torch.randint(11, (1, 8))).detach().requires_grad_()
    # run the blocks on embeddings directly so the gradient with respect to each position is visible
    h = x + model.transformer.wpe(torch.arange(8))
    for block in model.transformer.h:
        h = block(h)
    h[0, 4].sum().backward()
    per_pos = x.grad[0].abs().sum(-1)
    assert (per_pos[5:] == 0).all() and (per_pos[:5] > 0).all()


def test_kv_cache_greedy_generation_equals_recomputation_also_past_block_size():
    model = _sharpen(small())
    prompt = torch.randint(11, (2, 3))
    with_cache = model.generate(prompt, 14, temperature=0, use_cache=True)  # 3 + 14 > block_size 8
    without = model.generate(prompt, 14, temperature=0, use_cache=False)
    assert with_cache.shape == (2, 17)
    assert torch.equal(with_cache, without)
    assert torch.equal(with_cache[:, :3], prompt)
    assert len(set(with_cache[0].tolist())) > 2  # not a degenerate constant


def test_kv_cache_logits_match_full_forward():
    model = small()
    idx = torch.randint(11, (2, 8))
    full, _ = model(idx)
    caches = [{} for _ in model.transformer.h]
    parts = [model(idx[:, :5], kv_caches=caches)[0]]
    parts += [model(idx[:, t : t + 1], kv_caches=caches)[0] for t in range(5, 8)]
    torch.testing.assert_close(torch.cat(parts, 1), full, atol=1e-5, rtol=1e-4)
    with pytest.raises(ValueError, match="block_size"):
        model(idx[:, :1], kv_caches=caches)


def test_generate_shapes_long_prompts_and_seeded_sampling():
    model = small()
    out = model.generate(torch.randint(11, (4, 12)), 5)  # prompt longer than block_size
    assert out.shape == (4, 17) and out.dtype == torch.long
    assert ((out >= 0) & (out < 11)).all()
    a = model.generate(torch.zeros(1, 1, dtype=torch.long), 10, generator=torch.Generator().manual_seed(3))
    b = model.generate(torch.zeros(1, 1, dtype=torch.long), 10, generator=torch.Generator().manual_seed(3))
    assert torch.equal(a, b)
    assert model.generate(torch.zeros(2, 1, dtype=torch.long), 0).shape == (2, 1)


def test_top_k_samples_only_the_k_most_likely_tokens():
    model = _sharpen(small())
    prompt = torch.randint(11, (1, 4))
    logits, _ = model(prompt)
    allowed = set(torch.topk(logits[0, -1], 2).indices.tolist())
    g = torch.Generator().manual_seed(0)
    seen = {model.generate(prompt, 1, temperature=5.0, top_k=2, generator=g)[0, -1].item() for _ in range(60)}
    assert seen <= allowed and len(seen) == 2  # high temperature: both survivors appear, nothing else
    # top_k=1 is greedy whatever the temperature
    greedy = model.generate(prompt, 6, temperature=0)
    assert torch.equal(model.generate(prompt, 6, temperature=3.0, top_k=1), greedy)


def test_generate_rejects_bad_arguments():
    model = small()
    with pytest.raises(ValueError, match="temperature"):
        model.generate(torch.zeros(1, 1, dtype=torch.long), 2, temperature=-1)
    with pytest.raises(ValueError, match="top_k"):
        model.generate(torch.zeros(1, 1, dtype=torch.long), 2, top_k=0)
    with pytest.raises(ValueError, match="max_new_tokens"):
        model.generate(torch.zeros(1, 1, dtype=torch.long), -1)


def test_gpt2_initialisation_and_tied_embeddings():
    cfg = GPTConfig(vocab_size=500, block_size=64, n_layer=6, n_head=4, n_embd=128)
    torch.manual_seed(0)
    model = GPT(cfg)
    assert model.lm_head.weight is model.transformer.wte.weight
    resid_std = 0.02 / math.sqrt(2 * cfg.n_layer)
    for name, p in model.named_parameters():
        if name.endswith("c_proj.weight"):
            assert p.std().item() == pytest.approx(resid_std, rel=0.05), name
        elif p.dim() == 2:
            assert p.std().item() == pytest.approx(0.02, rel=0.05), name
        elif name.endswith("bias"):
            assert torch.equal(p, torch.zeros_like(p)), name
        else:  # LayerNorm gains
            assert torch.equal(p, torch.ones_like(p)), name
    # a gradient step through the head moves the input embedding (one tensor, two roles)
    idx = torch.randint(500, (2, 10))
    model(idx, idx)[1].backward()
    assert model.transformer.wte.weight.grad is not None


def test_bias_false_leaves_out_every_bias():
    model = small(bias=False)
    assert not [n for n, _ in model.named_parameters() if n.endswith("bias")]


def _on_meta(**shape) -> GPT:
    with torch.device("meta"):  # shapes only: no memory, no initialisation work
        model = GPT(GPTConfig(**shape))
    assert model.lm_head.weight.is_meta
    return model


def test_gpt2_small_has_124m_parameters():
    model = _on_meta(vocab_size=50257, block_size=1024, n_layer=12, n_head=12, n_embd=768)
    assert model.num_params() == 124_439_808
    assert model.num_params(non_embedding=True) == 124_439_808 - 1024 * 768  # nanoGPT's "123.65M"


def test_gpt3_has_175b_parameters():
    d, layers, vocab, ctx = 12288, 96, 50257, 2048
    n = _on_meta(vocab_size=vocab, block_size=ctx, n_layer=layers, n_head=96, n_embd=d).num_params()
    # per block: qkv 3d^2+3d, out d^2+d, MLP 8d^2+5d, two LayerNorms 4d; plus embeddings and final LN
    assert n == layers * (12 * d * d + 13 * d) + vocab * d + ctx * d + 2 * d
    assert abs(n - 175e9) / 175e9 < 0.01  # "175B" within 1%


def test_initial_loss_is_about_log_vocab_on_random_targets():
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=65, block_size=32, n_layer=2, n_head=2, n_embd=32))
    idx, targets = torch.randint(65, (16, 32)), torch.randint(65, (16, 32))
    _, loss = model(idx, targets)
    assert loss.item() == pytest.approx(math.log(65), abs=0.05)
    ignored = targets.clone()
    ignored[:, :16] = -1  # -1 = ignore (padding)
    _, loss_half = model(idx, ignored)
    logits, _ = model(idx)
    expected = torch.nn.functional.cross_entropy(logits[:, 16:].reshape(-1, 65), targets[:, 16:].reshape(-1))
    torch.testing.assert_close(loss_half, expected)


def test_a_few_steps_lower_the_loss():
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=7, block_size=16, n_layer=1, n_head=2, n_embd=16)).train()
    seq = torch.arange(17).remainder(7)[None].repeat(4, 1)  # a periodic, learnable sequence
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(30):
        _, loss = model(seq[:, :-1], seq[:, 1:])
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.2 * losses[0]


def test_config_errors_name_the_field():
    with pytest.raises(ConfigError, match="n_embd"):
        GPTConfig(vocab_size=10, block_size=8, n_head=3, n_embd=16)
    with pytest.raises(ConfigError, match="vocab_size"):
        GPTConfig(vocab_size=0, block_size=8)
    with pytest.raises(ConfigError, match="dropout"):
        GPTConfig(vocab_size=10, block_size=8, dropout=1.5)
    with pytest.raises(ValueError, match="block_size"):
        small()(torch.zeros(1, 9, dtype=torch.long))


def test_benchmark_script_imports_and_runs_one_step_of_ours():
    """benchmarks/gpt_train.py is a script, not a test; this only keeps it from rotting (no timing)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "gpt_train.py"
    spec = importlib.util.spec_from_file_location("gpt_train_bench", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    args = bench.parse(["--n-layer", "1", "--n-embd", "16", "--n-head", "2", "--block", "8", "--batch", "2"])
    model, forward, opt = bench.setup("ours", args)
    x, y = bench.make_batches(args, 1)[0]
    assert math.isfinite(bench.train_step(forward, model, opt, x, y))
