"""StackedRNNSeq2Seq: M seq2seq models side by side give each model's logits, attention weights,
gradients, clipped gradients and Adam steps, on batches padded to the longest member."""

import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from nngarden.config import ConfigError
from nngarden.data.seq2seq_tasks import algorithmic_ids, teacher_forcing_batch
from nngarden.nn.seq2seq import RNNSeq2Seq, Seq2SeqConfig
from nngarden.nn.stacked_seq2seq import StackedRNNSeq2Seq, member_losses
from nngarden.train.fit import fit

VOCAB = 13  # 10 symbols and the three specials

KINDS = [
    dict(arch="fixed"),
    dict(arch="attention", score="general"),
    dict(arch="attention", score="dot"),
    dict(arch="attention", score="additive"),
    dict(arch="attention", score="general", encoder="embedding"),
    dict(arch="fixed", encoder="embedding"),
    dict(arch="attention", score="additive", bidirectional=False),
]


def _config(**kind) -> Seq2SeqConfig:
    return Seq2SeqConfig(
        src_vocab=VOCAB, tgt_vocab=VOCAB, hidden=6, embed=5, attn_hidden=7, max_len=32, **kind
    )


def _models(cfg: Seq2SeqConfig, count: int = 3) -> list[RNNSeq2Seq]:
    models = []
    for seed in range(count):
        torch.manual_seed(seed)
        models.append(RNNSeq2Seq(cfg))
    return models


def _batch(members: int, seed: int = 0, batch: int = 5, shortest: int = 0):
    """Reverse-task batches whose lengths differ within each batch and between members (member
    ``shortest``'s are the shortest), padded to the longest: tensors (M, B, ...)."""
    rng = np.random.default_rng(seed)
    lengths = [rng.integers(1, 4 if m == shortest else 9, size=batch) for m in range(members)]
    width = max(int(n.max()) for n in lengths)
    ids = [algorithmic_ids("reverse", n, VOCAB - 3, rng, width) for n in lengths]
    lengths = np.stack(lengths)
    b = teacher_forcing_batch(np.stack([s for s, _ in ids]), np.stack([t for _, t in ids]), lengths, lengths)
    return b.src, b.src_len, b.tgt_in, b.tgt_out


def _own(batch, m: int):
    """Member m's batch cut to its own longest sequence, as it would be drawn alone."""
    src, src_len, tgt_in, tgt_out = (x[m] for x in batch)
    s = int(src_len.max())
    return src[:, :s], src_len, tgt_in[:, : s + 1], tgt_out[:, : s + 1]


def _alone_loss(model, batch) -> torch.Tensor:
    src, src_len, tgt_in, tgt_out = batch
    logits, _ = model(src, src_len, tgt_in)
    return F.cross_entropy(logits.reshape(-1, logits.size(-1)), tgt_out.reshape(-1), ignore_index=0)


def _as_models(stacked: StackedRNNSeq2Seq, models, values) -> list[RNNSeq2Seq]:
    """Copies of ``models`` holding ``values`` (one tensor per stacked parameter, e.g. its gradient)."""
    holder = copy.deepcopy(stacked)
    with torch.no_grad():
        for p, v in zip(holder.parameters(), values):
            p.copy_(v)
    copies = [copy.deepcopy(m) for m in models]
    holder.write_back(copies)
    return copies


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: "-".join(str(v) for v in k.values()))
@pytest.mark.parametrize("shortest", [0, 2])
def test_each_member_computes_its_own_model_on_its_own_padded_batch(kind, shortest):
    models = _models(_config(**kind))
    stacked = StackedRNNSeq2Seq(models)
    batch = _batch(len(models), shortest=shortest)
    logits, weights = stacked(*batch[:3])
    member_losses(logits, batch[3]).sum().backward()
    for m, model in enumerate(models):
        src, src_len, tgt_in, tgt_out = _own(batch, m)
        s, t = src.size(1), tgt_in.size(1)
        expected, expected_weights = model(src, src_len, tgt_in)
        assert torch.allclose(logits[m, :, :t], expected, atol=1e-5)
        if expected_weights is None:
            assert weights is None
        else:
            assert torch.allclose(weights[m, :, :t, :s], expected_weights, atol=1e-5)
            assert not weights[m, :, :, s:].any()  # the stack's extra padding gets weight exactly 0
        _alone_loss(model, (src, src_len, tgt_in, tgt_out)).backward()
    grads = _as_models(stacked, models, [p.grad for p in stacked.parameters()])
    for model, grad in zip(models, grads):
        for (name, p), g in zip(model.named_parameters(), grad.parameters()):
            scale = max(1.0, float(p.grad.abs().max()))
            assert torch.allclose(g, p.grad, atol=1e-5 * scale), name


