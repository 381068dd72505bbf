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


def test_interleaved_latencies_time_every_model_each_round_in_rotated_order(monkeypatch):
    from nngarden.prune import metrics

    calls = []
    monkeypatch.setattr(metrics, "measure_latency", lambda model, *a, **k: calls.append(model) or 1.0)
    models = {"a": "A", "b": "B", "c": "C"}
    times = metrics.interleaved_latencies(models, torch.zeros(1), rounds=4)
    assert times == {"a": [1.0] * 4, "b": [1.0] * 4, "c": [1.0] * 4}
    assert calls == list("ABC" + "BCA" + "CAB" + "ABC")  # no model always first


def test_fitted_overhead_recovers_a_known_line_and_the_pipeline_runs_on_a_real_model():
    from nngarden.prune import fitted_overhead, interleaved_latencies

    a, b = fitted_overhead([1e6, 2e6, 4e6], [0.5e-3 + 1e-9 * m for m in (1e6, 2e6, 4e6)])
    assert a == pytest.approx(0.5e-3) and b == pytest.approx(1e-9)
    with pytest.raises(ValueError, match="two different"):
        fitted_overhead([1e6, 1e6], [1.0, 2.0])
    mlp = DigitsMLP()
    times = interleaved_latencies(
        {"dense": mlp, "copy": mlp}, torch.rand(4, 1, 8, 8), rounds=2, min_run_time=0.01
    )
    assert all(len(t) == 2 and min(t) > 0 for t in times.values())
