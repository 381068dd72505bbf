"""Seq2seq models: shape contracts, padding, the fixed context, greedy and beam search, a tiny learning
run, old transformer checkpoints."""

import itertools

import pytest
import torch
import torch.nn.functional as F

from nngarden.config import ConfigError
from nngarden.nn.seq2seq import (
    BOS,
    EOS,
    PAD,
    LuongAttention,
    Seq2SeqConfig,
    beam_search,
    build_model,
    count_parameters,
    greedy_decode,
    sequence_log_prob,
    strip,
)

VARIANTS = [
    ("fixed", "additive"),
    ("attention", "additive"),
    ("attention", "dot"),
    ("attention", "general"),
    ("transformer", "additive"),
]


def make(arch, score="additive", vocab=9, **kw):
    cfg = Seq2SeqConfig(
        src_vocab=vocab,
        tgt_vocab=vocab + 2,
        arch=arch,
        score=score,
        hidden=8,
        embed=6,
        attn_hidden=7,
        d_model=16,
        n_head=2,
        n_layer=1,
        d_ff=24,
        max_len=32,
        **kw,
    )
    return build_model(cfg).eval()


def padded_batch(vocab=9):
    """Three sources of lengths 5, 3, 1 (PAD-padded to 5) and teacher-forced targets of length 4."""
    g = torch.Generator().manual_seed(1)
    src = torch.randint(3, vocab, (3, 5), generator=g)
    src_len = torch.tensor([5, 3, 1])
    src[1, 3:] = PAD
    src[2, 1:] = PAD
    tgt_in = torch.cat([torch.full((3, 1), BOS), torch.randint(3, vocab, (3, 3), generator=g)], dim=1)
    return src, src_len, tgt_in


@pytest.mark.parametrize("arch,score", VARIANTS)
def test_shape_contracts(arch, score):
    model = make(arch, score)
    src, src_len, tgt_in = padded_batch()
    logits, weights = model(src, src_len, tgt_in, **({"need_weights": True} if arch == "transformer" else {}))
    assert logits.shape == (3, 4, 11)
    if arch == "fixed":
        assert weights is None
    else:
        assert weights.shape == (3, 4, 5)
        assert torch.allclose(weights.sum(-1), torch.ones(3, 4), atol=1e-5)
    memory = model.encode(src, src_len)
    state = model.init_state(memory)
    step_logits, state, w = model.step(memory, state, torch.full((3,), BOS))
    assert step_logits.shape == (3, 11)
    assert (w is None) == (arch == "fixed")
    if w is not None:
        assert w.shape == (3, 5)
    # the first teacher-forced step and the first decoding step agree
    assert torch.allclose(step_logits, logits[:, 0], atol=1e-5)


@pytest.mark.parametrize("arch,score", [v for v in VARIANTS if v[0] != "fixed"])
def test_padded_source_positions_get_exactly_zero_weight(arch, score):
    model = make(arch, score)
    src, src_len, tgt_in = padded_batch()
    _, weights = model(src, src_len, tgt_in, **({"need_weights": True} if arch == "transformer" else {}))
    pad = (src == PAD)[:, None, :].expand_as(weights)
    assert torch.count_nonzero(weights[pad]) == 0
    assert bool((weights[~pad] > 0).all())
    _, greedy_weights = greedy_decode(model, src, src_len, max_len=4)
    assert torch.count_nonzero(greedy_weights[(src == PAD)[:, None, :].expand_as(greedy_weights)]) == 0


@pytest.mark.parametrize("arch,score", VARIANTS)
def test_padding_does_not_change_an_example(arch, score):
    """A padded row gives the same logits as the same source alone without padding."""
    model = make(arch, score)
    src, src_len, tgt_in = padded_batch()
    logits, _ = model(src, src_len, tgt_in)
    alone, _ = model(src[1:2, :3], src_len[1:2], tgt_in[1:2])
    assert torch.allclose(logits[1:2], alone, atol=1e-5)


