"""Position encodings: sinusoidal relative-position structure and learned tables."""

import math

import pytest
import torch

from nngarden.nn.positional import (
    LearnedPositionalEncoding,
    SinusoidalPositionalEncoding,
    relative_shift_matrix,
    sinusoidal_table,
)


def test_sinusoidal_table_values():
    pe = sinusoidal_table(50, 16).double()
    p, i = 7, 3
    assert pe[p, 2 * i].item() == pytest.approx(math.sin(p / 10000 ** (2 * i / 16)), abs=1e-6)
    assert pe[p, 2 * i + 1].item() == pytest.approx(math.cos(p / 10000 ** (2 * i / 16)), abs=1e-6)
    assert torch.equal(pe[0, 1::2], torch.ones(8, dtype=torch.float64))  # cos(0) = 1
    assert pe.abs().max() <= 1.0


@pytest.mark.parametrize("k", [1, 5, 17, 40])
def test_one_fixed_matrix_shifts_every_position_by_k(k):
    d, n = 32, 200
    pe = sinusoidal_table(n + k, d).double()
    m = relative_shift_matrix(k, d)
    shifted = pe[:n] @ m.T  # M_k PE(p) for every p at once
    assert (shifted - pe[k : n + k]).abs().max() < 1e-5  # float32 table: ~1e-7 per entry
    # M_k is a rotation: it preserves norms, so it cannot be a fit that depends on p
    torch.testing.assert_close(m @ m.T, torch.eye(d, dtype=torch.float64))
    # and it is the k-th power of M_1
    torch.testing.assert_close(torch.linalg.matrix_power(relative_shift_matrix(1, d), k), m)


def test_dot_product_depends_on_offset_only():
    d, n = 64, 300
    pe = sinusoidal_table(n, d).double()
    gram = pe @ pe.T
    for k in (0, 1, 3, 50):
        diag = torch.diagonal(gram, offset=k)
        assert (diag - diag[0]).abs().max() < 1e-4
    assert gram[0, 0].item() == pytest.approx(d / 2, abs=1e-5)  # each (sin, cos) pair has unit norm
    # and it is symmetric in the sign of the offset while decaying on the whole
    assert torch.diagonal(gram, 5)[0] == pytest.approx(torch.diagonal(gram, -5)[0].item())
    assert torch.diagonal(gram, 1)[0] > torch.diagonal(gram, 40)[0]


def test_sinusoidal_module_adds_table_with_offset_and_checks_length():
    enc = SinusoidalPositionalEncoding(8, max_len=20)
    x = torch.zeros(2, 5, 8)
    torch.testing.assert_close(enc(x), sinusoidal_table(20, 8)[:5].expand(2, 5, 8))
    torch.testing.assert_close(enc(x, offset=3), sinusoidal_table(20, 8)[3:8].expand(2, 5, 8))
    assert list(enc.state_dict()) == []  # fixed: nothing to train or save
    with pytest.raises(ValueError, match="max_len"):
        enc(torch.zeros(1, 21, 8))
    with pytest.raises(ValueError, match="even"):
        sinusoidal_table(4, 7)


def test_learned_encoding_is_a_trainable_table():
    torch.manual_seed(0)
    enc = LearnedPositionalEncoding(6, max_len=10)
    assert enc.embedding.weight.std().item() == pytest.approx(0.02, rel=0.3)
    x = torch.randn(3, 4, 6)
    out = enc(x, offset=2)
    torch.testing.assert_close(out - x, enc.embedding.weight[2:6].expand(3, 4, 6))
    out.sum().backward()
    grad = enc.embedding.weight.grad
    assert torch.equal(grad[[0, 1, 6, 7, 8, 9]], torch.zeros(6, 6))
    torch.testing.assert_close(grad[2:6], torch.full((4, 6), 3.0))  # batch of 3 sums into each row
    with pytest.raises(ValueError, match="max_len"):
        enc(torch.zeros(1, 9, 6), offset=2)
