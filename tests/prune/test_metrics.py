import pytest
import torch

from nngarden.nn.digits_nets import DigitsCNN, DigitsMLP
from nngarden.prune import measure_latency, measured_speedups, multiply_adds, prune_model


def test_multiply_adds_count_linear_and_conv():
    mlp = DigitsMLP()
    dense, nz = multiply_adds(mlp, torch.rand(1, 1, 8, 8))
    assert dense == nz == 64 * 300 + 300 * 100 + 100 * 10
    dense2, _ = multiply_adds(mlp, torch.rand(3, 1, 8, 8))
    assert dense2 == 3 * dense
    cnn = DigitsCNN()
    d, _ = multiply_adds(cnn, torch.rand(1, 1, 8, 8))
    assert d == 64 * 16 * 9 + 16 * 32 * 9 * 16 + 128 * 64 + 64 * 10


def test_masks_lower_nonzero_multiply_adds_only():
    mlp = DigitsMLP()
    prune_model(mlp, 4, ranking="layer")
    dense, nz = multiply_adds(mlp, torch.rand(1, 1, 8, 8))
    assert dense == 64 * 300 + 300 * 100 + 100 * 10
    assert 3.0 < dense / nz < 5.0  # theoretical speedup near the compression (classifier stays dense)


def test_latency_is_positive_and_speedups_are_ratios():
    mlp = DigitsMLP()
    x = torch.rand(8, 1, 8, 8)
    assert measure_latency(mlp, x, min_run_time=0.01) > 0
    out = measured_speedups(mlp, {"same": mlp}, x, repeats=1, min_run_time=0.01)
    assert out["same"] == pytest.approx(out["dense_seconds"] / out["same_seconds"])