def test_fixed_decoder_sees_only_the_summary_vector():
    """Without attention the per-position encoder states must not matter, only the final vector."""
    model = make("fixed")
    src, src_len, tgt_in = padded_batch()
    memory = model.encode(src, src_len)
    assert "keys" not in memory
    scrambled = dict(memory, states=torch.randn_like(memory["states"]))
    s1, s2 = model.init_state(memory), model.init_state(scrambled)
    token = torch.full((3,), BOS)
    for t in range(3):
        l1, s1, _ = model.step(memory, s1, token)
        l2, s2, _ = model.step(scrambled, s2, token)
        assert torch.equal(l1, l2)
        token = tgt_in[:, t + 1]
    changed = dict(memory, summary=memory["summary"] + 1.0)
    assert not torch.allclose(
        model.step(changed, model.init_state(changed), torch.full((3,), BOS))[0],
        model.step(memory, model.init_state(memory), torch.full((3,), BOS))[0],
    )


@pytest.mark.parametrize("arch,score", VARIANTS)
def test_beam_of_width_one_is_greedy(arch, score):
    torch.manual_seed(3)
    model = make(arch, score)
    with torch.no_grad():
        out = model.out if arch == "transformer" else model.decoder.out
        out.weight.mul_(4.0)  # peaked, varied outputs
    src, src_len, _ = padded_batch()
    greedy, _ = greedy_decode(model, src, src_len, max_len=7)
    beamed, _ = beam_search(model, src, src_len, beam=1, max_len=7, alpha=0.7)
    assert strip(greedy) == strip(beamed)


def _brute_force_best(model, src, src_len, symbols, max_len, alpha):
    """Every EOS-terminated sequence up to max_len and every unterminated one of length max_len."""
    best, best_seq = float("-inf"), None
    for n in range(0, max_len + 1):
        for body in itertools.product(symbols, repeat=n):
            seq = list(body) + ([EOS] if n < max_len else [])
            for candidate in [seq] if n < max_len else [seq]:
                score = sequence_log_prob(model, src, src_len, candidate) / len(candidate) ** alpha
                if score > best:
                    best, best_seq = score, candidate
    return best_seq, best


@pytest.mark.parametrize("arch", ["attention", "transformer"])
@pytest.mark.parametrize("alpha", [0.0, 1.0])
def test_wide_beam_finds_the_exact_best_sequence(arch, alpha):
    """With a beam wider than the number of hypotheses, beam search is exhaustive search."""
    torch.manual_seed(5)
    cfg = Seq2SeqConfig(
        src_vocab=5,
        tgt_vocab=5,
        arch=arch,
        hidden=6,
        embed=4,
        attn_hidden=5,
        d_model=8,
        n_head=2,
        n_layer=1,
        d_ff=8,
        max_len=16,
    )
    model = build_model(cfg).eval()
    with torch.no_grad():
        out = model.out if arch == "transformer" else model.decoder.out
        out.weight.mul_(3.0)
        out.bias[EOS] -= 1.0  # do not stop at once every time
    src, src_len = torch.tensor([[3, 4, 4, PAD], [4, 3, 3, 4]]), torch.tensor([3, 4])
    tokens, scores = beam_search(model, src, src_len, beam=27, max_len=3, alpha=alpha)
    for i in range(2):
        expected, expected_score = _brute_force_best(
            model, src[i : i + 1], src_len[i : i + 1], [3, 4], 3, alpha
        )
        got = [t for t in tokens[i].tolist() if t != PAD]
        assert got == expected
        assert scores[i].item() == pytest.approx(expected_score, abs=1e-4)


def test_length_normalisation_changes_the_winner_towards_longer_outputs():
    """alpha=0 prefers short outputs (every token costs log-probability); alpha=1 does not."""
    torch.manual_seed(0)
    lengths = {}
    for alpha in (0.0, 1.0):
        torch.manual_seed(11)
        model = make("attention")
        with torch.no_grad():
            model.decoder.out.bias[EOS] += 1.0
        src, src_len, _ = padded_batch()
        tokens, _ = beam_search(model, src, src_len, beam=6, max_len=8, alpha=alpha)
        lengths[alpha] = sum(len(s) for s in strip(tokens))
    assert lengths[1.0] >= lengths[0.0]


