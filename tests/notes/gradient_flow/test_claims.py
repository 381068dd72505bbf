"""Each gradient-flow judge on made-up results: holds, fails, and inconclusive, without training."""

import copy
import math

import pytest

from nngarden.findings import Thresholds
from nngarden.notes.gradient_flow import CLAIMS, NOTE, GradientFlowConfig
from nngarden.notes.gradient_flow.claims import JUDGES

CFG = GradientFlowConfig.quick()


def verdict(claim_id: str, results: dict, cfg=CFG):
    spec = next(s for s in CLAIMS if s.id == claim_id)
    return spec.decide(JUDGES[claim_id](results, Thresholds(spec.thresholds), cfg))


def _rates(nesterov_const=0.31, gd_const=1 / (4 * math.e), adam_exponent=1.5):
    N = [10, 30, 100, 300, 1000]
    return {
        "N": N,
        "worst": {"Nesterov k/(k+3)": [nesterov_const / n**2 for n in N]},
        "gd_1d_constant": [gd_const] * len(N),
        "adam_constant": [n**2 * 0.5 / n**adam_exponent for n in N],
        "adam_lr": [0.01] * len(N),
    }


def _same_path(deviation=1e-13, scaled_gap=0.2):
    return {
        "bound": 1.0,
        "max_deviation": {"3": deviation, "4": 1e-13},
        "paths": {p: {"max_scaled_gap": scaled_gap} for p in ("2", "3", "4")},
    }


def _divergence(ratio=1.1, p2_t_div=math.inf):
    rows = []
    for h in (0.2, 0.1, 0.05):
        t_star = 1 / h  # (4 / (C p^2 L h^2))^(1/(p-2)) for p = 4, C = 1/4, L = 1
        rows.append({"h": h, "t_pred": t_star, "t_div": ratio * t_star, "t_div_forward": 0.2 * t_star})
    p2 = {"h": 0.5, "t_div": p2_t_div, "final_dist": 1e-5, "horizon": 2000.0}
    return {"runs": {"4": rows}, "p2": p2}


def _heavy_ball(cycle=True, converging_start=None):
    def paths(start):
        xs = [start] + [0.6465306122448982, -1.8024489795918377, 2.1159183673469393] * 20
        if not cycle or start == converging_start:
            xs = [start * 0.5**k for k in range(60)]
        return {"heavy ball": xs, "gradient descent": [start, 0.0], "Nesterov k/(k+3)": [start, 0.0]}

    return {"lr": 1 / 9, "momentum": 4 / 9, "starts": {f"{s:g}": paths(s) for s in (3.2, 3.3, 3.4)}}


def _reddi(adam=(1.0, 0.99, 1.0), amsgrad=(-1.0, -0.99, -0.98), sgd=(-0.99, -1.0, -0.97)):
    finals = {"Adam": list(adam), "AMSGrad": list(amsgrad), "SGD": list(sgd)}
    return {"t": [1, 2], "final_x": finals, "paths": {m: [[0.0, x] for x in xs] for m, xs in finals.items()}}


def _mlp():
    return {
        name: {"lr": 0.1, "final_loss": loss, "test_acc": 0.5}
        for name, loss in (("gradient descent", 0.3), ("Nesterov k/(k+3)", 1e-5), ("Adam", math.inf))
    }


def results(**parts):
    base = {
        "rates": _rates(),
        "same_path": _same_path(),
        "divergence": _divergence(),
        "heavy_ball": _heavy_ball(),
        "reddi": _reddi(),
        "mlp": _mlp(),
    }
    return {**base, **parts}


