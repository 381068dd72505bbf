"""The gpt note's judges: one per claim, from the measured results, the claim's thresholds and the config."""

from __future__ import annotations

import math

from ...findings import Outcome
from ...stats import Interval, interval_evidence, on_side, paired_t_interval, t_interval
from .config import MIN_WORD_LETTERS, NGRAM_ORDER, REFERENCE_VAL_LOSS, baby_recipe_differences


def causal(results, t, cfg) -> Outcome:
    c = results["causal"]
    max_before, min_self = c["max_change_up_to_t"], c["min_change_at_changed_position"]
    return Outcome(
        max_before <= t.max_leak and min_self > t.min_visible,
        {
            "max_change_up_to_t": max_before,
            "min_change_at_changed_position": min_self,
            "positions": c["positions"],
        },
        {"sequences": c["sequences"]},
    )


def learns(results, t, cfg) -> Outcome:
    """The step-0 loss against ln V, and nanoGPT's loss at each compared step against the seeds' interval.

    Undecided when the run leaves the baby recipe (nanoGPT's curve is for that recipe and corpus) or
    compares at a step where the curve has no point.
    """
    trained = results["trained"]
    ln_v = math.log(results["vocab_size"])
    initial = [next((r["val_loss"] for r in seed["evals"] if r["step"] == 0), math.nan) for seed in trained]
    initial_interval = t_interval([x - ln_v for x in initial])
    evidence = {"ln_vocab_size": ln_v, **initial_interval.evidence("initial_minus_ln_vocab")}
    steps = sorted({row["step"] for row in trained[0]["whole_split"]})
    context = {
        "seeds": len(trained),
        "eval_batches": cfg.train.eval_batches,
        "initial_method": initial_interval.method,
        "steps": ", ".join(map(str, steps)),
        "val_tokens": results["val_tokens"],
        "reference": ", ".join(
            f"{REFERENCE_VAL_LOSS[s]:.3f}" if s in REFERENCE_VAL_LOSS else "none" for s in steps
        ),
    }
    matches, gaps = [], []
    for step in steps:
        val = [next(r["val_loss"] for r in seed["whole_split"] if r["step"] == step) for seed in trained]
        interval = t_interval(val)
        context["method"] = interval.method
        evidence.update(interval.evidence(f"val_loss_step_{step}"))
        train = [
            next((r.get("train_eval_loss") for r in seed["evals"] if r["step"] == step), None)
            for seed in trained
        ]
        if all(x is not None for x in train):  # the engine's estimate (none from a whole-split evaluation)
            gap = t_interval([a - b for a, b in zip(train, val)])
            evidence.update(gap.evidence(f"train_minus_val_step_{step}"))
            gaps.append((step, gap.estimate))
        if step in REFERENCE_VAL_LOSS:
            reference = REFERENCE_VAL_LOSS[step]
            evidence[f"reference_step_{step}"] = reference
            matches.append(interval.low - t.widen <= reference <= interval.high + t.widen)
    flagged = [f"step {s} ({g:+.3f})" for s, g in gaps if abs(g) > t.flag_gap]
    context["gaps"] = ", ".join(f"{g:+.3f} at step {s}" for s, g in gaps) or "not measured"
    context["flagged"] = "; ".join(flagged) or "none"
    evidence["train_val_gaps_flagged"] = len(flagged)
    differences = baby_recipe_differences(cfg)
    if differences:
        reason = (
            "the reference curve is nanoGPT's baby recipe on the default corpus; this run differs in "
            + ", ".join(differences)
        )
        return Outcome.undecided(reason, evidence, **context)
    off_curve = [s for s in steps if s not in REFERENCE_VAL_LOSS]
    if off_curve:
        reason = (
            f"step {', '.join(map(str, off_curve))} is not a point of nanoGPT's curve "
            f"(it has {sorted(REFERENCE_VAL_LOSS)})"
        )
        return Outcome.undecided(reason, evidence, **context)
    starts_at_ln_v = on_side(initial_interval, -t.max_initial_gap, "at_least") and on_side(
        initial_interval, t.max_initial_gap, "at_most"
    )
    return Outcome(starts_at_ln_v and all(matches), evidence, context)


