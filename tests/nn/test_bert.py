import math

import pytest
import torch

from nngarden.config import ConfigError
from nngarden.nn.bert import BERT, IGNORE_INDEX, BERTConfig


def _model(**kw):
    torch.manual_seed(0)
    return BERT(BERTConfig(vocab_size=30, block_size=16, n_layer=2, n_head=2, n_embd=32, **kw)).eval()


@pytest.mark.parametrize("positions", ["learned", "sinusoidal"])
def test_shapes_loss_and_tied_head(positions):
    model = _model(positions=positions)
    idx = torch.randint(0, 30, (3, 16))
    labels = torch.full_like(idx, IGNORE_INDEX)
    labels[:, 4] = idx[:, 4]
    logits, loss = model(idx, labels)
    assert logits.shape == (3, 16, 30)
    assert abs(loss.item() - math.log(30)) < 0.5
    assert model.head.embedding.weight is model.tok_emb.weight


def test_both_sides_are_seen():
    """Changing a token to the right of position t changes the output at t (no causal mask)."""
    model = _model()
    idx = torch.randint(0, 30, (1, 16))
    other = idx.clone()
    other[0, 12] = (other[0, 12] + 1) % 30
    a, _ = model(idx)
    b, _ = model(other)
    assert (a[0, 3] - b[0, 3]).abs().max() > 1e-6


def test_a_causal_masked_model_sees_the_left_side_only():
    """The left-only control: with causal=True the output at t ignores every later token."""
    model = _model(causal=True)
    idx = torch.randint(0, 30, (1, 16))
    other = idx.clone()
    other[0, 12:] = (other[0, 12:] + 1) % 30
    a, _ = model(idx)
    b, _ = model(other)
    assert torch.equal(a[0, :12], b[0, :12]) and (a[0, 12] - b[0, 12]).abs().max() > 1e-6


def test_key_padding_hides_padded_positions():
    model = _model()
    idx = torch.randint(0, 30, (1, 16))
    pad = torch.zeros(1, 16, dtype=torch.bool)
    pad[0, 10:] = True
    other = idx.clone()
    other[0, 10:] = (other[0, 10:] + 7) % 30
    a, _ = model(idx, key_padding_mask=pad)
    b, _ = model(other, key_padding_mask=pad)
    torch.testing.assert_close(a[0, :10], b[0, :10])


def test_bad_config_names_the_field():
    with pytest.raises(ConfigError, match="n_embd"):
        BERTConfig(vocab_size=10, block_size=8, n_embd=30, n_head=4)
    with pytest.raises(ConfigError, match="positions"):
        BERTConfig(vocab_size=10, block_size=8, positions="rotary")


def _old_layout(state: dict) -> dict:
    """Today's BERT state dict in the names and layout checkpoints had before the shared block."""
    old = {}
    for key, value in state.items():
        value = value.clone()
        if ".attn.c_attn." in key:  # rows [q | k | v] -> q_proj [q], kv_proj [k | v]
            c = value.shape[0] // 3
            old[key.replace("c_attn", "q_proj")], old[key.replace("c_attn", "kv_proj")] = value[:c], value[c:]
            continue
        for new, before in (
            (".attn.c_proj.", ".attn.out_proj."),
            (".mlp.c_fc.", ".mlp.0."),
            (".mlp.c_proj.", ".mlp.2."),
        ):
            key = key.replace(new, before)
        old[key] = value
    old["head.embedding.weight"] = old["tok_emb.weight"]  # tied, as the old model saved it
    return old


class _Saved(torch.nn.Module):
    """Stands in for a model of the old code: save_checkpoint only reads its state dict."""

    def __init__(self, state):
        super().__init__()
        self._state = state

    def state_dict(self, *args, **kwargs):
        return self._state


def test_a_checkpoint_written_before_the_shared_block_still_loads(tmp_path):
    from nngarden.train import checkpoint as ckpt

    model = _model()
    old = _old_layout(model.state_dict())
    assert "blocks.1.attn.q_proj.weight" in old and "blocks.0.mlp.2.bias" in old
    assert not any("c_attn" in k or "c_fc" in k for k in old)
    folder = ckpt.save_checkpoint(tmp_path, 5, _Saved(old), None, {})
    fresh = BERT(BERTConfig(vocab_size=30, block_size=16, n_layer=2, n_head=2, n_embd=32)).eval()
    ckpt.load_model_state(folder, fresh, ckpt.read_state(folder))
    idx = torch.randint(0, 30, (2, 16))
    assert torch.equal(fresh(idx)[0], model(idx)[0])
    assert fresh.head.embedding.weight is fresh.tok_emb.weight
    # a checkpoint that does not fit even after renaming is refused, naming the tensors
    del old["blocks.1.attn.kv_proj.weight"]
    folder = ckpt.save_checkpoint(tmp_path, 6, _Saved(old), None, {})
    with pytest.raises(ckpt.CheckpointError, match="does not fit"):
        ckpt.load_model_state(folder, fresh, ckpt.read_state(folder))
