"""The gradient-flow note: config checks, optimizer runs through fit() (closures, divergence, device),
the ODE and Euler measurements at a small size, MNIST-1D without touching numpy's global RNG, and
rejudging without training."""

import copy
import math

import numpy as np
import pytest
import torch

from nngarden import notes
from nngarden.config import ConfigError
from nngarden.findings import Thresholds
from nngarden.notes import get_note
from nngarden.notes.gradient_flow import CLAIMS, NOTE, GradientFlowConfig
from nngarden.notes.gradient_flow import experiment as gf
from nngarden.notes.gradient_flow.claims import JUDGES
from nngarden.optim import BregmanRateMatching, Quadratic1D, WorstCaseQuadratic
from nngarden.runs import RunContext, rejudge_run, run_note
from nngarden.train.fit import record_fits


def verdict(claim_id: str, results: dict, cfg) -> str:
    spec = next(s for s in CLAIMS if s.id == claim_id)
    return spec.decide(JUDGES[claim_id](results, Thresholds(spec.thresholds), cfg)).verdict


def test_registered_with_its_claims_and_quick_decides():
    note = get_note("gradient-flow")
    assert note.claim_ids == ["rates", "same-path", "discretization-breaks", "heavy-ball-cycles", "adam"]
    assert set(note.quick_decides) == set(note.claim_ids)


@pytest.mark.parametrize(
    "override, field",
    [
        (["horizons=10,5,20"], "horizons"),
        (["ode_powers=3,4"], "ode_powers"),
        (["euler_p2_step=5"], "euler_p2_step"),
        (["euler_steps=0.1"], "euler_steps"),
        (["C=0"], "C"),
    ],
)
def test_bad_config_names_the_field(override, field):
    with pytest.raises(ConfigError, match=field):
        GradientFlowConfig.quick().with_overrides(override)


def test_minimise_runs_a_method_that_needs_the_objective_and_observes_every_step():
    problem = WorstCaseQuadratic(10)
    make = lambda ps: BregmanRateMatching(ps, lr=1.0, p=2)
    x, gaps, diverged = gf.minimise(
        problem.f,
        problem.x0(),
        make,
        10,
        observe=lambda x: float(problem.f(x)) - problem.f_star,
        needs_objective=True,
    )
    assert not diverged and len(gaps) == 11  # steps 0 .. 10
    assert gaps[-1] < gaps[0] and float(problem.f(x)) - problem.f_star == pytest.approx(gaps[-1])


def test_minimise_reports_a_divergence_instead_of_raising():
    quad = Quadratic1D(lam=1.0)
    x, path, diverged = gf.minimise(
        quad.f, quad.x0(), lambda ps: torch.optim.SGD(ps, lr=1e10), 100, observe=lambda x: float(x[0])
    )
    assert diverged and 2 < len(path) < 101 and all(math.isfinite(v) for v in path)


def test_divergence_and_same_path_measured_at_a_small_size():
    cfg = GradientFlowConfig.tiny()
    div = gf.divergence(cfg)
    assert verdict("discretization-breaks", {"divergence": div}, cfg) == "holds"
    broken = copy.deepcopy(div)
    for row in broken["runs"]["4"]:
        row["t_div"] = 3 * row["t_pred"]  # a divergence far from t* must fail the claim
    assert verdict("discretization-breaks", {"divergence": broken}, cfg) == "fails"
    path = gf.same_path(cfg)
    assert verdict("same-path", {"same_path": path}, cfg) == "holds"
    path["max_deviation"]["3"] = 1e-3
    assert verdict("same-path", {"same_path": path}, cfg) == "fails"


def test_the_stochastic_counterexample_at_a_small_size():
    cfg = GradientFlowConfig.tiny().with_overrides(["reddi_steps=2000"])
    out = gf.reddi(cfg)
    assert set(out["final_x"]) == {"Adam", "AMSGrad", "SGD"}
    for method, finals in out["final_x"].items():
        assert len(finals) == cfg.reddi_seeds and all(-1.0 <= x <= 1.0 for x in finals)
        assert len(out["paths"][method][0]) == len(out["t"])
    assert out == gf.reddi(cfg)  # the seeds come from the run's seed alone