def shapes(results, t, cfg) -> Outcome:
    evidence, ok = {}, True
    for name, shape in results["shapes"]["counts"].items():
        rel = abs(shape["params"] - shape["published"]) / shape["published"]
        evidence.update(
            {
                f"{name}_params": shape["params"],
                f"{name}_published": shape["published"],
                f"{name}_relative_error": rel,
            }
        )
        ok = ok and rel <= t.max_relative_error
    return Outcome(ok, evidence, {"vocabulary": results["shapes"]["vocabulary"]})


def samples(results, t, cfg) -> Outcome:
    """The seeds' word shares: the model's against the threshold, and paired against the n-gram's."""
    s = results["samples"]
    per_seed = s["per_seed"]
    context = {
        "tokens": cfg.sample.tokens,
        "temperature": cfg.sample.temperature,
        "order": NGRAM_ORDER,
        "min_letters": MIN_WORD_LETTERS,
        "seeds": len(per_seed),
    }
    model = [row["share_model"] for row in per_seed]
    model_interval = t_interval(model)
    context["method"] = model_interval.method
    evidence = {
        **model_interval.evidence("word_share_model"),
        "words_model": sum(row["words_model"] for row in per_seed) / len(per_seed),
        "longest_copy_model_chars": max(len(row["copy_model"]) for row in per_seed),
    }
    if s.get("ngram_order") is None:
        reason = f"the vocabulary is too large for {NGRAM_ORDER}-gram keys, so there is no baseline"
        return Outcome.undecided(reason, evidence, **context)
    ngram = [row["share_ngram"] for row in per_seed]
    lead = paired_t_interval(model, ngram)
    evidence.update(t_interval(ngram).evidence("word_share_ngram"))
    evidence.update(lead.evidence("model_minus_ngram"))
    evidence.update(
        words_ngram=sum(row["words_ngram"] for row in per_seed) / len(per_seed),
        longest_copy_ngram_chars=max(len(row["copy_ngram"]) for row in per_seed),
        ngram_val_loss=s["ngram_val_loss"],
    )
    passed = on_side(model_interval, t.min_word_share, "at_least") and on_side(lead, t.min_lead, "above")
    return Outcome(passed, evidence, context)


def speedrun(results, t, cfg) -> Outcome:
    """The per-seed ratio of CPU seconds to the target, speedrun over baby, against the threshold.

    A speedrun seed that never reaches the target fails the claim (its ratio is unbounded)."""
    s = results["speedrun"]
    seeds = s["seeds"]
    evidence = {
        "target_val_loss": s["target"],
        "seeds_reaching_target": s["reached"],
        "baby_cpu_seconds": sum(r["baby_cpu_seconds"] for r in seeds) / len(seeds),
        "baby_steps": sum(r["baby_steps"] for r in seeds) / len(seeds),
    }
    context = {"n_seeds": len(seeds), "df": len(seeds) - 1}
    if "ratio" not in s:
        evidence["n_seeds"] = len(seeds)
        return Outcome(False, evidence, context)
    r = s["ratio"]
    interval = Interval(r["estimate"], r["low"], r["high"], r["n"], r["method"])
    evidence.update(
        speedrun_cpu_seconds=sum(x["speedrun_cpu_seconds"] for x in seeds) / len(seeds),
        speedrun_steps=sum(x["speedrun_steps"] for x in seeds) / len(seeds),
        **interval_evidence("cpu_ratio", interval),
    )
    return Outcome(on_side(interval, t.max_ratio, "at_most"), evidence, context)


JUDGES = {"causal": causal, "learns": learns, "shapes": shapes, "samples": samples, "speedrun": speedrun}
