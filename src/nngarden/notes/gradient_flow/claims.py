"""The judges: each claim's verdict from the stage results, and the summaries the metrics share."""

from __future__ import annotations

import math

import numpy as np

from ...findings import Outcome
from ...stats import on_side, t_interval
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
    ratios = [r["t_div"] / r["t_pred"] for rows in div["runs"].values() for r in rows]
    out["t_div_over_t_star_min"], out["t_div_over_t_star_max"] = min(ratios), max(ratios)
    out["n_instances"] = len(ratios)  # (p, h) pairs, each a deterministic run
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
        t.band_lower <= s["nesterov_constant"] <= t.band_upper
        and s["nesterov_relative_change_last_two_N"] < t.max_change
        and abs(s["gd_constant"] / target - 1) < t.max_gd_error
        and abs(s["slope_nesterov"] + 2) < t.max_slope_error
        and abs(s["slope_gd"] + 1) < t.max_slope_error
    )
    evidence = {k: v for k, v in s.items() if k != "adam_slope_worst_case"}
    evidence.update(gd_reference_1_over_4e=target, band_lower=t.band_lower, band_upper=t.band_upper)
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


def cycle_summary(paths: dict, tail: int) -> dict[str, float]:
    """One start: the last three heavy-ball iterates (sorted), their residuals, GD's and Nesterov's ends."""
    xs = np.array(paths["heavy ball"])
    end = xs[-tail:]
    cycle = np.sort(xs[-3:])
    return {
        "cycle": cycle,
        "period3": float(np.max(np.abs(end[3:] - end[:-3]))),
        "period1": float(np.max(np.abs(end[1:] - end[:-1]))),
        "mismatch": float(np.max(np.abs(cycle - np.sort(LESSARD_CYCLE)))),
        "converged": float(np.max(np.abs([paths["gradient descent"][-1], paths["Nesterov k/(k+3)"][-1]]))),
    }


def heavy_ball_cycles(results, t, cfg) -> Outcome:
    hb = results["heavy_ball"]
    runs = [cycle_summary(paths, int(t.tail)) for paths in hb["starts"].values()]
    on_cycle = [
        r["period3"] < t.max_period3 and r["period1"] > t.min_step and r["mismatch"] < t.max_mismatch
        for r in runs
    ]
    worst_end = float(np.max([r["converged"] for r in runs]))  # nan propagates: a diverged run
    passed = all(on_cycle) and worst_end < t.max_final_distance
    cycles = np.array([r["cycle"] for r in runs])
    evidence = {
        "n_instances": len(runs),
        "starts_ending_on_the_cycle": sum(on_cycle),
        "cycle_min_point": cycles[0, 0],
        "cycle_mid_point": cycles[0, 1],
        "cycle_max_point": cycles[0, 2],
        "cycle_spread_over_starts": float(np.max(np.ptp(cycles, axis=0))),
        "max_mismatch_to_published_cycle": max(r["mismatch"] for r in runs),
        "period3_residual": max(r["period3"] for r in runs),
        "gd_nesterov_worst_final_abs_x": worst_end,
        "lr": hb["lr"],
        "momentum": hb["momentum"],
    }
    return Outcome(bool(passed), evidence, {"n_starts": len(runs)})


def reddi_summary(reddi: dict) -> dict[str, float]:
    """Each method's final x over the seeds: mean with its t interval, and the count."""
    out: dict[str, float] = {}
    for method, finals in reddi["final_x"].items():
        out.update(t_interval(finals).evidence(f"{method.lower()}_final_x"))
    return out


def adam(results, t, cfg) -> Outcome:
    finals = results["reddi"]["final_x"]
    intervals = {method: t_interval(xs) for method, xs in finals.items()}
    passed = (
        on_side(intervals["Adam"], t.adam_above, "above")
        and on_side(intervals["AMSGrad"], t.others_below, "below")
        and on_side(intervals["SGD"], t.others_below, "below")
    )
    rates_ = results["rates"]
    evidence = {
        **reddi_summary(results["reddi"]),
        "adam_slope_worst_case": rate_summary(rates_)["adam_slope_worst_case"],  # described, not judged
        "adam_constant_largest_N": rates_["adam_constant"][-1],
        "adam_lr_largest_N": rates_["adam_lr"][-1],
        **mlp_summary(results.get("mlp")),
    }
    context = {
        "n_seeds": intervals["Adam"].n,
        "method": intervals["Adam"].method,
        "alpha": cfg.reddi_alpha,
        "sgd_alpha": cfg.reddi_sgd_alpha,
        "steps": cfg.reddi_steps,
    }
    return Outcome(bool(passed), evidence, context)


JUDGES = {
    "rates": rates,
    "same-path": same_path,
    "discretization-breaks": discretization_breaks,
    "heavy-ball-cycles": heavy_ball_cycles,
    "adam": adam,
}