def test_the_moment_filters_follow_the_recursions_across_chunks():
    g = np.array([1010.0, -10.0, -10.0, 1010.0, -10.0])
    state = {"m": np.zeros(1), "v": np.zeros(1), "v_max": 0.0}
    d = gf.reddi_directions(g[:2], 2.0, 0.01, first_step=1, state=state)  # two chunks, as reddi() does
    rest = gf.reddi_directions(g[2:], 2.0, 0.01, first_step=3, state=state)
    d = {k: np.concatenate([d[k], rest[k]]) for k in d}
    m = v = vmax = 0.0
    for t, gt in enumerate(g, start=1):
        m, v = 0.9 * m + 0.1 * gt, 0.99 * v + 0.01 * gt * gt
        vmax = max(vmax, v)
        assert d["Adam"][t - 1] == pytest.approx(-2.0 / math.sqrt(t) * m / math.sqrt(v))
        assert d["AMSGrad"][t - 1] == pytest.approx(-2.0 / math.sqrt(t) * m / math.sqrt(vmax))
        assert d["SGD"][t - 1] == pytest.approx(-0.01 / math.sqrt(t) * gt)


def test_the_run_wise_projection_equals_clipping_every_step():
    d = np.random.default_rng(1).normal(size=3000) * 0.3
    xs = [0.2]
    for step in d:
        xs.append(min(1.0, max(-1.0, xs[-1] + step)))
    record = np.array([1, 7, 100, 2500, 2999])
    end, recorded = gf.projected_walk(d, 0.2, record)
    assert end == pytest.approx(xs[-1], abs=1e-12)
    assert recorded == pytest.approx([xs[k] for k in record], abs=1e-12)


def test_chunking_does_not_change_the_walk(monkeypatch):
    cfg = GradientFlowConfig.tiny().with_overrides(["reddi_steps=3000", "reddi_seeds=1"])
    whole = gf.reddi(cfg)
    monkeypatch.setattr(gf, "REDDI_CHUNK", 700)
    chunked = gf.reddi(cfg)
    for method in gf.REDDI_METHODS:
        assert chunked["final_x"][method] == pytest.approx(whole["final_x"][method], abs=1e-12)
        assert np.allclose(chunked["paths"][method], whole["paths"][method], rtol=0, atol=1e-12)


def test_heavy_ball_runs_from_every_start():
    cfg = GradientFlowConfig.tiny()
    hb = gf.heavy_ball(cfg)
    assert list(hb["starts"]) == ["3.2", "3.3", "3.4"]
    assert all(len(p["heavy ball"]) == cfg.lessard_iters + 1 for p in hb["starts"].values())


def test_mnist1d_comes_from_the_library_loader_and_leaves_numpys_global_rng_alone(tmp_path, monkeypatch):
    monkeypatch.setenv("NNGARDEN_CACHE", str(tmp_path))  # generate, do not read a cached copy
    np.random.seed(1234)
    before = np.random.get_state()[1].copy()
    X, y, Xt, yt = gf._mnist1d(GradientFlowConfig.tiny(), "cpu")
    assert (np.random.get_state()[1] == before).all()
    assert (
        X.shape == (240, 40) and Xt.shape == (60, 40) and X.dtype == torch.float32 and y.dtype == torch.int64
    )
    assert abs(float(X.mean())) < 1e-5


DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.mark.parametrize("device", DEVICES)
def test_the_mlp_trains_on_the_runs_device(device, tmp_path):
    cfg = GradientFlowConfig.tiny()
    ctx = RunContext(tmp_path / "run", device=device)
    seen = []
    with record_fits(lambda model, batch, dev: seen.append((dev, next(model.parameters()).device.type))):
        run = gf.train_mlp(cfg, gf._mnist1d(cfg, device), "Nesterov k/(k+3)", 0.1, 0, ctx)
    assert seen == [(device, device)]
    assert len(run["losses"]) == cfg.mlp_steps and math.isfinite(run["final_loss"])
    rows = ctx.metrics()
    assert rows and rows[0]["run"] == "mlp-nesterov-lr0.1-seed0" and "train_loss" in rows[0]


def test_rejudge_recomputes_verdicts_from_cached_stages_without_training(tmp_path, monkeypatch):
    monkeypatch.setattr(notes, "_REGISTRY", {NOTE.slug: NOTE})
    data, _ = run_note(NOTE, GradientFlowConfig.tiny(), tmp_path / "run", preset="tiny")

    def no_training(*args, **kwargs):
        raise AssertionError("rejudge must not train")

    for name in ("fit", "solve_bregman_ode", "euler_discretization"):
        monkeypatch.setattr(gf, name, no_training)
    again = rejudge_run(NOTE, tmp_path / "run")
    assert [c["evidence"] for c in again["claims"]] == [c["evidence"] for c in data["claims"]]
    assert again["metrics"] == data["metrics"]
