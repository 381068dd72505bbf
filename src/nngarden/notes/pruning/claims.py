"""The pruning note's judges: one per claim, on the per-seed runs.

Accuracy findings are decided by 95% t intervals over seeds of differences paired by seed (every
strategy of a seed starts from that seed's dense model and sees the same fine-tuning batches); the
speedup by a t interval over interleaved timing rounds.
"""

from __future__ import annotations

import math

import numpy as np

from ... import stats
from ...findings import Outcome
from .config import DETERMINISTIC, FINETUNE_BUDGETS, MAGNITUDE


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


def per_seed(results: dict, name: str, ratio: float, key: str = "after") -> list[float]:
    """``key`` of (strategy, ratio) for each seed in seed order (empty when it did not run)."""
    values = []
    for res in results["seeds"]:
        found = [r.get(key) for r in res["runs"] if r["strategy"] == name and r["ratio"] == ratio]
        if not found or found[0] is None:
            return []
        values.append(found[0])
    return values


def dense_per_seed(results: dict) -> list[float]:
    return [r["dense_accuracy"] for r in results["seeds"]]


def dense_accuracy(results: dict) -> float:
    return float(np.mean(dense_per_seed(results)))


def counts(results: dict) -> dict:
    """The criterion's seed count and degrees of freedom."""
    n = len(results["seeds"])
    return {"n_seeds": n, "df": n - 1}


def below_dense(results: dict, name: str, ratio: float) -> stats.Interval:
    """Accuracy after fine-tuning minus the seed's dense accuracy, paired t interval over seeds."""
    after = per_seed(results, name, ratio)
    if not after:
        return stats.Interval(math.nan, math.nan, math.nan, 0, "paired t interval")
    return stats.paired_t_interval(after, dense_per_seed(results))


def _best_magnitude(results: dict, cfg, ratio: float) -> str:
    """The magnitude strategy with the best mean accuracy after fine-tuning at ``ratio``."""
    found = [
        (float(np.mean(per_seed(results, s, ratio))), s) for s in MAGNITUDE if per_seed(results, s, ratio)
    ]
    return max(found)[1] if found else ""


def keeps_accuracy(results, t, cfg) -> Outcome:
    best = _best_magnitude(results, cfg, t.ratio)
    if not best:
        return Outcome.undecided(f"no magnitude strategy ran at {t.ratio:g}x")
    gap = below_dense(results, best, t.ratio)
    evidence = {"dense_accuracy": dense_accuracy(results), **gap.evidence("accuracy_minus_dense")}
    passed = stats.on_side(gap, -t.max_gap_points, "at_least")
    return Outcome(passed, evidence, {"best": best, **counts(results)})


def fine_tuning_recovers(results, t, cfg) -> Outcome:
    at = [s for s in cfg.strategies if per_seed(results, s, t.ratio, "before")]
    context = {"finetune_epochs": cfg.finetune_epochs, "strategies": len(at), **counts(results)}
    if not at:
        return Outcome.undecided(f"no strategy ran at {t.ratio:g}x", **context)
    evidence, passed = {}, True
    for s in at:
        gain = stats.paired_t_interval(per_seed(results, s, t.ratio), per_seed(results, s, t.ratio, "before"))
        evidence.update(gain.evidence(f"gain_points_{s}"))
        passed &= stats.on_side(gain, 0.0, "above")
    return Outcome(passed, evidence, context)


def iso_accuracy_ratio(results: dict, name: str, ratios, within: float) -> float:
    """The largest ratio whose accuracy's paired lower bound is within ``within`` points of dense (1
    when none is: only the dense model itself)."""
    good = [r for r in ratios if stats.on_side(below_dense(results, name, r), -within, "at_least")]
    return max(good, default=1.0)


def scores_matter(results, t, cfg) -> Outcome:
    ratios = sorted(cfg.ratios)
    iso = {s: iso_accuracy_ratio(results, s, ratios, t.within_points) for s in cfg.strategies}
    evidence = {f"iso_accuracy_ratio_{s}": r for s, r in iso.items()}
    factor = iso["layer-magnitude"] / iso["random"]
    evidence["magnitude_over_random"] = factor
    for budget in FINETUNE_BUDGETS:  # accuracy at 8x after 0, 1, 3 and 10 fine-tuning epochs, described
        for s in ("layer-magnitude", "random"):
            curves = per_seed(results, s, 8.0, "curve")
            if curves and all(len(c) > budget for c in curves):
                evidence[f"{s}_8x_after_{budget}_epochs"] = float(np.mean([c[budget] for c in curves]))
    grid = ", ".join(f"{r:g}" for r in ratios)
    context = {"grid": grid, "finetune_epochs": cfg.finetune_epochs, **counts(results)}
    return Outcome(factor >= t.min_factor, evidence, context)


