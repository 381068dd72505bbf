"""Judges: one per claim, from the measured results (no training, no torch)."""

from __future__ import annotations

from typing import Any

from ...findings import Outcome
from ...stats import (
    corrected_resampled_t,
    fisher_z_difference,
    on_side,
    paired_proportions,
    paired_t_interval,
    wilson_interval,
)

ORDER = ("tweets", "amazon", "nyt", "movies")  # the claimed order of VADER's agreement with people


def _missing(results: dict[str, Any]) -> Outcome | None:
    if "data_missing" in results:
        return Outcome.undecided(results["data_missing"])
    return None


def vader_reproduced(results, t, cfg) -> Outcome:
    if (missing := _missing(results)) is not None:
        return missing
    sources = results["vader"]["sources"]
    evidence: dict[str, float] = {}
    gaps = []
    for source in ("tweets", "movies", "amazon", "nyt"):
        r = sources[source]["r"]
        gap = abs(r - t[f"paper_{source}"])
        evidence[f"r_{source}"] = r
        gaps.append(gap)
    evidence["max_gap"] = max(gaps)
    evidence["n_items"] = sum(s["n"] for s in sources.values())
    return Outcome(max(gaps) <= t.band, evidence)


def vader_ordering(results, t, cfg) -> Outcome:
    if (missing := _missing(results)) is not None:
        return missing
    sources = results["vader"]["sources"]
    evidence: dict[str, float] = {}
    passed = True
    for upper, lower in zip(ORDER, ORDER[1:]):
        a, b = sources[upper], sources[lower]
        diff = fisher_z_difference(a["r"], a["n"], b["r"], b["n"])
        evidence.update(diff.evidence(f"z_{upper}_minus_{lower}", "n_items"))
        passed = passed and on_side(diff, t.min_gap, "above")
    evidence["n_items"] = min(s["n"] for s in sources.values())
    return Outcome(passed, evidence)


def fold_differences(folds: list[dict], first: str, second: str) -> list[float]:
    return [f["accuracy"][first] - f["accuracy"][second] for f in folds]


def _cv(folds: list[dict], differences: list[float]):
    """The corrected resampled t interval of per-fold differences, from the folds' own sizes."""
    test_fraction = sum(f["n_test"] / (f["n_test"] + f["n_train"]) for f in folds) / len(folds)
    return corrected_resampled_t(differences, test_fraction)


def learned_in_domain(results, t, cfg) -> Outcome:
    if (missing := _missing(results)) is not None:
        return missing
    folds = results["in_domain"]["movies"]["sklearn"]["folds"]
    gain = _cv(folds, fold_differences(folds, "tfidf", "vader"))
    hand_gain = _cv(folds, fold_differences(folds, "hand", "vader"))
    hand_gap = _cv(folds, fold_differences(folds, "tfidf", "hand"))
    evidence = {
        **gain.evidence("tfidf_minus_vader", "n_folds"),
        **hand_gain.evidence("hand_minus_vader", "n_folds"),
        **hand_gap.evidence("tfidf_minus_hand", "n_folds"),
    }
    for system in ("vader", "hand-lr", "hand-hgb", "hand", "tfidf"):
        evidence[f"accuracy_{system.replace('-', '_')}"] = sum(f["accuracy"][system] for f in folds) / len(
            folds
        )
    passed = (
        on_side(gain, t.min_gain, "at_least")
        and on_side(hand_gain, t.between, "above")
        and on_side(hand_gap, t.between, "above")
    )
    return Outcome(passed, evidence, {"folds": len(folds), "df": len(folds) - 1})


