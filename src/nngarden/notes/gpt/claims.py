"""The gpt note's judges: one per claim, from the measured results, the claim's thresholds and the config."""

from __future__ import annotations

import math

from ...findings import Outcome
from ...stats import Interval, interval_evidence, on_side
from .config import REFERENCE_VAL_LOSS, baby_recipe_differences


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
    """The initial loss against ln V and the final validation loss against nanoGPT's at that step.

    Undecided when the run leaves the baby recipe (nanoGPT's curve is for that recipe and corpus) or
    stops at a step where the curve has no point.
    """
    evals = {r["step"]: r["val_loss"] for r in results["evals"]}
    final_step, ln_v = results["final_step"], math.log(results["vocab_size"])
    initial, final = evals.get(0), evals.get(final_step)
    evidence = {
        "initial_val_loss": initial,
        "ln_vocab_size": ln_v,
        "final_step": final_step,
        "final_val_loss": final,
    }
    for step in REFERENCE_VAL_LOSS:
        if step in evals and step <= final_step:
            evidence[f"val_loss_step_{step}"] = evals[step]
    reference = REFERENCE_VAL_LOSS.get(final_step)
    context = {
        "final_step": final_step,
        "eval_batches": cfg.train.eval_batches,
        "reference": f"{reference:.3f}" if reference is not None else "(no point at this step)",
    }
    differences = baby_recipe_differences(cfg)
    if differences:
        reason = (
            "the reference curve is nanoGPT's baby recipe on the default corpus; this run differs in "
            + ", ".join(differences)
        )
        return Outcome.undecided(reason, evidence, **context)
    if reference is None:
        reason = (
            f"the run stopped at step {final_step}, where nanoGPT's curve has no point "
            f"(it has {sorted(REFERENCE_VAL_LOSS)})"
        )
        return Outcome.undecided(reason, evidence, **context)
    evidence.update(
        reference_val_loss=reference,
        reference_minus_val_loss=(reference - final) if final is not None else None,
    )
    passed = (
        initial is not None
        and final is not None
        and abs(initial - ln_v) <= t.max_initial_gap
        and final <= reference + t.tolerance
    )
    return Outcome(passed, evidence, context)


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
    s = results["samples"]
    share_model, share_unigram = s["share_model"], s["share_unigram"]
    return Outcome(
        share_model >= t.min_word_share and share_model > share_unigram,
        {
            "word_share_model": share_model,
            "word_share_unigram": share_unigram,
            "words_model": s["words_model"],
            "words_unigram": s["words_unigram"],
            "temperature": cfg.sample.temperature,
        },
        {"tokens": cfg.sample.tokens, "temperature": cfg.sample.temperature},
    )


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
