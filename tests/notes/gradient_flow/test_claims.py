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


def _heavy_ball(cycle=True):
    xs = [3.3] + [0.6465306122448982, -1.8024489795918377, 2.1159183673469393] * 20
    if not cycle:
        xs = [3.3 * 0.5**k for k in range(60)]
    return {
        "lr": 1 / 9,
        "momentum": 4 / 9,
        "paths": {"heavy ball": xs, "gradient descent": [3.3, 0.0], "Nesterov k/(k+3)": [3.3, 0.0]},
    }


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
        ("adam", {"rates": _rates(adam_exponent=2.0)}),  # Adam on the 1/N^2 law
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
        ("heavy-ball-cycles", {"heavy_ball": _with_nan(_heavy_ball, ("paths", "gradient descent", 1))}),
        ("adam", {"rates": {**_rates(), "adam_constant": [math.nan] * 5}}),  # every Adam run diverged
    ],
)
def test_a_claim_is_inconclusive_when_a_measurement_is_not_finite(claim_id, parts):
    claim = verdict(claim_id, results(**parts))
    assert claim.verdict == "inconclusive" and "not measurable" in claim.criterion
