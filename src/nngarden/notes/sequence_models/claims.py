"""The sequence-models verdicts, read from the ratio profiles, timing medians and recall counts of
``measure``. Intervals: a t interval over initialisations for the gradient ratios (on log10), the t
interval of a least-squares slope for timing, Wilson over held-out symbols for recall."""

from __future__ import annotations

import math

import numpy as np

from ... import stats
from ...findings import Outcome
from .config import tcn_name


def t_interval(values) -> tuple[float, float, float, int]:
    """(mean, low, high, degrees of freedom) of the 95% t interval."""
    out = stats.t_interval(values)
    return out.estimate, out.low, out.high, out.n - 1


def fitted_slope(x, y) -> tuple[float, float, float, int]:
    """(slope, low, high, degrees of freedom) of the least-squares slope with its 95% t interval."""
    out = stats.slope_interval(list(x), list(y))
    return out.estimate, out.low, out.high, out.n - 2


def wilson_interval(successes: int, n: int) -> tuple[float, float, float]:
    out = stats.wilson_interval(successes, n)
    return out.estimate, out.low, out.high


def log_ratio_interval(profiles: list[list[float]], lag: int) -> tuple[float, float, float, int]:
    """Geometric mean of r(lag) over seeds with its 95% t interval (computed on log10 r)."""
    with np.errstate(divide="ignore", invalid="ignore"):  # an exact zero gives -inf: not finite, undecided
        logs = np.log10(np.asarray([p[lag] for p in profiles], dtype=float))
        mean, low, high, df = t_interval(logs)
    return 10.0**mean, 10.0**low, 10.0**high, df


def trained_ratio(run: dict) -> float:
    """r(T + 10) of a trained model, from its first recall position back to the first symbol: the
    geometric mean over the probed sequences (0 when the gradient is exactly zero for any of them: beyond
    a TCN's receptive field, or where every path inside it runs through an inactive ReLU)."""
    values = np.asarray([p[-1] for p in run["trained_profile"]], dtype=float)
    return 0.0 if (values <= 0).any() else float(10.0 ** np.log10(values).mean())


def path_length(results, t, cfg) -> Outcome:
    init = results["path_init"]
    n = init["length"]
    lag = int(t.lstm_lag)
    if lag >= n:
        return Outcome.undecided(f"the path-length sequence (n = {n}) is not longer than the lag {lag}")
    lstm, lstm_low, lstm_high, df = log_ratio_interval(init["models"]["lstm"], lag)
    worst = None  # attention's lag with the lowest lower bound
    for d in range(1, n):
        mean, low, high, _ = log_ratio_interval(init["models"]["attention"], d)
        if worst is None or low < worst[2]:
            worst = (d, mean, low, high)
    evidence = {
        "lstm_ratio": lstm,
        "lstm_ratio_low": lstm_low,
        "lstm_ratio_high": lstm_high,
        "attention_ratio": worst[1],
        "attention_ratio_low": worst[2],
        "attention_ratio_high": worst[3],
        "attention_worst_lag": worst[0],
        "gru_ratio": log_ratio_interval(init["models"]["gru"], lag)[0],
        "n_seeds": len(init["models"]["lstm"]),
    }
    for T, runs in results["copy"].items():
        for name in ("lstm", "attention", tcn_name(cfg.covering_ratio)):
            if name in runs:
                evidence[f"trained_{name.replace('-', '_')}_ratio_T{T}"] = trained_ratio(runs[name])
    passed = lstm_high < t.lstm_max_ratio and worst[2] > t.attention_min_ratio
    return Outcome(passed, evidence, {"n": n, "n_seeds": evidence["n_seeds"], "df": df, "max_lag": n - 1})


def slope_of(timing: dict, kind: str, name: str) -> tuple[float, float, float, int]:
    """The least-squares slope of log time against log n, with its 95% t interval."""
    return fitted_slope(np.log(timing["lengths"]), np.log(timing["models"][kind][name]))


def _counts_as_stated(timing: dict) -> bool:
    """Recurrent models: n + layers - 1 steps (n for one layer); TCN and attention: one per layer."""
    for kind, entry in timing["models"].items():
        for n, steps in zip(timing["lengths"], entry["sequential_steps"]):
            expected = n + entry["layers"] - 1 if kind in ("lstm", "gru") else entry["layers"]
            if steps != expected:
                return False
    return True


def sequential_ops(results, t, cfg) -> Outcome:
    timing = results["timing"]
    largest = timing["lengths"][-1]
    evidence: dict = {}
    slopes = {}
    for kind in timing["models"]:
        for name in ("forward", "train"):
            slope, low, high, df = slope_of(timing, kind, name)
            slopes[kind, name] = (low, high)
            key = f"{kind}_{name}_slope"
            evidence.update({key: slope, f"{key}_low": low, f"{key}_high": high})
            evidence[f"{kind}_{name}_ms_at_{largest}"] = 1000 * timing["models"][kind][name][-1]
        evidence[f"{kind}_sequential_steps_at_{largest}"] = timing["models"][kind]["sequential_steps"][-1]
    evidence.update(
        n_lengths=len(timing["lengths"]),
        n_repeats=timing["repeats"],
        threads=timing["threads"],
        load_average=float(np.mean(timing["load_average"])),
    )
    counts = _counts_as_stated(timing)
    lstm = all(
        t.lstm_slope_min <= slopes["lstm", p][0] and slopes["lstm", p][1] <= t.lstm_slope_max
        for p in ("forward", "train")
    )
    attention = all(slopes["attention", p][0] > t.attention_slope_min for p in ("forward", "train"))
    wide = (
        ", ".join(sorted(results.get("timing_wide") or {})) or "none: more threads and CUDA were not measured"
    )
    context = {
        "lengths": ", ".join(map(str, timing["lengths"])),
        "repeats": timing["repeats"],
        "df": len(timing["lengths"]) - 2,
        "wide": wide,
    }
    return Outcome(counts and lstm and attention, evidence, context)