def test_bad_configs_are_refused_with_the_field_named():
    with pytest.raises(ConfigError, match="arch"):
        Seq2SeqConfig(arch="lstm")
    with pytest.raises(ConfigError, match="score"):
        Seq2SeqConfig(score="concat")
    with pytest.raises(ConfigError, match="n_head"):
        Seq2SeqConfig(arch="transformer", d_model=30, n_head=4)
    with pytest.raises(ConfigError, match="dot"):
        LuongAttention(8, 6, "dot")
    with pytest.raises(ConfigError, match="beam"):
        src, src_len, _ = padded_batch()
        beam_search(make("fixed"), src, src_len, beam=0, max_len=3)


def test_attention_has_few_extra_parameters():
    fixed, attention = make("fixed"), make("attention")
    assert 0 < count_parameters(attention) - count_parameters(fixed) < 0.2 * count_parameters(fixed)


def test_attention_model_learns_to_reverse_short_sequences():
    """A learning claim at a tiny size: reverse of lengths 3-6 over 6 symbols, 250 Adam steps."""
    from nngarden.data.seq2seq_tasks import TaskSampler, exact_and_token_accuracy, make_batch

    torch.manual_seed(0)
    sampler = TaskSampler("reverse", n_symbols=6, min_len=3, max_len=6, seed=0)
    cfg = Seq2SeqConfig(
        src_vocab=len(sampler.src_vocab),
        tgt_vocab=len(sampler.tgt_vocab),
        arch="attention",
        hidden=24,
        embed=16,
        attn_hidden=24,
    )
    model = build_model(cfg)
    opt = torch.optim.Adam(model.parameters(), lr=5e-3)
    for _ in range(250):
        b = make_batch(sampler.pairs(32), sampler.src_vocab, sampler.tgt_vocab)
        logits, _ = model(b.src, b.src_len, b.tgt_in)
        loss = F.cross_entropy(logits.flatten(0, 1), b.tgt_out.flatten(), ignore_index=PAD)
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    b = make_batch(sampler.pairs(200), sampler.src_vocab, sampler.tgt_vocab)
    tokens, _ = greedy_decode(model, b.src, b.src_len, max_len=10)
    exact, token = exact_and_token_accuracy(strip(tokens), strip(b.tgt_out))
    assert token > 0.9, (exact, token)


# today's name inside a layer -> the name before the shared block (q/k/v rows are split separately)
_OLD_NAMES = {
    "encoder_layers": {"ln_1": "ln1", "ln_2": "ln2", "attn.c_proj": "attn.out_proj"},
    "decoder_layers": {
        "ln_1": "ln1",
        "ln_cross": "ln2",
        "ln_2": "ln3",
        "attn.c_proj": "self_attn.out_proj",
        "cross_attn.q_attn": "cross_attn.q_proj",
        "cross_attn.c_attn": "cross_attn.kv_proj",
        "cross_attn.c_proj": "cross_attn.out_proj",
    },
}


def _old_layout(state: dict) -> dict:
    """Today's TransformerSeq2Seq state dict in the names checkpoints had before the shared block."""
    old = {}
    for key, value in state.items():
        side, _, rest = key.partition(".")
        if side not in _OLD_NAMES:  # embeddings, final LayerNorms, output layer: unchanged
            old[key] = value.clone()
            continue
        i, _, rest = rest.partition(".")
        name, kind = rest.rsplit(".", 1)
        layer = f"{side}.{i}."
        if name == "attn.c_attn":  # rows [q | k | v] -> q_proj [q], kv_proj [k | v]
            attn = "attn" if side == "encoder_layers" else "self_attn"
            c = value.shape[0] // 3
            old[f"{layer}{attn}.q_proj.{kind}"] = value[:c].clone()
            old[f"{layer}{attn}.kv_proj.{kind}"] = value[c:].clone()
            continue
        names = dict(_OLD_NAMES[side], **{"mlp.c_fc": "ff.net.0", "mlp.c_proj": "ff.net.2"})
        old[f"{layer}{names.get(name, name)}.{kind}"] = value.clone()
    return old