def hand_built_travels(results, t, cfg) -> Outcome:
    if (missing := _missing(results)) is not None:
        return missing
    tweets = results["transfer"]["tweets-non-neutral"]["correct"]
    paired = paired_proportions([bool(x) for x in tweets["vader"]], [bool(x) for x in tweets["tfidf"]])
    evidence = paired.difference.evidence("vader_minus_tfidf", "n_items")
    for system in ("vader", "tfidf", "hand"):
        right = tweets[system]
        evidence.update(wilson_interval(sum(right), len(right)).evidence(f"{system}_accuracy", "n_items"))
    folds = results["in_domain"]["movies"]["sklearn"]["folds"]
    for system in ("tfidf", "hand"):
        in_domain = sum(f["accuracy"][system] for f in folds) / len(folds)
        evidence[f"{system}_drop"] = in_domain - evidence[f"{system}_accuracy"]
    evidence["mcnemar_p"] = paired.mcnemar_p
    passed = on_side(paired.difference, t.min_gap, "at_least")
    return Outcome(passed, evidence, {"n": len(tweets["vader"])})


def architecture_is_not_enough(results, t, cfg) -> Outcome:
    if (missing := _missing(results)) is not None:
        return missing
    movies = results["in_domain"]["movies"]
    folds = movies["sklearn"]["folds"]
    cnn = [f["accuracy"] for f in movies["cnn"]]
    diff = _cv(folds, [c - f["accuracy"]["tfidf"] for c, f in zip(cnn, folds, strict=True)])
    evidence = {
        **diff.evidence("cnn_minus_tfidf", "n_folds"),
        "accuracy_cnn": sum(cnn) / len(cnn),
        "best_epoch_mean": sum(f["best_epoch"] for f in movies["cnn"]) / len(cnn),
        "epochs_cap": cfg.cnn_epochs,  # a best epoch at the cap: the CNN was still improving when stopped
        "folds_best_at_cap": sum(1 for f in movies["cnn"] if f["best_epoch"] >= cfg.cnn_epochs),
    }
    passed = on_side(diff, -t.band, "at_least") and on_side(diff, t.band, "at_most")
    return Outcome(passed, evidence, {"folds": len(folds), "df": len(folds) - 1})


def _paired(sweep: dict, count: str, first: str, second: str):
    runs = sweep["counts"][count]
    return paired_t_interval([r[first] for r in runs], [r[second] for r in runs])


def pretraining_pays(results, t, cfg) -> Outcome:
    if (missing := _missing(results)) is not None:
        return missing
    sweep = results.get("sweep")
    if not sweep or "minilm_missing" in sweep:
        return Outcome.undecided((sweep or {}).get("minilm_missing", "no label sweep was measured"))
    largest = max(sweep["counts"], key=lambda c: sweep["counts"][c][0]["n_labels"])
    gain300 = _paired(sweep, "300", "bert-pretrained", "bert-scratch")
    runs300, runs_big = sweep["counts"]["300"], sweep["counts"][largest]
    gaps = [
        (a["bert-pretrained"] - a["bert-scratch"]) - (b["bert-pretrained"] - b["bert-scratch"])
        for a, b in zip(runs300, runs_big, strict=True)
    ]
    shrink = paired_t_interval(gaps, [0.0] * len(gaps))
    evidence = {
        **gain300.evidence("pretrained_minus_scratch_300"),
        **shrink.evidence("gap_300_minus_largest"),
    }
    passed = gain300.estimate >= t.min_gain and on_side(gain300, t.floor, "above")
    passed = passed and on_side(shrink, t.floor, "above")
    for count in ("100", "300", "1000"):
        for other in ("bert-scratch", "cnn", "tfidf"):
            diff = _paired(sweep, count, "minilm", other)
            name = f"minilm_minus_{other.replace('-', '_')}_{count}"
            evidence.update({k: v for k, v in diff.evidence(name).items() if k != "n_seeds"})
            passed = passed and on_side(diff, t.floor, "above")
    evidence["largest_labels"] = sweep["counts"][largest][0]["n_labels"]
    return Outcome(passed, evidence)


JUDGES = {
    "vader-reproduced": vader_reproduced,
    "vader-ordering": vader_ordering,
    "learned-in-domain": learned_in_domain,
    "hand-built-travels": hand_built_travels,
    "architecture-is-not-enough": architecture_is_not_enough,
    "pretraining-pays": pretraining_pays,
}