def recall_interval(recalled: int, n_items: int) -> tuple[float, float, float]:
    return wilson_interval(recalled, n_items)


def _with_interval(evidence: dict, key: str, recalled: int, n_items: int) -> tuple[float, float, float]:
    p, low, high = recall_interval(recalled, n_items)
    evidence.update({key: p, f"{key}_low": low, f"{key}_high": high})
    return p, low, high


def first_step_reaching(curve: list, n_items: int, level: float) -> int | None:
    """The first evaluated step whose held-out recall is at least ``level`` (None if none is)."""
    return next((step for step, recalled, _ in curve if recalled / n_items >= level), None)


def long_range(results, t, cfg) -> Outcome:
    evidence: dict = {}
    passed = True
    covering = tcn_name(cfg.covering_ratio)
    for T, runs in results["copy"].items():
        tcn, attention, lstm = runs[covering], runs["attention"], runs["lstm"]
        n_items = tcn["n_items"]
        _, tcn_low, _ = _with_interval(evidence, f"tcn_recall_T{T}", tcn["recalled"], n_items)
        _, attention_low, _ = _with_interval(
            evidence, f"attention_recall_T{T}", attention["recalled"], n_items
        )
        reached = first_step_reaching(tcn["curve"], n_items, t.min_recall)
        at = reached if reached is not None else tcn["curve"][-1][0]
        lstm_recalled = [recalled for step, recalled, _ in lstm["curve"] if step <= at][-1]  # same schedule
        _, _, lstm_high = _with_interval(evidence, f"lstm_recall_at_tcn_step_T{T}", lstm_recalled, n_items)
        _with_interval(evidence, f"lstm_final_recall_T{T}", lstm["recalled"], n_items)
        evidence[f"tcn_reached_step_T{T}"] = at
        evidence[f"tcn_receptive_field_T{T}"] = tcn["receptive_field"]
        for name, run in (("tcn", tcn), ("attention", attention), ("lstm", lstm)):
            evidence[f"{name}_params_T{T}"] = run["params"]
            evidence[f"{name}_train_cpu_seconds_T{T}"] = run["train_cpu_seconds"]
        passed &= (
            tcn_low >= t.min_recall
            and attention_low >= t.min_recall
            and reached is not None
            and lstm_high < t.lstm_max_recall
        )
        evidence["n_items"] = n_items
    context = {
        "T": ", ".join(results["copy"]),
        "steps": cfg.steps,
        "batch": cfg.batch,
        "n_items": evidence["n_items"],
        "covering": f"{cfg.covering_ratio:g}",
        "layers": cfg.attention_layers,
    }
    return Outcome(passed, evidence, context)


def _tcn_runs(results, cfg, keep):
    for T, runs in results["copy"].items():
        for ratio in cfg.rf_ratios:
            if keep(ratio):
                yield T, ratio, runs[tcn_name(ratio)]


def receptive_field(results, t, cfg) -> Outcome:
    evidence: dict = {}
    passed = True
    for T, ratio, run in _tcn_runs(results, cfg, lambda ratio: ratio >= 1):
        _, low, _ = _with_interval(evidence, f"tcn_rf{ratio:g}_recall_T{T}", run["recalled"], run["n_items"])
        evidence[f"tcn_rf{ratio:g}_measured_ratio_T{T}"] = run["receptive_field"] / (int(T) + 11)
        evidence["n_items"] = run["n_items"]
        passed &= low >= t.min_recall
    for T, ratio, run in _tcn_runs(results, cfg, lambda ratio: ratio < 1):
        _with_interval(evidence, f"tcn_rf{ratio:g}_recall_T{T}", run["recalled"], run["n_items"])
    context = {
        "ratios": ", ".join(f"{r:g}" for r in cfg.rf_ratios),
        "steps": cfg.steps,
        "n_items": int(evidence.get("n_items", 0)),
    }
    return Outcome(passed, evidence, context)


def receptive_field_check(results, t, cfg) -> Outcome:
    beyond, inside, own = 0.0, math.inf, 0.0
    evidence: dict = {}
    for T, ratio, run in _tcn_runs(results, cfg, lambda ratio: True):
        check = run["field_check"]
        beyond = max(beyond, check["max_beyond"])
        inside = min(inside, check["min_inside_sum"])
        if run["receptive_field"] <= int(T) + 10:  # the recalled symbol lies beyond the field
            own = max(own, check["max_own_symbol"])
            _with_interval(evidence, f"tcn_rf{ratio:g}_recall_T{T}", run["recalled"], run["n_items"])
            evidence["n_items"] = run["n_items"]
    evidence.update(
        max_gradient_beyond_field=beyond, min_gradient_inside_field=inside, max_own_symbol_gradient=own
    )
    return Outcome(beyond == 0.0 and inside > 0.0 and own == 0.0, evidence)


JUDGES = {
    "path-length": path_length,
    "sequential-ops": sequential_ops,
    "long-range": long_range,
    "receptive-field": receptive_field,
    "receptive-field-check": receptive_field_check,
}
