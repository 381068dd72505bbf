"""The judges: each claim's verdict from the stage results, and the summaries the metrics share."""

from __future__ import annotations

import math

import numpy as np

from ...findings import Outcome
from . import LESSARD_CYCLE

REPORTED_STEP = 0.1  # the Euler step whose t_div and t* are reported by name
MLP_KEYS = {"gradient descent": "gd", "Nesterov k/(k+3)": "nesterov", "Adam": "adam"}


def slope(xs, ys) -> float:
    """The log-log slope of the positive finite points (nan with fewer than two)."""
    xs, ys = np.asarray(xs, float), np.asarray(ys, float)
    keep = np.isfinite(ys) & (ys > 0)
    if keep.sum() < 2:
        return float("nan")
    return float(np.polyfit(np.log(xs[keep]), np.log(ys[keep]), 1)[0])


def rate_summary(rates: dict) -> dict[str, float]:
    """Rate constants at the largest N and slopes over the larger half of the horizons."""
    N = np.array(rates["N"], float)
    nesterov = np.array(rates["worst"]["Nesterov k/(k+3)"], float) * N**2
    gd = np.array(rates["gd_1d_constant"], float)
    adam = np.array(rates["adam_constant"], float) / N**2
    half = len(N) // 2
    return {
        "nesterov_constant": nesterov[-1],
        "nesterov_relative_change_last_two_N": abs(nesterov[-1] / nesterov[-2] - 1),
        "gd_constant": gd[-1],
        "slope_nesterov": slope(N[half:], nesterov[half:] / N[half:] ** 2),
        "slope_gd": slope(N[half:], gd[half:] / N[half:]),
        "largest_N": N[-1],
        "adam_slope_worst_case": slope(N[half:], adam[half:]),
    }


def same_path_summary(path: dict) -> dict[str, float]:
    out = {
        "max_deviation_relative_to_R": max(path["max_deviation"].values()),
        "max_scaled_gap_over_bound": max(d["max_scaled_gap"] for d in path["paths"].values()) / path["bound"],
    }
    out.update({f"deviation_p{p}": v for p, v in path["max_deviation"].items()})
    return out


def divergence_summary(div: dict, cfg) -> dict[str, float]:
    """Per p: the worst t_div / t*, the fitted slope against the expected one, forward Euler's ratio."""
    out = {}
    for p, rows in div["runs"].items():
        ratios = [r["t_div"] / r["t_pred"] for r in rows]
        out[f"p{p}_worst_ratio_t_div_over_t_star"] = max(ratios, key=lambda q: abs(q - 1))
        out[f"p{p}_slope"] = slope([r["h"] for r in rows], [r["t_div"] for r in rows])
        out[f"p{p}_expected_slope"] = -2 / (int(p) - 2)
        out[f"p{p}_forward_euler_min_ratio"] = min(r["t_div_forward"] / r["t_pred"] for r in rows)
        for r in rows:
            if abs(r["h"] - REPORTED_STEP) < 1e-12:
                out[f"p{p}_h{REPORTED_STEP:g}_t_div"] = r["t_div"]
                out[f"p{p}_h{REPORTED_STEP:g}_t_star"] = r["t_pred"]
    p2 = div["p2"]
    out["p2_h_sqrt_4CL"] = p2["h"] * math.sqrt(4 * cfg.C * cfg.L)
    out["p2_final_distance"] = p2["final_dist"]
    out["p2_horizon"] = p2["horizon"]
    return out


def mlp_summary(mlp: dict | None) -> dict[str, float]:
    out = {}
    for name, d in (mlp or {}).items():
        key = MLP_KEYS[name]
        out[f"mlp_{key}_final_loss"] = d["final_loss"] if math.isfinite(d["final_loss"]) else 1e300
        out[f"mlp_{key}_test_acc"] = d["test_acc"]
        out[f"mlp_{key}_lr"] = d["lr"]
    return out