def test_a_transformer_state_dict_from_before_the_shared_block_still_loads(tmp_path):
    from nngarden.nn.seq2seq import upgrade_state_dict
    from nngarden.train import checkpoint as ckpt

    torch.manual_seed(0)
    model = make("transformer")
    old = _old_layout(model.state_dict())
    for key in (
        "encoder_layers.0.attn.q_proj.weight",
        "encoder_layers.0.ln2.bias",
        "decoder_layers.0.self_attn.kv_proj.bias",
        "decoder_layers.0.cross_attn.q_proj.weight",
        "decoder_layers.0.ln3.weight",
        "decoder_layers.0.ff.net.2.weight",
    ):
        assert key in old, key
    assert set(upgrade_state_dict(old)) == set(model.state_dict())

    class Saved(torch.nn.Module):
        def state_dict(self, *args, **kwargs):
            return old

    folder = ckpt.save_checkpoint(tmp_path, 1, Saved(), None, {})
    fresh = make("transformer")
    ckpt.load_model_state(folder, fresh, ckpt.read_state(folder))
    src, src_len, tgt_in = padded_batch()
    assert torch.equal(fresh(src, src_len, tgt_in)[0], model(src, src_len, tgt_in)[0])


def test_transformer_decodes_on_the_fast_path_when_no_weights_are_asked_for():
    torch.manual_seed(3)
    model = make("transformer")
    with torch.no_grad():
        model.out.weight.mul_(4.0)
    src, src_len, _ = padded_batch()
    tokens, weights = greedy_decode(model, src, src_len, max_len=7)
    fast, none = greedy_decode(model, src, src_len, max_len=7, need_weights=False)
    assert weights is not None and none is None
    assert torch.equal(tokens, fast)


@pytest.mark.parametrize(
    "arch, score, encoder",
    [("fixed", "additive", "gru"), ("attention", "additive", "gru"), ("attention", "general", "embedding")],
)
def test_teacher_forcing_all_at_once_equals_stepping_the_decoder(arch, score, encoder):
    """forward() runs the read-out once on every step (and the fixed model's recurrence as one GRU call);
    the numbers are those of step() fed the true previous tokens."""
    torch.manual_seed(0)
    model = make(arch, score, encoder=encoder).eval()
    src = torch.tensor([[3, 4, 5, 6], [7, 8, 0, 0]])
    src_len = torch.tensor([4, 2])
    tgt_in = torch.tensor([[BOS, 5, 6, 7, 8], [BOS, 7, 8, PAD, PAD]])
    logits, weights = model(src, src_len, tgt_in)
    memory = model.encode(src, src_len)
    state = model.init_state(memory)
    for t in range(tgt_in.size(1)):
        step_logits, state, w = model.step(memory, state, tgt_in[:, t])
        torch.testing.assert_close(step_logits, logits[:, t], atol=1e-6, rtol=1e-5)
        if weights is not None:
            torch.testing.assert_close(w, weights[:, t], atol=1e-6, rtol=1e-5)


def test_embedding_annotations_carry_only_their_own_token_and_position():
    torch.manual_seed(0)
    model = make("attention", "general", encoder="embedding")
    src = torch.tensor([[3, 4, 5, 6], [3, 8, 7, 0]])
    states, summary = model.encoder(src, torch.tensor([4, 3]))
    torch.testing.assert_close(states[0, 0], states[1, 0])  # same token, same position: same annotation
    assert not torch.equal(states[0, 1], states[1, 1])
    assert torch.equal(states[1, 3], torch.zeros_like(states[1, 3]))  # padding
    torch.testing.assert_close(summary[1], states[1, :3].mean(dim=0))
    assert states.size(-1) == model.decoder.cell.hidden_size  # the GRU encoder's annotation size
