"""The matrix-completion note: its pieces learn what the note claims at a tiny size, stop on a
non-finite loss, train on the run's device, rejudge without training, and its config refuses bad values."""

import numpy as np
import pytest
import torch

from nngarden import notes
from nngarden.config import ConfigError
from nngarden.data.matrices import low_rank_matrix, random_mask
from nngarden.nn.deep_linear import masked_loss
from nngarden.notes.matrix_completion import NOTE, MatrixCompletionConfig
from nngarden.notes.matrix_completion import experiment as mc
from nngarden.runs import rejudge_run, run_note
from nngarden.train.fit import NonFiniteLoss, record_fits


def _problem(n=12, rank=1, count=60, seed=0):
    rng = np.random.default_rng(seed)
    target = low_rank_matrix(n, n, rank, rng)
    return target, random_mask(n, n, count, rng)


def _fit(depth, target, mask, max_steps=20_000, step_scale=1.0, device="cpu"):
    return mc.fit_gradient_descent(
        target,
        mask,
        depth=depth,
        init_scale=1e-2,
        step_scale=step_scale,
        tol=1e-10,
        max_steps=max_steps,
        seed=0,
        log_every=500,
        device=device,
    )


def test_depth_one_fits_only_observed_entries_and_depth_three_recovers():
    target, mask = _problem()
    shallow, deep = _fit(1, target, mask), _fit(3, target, mask)
    assert shallow["converged"] and deep["converged"]
    assert shallow["observed_error"] < 1e-8
    unobserved = np.mean(np.where(mask, 0.0, target) ** 2)  # what is left if unseen entries stay ~0
    assert shallow["test_error"] == pytest.approx(unobserved, rel=0.05)
    assert deep["test_error"] < 1e-4 and deep["effective_rank"] < 1.1
    assert deep["trajectory"][-1]["observed_loss"] < 1e-10 and deep["trajectory"][0]["step"] == 0
    assert deep["trajectory"][-1]["step"] == deep["steps"] < 20_000


def test_step_size_rule_shrinks_with_depth_and_target_scale():
    target, mask = _problem(n=20, rank=2, count=200)
    lrs = [mc.step_size(target, mask, d, 1.0) for d in (1, 2, 3)]
    assert lrs[0] == pytest.approx(200.0)  # depth 1: |Omega| / 1
    assert lrs[0] > lrs[1] > lrs[2]
    assert mc.step_size(10 * target, mask, 3, 1.0) < lrs[2]


def test_singular_value_law_check_agrees_at_small_steps():
    cfg = MatrixCompletionConfig(law_n=10, law_rank=2, law_observations=60, law_steps=200)
    for depth in (1, 3):
        res = mc.check_singular_value_law(cfg, depth)
        assert res["relative_error"] < 0.05
        assert res["exponent"] == pytest.approx(2 - 2 / depth, abs=0.1)


def test_a_diverging_run_stops_naming_the_step():
    target, mask = _problem()
    with pytest.raises(NonFiniteLoss, match="at step [1-9]"):
        _fit(3, target, mask, max_steps=500, step_scale=1e3)
    cfg = MatrixCompletionConfig(law_n=10, law_rank=2, law_observations=60, law_steps=500, law_step_scale=1e3)
    with pytest.raises(NonFiniteLoss, match="at step [1-9]"):
        mc.check_singular_value_law(cfg, 3)


DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.mark.parametrize("device", DEVICES)
def test_gradient_descent_trains_on_the_given_device(device):
    seen = []

    def recorder(model, batch, dev):
        seen.append((dev, next(model.parameters()).device.type, {t.device.type for t in batch}))

    target, mask = _problem()
    with record_fits(recorder):
        result = _fit(2, target, mask, max_steps=50, device=device)
    assert seen == [(device, device, {device})]
    assert np.isfinite(result["test_error"])


def _micro() -> MatrixCompletionConfig:
    return MatrixCompletionConfig(
        n=8,
        rank=1,
        observations=(30,),
        depths=(1, 3),
        init_scale=1e-2,
        max_steps=2000,
        tol=1e-7,
        log_every=100,
        soft_impute=False,
        law_n=6,
        law_rank=1,
        law_observations=20,
        law_steps=50,
    )