def rates(results, t, cfg) -> Outcome:
    s = rate_summary(results["rates"])
    target = 1 / (4 * math.e)
    passed = (
        t.band_low <= s["nesterov_constant"] <= t.band_high
        and s["nesterov_relative_change_last_two_N"] < t.max_change
        and abs(s["gd_constant"] / target - 1) < t.max_gd_error
        and abs(s["slope_nesterov"] + 2) < t.max_slope_error
        and abs(s["slope_gd"] + 1) < t.max_slope_error
    )
    evidence = {k: v for k, v in s.items() if k != "adam_slope_worst_case"}
    evidence.update(gd_reference_1_over_4e=target, band_low=t.band_low, band_high=t.band_high)
    return Outcome(bool(passed), evidence)


def same_path(results, t, cfg) -> Outcome:
    s = same_path_summary(results["same_path"])
    passed = s["max_deviation_relative_to_R"] < t.max_deviation and s["max_scaled_gap_over_bound"] <= 1.0
    return Outcome(bool(passed), s)


def discretization_breaks(results, t, cfg) -> Outcome:
    div = results["divergence"]
    passed = True
    for p, rows in div["runs"].items():
        expected = -2 / (int(p) - 2)
        fitted = slope([r["h"] for r in rows], [r["t_div"] for r in rows])
        passed = passed and all(abs(r["t_div"] / r["t_pred"] - 1) < t.max_time_error for r in rows)
        passed = passed and abs(fitted / expected - 1) < t.max_slope_error
    p2 = div["p2"]
    p2_ok = not math.isfinite(p2["t_div"]) and p2["final_dist"] < 1.0  # it started at distance 1
    return Outcome(bool(passed and p2_ok), divergence_summary(div, cfg))


def heavy_ball_cycles(results, t, cfg) -> Outcome:
    paths = results["heavy_ball"]["paths"]
    xs = np.array(paths["heavy ball"])
    tail = xs[-int(t.tail) :]
    period3 = float(np.max(np.abs(tail[3:] - tail[:-3])))
    period1 = float(np.max(np.abs(tail[1:] - tail[:-1])))
    cycle = np.sort(xs[-3:])
    mismatch = float(np.max(np.abs(cycle - np.sort(LESSARD_CYCLE))))
    gd_end, nesterov_end = abs(paths["gradient descent"][-1]), abs(paths["Nesterov k/(k+3)"][-1])
    passed = (
        period3 < t.max_period3
        and period1 > t.min_step
        and mismatch < t.max_mismatch
        and gd_end < t.max_final_distance
        and nesterov_end < t.max_final_distance
    )
    evidence = {
        "cycle_low": cycle[0],
        "cycle_mid": cycle[1],
        "cycle_high": cycle[2],
        "max_mismatch_to_published_cycle": mismatch,
        "period3_residual": period3,
        "gd_final_abs_x": gd_end,
        "nesterov_final_abs_x": nesterov_end,
        "lr": results["heavy_ball"]["lr"],
        "momentum": results["heavy_ball"]["momentum"],
    }
    return Outcome(bool(passed), evidence)


def adam(results, t, cfg) -> Outcome:
    rates_ = results["rates"]
    fitted = rate_summary(rates_)["adam_slope_worst_case"]
    evidence = {
        "adam_slope_worst_case": fitted,
        "adam_constant_largest_N": rates_["adam_constant"][-1],
        "adam_lr_largest_N": rates_["adam_lr"][-1],
        **mlp_summary(results.get("mlp")),
    }
    passed = abs(fitted + 1) > t.min_slope_distance and abs(fitted + 2) > t.min_slope_distance
    return Outcome(bool(passed), evidence)


JUDGES = {
    "rates": rates,
    "same-path": same_path,
    "discretization-breaks": discretization_breaks,
    "heavy-ball-cycles": heavy_ball_cycles,
    "adam": adam,
}
