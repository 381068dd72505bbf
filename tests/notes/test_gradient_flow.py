"""The gradient-flow note: config checks, and verdicts that follow the measurements (both ways)."""

import copy
import math

import pytest

from nngarden.config import ConfigError
from nngarden.notes import get_note
from nngarden.notes import gradient_flow as gf


def test_registered_with_its_claims_and_quick_decides():
    note = get_note("gradient-flow")
    assert list(note.claims) == ["rates", "same-path", "discretization-breaks", "heavy-ball-cycles", "adam"]
    assert set(note.quick_decides) == {"rates", "same-path", "discretization-breaks", "heavy-ball-cycles"}


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
        gf.GradientFlowConfig.quick().with_overrides(override)


def _rates(nesterov_const=0.31, gd_const=1 / (4 * math.e), adam_exponent=1.5):
    N = [10, 30, 100, 300, 1000]
    return {
        "N": N,
        "worst": {"Nesterov k/(k+3)": [nesterov_const / n**2 for n in N]},
        "gd_1d_constant": [gd_const] * len(N),
        "adam_constant": [n**2 * 0.5 / n**adam_exponent for n in N],
        "adam_lr": [0.01] * len(N),
    }


def test_rates_verdict_follows_the_constants():
    assert gf._judge_rates(_rates()).verdict == "holds"
    assert gf._judge_rates(_rates(nesterov_const=3.0)).verdict == "fails"  # outside [3/32, 2]
    assert gf._judge_rates(_rates(gd_const=0.2)).verdict == "fails"  # not 1/(4e)


def test_adam_verdict_follows_the_slope():
    assert gf._judge_adam(_rates(adam_exponent=1.5), None).verdict == "holds"
    assert gf._judge_adam(_rates(adam_exponent=2.0), None).verdict == "fails"


def _heavy_ball(cycle=True):
    xs = [3.3] + [0.6465306122448982, -1.8024489795918377, 2.1159183673469393] * 20
    if not cycle:
        xs = [3.3 * 0.5**k for k in range(60)]
    return {
        "lr": 1 / 9,
        "momentum": 4 / 9,
        "paths": {"heavy ball": xs, "gradient descent": [3.3, 0.0], "Nesterov k/(k+3)": [3.3, 0.0]},
    }


def test_heavy_ball_verdict_needs_the_cycle():
    assert gf._judge_heavy_ball(_heavy_ball(True)).verdict == "holds"
    assert gf._judge_heavy_ball(_heavy_ball(False)).verdict == "fails"


def test_divergence_and_same_path_measured_at_a_small_size():
    cfg = gf.GradientFlowConfig.tiny()
    div = gf._divergence(cfg)
    assert gf._judge_divergence(div, cfg).verdict == "holds"
    broken = copy.deepcopy(div)
    for row in broken["runs"]["4"]:
        row["t_div"] = 3 * row["t_pred"]  # a divergence far from t* must fail the claim
    assert gf._judge_divergence(broken, cfg).verdict == "fails"
    path = gf._same_path(cfg)
    assert gf._judge_same_path(path).verdict == "holds"
    path["max_deviation"]["3"] = 1e-3
    assert gf._judge_same_path(path).verdict == "fails"