def test_rejudge_recomputes_verdicts_from_cached_stages_without_training(tmp_path, monkeypatch):
    monkeypatch.setattr(notes, "_REGISTRY", {NOTE.slug: NOTE})
    data, _ = run_note(NOTE, _micro(), tmp_path / "run", preset="quick")

    def no_training(*args, **kwargs):
        raise AssertionError("rejudge must not train")

    for name in ("fit", "descend", "check_singular_value_law", "nuclear_norm_minimisation"):
        monkeypatch.setattr(mc, name, no_training)
    again = rejudge_run(NOTE, tmp_path / "run")
    assert [c["verdict"] for c in again["claims"]] == [c["verdict"] for c in data["claims"]]
    assert [c["evidence"] for c in again["claims"]] == [c["evidence"] for c in data["claims"]]


def test_config_refuses_bad_values():
    with pytest.raises(ConfigError, match="rank"):
        MatrixCompletionConfig(n=4, rank=5)
    with pytest.raises(ConfigError, match="observations"):
        MatrixCompletionConfig(n=10, observations=(200,))
    with pytest.raises(ConfigError, match="solver"):
        MatrixCompletionConfig(solver="GUROBI")
    with pytest.raises(ConfigError, match="depths"):
        MatrixCompletionConfig().with_overrides(["depths=0,2"])


def test_quick_decides_the_issue_claims_and_full_sweeps_observations():
    assert {
        "depth1-fits-seen",
        "depth2-like-nuclear",
        "depth3-recovers",
        "not-a-norm",
        "singular-value-law",
    } <= set(NOTE.quick_decides)
    full, quick = MatrixCompletionConfig.full(), MatrixCompletionConfig.quick()
    assert full.seeds >= 3 and quick.seeds >= 3 and {2000, 5000} <= set(quick.observations)
    assert full.observations == tuple(range(1000, 5001, 500)) and full.penalty_run
    assert quick.base_observations == full.base_observations == 2000


def test_the_hand_written_step_is_autograd_gradient_descent():
    """descend() (product once per step, factor gradients by hand) takes the steps torch.optim.SGD takes
    on the autograd gradient of the masked loss."""
    target, mask = _problem()
    problem = mc._observed(target, mask, "cpu")
    lr = mc.step_size(target, mask, 3, 1.0)
    mine = mc._deep_linear(target, 3, "gaussian", 0.3, 0)
    steps, history = mc.descend(mine, problem, lr, tol=0.0, max_steps=5, log_every=1)
    reference = mc._deep_linear(target, 3, "gaussian", 0.3, 0)
    optimizer = torch.optim.SGD(reference.parameters(), lr=lr)
    losses = []
    for _ in range(5):
        loss = masked_loss(reference.product(), *problem)
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert steps == 5 and [row["step"] for row in history] == list(range(6))
    assert [row["train_loss"] for row in history[:5]] == pytest.approx(losses, rel=1e-12)
    for a, b in zip(mine.factors, reference.factors):
        assert torch.allclose(a, b, rtol=1e-12, atol=1e-15)


def test_measures_split_the_error_into_observed_and_unobserved_entries():
    target, mask = _problem()
    w = np.where(mask, target, 0.0)  # depth 1's answer: the observed entries, zeros elsewhere
    m = mc.measures(w, target, mask)
    assert m["observed_error"] == 0.0 and m["residual_nuclear_norm"] == 0.0
    assert m["unobserved_error"] == pytest.approx(np.mean(target[~mask] ** 2))
    fraction = mask.mean()
    assert m["test_error"] == pytest.approx((1 - fraction) * m["unobserved_error"])
    off = w + 0.1 * mask  # every observed entry off by 0.1
    assert mc.measures(off, target, mask)["residual_nuclear_norm"] == pytest.approx(
        0.1 * np.linalg.svd(mask.astype(float), compute_uv=False).sum()
    )


def test_recovery_counts_are_the_first_grid_count_below_the_bound():
    cfg = MatrixCompletionConfig.full()
    grid = cfg.observations

    def run(error):
        return {"test_error": error}

    runs = {
        str(c): {"depth2": [run(1e-2 if c < 2500 else 1e-6)] * 2 + [run(1e-2 if c < 3000 else 1e-6)]}
        for c in grid
    }
    for c in grid:
        runs[str(c)]["depth1"] = [run(0.5)] * 3
    counts = mc.recovery_counts(cfg, {"runs": runs})
    assert counts == {"depth2": [2500, 2500, 3000], "depth1": [None, None, None]}
    assert mc.recovery_counts(MatrixCompletionConfig.quick(), {"runs": runs}) == {}
