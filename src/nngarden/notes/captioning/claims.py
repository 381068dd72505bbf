"""The captioning verdicts, read from the per-item results of ``measure`` (no torch here).

Intervals are 95%. With one seed a finding is decided over held-out items: Wilson's score interval for
a proportion, Newcombe's (1998, method 10) interval for the difference of two paired proportions (the
same scenes captioned by two models), and for a share of words a ratio interval clustered by scene
(the words of one caption are not independent). With three seeds or more it is decided over seeds: a
t interval of the per-seed values with n_seeds - 1 degrees of freedom.
"""

from __future__ import annotations

import math

from ...findings import Outcome

Z95 = 1.959963984540054
SHAPE_TASKS = ("one-to-one", "one-to-many", "many-to-one", "many-to-many-out-of-step", "many-to-many-in-step")
CAPTIONERS = ("vector", "mean", "attention")


# --- intervals ----------------------------------------------------------------------------------------
def wilson(successes: int, n: int) -> tuple[float, float, float]:
    """(proportion, low, high): Wilson's score interval."""
    if n == 0:
        return math.nan, math.nan, math.nan
    p = successes / n
    centre = (p + Z95**2 / (2 * n)) / (1 + Z95**2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / (1 + Z95**2 / n)
    return p, max(0.0, centre - half), min(1.0, centre + half)


def paired_difference(a: list[int], b: list[int]) -> tuple[float, float, float]:
    """(mean(a) - mean(b), low, high) for 0/1 outcomes on the same items: Newcombe's (1998) square-and-add
    interval (method 10), Wilson intervals of both proportions combined with the paired table's
    correlation, whose numerator AD - BC is shrunk by N/2 towards 0 (0 in between), as Newcombe does."""
    n = len(a)
    if n == 0 or len(b) != n:
        return math.nan, math.nan, math.nan
    both = sum(1 for x, y in zip(a, b) if x and y)
    only_a = sum(1 for x, y in zip(a, b) if x and not y)
    only_b = sum(1 for x, y in zip(a, b) if y and not x)
    neither = n - both - only_a - only_b
    p1, l1, u1 = wilson(both + only_a, n)
    p2, l2, u2 = wilson(both + only_b, n)
    margins = (both + only_a) * (only_b + neither) * (both + only_b) * (only_a + neither)
    cross = both * neither - only_a * only_b
    cross = cross - n / 2 if cross > n / 2 else min(cross, 0)
    phi = cross / math.sqrt(margins) if margins > 0 else 0.0
    delta = math.sqrt(max(0.0, (p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2))
    epsilon = math.sqrt(max(0.0, (u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2))
    return p1 - p2, max(-1.0, p1 - p2 - delta), min(1.0, p1 - p2 + epsilon)


def clustered_ratio(hits: list[int], counts: list[int]) -> tuple[float, float, float]:
    """(sum hits / sum counts, low, high) with clusters (scenes) as the sampling unit: the ratio
    estimator's linearised variance, normal interval."""
    m = sum(1 for c in counts if c > 0)
    total = sum(counts)
    if m < 2 or total == 0:
        return math.nan, math.nan, math.nan
    r = sum(hits) / total
    mean_count = total / m
    residuals = [h - r * c for h, c in zip(hits, counts) if c > 0]
    var = sum(e * e for e in residuals) / (m * (m - 1) * mean_count**2)
    half = Z95 * math.sqrt(var)
    return r, max(0.0, r - half), min(1.0, r + half)


def t_interval(values: list[float]) -> tuple[float, float, float]:
    """(mean, low, high): Student's t interval over seeds, n - 1 degrees of freedom."""
    from scipy.stats import t as student

    n = len(values)
    mean = sum(values) / n
    if n < 2:
        return mean, math.nan, math.nan
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    half = float(student.ppf(0.975, n - 1)) * sd / math.sqrt(n)
    return mean, mean - half, mean + half


def by_seeds(cfg) -> bool:
    return cfg.seeds >= 3


def method(cfg, items: str) -> str:
    return f"t interval over {cfg.seeds} seeds ({cfg.seeds - 1} df)" if by_seeds(cfg) else items


def proportion(per_seed: list[list[int]], cfg) -> tuple[float, float, float]:
    """A success rate from per-seed 0/1 items: over seeds (t) or over the one seed's items (Wilson)."""
    if by_seeds(cfg):
        return t_interval([sum(items) / len(items) for items in per_seed])
    items = per_seed[0]
    return wilson(sum(items), len(items))


def interval_evidence(name: str, estimate: tuple[float, float, float]) -> dict[str, float]:
    value, low, high = estimate
    return {name: value, f"{name}_low": low, f"{name}_high": high}


def counts(results, cfg, n_items: int) -> dict[str, float]:
    return {"n_seeds": len(results["seeds"])} if by_seeds(cfg) else {"n_items": n_items}


# --- five shapes ---------------------------------------------------------------------------------------
def five_shapes(results, t, cfg) -> Outcome:
    evidence, lows = {}, []
    for task in SHAPE_TASKS:
        per_seed = [seed[task]["correct"] for seed in results["shapes"]]
        estimate = proportion(per_seed, cfg)
        key = task.replace("-", "_")
        evidence.update(interval_evidence(f"{key}_exact", estimate))
        evidence[f"{key}_n_items"] = len(per_seed[0])
        lows.append(estimate[1])
    evidence.update(
        counts(results, cfg, min(evidence[f"{k.replace('-', '_')}_n_items"] for k in SHAPE_TASKS))
    )
    context = {"method": method(cfg, "Wilson over each task's held-out items")}
    return Outcome(all(low >= t.min_exact for low in lows), evidence, context)


def five_shapes_check(results, t, cfg) -> Outcome:
    in_step = max(seed["many-to-many-in-step"]["check"]["max_change_before"] for seed in results["shapes"])
    out_checks = [seed["many-to-many-out-of-step"]["check"] for seed in results["shapes"]]
    first_change = min(c["first_output_change"] for c in out_checks)
    lengths_ok = all(c["lengths_ok"] for c in out_checks)
    evidence = {
        "in_step_max_change_before_t": in_step,
        "out_of_step_first_output_change": first_change,
        "out_of_step_other_lengths_ok": float(lengths_ok),
        "n_probes": out_checks[0]["n_probes"],
    }
    passed = in_step <= t.max_change and lengths_ok and first_change > t.min_first_change
    return Outcome(passed, evidence)


# --- captioning ----------------------------------------------------------------------------------------
def _items(results, name: str, k: int, field: str = "exact") -> list[list[int]]:
    return [seed[name]["by_k"][str(k)][field] for seed in results["captioners"]]


def bottleneck(results, t, cfg) -> Outcome:
    k_gap = int(t.objects_gap)
    evidence: dict[str, float] = {}
    lows = []
    for name in CAPTIONERS:
        estimate = proportion(_items(results, name, 1), cfg)
        evidence.update(interval_evidence(f"exact_k1_{name}", estimate))
        lows.append(estimate[1])
        evidence[f"params_{name}"] = results["captioners"][0][name]["params"]
    attention, vector = _items(results, "attention", k_gap), _items(results, "vector", k_gap)
    if by_seeds(cfg):
        gain = t_interval([sum(a) / len(a) - sum(v) / len(v) for a, v in zip(attention, vector)])
    else:
        gain = paired_difference(attention[0], vector[0])
    evidence.update(interval_evidence(f"exact_gain_k{k_gap}", gain))
    for name in ("attention", "vector"):
        evidence[f"exact_k{k_gap}_{name}"] = proportion(_items(results, name, k_gap), cfg)[0]
    evidence.update(counts(results, cfg, len(attention[0])))
    fewer = evidence["params_attention"] <= evidence["params_vector"]
    passed = all(low >= t.min_exact_k1 for low in lows) and gain[1] >= t.min_gain and fewer
    context = {
        "method": method(cfg, f"Wilson, and Newcombe's paired interval, over {len(attention[0])} scenes")
    }
    return Outcome(passed, evidence, context)


def looks_where_it_says(results, t, cfg) -> Outcome:
    aligns = [seed["attention"]["align"] for seed in results["captioners"]]
    if by_seeds(cfg):
        share = t_interval([sum(a["hits"]) / max(1, sum(a["words"])) for a in aligns])
    else:
        share = clustered_ratio(aligns[0]["hits"], aligns[0]["words"])
    evidence = interval_evidence("peak_on_object_share", share)
    evidence["n_words"] = sum(sum(a["words"]) for a in aligns)
    evidence.update(counts(results, cfg, sum(1 for w in aligns[0]["words"] if w > 0)))
    evidence["chance"] = 1 / 9
    context = {"method": method(cfg, "a ratio interval clustered by scene (n_items scenes)")}
    if evidence["n_words"] == 0:
        return Outcome.undecided("no correctly named object to look at", evidence, **context)
    return Outcome(share[1] >= t.min_share, evidence, context)


def bleu_blind_spot(results, t, cfg) -> Outcome:
    swap = results["bleu_swap"][str(int(t.objects))]
    evidence = {
        "swapped_over_perfect_min": min(swap["ratios"]),
        "swapped_over_perfect_mean": sum(swap["ratios"]) / len(swap["ratios"]),
        "swapped_differs": float(all(swap["differs"])),
        "n_items": len(swap["ratios"]),
    }
    for name in CAPTIONERS:  # reported, not judged: generated captions that BLEU rates well yet are wrong
        bleu = [
            b
            for seed in results["captioners"]
            for k in seed[name]["by_k"]
            for b in seed[name]["by_k"][k]["bleu"]
        ]
        exact = [
            e
            for seed in results["captioners"]
            for k in seed[name]["by_k"]
            for e in seed[name]["by_k"][k]["exact"]
        ]
        high = [e for b, e in zip(bleu, exact) if b >= t.report_bleu]
        evidence[f"wrong_among_bleu_high_{name}"] = (len(high) - sum(high)) / len(high) if high else 0.0
    passed = evidence["swapped_over_perfect_min"] >= t.min_ratio and all(swap["differs"])
    return Outcome(passed, evidence)


JUDGES = {
    "five-shapes": five_shapes,
    "five-shapes-check": five_shapes_check,
    "bottleneck": bottleneck,
    "looks-where-it-says": looks_where_it_says,
    "bleu-blind-spot": bleu_blind_spot,
}