def layer_collapse(results, t, cfg) -> Outcome:
    unguarded = [min(d.values()) for d in per_seed(results, "global-magnitude", t.ratio, "densities")]
    if not unguarded:
        return Outcome.undecided(f"global-magnitude did not run at {t.ratio:g}x")
    density = stats.t_interval(unguarded)
    evidence = density.evidence("global_magnitude_min_layer_density")
    passed = stats.on_side(density, t.max_density, "below")
    for s in ("global-magnitude-floor", "lamp-magnitude"):
        if s in cfg.strategies:
            gain = stats.paired_t_interval(
                per_seed(results, s, t.ratio), per_seed(results, "global-magnitude", t.ratio)
            )
            evidence.update(gain.evidence(f"{s}_minus_global_magnitude"))
            passed &= stats.on_side(gain, 0.0, "above")
    return Outcome(passed, evidence, {"floor": f"{cfg.floor:g}", **counts(results)})


def layer_collapse_check(results, t, cfg) -> Outcome:
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
    high = [r for r in cfg.ratios if r >= t.min_ratio]
    evidence, passed = {}, True
    for r in high:
        gain = stats.paired_t_interval(
            per_seed(results, "iterative", r), per_seed(results, "layer-magnitude", r)
        )
        evidence.update(gain.evidence(f"iterative_minus_one_shot_{r:g}x"))
        evidence[f"lottery_rewind_{r:g}x"] = float(
            np.mean(per_seed(results, "lottery-rewind", r) or [math.nan])
        )
        passed &= stats.on_side(gain, 0.0, "above")
    context = {
        "rounds": cfg.iterative_rounds,
        "finetune_epochs": cfg.finetune_epochs,
        "ratios": ", ".join(f"{r:g}" for r in high),
        **counts(results),
    }
    return Outcome(passed, evidence, context)


def _with_ends(name: str, interval: stats.Interval) -> dict:
    """An interval over timing rounds as evidence (its count is the criterion's round count)."""
    return {name: interval.estimate, f"{name}_low": interval.low, f"{name}_high": interval.high}


def real_speedup(results, t, cfg) -> Outcome:
    speed = results["speed"]
    family = speed["families"]["wide"]
    rows, rounds = family["rows"], len(family["dense_round_seconds"])
    context = dict(
        sizes="-".join(str(n) for n in speed["wide_sizes"]),
        batch=family["batch"],
        dense_ms=1e3 * family["dense_seconds"],
        threads=speed["threads"],
        clock=speed["clock"],
        rounds=rounds,
        multiple=cfg.width_multiple,
        df=rounds - 1,
    )
    struct = [r for r in rows if r["kind"] == "structured" and r["ratio"] in (t.low_ratio, t.high_ratio)]
    masked = [r for r in rows if r["kind"] == "masked"]
    if not (struct and masked):
        return Outcome.undecided("no structured or no masked model was timed", **context)
    if 1e3 * family["dense_seconds"] < t.min_dense_ms:
        reason = f"the dense forward took {1e3 * family['dense_seconds']:.1f} ms: not compute-bound"
        return Outcome.undecided(reason, **context)
    evidence = {
        "dense_ms": 1e3 * family["dense_seconds"],
        "fitted_overhead_ms": 1e3 * family["overhead_seconds"],
    }
    evidence["overhead_share_of_dense"] = family["overhead_seconds"] / family["dense_seconds"]
    passed = True
    for r in struct:
        fraction = stats.t_interval([s / r["theoretical"] for s in r["round_speedups"]])
        evidence.update(_with_ends(f"structured_{r['ratio']:g}x_measured_over_theoretical", fraction))
        evidence[f"structured_{r['ratio']:g}x_theoretical"] = r["theoretical"]
        passed &= stats.on_side(fraction, t.min_measured_fraction, "at_least")
    worst = max(masked, key=lambda r: stats.t_interval(r["round_speedups"]).high)
    for r in masked:
        passed &= stats.on_side(stats.t_interval(r["round_speedups"]), t.max_masked_speedup, "below")
    evidence.update(_with_ends("masked_measured_speedup_worst", stats.t_interval(worst["round_speedups"])))
    evidence["masked_worst_ratio"] = worst["ratio"]
    for arch in ("mlp", "cnn"):  # the small models, described
        small = speed["families"].get(arch)
        if small:
            evidence[f"{arch}_dense_ms"] = 1e3 * small["dense_seconds"]
            evidence[f"{arch}_overhead_share_of_dense"] = small["overhead_seconds"] / small["dense_seconds"]
    evidence["timing_rounds"] = rounds
    evidence["load_average_1min"] = speed["load_average"]
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
    "layer-collapse-check": layer_collapse_check,
    "iterative": iterative,
    "real-speedup": real_speedup,
    "exact-compression": exact_compression,
}