def test_every_claim_holds_on_results_that_meet_its_criterion():
    claims = {c.id: c for c in NOTE.judge(CFG, results())}
    assert {cid: c.verdict for cid, c in claims.items()} == {cid: "holds" for cid in NOTE.claim_ids}
    assert claims["rates"].kind == claims["same-path"].kind == "check"
    assert claims["adam"].evidence["mlp_adam_final_loss"] == 1e300  # a diverged run, reported finite
    assert claims["discretization-breaks"].evidence["p4_h0.1_t_div"] == pytest.approx(11.0)
    assert "within 15% of -2/(p-2)" in claims["discretization-breaks"].criterion
    assert "{0.6465, -1.8024, 2.1159} within 0.001" in claims["heavy-ball-cycles"].criterion
    assert "from each of the 3 starting points" in claims["heavy-ball-cycles"].criterion
    adam = claims["adam"]
    assert adam.evidence["n_seeds"] == 3 and "t interval, 2 df" in adam.criterion
    assert adam.evidence["amsgrad_final_x_low"] < adam.evidence["amsgrad_final_x"] < -0.9
    assert adam.revised and claims["heavy-ball-cycles"].revised and not claims["rates"].revised


def test_interval_suffixes_name_only_interval_ends():
    for claim in NOTE.judge(CFG, results()):
        for name in claim.evidence:
            for end in ("_low", "_high"):
                if name.endswith(end):
                    assert name[: -len(end)] in claim.evidence, (claim.id, name)


@pytest.mark.parametrize(
    "claim_id, override",
    [("adam", ["reddi_seeds=2"]), ("heavy-ball-cycles", ["lessard_starts=3.3"])],
)
def test_a_finding_is_inconclusive_when_the_preset_has_fewer_than_three_instances(claim_id, override):
    cfg = CFG.with_overrides(override)
    claim = next(c for c in NOTE.judge(cfg, results()) if c.id == claim_id)
    assert claim.verdict == "inconclusive" and "fewer than 3" in claim.criterion


@pytest.mark.parametrize(
    "claim_id, parts",
    [
        ("rates", {"rates": _rates(nesterov_const=3.0)}),  # outside [3/32, 2]
        ("rates", {"rates": _rates(gd_const=0.2)}),  # not 1/(4e)
        ("same-path", {"same_path": _same_path(deviation=1e-3)}),
        ("same-path", {"same_path": _same_path(scaled_gap=1.5)}),  # above the bound
        ("discretization-breaks", {"divergence": _divergence(ratio=3.0)}),  # far from t*
        ("discretization-breaks", {"divergence": _divergence(p2_t_div=100.0)}),  # p = 2 diverged
        ("heavy-ball-cycles", {"heavy_ball": _heavy_ball(cycle=False)}),
        ("heavy-ball-cycles", {"heavy_ball": _heavy_ball(converging_start=3.4)}),  # one start converges
        ("adam", {"reddi": _reddi(adam=(-1.0, -0.99, -1.0))}),  # Adam converges too
        ("adam", {"reddi": _reddi(amsgrad=(-1.0, -0.5, -0.98))}),  # AMSGrad's interval straddles -0.9
        ("adam", {"reddi": _reddi(sgd=(-0.95, -0.92, -0.85))}),  # SGD mean -0.91 but the interval straddles
        ("adam", {"reddi": _reddi(adam=(1.0, 1.0, -0.7))}),  # Adam's mean is above 0, its interval is not
    ],
)
def test_a_claim_fails_when_its_measurement_misses_the_threshold(claim_id, parts):
    assert verdict(claim_id, results(**parts)).verdict == "fails"


def _with_nan(make, path):
    data = copy.deepcopy(make())
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = math.nan
    return data


@pytest.mark.parametrize(
    "claim_id, parts",
    [
        ("rates", {"rates": _rates(nesterov_const=math.nan)}),  # Nesterov diverged
        ("same-path", {"same_path": _same_path(deviation=math.nan)}),
        ("discretization-breaks", {"divergence": _divergence(ratio=math.inf)}),  # p = 4 never diverged
        (
            "heavy-ball-cycles",
            {"heavy_ball": _with_nan(_heavy_ball, ("starts", "3.4", "gradient descent", 1))},
        ),
        ("adam", {"reddi": _reddi(adam=(1.0, math.nan, 1.0))}),  # a non-finite final x
    ],
)
def test_a_claim_is_inconclusive_when_a_measurement_is_not_finite(claim_id, parts):
    claim = verdict(claim_id, results(**parts))
    assert claim.verdict == "inconclusive" and "not measurable" in claim.criterion
