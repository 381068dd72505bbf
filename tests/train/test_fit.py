import math

import pytest
import torch

from nngarden.train.fit import NonFiniteLoss, fit, record_fits


def _problem(seed=0):
    torch.manual_seed(seed)
    model = torch.nn.Linear(3, 1)
    w = torch.tensor([[1.0, -2.0, 0.5]])

    def batches(step):
        g = torch.Generator().manual_seed(1000 + step)
        x = torch.randn(16, 3, generator=g)
        return x, x @ w.T

    def loss_fn(m, batch):
        x, y = batch
        return torch.nn.functional.mse_loss(m(x), y)

    return model, loss_fn, batches


def test_fit_learns_logs_the_engine_keys_and_evaluates_the_final_model():
    model, loss_fn, batches = _problem()
    rows = []
    val = batches(10_000)
    result = fit(
        model,
        loss_fn,
        batches,
        lambda p: torch.optim.SGD(p, lr=0.1),
        steps=200,
        evaluate=lambda m: loss_fn(m, val).item(),
        eval_every=50,
        log=lambda step, **r: rows.append((step, r)),
        log_every=10,
        tag="linear",
    )
    assert result.steps == 200 and result.val_loss < 1e-3 < rows[0][1]["val_loss"]
    evals = [s for s, r in rows if "val_loss" in r]
    assert evals == [0, 50, 100, 150, 200]
    steps = [(s, r) for s, r in rows if "train_loss" in r]
    assert (
        steps[0][0] == 0 and steps[-1][0] == 199
    )  # the loss logged at s was measured on the model after s updates
    for _, row in steps:
        assert {"train_loss", "lr", "train_cpu_seconds", "wall_seconds", "run"} <= set(row)
    cpu = [r["train_cpu_seconds"] for _, r in steps]
    assert cpu == sorted(cpu) and result.train_cpu_seconds >= cpu[-1] - 1e-4  # rows are rounded


def test_fit_is_reproducible_and_the_schedule_sets_the_rate():
    finals = []
    for _ in range(2):
        model, loss_fn, batches = _problem()
        seen = []
        fit(
            model,
            loss_fn,
            batches,
            torch.optim.SGD(model.parameters(), lr=1.0),
            steps=20,
            lr=lambda s: 0.05 if s < 10 else 0.01,
            log=lambda step, seen=seen, **r: seen.append(r["lr"]),
            log_every=1,
        )
        finals.append(model.weight.detach().clone())
        assert seen[:10] == [0.05] * 10 and seen[10:] == [0.01] * 10
    assert torch.equal(finals[0], finals[1])


def test_fit_stops_on_a_non_finite_loss_naming_the_step_before_updating():
    model, loss_fn, batches = _problem()

    def poisoned(m, batch):
        loss = loss_fn(m, batch)
        return loss * math.nan if poisoned.step == 7 else loss

    poisoned.step = -1

    def counting_batches(step):
        poisoned.step = step
        return batches(step)

    with pytest.raises(NonFiniteLoss, match="step 7"):
        fit(
            model,
            poisoned,
            counting_batches,
            torch.optim.SGD(model.parameters(), lr=0.1),
            steps=20,
        )
    assert torch.isfinite(model.weight).all()


def test_fit_stop_ends_early_and_the_recorder_sees_model_and_batch_on_the_device():
    model, loss_fn, batches = _problem()
    seen = []
    with record_fits(
        lambda m, b, d: seen.append((d, {p.device.type for p in m.parameters()}, b[0].device.type))
    ):
        result = fit(
            model,
            loss_fn,
            batches,
            lambda p: torch.optim.SGD(p, lr=0.1),
            steps=1000,
            device="cpu",
            stop=lambda step, loss, ev: loss < 1e-4,
        )
    assert result.stopped_early and result.steps < 1000
    assert seen == [("cpu", {"cpu"}, "cpu")]


def test_fit_lets_a_model_with_its_own_clip_grad_norm_clip_itself():
    model, loss_fn, batches = _problem()
    calls = []

    def clip_grad_norm_(max_norm):  # e.g. a stacked module clipping each member by its own norm
        calls.append(max_norm)
        return torch.tensor([0.5, 2.0])

    model.clip_grad_norm_ = clip_grad_norm_
    fit(model, loss_fn, batches, torch.optim.SGD(model.parameters(), lr=0.1), steps=3, grad_clip=1.5)
    assert calls == [1.5] * 3

    model.clip_grad_norm_ = lambda max_norm: torch.tensor([0.5, math.inf])
    with pytest.raises(NonFiniteLoss, match="step 0"):
        fit(model, loss_fn, batches, torch.optim.SGD(model.parameters(), lr=0.1), steps=3, grad_clip=1.0)
