"""AdamW groups: matrices and embeddings decay, biases and norm gains do not; fused on CPU when offered."""

import torch

from nngarden.nn.gpt import GPT, GPTConfig
from nngarden.train.optim import adamw, fused_available, param_groups


def model(bias=True):
    torch.manual_seed(0)
    return GPT(GPTConfig(vocab_size=13, block_size=8, n_layer=2, n_head=2, n_embd=16, bias=bias))


def test_decay_groups_follow_dimension_and_count_tied_weights_once():
    m = model()
    decay, no_decay = param_groups(m, 0.1)
    assert decay["weight_decay"] == 0.1 and no_decay["weight_decay"] == 0.0
    names = {id(p): n for n, p in m.named_parameters()}
    decayed = {names[id(p)] for p in decay["params"]}
    kept = {names[id(p)] for p in no_decay["params"]}
    assert "transformer.wte.weight" in decayed and "transformer.wpe.weight" in decayed
    assert "transformer.h.0.attn.c_attn.weight" in decayed
    assert all(n.endswith("bias") or ".ln_" in n for n in kept) and "transformer.ln_f.weight" in kept
    assert len(decay["params"]) + len(no_decay["params"]) == len(list(m.parameters()))  # wte once


def test_fused_cpu_adamw_is_used_and_matches_the_reference_implementation():
    major, minor = (int(v) for v in torch.__version__.split(".")[:2])
    if (major, minor) >= (2, 4):  # torch 2.4 added the fused CPU kernel
        assert fused_available("cpu")
    a, b = model(), model()
    opt_a = adamw(a, 1e-3, (0.9, 0.99), 0.1, "cpu")
    opt_b = torch.optim.AdamW(param_groups(b, 0.1), lr=1e-3, betas=(0.9, 0.99), foreach=False)
    if fused_available("cpu"):
        assert opt_a.param_groups[0]["fused"]
    x = torch.randint(13, (4, 8))
    for opt, m in ((opt_a, a), (opt_b, b)):
        for _ in range(3):
            m(x, x)[1].backward()
            opt.step()
            opt.zero_grad()
    for pa, pb in zip(a.parameters(), b.parameters()):
        torch.testing.assert_close(pa, pb, rtol=1e-4, atol=1e-5)
