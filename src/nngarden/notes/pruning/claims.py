"""The pruning note's judges: one per claim, on the per-seed runs summarised by (strategy, ratio)."""

from __future__ import annotations

import math

import numpy as np

from ...findings import Outcome
from .config import DETERMINISTIC, MAGNITUDE


def _stats(values) -> tuple[float, float]:
    arr = np.asarray(values, dtype=float)
    return float(arr.mean()), float(arr.std(ddof=0))


def summarise(seed_results: list[dict]) -> dict:
    """(strategy, ratio) -> mean/std before and after fine-tuning, achieved compression, densities."""
    grouped: dict[tuple[str, float], list[dict]] = {}
    for res in seed_results:
        for row in res["runs"]:
            grouped.setdefault((row["strategy"], row["ratio"]), []).append(row)
    table = {}
    for key, rows in grouped.items():
        entry = {"after": _stats([r["after"] for r in rows]), "achieved": [r["achieved"] for r in rows]}
        if "before" in rows[0]:
            entry["before"] = _stats([r["before"] for r in rows])
        if "densities" in rows[0]:
            layers = list(rows[0]["densities"])
            entry["densities"] = {n: _stats([r["densities"][n] for r in rows])[0] for n in layers}
            entry["min_density"] = min(min(r["densities"].values()) for r in rows)
        table[key] = entry
    return table


def dense_accuracy(results: dict) -> float:
    return float(np.mean([r["dense_accuracy"] for r in results["seeds"]]))


def _after(table: dict, name: str, ratio: float) -> float:
    """Mean accuracy after fine-tuning (nan when the pair did not run)."""
    return table[(name, ratio)]["after"][0] if (name, ratio) in table else math.nan


def _best_magnitude(table: dict, cfg, ratio: float) -> tuple[float, str]:
    """(mean accuracy, name) of the best magnitude strategy at ``ratio`` after fine-tuning."""
    found = [(_after(table, s, ratio), s) for s in cfg.strategies if s in MAGNITUDE and (s, ratio) in table]
    return max(found) if found else (math.nan, "")


def keeps_accuracy(results, t, cfg) -> Outcome:
    dense = dense_accuracy(results)
    acc, best = _best_magnitude(summarise(results["seeds"]), cfg, t.ratio)
    evidence = {
        "dense_accuracy": dense,
        f"best_magnitude_accuracy_{t.ratio:g}x": acc,
        "gap_points": dense - acc,
    }
    return Outcome(acc >= dense - t.max_gap_points, evidence, {"best": best, "seeds": cfg.seeds})


def fine_tuning_recovers(results, t, cfg) -> Outcome:
    table = summarise(results["seeds"])
    at = [s for s in cfg.strategies if (s, t.ratio) in table and "before" in table[(s, t.ratio)]]
    context = {"finetune_epochs": cfg.finetune_epochs, "strategies": len(at)}
    if not at:
        return Outcome.undecided(f"no strategy ran at {t.ratio:g}x", **context)
    gains = {s: table[(s, t.ratio)]["after"][0] - table[(s, t.ratio)]["before"][0] for s in at}
    return Outcome(min(gains.values()) > 0, {f"gain_points_{s}": g for s, g in gains.items()}, context)


def scores_matter(results, t, cfg) -> Outcome:
    table = summarise(results["seeds"])
    acc, best = _best_magnitude(table, cfg, t.ratio)
    rnd = _after(table, "random", t.ratio)
    evidence = {
        f"best_magnitude_accuracy_{t.ratio:g}x": acc,
        f"random_accuracy_{t.ratio:g}x": rnd,
        "gap_points": acc - rnd,
    }
    return Outcome(acc - rnd >= t.min_gap_points, evidence, {"best": best})


def layer_collapse(results, t, cfg) -> Outcome:
    table = summarise(results["seeds"])
    guarded = [s for s in ("global-magnitude-floor", "lamp-magnitude") if s in cfg.strategies]
    lowest = {s: min(e["min_density"] for (n, _), e in table.items() if n == s) for s in guarded}
    evidence = {f"min_layer_density_{s}": v for s, v in lowest.items()}
    for s in ("global-magnitude", "global-gradient"):  # one threshold, no guard
        evidence.update(
            {
                f"{s}_min_layer_density_{r:g}x": table[(s, r)]["min_density"]
                for r in cfg.ratios
                if (s, r) in table
            }
        )
    return Outcome(
        min(lowest.values()) > 0, evidence, {"floor": f"{cfg.floor:g}", "top": f"{max(cfg.ratios):g}"}
    )


def iterative(results, t, cfg) -> Outcome:
    table = summarise(results["seeds"])
    high = [r for r in cfg.ratios if r >= t.min_ratio]
    evidence, wins = {}, []
    for r in high:
        iterated, one_shot = _after(table, "iterative", r), _after(table, "layer-magnitude", r)
        evidence[f"iterative_{r:g}x"], evidence[f"one_shot_{r:g}x"] = iterated, one_shot
        evidence[f"lottery_rewind_{r:g}x"] = _after(table, "lottery-rewind", r)
        wins.append(iterated > one_shot)
    context = {
        "rounds": cfg.iterative_rounds,
        "finetune_epochs": cfg.finetune_epochs,
        "ratios": ", ".join(f"{r:g}" for r in high),
    }
    return Outcome(all(wins), evidence, context)


def real_speedup(results, t, cfg) -> Outcome:
    speed = results["speed"]
    context = {k: speed[k] for k in ("batch", "threads", "clock")} | {"repeats": cfg.latency_repeats}
    rows = speed["rows"]
    struct = [r for r in rows if r["kind"] == "structured" and r["ratio"] in (t.low_ratio, t.high_ratio)]
    masked = [r for r in rows if r["kind"] == "masked"]
    if not (struct and masked):
        return Outcome.undecided("no structured or no masked model was timed", **context)

    def name(row: dict) -> str:
        return f"{row['arch']}_{row['kind']}_{row['ratio']:g}x"

    evidence = {f"{name(r)}_measured_over_theoretical": r["measured"] / r["theoretical"] for r in struct}
    evidence.update({f"{name(r)}_measured": r["measured"] for r in struct + masked})
    evidence["max_masked_measured_speedup"] = max(r["measured"] for r in masked)
    evidence["load_average_1min"] = speed["load_average"]
    passed = (
        min(r["measured"] / r["theoretical"] for r in struct) >= t.min_measured_fraction
        and max(r["measured"] for r in masked) < t.max_masked_speedup
    )
    return Outcome(passed, evidence, context)


def exact_compression(results, t, cfg) -> Outcome:
    table = summarise(results["seeds"])
    errors = [abs(a / r - 1) for (n, r), e in table.items() if n in DETERMINISTIC for a in e["achieved"]]
    if not errors:
        return Outcome.undecided("no deterministic strategy ran")
    return Outcome(
        max(errors) <= t.max_relative_error, {"max_relative_error": max(errors), "runs_checked": len(errors)}
    )


JUDGES = {
    "keeps-accuracy": keeps_accuracy,
    "fine-tuning-recovers": fine_tuning_recovers,
    "scores-matter": scores_matter,
    "layer-collapse": layer_collapse,
    "iterative": iterative,
    "real-speedup": real_speedup,
    "exact-compression": exact_compression,
}
