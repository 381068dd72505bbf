"""The seq2seq-attention verdicts, read from the length curves and translation scores of ``measure``."""

from __future__ import annotations

from statistics import fmean as _fmean

from ...findings import Outcome
from ...stats import Interval, on_side, paired_t_interval, t_interval


def mean(values) -> float:
    """The mean (nan when a value is nan, so that the claim is undecided rather than wrong)."""
    return _fmean(list(values))


def knee(lengths: list[int], exact: list[float], level: float) -> float:
    """The length where exact accuracy first falls below ``level`` (linear interpolation between the
    measured lengths); the last length if it never does, the first if it starts below."""
    if exact[0] < level:
        return float(lengths[0])
    for (l0, e0), (l1, e1) in zip(zip(lengths, exact), zip(lengths[1:], exact[1:])):
        if e1 < level <= e0:
            return float(l0 + (l1 - l0) * (e0 - level) / (e0 - e1))
    return float(lengths[-1])


def offset_share(run: dict, offset: int) -> float:
    """The share of target tokens whose attention argmax lies ``offset`` positions from the aligned
    source position, over the tokens for which that position exists (aligned + offset inside the source:
    a shift of one leaves one boundary token per sequence without a neighbour)."""
    hits = sum(count for histogram in run["offsets"] for o, count in histogram if o == offset)
    tokens = sum(n * (length - abs(offset)) for n, length in zip(run["n_sequences"], run["lengths"]))
    return hits / tokens if tokens > 0 else float("nan")


def offset_counts(run: dict) -> dict[int, int]:
    """The signed-offset histogram pooled over the evaluated lengths."""
    pooled: dict[int, int] = {}
    for histogram in run["offsets"]:
        for offset, count in histogram:
            pooled[int(offset)] = pooled.get(int(offset), 0) + int(count)
    return pooled


def modal_offset(run: dict) -> int:
    """The most frequent signed offset (ties: the one nearest 0, then the negative one)."""
    counts = offset_counts(run)
    return max(counts, key=lambda o: (counts[o], -abs(o), -o)) if counts else 0


def _signed(offset: int) -> str:
    return f"{offset:+d}" if offset else "0"


def bottleneck(results, t, cfg) -> Outcome:
    narrow, wide = results["fixed"][0], results["fixed"][-1]
    first = t_interval([r["exact"][0] for r in narrow])
    last_narrow = t_interval([r["exact"][-1] for r in narrow])
    last_wide = t_interval([r["exact"][-1] for r in wide])
    knees_narrow = [knee(r["lengths"], r["exact"], t.knee_level) for r in narrow]
    knees_wide = [knee(r["lengths"], r["exact"], t.knee_level) for r in wide]
    knee_gain = paired_t_interval(knees_wide, knees_narrow)  # seed k of each width saw the same data
    evidence = {
        **first.evidence("exact_first_narrow"),
        **last_narrow.evidence("exact_last_narrow"),
        **last_wide.evidence("exact_last_widest"),
        **knee_gain.evidence("knee_widest_minus_narrowest"),
        "knee_narrow": mean(knees_narrow),
        "knee_widest": mean(knees_wide),
        "width_narrow": narrow[0]["hidden"],
        "width_widest": wide[0]["hidden"],
        "max_len": cfg.max_len,
    }
    passed = (
        on_side(first, t.min_exact_shortest, "at_least")
        and on_side(last_narrow, t.max_exact_longest_narrowest, "at_most")
        and on_side(knee_gain, 0.0, "above")
        and on_side(last_wide, t.max_exact_longest_widest, "at_most")
    )
    return Outcome(passed, evidence, {"method": first.method, "seeds": first.n})


def attention_holds(results, t, cfg) -> Outcome:
    runs = results["attention"]
    floor = t_interval([min(r["token"]) for r in runs])
    widest_params = max(seeds[0]["params"] for seeds in results["fixed"])
    evidence = {
        **floor.evidence("min_token_accuracy"),
        "token_at_max_len": mean(r["token"][-1] for r in runs),
        "exact_at_max_len": mean(r["exact"][-1] for r in runs),
        "params_attention": runs[0]["params"],
        "params_widest_fixed": widest_params,
        "max_len": cfg.max_len,
    }
    other = results["other_score"]["copy"]
    if other:  # the other attention score, described
        evidence[f"{other[0]['score']}_min_token_accuracy"] = mean(min(r["token"]) for r in other)
        evidence[f"{other[0]['score']}_seeds"] = len(other)
    passed = on_side(floor, t.min_token_accuracy, "at_least") and runs[0]["params"] < widest_params
    context = {"max_len": cfg.max_len, "method": floor.method, "seeds": floor.n, "score": runs[0]["score"]}
    return Outcome(passed, evidence, context)


