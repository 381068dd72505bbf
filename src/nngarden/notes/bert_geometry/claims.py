"""The bert-geometry note's judges: each claim's verdict from the measured results and its thresholds.

Findings are paired over test items: every sentence's score (gold edges recovered, root found) is
averaged over the probe-training seeds first, then the interval is taken over sentences (see
``intervals``). Layers are chosen on the development split, never on test.
"""

from __future__ import annotations

import numpy as np

from nngarden.findings import Outcome, Thresholds

from .config import BertGeometryConfig
from .intervals import mean_interval, ratio_interval, stratified_interval, t_interval, wilson_interval

# --- helpers shared with the experiment and the figures ------------------------------------------


def seed_mean(runs: list[dict], key: str = "test_hits") -> np.ndarray:
    """Per sentence, the mean over runs (seeds) of a per-sentence score."""
    return np.nanmean(np.array([run[key] for run in runs], dtype=float), axis=0)


def seed_mean_uuas(runs: list[dict], lengths: list[int], key: str = "test_hits") -> float:
    return float(seed_mean(runs, key).sum() / sum(n - 1 for n in lengths))


def dev_uuas_by_layer(by_layer: dict, dev_lengths: list[int]) -> list[float]:
    return [seed_mean_uuas(by_layer[str(layer)], dev_lengths, "dev_hits") for layer in range(len(by_layer))]


def best_layer(by_layer: dict, dev_lengths: list[int]) -> int:
    """The layer whose probe recovers most development edges (mean over seeds; the lowest on a tie)."""
    scores = dev_uuas_by_layer(by_layer, dev_lengths)
    return int(np.argmax(scores))


def interval(name: str, estimate: tuple[float, float, float]) -> dict:
    """Evidence ``name``, ``name_low``, ``name_high`` from (estimate, low, high)."""
    return {name: estimate[0], f"{name}_low": estimate[1], f"{name}_high": estimate[2]}


def model_missing(results: dict) -> Outcome | None:
    """Undecided, with the command to run, when MiniLM is not in the data cache."""
    model = results.get("model", {})
    if model.get("available"):
        return None
    return Outcome.undecided(model.get("reason") or "the model was not measured")


class Probed:
    """The quantities every finding on the distance probe uses."""

    def __init__(self, results: dict, cfg: BertGeometryConfig):
        summary = results["sentences"]
        self.lengths = summary["test_lengths"]
        self.totals = [n - 1 for n in self.lengths]
        self.layers = len(results["minilm"])
        self.best = best_layer(results["minilm"], summary["dev_lengths"])
        self.hits = seed_mean(results["minilm"][str(self.best)])
        self.context = {
            "n_items": len(self.lengths),
            "n_seeds": cfg.probe_seeds,
            "rank": cfg.probe_rank,
            "layer": self.best,
            "last": self.layers - 1,
            "last_middle": self.layers - 2,
        }

    def hits_at(self, results: dict, layer: int) -> np.ndarray:
        return seed_mean(results["minilm"][str(layer)])


# --- judges --------------------------------------------------------------------------------------


def pythagorean(results: dict, t: Thresholds, cfg: BertGeometryConfig) -> Outcome:
    p = results["pythagorean"]
    evidence = {
        "max_error": p["max_error"],
        "star_smallest_eigenvalue": p["star_smallest_eigenvalue"],
        "star_sqrt_smallest_eigenvalue": p["star_sqrt_smallest_eigenvalue"],
        "probe_control_uuas": p["control_hits"] / p["control_edges"],
        "trees": cfg.trees,
    }
    passed = (
        evidence["max_error"] <= t.max_error
        and evidence["star_smallest_eigenvalue"] < -t.negative_tolerance
        and evidence["probe_control_uuas"] >= t.min_probe_uuas
    )
    context = {"trees": cfg.trees, "max_nodes": cfg.max_nodes, "control_trees": cfg.control_trees}
    return Outcome(passed, evidence, context)


def syntax_is_there(results: dict, t: Thresholds, cfg: BertGeometryConfig) -> Outcome:
    if (undecided := model_missing(results)) is not None:
        return undecided
    probed = Probed(results, cfg)
    totals, hits = probed.totals, probed.hits
    rho = seed_mean(results["minilm"][str(probed.best)], "test_spearman")
    evidence = {
        "layer": probed.best,
        **interval("uuas", ratio_interval(hits, totals)),
        **interval("gap_to_chain", ratio_interval(hits, totals, results["sentences"]["chain_hits"])),
        **interval("gap_to_layer0", ratio_interval(hits, totals, probed.hits_at(results, 0))),
        **interval("spearman", stratified_interval(rho, probed.lengths)),
        "chain_uuas": ratio_interval(results["sentences"]["chain_hits"], totals)[0],
        "layer0_uuas": ratio_interval(probed.hits_at(results, 0), totals)[0],
        "n_items": len(totals),
        "n_seeds": cfg.probe_seeds,
    }
    passed = (
        evidence["gap_to_chain_low"] >= t.min_gap
        and evidence["gap_to_layer0_low"] >= t.min_gap
        and evidence["spearman_low"] >= t.min_spearman
    )
    return Outcome(passed, evidence, probed.context)


