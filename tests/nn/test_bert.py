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