def _rigid_diagonal(runs: list[dict], task: str, max_offset: int) -> tuple[Interval, list[int], dict]:
    """Each seed's modal offset and its share of tokens; the shares' t interval; the pooled histogram."""
    offsets = [modal_offset(r) for r in runs]
    share = t_interval([offset_share(r, m) for r, m in zip(runs, offsets)])
    evidence = share.evidence(f"{task}_share_at_modal_offset")
    for k, m in enumerate(offsets):
        evidence[f"{task}_modal_offset_seed{k}"] = m
    pooled: dict[int, int] = {}
    for r in runs:
        for o, c in offset_counts(r).items():
            pooled[o] = pooled.get(o, 0) + c
    total = sum(pooled.values())
    for o in range(-max_offset, max_offset + 1):
        name = {-1: "minus1", 0: "0", 1: "plus1"}.get(o, f"{o:+d}")
        evidence[f"{task}_offset_{name}_fraction"] = pooled.get(o, 0) / total if total else float("nan")
    return share, offsets, evidence


def alignment(results, t, cfg) -> Outcome:
    evidence: dict[str, float] = {}
    passed, context = True, {}
    for task in ("copy", "reverse"):
        runs = results["attention"] if task == "copy" else results["reverse"]
        share, offsets, found = _rigid_diagonal(runs, task, int(t.max_abs_offset))
        evidence.update(found)
        passed = passed and all(abs(m) <= t.max_abs_offset for m in offsets)
        passed = passed and on_side(share, t.min_share, "at_least")
        context[f"{task}_offsets"] = ", ".join(_signed(m) for m in offsets)
        context.update(method=share.method, seeds=share.n, score=runs[0]["score"])
        other = results["other_score"][task]
        if other:  # the other attention score, described
            m = modal_offset(other[0])
            evidence[f"{other[0]['score']}_{task}_modal_offset_seed0"] = m
            evidence[f"{other[0]['score']}_{task}_share_at_modal_offset_seed0"] = offset_share(other[0], m)
    return Outcome(passed, evidence, context)


def alignment_exact(results, t, cfg) -> Outcome:
    runs = results["control"]
    exact = t_interval([offset_share(r, 0) for r in runs])
    evidence = {
        **exact.evidence("control_exact_share"),
        "control_min_token_accuracy": mean(min(r["token"]) for r in runs),
        "recurrent_copy_exact_share": mean(offset_share(r, 0) for r in results["attention"]),
    }
    for k, r in enumerate(runs):
        evidence[f"control_modal_offset_seed{k}"] = modal_offset(r)
    context = {"method": exact.method, "seeds": exact.n, "score": runs[0]["score"]}
    return Outcome(on_side(exact, t.min_share, "at_least"), evidence, context)


def translation(results, t, cfg) -> Outcome:
    attn, fixed = results["dates"]["attention"], results["dates"]["fixed"]
    chrf = t_interval([r["chrf"] for r in attn])
    evidence = {
        **chrf.evidence("chrf_attention"),
        "chrf_fixed": mean(r["chrf"] for r in fixed),
        "bleu_attention": mean(r["bleu"] for r in attn),
        "bleu_fixed": mean(r["bleu"] for r in fixed),
        "chrf_attention_beam": mean(r["chrf_beam"] for r in attn),
        "fraction_lengths_differ": attn[0]["lengths_differ"],
        "src_len_mean": attn[0]["src_len_mean"],
        "tgt_len_mean": attn[0]["tgt_len_mean"],
    }
    passed = (
        on_side(chrf, t.min_chrf, "at_least") and attn[0]["lengths_differ"] > t.min_fraction_lengths_differ
    )
    return Outcome(passed, evidence, {"method": chrf.method, "seeds": chrf.n})


JUDGES = {
    "bottleneck": bottleneck,
    "attention-holds": attention_holds,
    "alignment": alignment,
    "alignment-exact": alignment_exact,
    "translation": translation,
}