def not_the_probe(results: dict, t: Thresholds, cfg: BertGeometryConfig) -> Outcome:
    if (undecided := model_missing(results)) is not None:
        return undecided
    probed = Probed(results, cfg)
    twin_layer = best_layer(results["twins"], results["sentences"]["dev_lengths"])
    twin_runs = results["twins"][str(twin_layer)]
    twin_hits = seed_mean(twin_runs)
    per_twin = [sum(run["test_hits"]) / sum(probed.totals) for run in twin_runs]
    evidence = {
        "layer": probed.best,
        "twin_layer": twin_layer,
        **interval("gap_to_twins", ratio_interval(probed.hits, probed.totals, twin_hits)),
        "uuas": ratio_interval(probed.hits, probed.totals)[0],
        **interval("twin_uuas", t_interval(per_twin)),
        **interval("selectivity", ratio_interval(probed.hits, probed.totals, seed_mean(results["control"]))),
        "control_task_uuas": ratio_interval(seed_mean(results["control"]), probed.totals)[0],
        "n_items": len(probed.totals),
        "n_seeds": len(twin_runs),
    }
    passed = evidence["gap_to_twins_low"] >= t.min_gap
    return Outcome(passed, evidence, {**probed.context, "n_twins": len(twin_runs), "twin_layer": twin_layer})


def middle_layers(results: dict, t: Thresholds, cfg: BertGeometryConfig) -> Outcome:
    if (undecided := model_missing(results)) is not None:
        return undecided
    probed = Probed(results, cfg)
    last = probed.layers - 1
    roots = seed_mean(results["depth"], "test_root_correct")
    evidence = {
        "layer": probed.best,
        **interval(
            "gap_to_last_layer", ratio_interval(probed.hits, probed.totals, probed.hits_at(results, last))
        ),
        **interval("root_accuracy", wilson_interval(float(roots.sum()), len(roots))),
        "last_layer_uuas": ratio_interval(probed.hits_at(results, last), probed.totals)[0],
        "n_items": len(probed.totals),
        "n_seeds": len(results["depth"]),
    }
    passed = (
        1 <= probed.best < last
        and evidence["gap_to_last_layer_low"] > t.min_gap_to_last
        and evidence["root_accuracy_low"] >= t.min_root_accuracy
    )
    return Outcome(passed, evidence, probed.context)


def senses(results: dict, t: Thresholds, cfg: BertGeometryConfig) -> Outcome:
    if (undecided := model_missing(results)) is not None:
        return undecided
    s = results["senses"]
    chosen, layer0 = s["layers"][s["layer"]], s["layers"][0]
    evidence = {
        "layer": s["layer"],
        **interval("accuracy", wilson_interval(sum(chosen["test_right"]), s["test_uses"])),
        **interval("layer0_accuracy", wilson_interval(sum(layer0["test_right"]), s["test_uses"])),
        **interval("silhouette", mean_interval(chosen["test_silhouette"])),
        "dev_accuracy": chosen["dev_right"] / s["dev_uses"],
        "n_items": s["test_uses"],
    }
    passed = (
        evidence["accuracy_low"] >= t.min_accuracy
        and evidence["layer0_accuracy_high"] < t.max_layer0_accuracy
        and evidence["silhouette_low"] >= t.min_silhouette
    )
    context = {"n_items": s["test_uses"], "layer": s["layer"], "width": s["width"], "dev_uses": s["dev_uses"]}
    return Outcome(passed, evidence, context)


def own_bert(results: dict, t: Thresholds, cfg: BertGeometryConfig) -> Outcome:
    own, summary = results["own_bert"], results["sentences"]
    totals = [n - 1 for n in summary["test_lengths"]]
    layer = best_layer(own["trained"], summary["dev_lengths"])
    twin_layer = best_layer(own["twin"], summary["dev_lengths"])
    hits, twin_hits = seed_mean(own["trained"][str(layer)]), seed_mean(own["twin"][str(twin_layer)])
    evidence = {
        "layer": layer,
        "twin_layer": twin_layer,
        **interval("gap_to_twin", ratio_interval(hits, totals, twin_hits)),
        **interval("uuas", ratio_interval(hits, totals)),
        "twin_uuas": ratio_interval(twin_hits, totals)[0],
        "masked_lm_loss": own["train"]["train_loss"],
        "n_items": len(totals),
        "n_seeds": len(own["trained"][str(layer)]),
    }
    passed = evidence["gap_to_twin_low"] >= t.min_gap
    context = {"n_items": len(totals), "n_seeds": cfg.probe_seeds, "rank": cfg.probe_rank, "layer": layer}
    return Outcome(passed, evidence, {**context, "twin_layer": twin_layer, "steps": cfg.own_bert_steps})


JUDGES = {
    "pythagorean": pythagorean,
    "syntax-is-there": syntax_is_there,
    "not-the-probe": not_the_probe,
    "middle-layers": middle_layers,
    "senses": senses,
    "own-bert": own_bert,
}
