"""The bert note's judges: one per claim, from the measured accuracies, the thresholds and the config.

Readers compared on the same held-out items arrive as 2x2 tables (both right, only the first, only the
second, neither); :func:`paired` turns one into the paired difference of accuracies with its 95%
interval and McNemar's test (``stats.paired_proportions``).
"""

from __future__ import annotations

from ...findings import Outcome
from ...stats import PairedProportions, on_side, paired_proportions, wilson_interval


def paired(table: dict[str, int]) -> PairedProportions:
    """The first reader's accuracy minus the second's, from their 2x2 table on the same items."""
    first = [True] * (table["both"] + table["only_a"]) + [False] * (table["only_b"] + table["neither"])
    second = [True] * table["both"] + [False] * table["only_a"] + [True] * table["only_b"]
    second += [False] * table["neither"]
    return paired_proportions(first, second)


def denoises(results, t, cfg) -> Outcome:
    """BERT against always the most frequent character, on the same hidden positions."""
    trivial = results["trivial_accuracy"]
    table = results["hidden_right"]["bert_vs_most_frequent"]
    lead = paired(table)
    n = lead.difference.n
    bound = max(t.min_gain, (t.min_ratio - 1) * trivial)  # accuracy >= max(ratio x, + gain over) trivial
    evidence = {
        **wilson_interval(table["both"] + table["only_a"], n).evidence("hidden_accuracy", "n_items"),
        "most_frequent_accuracy": trivial,
        **lead.difference.evidence("bert_minus_most_frequent", "n_items"),
        "required_lead": bound,
        "mcnemar_p": lead.mcnemar_p,
        "windows": cfg.eval.windows,
        "masking_rate": cfg.masking.rate,
    }
    context = {
        "windows": cfg.eval.windows,
        "rate": f"{cfg.masking.rate:.0%}",
        "items": n,
        "method": lead.difference.method,
    }
    return Outcome(on_side(lead.difference, bound, "at_least"), evidence, context)


# (evidence name, 2x2 table): BERT against each left-only reader; the last pair is described only
BOTH_SIDES_PAIRS = (
    ("both_minus_left_only", "bert_both_sides_vs_bert_left_only"),
    ("both_minus_gpt_equal_steps", "bert_both_sides_vs_gpt_equal_steps"),
    ("both_minus_gpt_equal_tokens", "bert_both_sides_vs_gpt_equal_tokens"),
)


def both_sides(results, t, cfg) -> Outcome:
    """BERT against the left-only masked model and against the GPT at both budgets, paired by window."""
    b = results["both_sides"]
    readers = ("bert_both_sides", "bert_left_only", "gpt_equal_steps", "gpt_equal_tokens")
    tokens_per_step = cfg.train.batch_size * cfg.model.block_size
    plans = cfg.trained_models()
    evidence = {name: b[name] for name in readers}
    evidence.update(  # what each model predicted in training: the budgets the comparison spans
        bert_predicted_tokens=cfg.masking.rate * tokens_per_step * plans["bert"]["steps"],
        gpt_equal_steps_predicted_tokens=tokens_per_step * plans["gpt"]["steps"],
        gpt_equal_tokens_predicted_tokens=tokens_per_step * plans["gpt-tokens"]["steps"],
    )
    holds, method = True, ""
    for name, key in BOTH_SIDES_PAIRS:
        lead = paired(b["tables"][key])
        evidence.update(lead.difference.evidence(name, "n_items"))
        evidence[f"{name}_mcnemar_p"] = lead.mcnemar_p
        holds = holds and on_side(lead.difference, t.min_lead, "at_least")
        method = lead.difference.method
    left_vs_gpt = paired(b["tables"]["bert_left_only_vs_gpt_equal_steps"])
    evidence.update(left_vs_gpt.difference.evidence("left_only_minus_gpt_equal_steps", "n_items"))
    context = {
        "block_size": cfg.model.block_size,
        "windows": cfg.eval.windows,
        "method": method,
        "steps": plans["gpt"]["steps"],
        "token_steps": plans["gpt-tokens"]["steps"],
        "rate": f"{cfg.masking.rate:.0%}",
    }
    return Outcome(holds, evidence, context)


def mask_rate(results, t, cfg) -> Outcome:
    """The standard rate against the higher one on the same hidden positions, measured against what the
    task adds over the trivial predictor: the paired interval must lie inside +-share x that gain."""
    accuracy = results["hidden_accuracy"]
    standard, other = accuracy["bert"], accuracy[cfg.higher_rate_model()]
    diff = paired(results["hidden_right"]["standard_vs_higher"])  # > 0: the standard rate was better
    task = min(standard, other) - results["trivial_accuracy"]
    bound = t.max_share_of_task * task
    evidence = {
        "hidden_accuracy_standard": standard,
        "hidden_accuracy_higher": other,
        **diff.difference.evidence("difference", "n_items"),
        "task_gain_over_trivial": task,
        "allowed_difference": bound,
        "higher_rate": cfg.masking.compare_rate,
    }
    inside = on_side(diff.difference, -bound, "at_least") and on_side(diff.difference, bound, "at_most")
    return Outcome(inside, evidence, {"method": diff.difference.method})


JUDGES = {"denoises": denoises, "both-sides": both_sides, "mask-rate": mask_rate}