def test_member_losses_are_each_members_mean_over_its_own_tokens():
    models = _models(_config(arch="attention"))
    stacked = StackedRNNSeq2Seq(models)
    batch = _batch(len(models), seed=1)
    losses = member_losses(stacked(*batch[:3])[0], batch[3])
    expected = torch.stack([_alone_loss(model, _own(batch, m)) for m, model in enumerate(models)])
    assert torch.allclose(losses, expected, atol=1e-6)


def test_padding_rows_of_the_embeddings_get_no_gradient():
    models = _models(_config(arch="attention"))
    stacked = StackedRNNSeq2Seq(models)
    batch = _batch(len(models))
    member_losses(stacked(*batch[:3])[0], batch[3]).sum().backward()
    assert not stacked.enc_embedding.grad[:, 0].any() and not stacked.dec_embedding.grad[:, 0].any()


def test_clipping_is_each_members_own_global_norm():
    models = _models(_config(arch="attention", score="additive"))
    stacked = StackedRNNSeq2Seq(models)
    batch = _batch(len(models))
    member_losses(stacked(*batch[:3])[0], batch[3]).sum().backward()
    for m, model in enumerate(models):
        _alone_loss(model, _own(batch, m)).backward()
    norms = torch.stack([torch.nn.utils.clip_grad_norm_(model.parameters(), 0.05) for model in models])
    assert torch.allclose(stacked.clip_grad_norm_(0.05), norms, rtol=1e-5)
    assert (norms > 0.05).all()  # every member was clipped
    clipped = _as_models(stacked, models, [p.grad for p in stacked.parameters()])
    for model, grad in zip(models, clipped):
        for p, g in zip(model.parameters(), grad.parameters()):
            assert torch.allclose(g, p.grad, atol=1e-6)


@pytest.mark.parametrize(
    "kind", [KINDS[0], KINDS[1], KINDS[3], KINDS[4]], ids=["fixed", "general", "additive", "control"]
)
def test_stacked_training_through_fit_equals_training_each_model_alone(kind):
    cfg = _config(**kind)
    models, alone = _models(cfg), _models(cfg)
    batches = [_batch(len(models), seed=step) for step in range(8)]
    stacked = StackedRNNSeq2Seq(models)
    fit(
        stacked,
        lambda model, batch: member_losses(model(*batch[:3])[0], batch[3]).sum(),
        lambda step: batches[step],
        lambda params: torch.optim.Adam(params, lr=1e-2, fused=True),
        steps=len(batches),
        grad_clip=0.5,
    )
    stacked.write_back(models)
    for m, model in enumerate(alone):
        fit(
            model,
            _alone_loss,
            lambda step, m=m: _own(batches[step], m),
            lambda params: torch.optim.Adam(params, lr=1e-2),
            steps=len(batches),
            grad_clip=0.5,
        )
    for trained, expected in zip(models, alone):
        for (name, p), q in zip(trained.named_parameters(), expected.parameters()):
            assert torch.allclose(p, q, atol=1e-4), name


def test_write_back_returns_each_members_weights_to_its_model():
    models = _models(_config(arch="attention", score="additive"))
    stacked = StackedRNNSeq2Seq(models)
    fresh = _models(_config(arch="attention", score="additive"), count=6)[3:]  # other weights
    stacked.write_back(fresh)
    for model, copy_ in zip(models, fresh):
        for p, q in zip(model.parameters(), copy_.parameters()):
            assert torch.equal(p, q)


def test_refuses_models_of_different_configs_or_kinds():
    with pytest.raises(ConfigError, match="one Seq2SeqConfig"):
        StackedRNNSeq2Seq(_models(_config(arch="fixed"), 1) + _models(_config(arch="attention"), 1))
    with pytest.raises(ConfigError, match="RNNSeq2Seq"):
        StackedRNNSeq2Seq([])


def test_members_of_equal_lengths_and_a_single_member():
    models = _models(_config(arch="attention"), count=1)
    stacked = StackedRNNSeq2Seq(models)
    batch = _batch(1, seed=4)
    logits, _ = stacked(*batch[:3])
    assert torch.allclose(logits[0], models[0](*_own(batch, 0)[:3])[0], atol=1e-5)
    rng = np.random.default_rng(0)
    lengths = np.full((3, 4), 5)
    ids = [algorithmic_ids("copy", n, VOCAB - 3, rng) for n in lengths]
    equal = teacher_forcing_batch(
        np.stack([a for a, _ in ids]), np.stack([b for _, b in ids]), lengths, lengths
    )
    models = _models(_config(arch="fixed"))
    logits, _ = StackedRNNSeq2Seq(models)(equal.src, equal.src_len, equal.tgt_in)
    for m, model in enumerate(models):
        assert torch.allclose(logits[m], model(equal.src[m], equal.src_len[m], equal.tgt_in[m])[0], atol=1e-5)
