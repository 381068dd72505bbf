"""The seq2seq-attention verdicts, read from the length curves and translation scores of ``measure``."""

from __future__ import annotations

import numpy as np

from ...findings import Outcome


def knee(lengths: list[int], exact: list[float], level: float) -> float:
    """The length where exact accuracy first falls below ``level`` (linear interpolation between the
    measured lengths); the last length if it never does, the first if it starts below."""
    if exact[0] < level:
        return float(lengths[0])
    for (l0, e0), (l1, e1) in zip(zip(lengths, exact), zip(lengths[1:], exact[1:])):
        if e1 < level <= e0:
            return float(l0 + (l1 - l0) * (e0 - level) / (e0 - e1))
    return float(lengths[-1])


def bottleneck(results, t, cfg) -> Outcome:
    fixed = results["fixed"]
    narrow, wide = fixed[0], fixed[-1]
    knees = [knee(r["lengths"], r["exact"], t.knee_level) for r in fixed]
    evidence = {
        "exact_first_narrow": narrow["exact"][0],
        "exact_last_narrow": narrow["exact"][-1],
        "exact_last_widest": wide["exact"][-1],
        "knee_narrow": knees[0],
        "knee_widest": knees[-1],
        "width_narrow": narrow["hidden"],
        "width_widest": wide["hidden"],
        "max_len": cfg.max_len,
    }
    passed = (
        narrow["exact"][0] >= t.min_exact_shortest
        and narrow["exact"][-1] <= t.max_exact_longest_narrowest
        and knees[-1] > knees[0]
        and wide["exact"][-1] <= t.max_exact_longest_widest
    )
    return Outcome(passed, evidence)


def attention_holds(results, t, cfg) -> Outcome:
    attn = results["attention"]
    widest_params = max(r["params"] for r in results["fixed"])
    evidence = {
        "min_token_accuracy": min(attn["token"]),
        "token_at_max_len": attn["token"][-1],
        "exact_at_max_len": attn["exact"][-1],
        "params_attention": attn["params"],
        "params_widest_fixed": widest_params,
        "max_len": cfg.max_len,
    }
    passed = min(attn["token"]) >= t.min_token_accuracy and attn["params"] < widest_params
    return Outcome(passed, evidence, {"max_len": cfg.max_len})


def alignment(results, t, cfg) -> Outcome:
    runs = (("copy", results["attention"]), ("reverse", results["reverse"]))
    # weighted by the tokens measured at each length, so the fraction is over all target tokens
    aligned = {name: float(np.average(r["aligned"], weights=r["n_aligned"])) for name, r in runs}
    evidence = {f"{name}_aligned_fraction": value for name, value in aligned.items()}
    for name, r in runs:
        if r.get("near"):  # a neighbour's encoder state also knows the token: how far off the misses are
            evidence[f"{name}_within_one_position"] = float(np.average(r["near"], weights=r["n_aligned"]))
    return Outcome(min(aligned.values()) >= t.min_aligned_fraction, evidence)


def translation(results, t, cfg) -> Outcome:
    attn, fixed = results["dates"]["attention"], results["dates"]["fixed"]
    evidence = {
        "chrf_attention": attn["chrf"],
        "chrf_fixed": fixed["chrf"],
        "bleu_attention": attn["bleu"],
        "bleu_fixed": fixed["bleu"],
        "chrf_attention_beam": attn["chrf_beam"],
        "fraction_lengths_differ": attn["lengths_differ"],
        "src_len_mean": attn["src_len_mean"],
        "tgt_len_mean": attn["tgt_len_mean"],
    }
    passed = attn["chrf"] >= t.min_chrf and attn["lengths_differ"] > t.min_fraction_lengths_differ
    return Outcome(passed, evidence)


JUDGES = {
    "bottleneck": bottleneck,
    "attention-holds": attention_holds,
    "alignment": alignment,
    "translation": translation,
}
