"""The bert note's judges: one per claim, from the measured accuracies, the thresholds and the config."""

from __future__ import annotations

from ...findings import Outcome


def denoises(results, t, cfg) -> Outcome:
    trivial, accuracy = results["trivial_accuracy"], results["hidden_accuracy"]["bert"]
    return Outcome(
        accuracy >= max(t.min_ratio * trivial, trivial + t.min_gain),
        {
            "hidden_accuracy": accuracy,
            "most_frequent_accuracy": trivial,
            "windows": cfg.eval.windows,
            "masking_rate": cfg.masking.rate,
        },
        {"windows": cfg.eval.windows, "rate": f"{cfg.masking.rate:.0%}"},
    )


def both_sides(results, t, cfg) -> Outcome:
    b = results["both_sides"]
    gap = b["bert_both_sides"] - b["gpt_left_only"]  # BERT's lead over the GPT
    drop = b["bert_both_sides"] - b["bert_left_only"]  # what hiding the right side costs BERT
    z_gpt = b["z_bert_both_sides_vs_gpt_left_only"]
    z_left = b["z_bert_both_sides_vs_bert_left_only"]
    return Outcome(
        z_gpt >= t.min_z and z_left >= t.min_z and drop >= t.min_drop_share * gap,
        {
            "bert_both_sides": b["bert_both_sides"],
            "bert_left_only": b["bert_left_only"],
            "gpt_left_only": b["gpt_left_only"],
            "both_minus_gpt": gap,
            "both_minus_left": drop,
            "z_both_vs_gpt": z_gpt,
            "z_both_vs_left": z_left,
            "windows": cfg.eval.windows,
        },
        {"block_size": cfg.model.block_size},
    )


def mask_rate(results, t, cfg) -> Outcome:
    """The standard rate against the higher one, measured against what the task adds over trivial."""
    accuracy = results["hidden_accuracy"]
    standard, other = accuracy["bert"], accuracy[cfg.higher_rate_model()]
    diff = standard - other  # > 0: the standard rate was better
    task = min(standard, other) - results["trivial_accuracy"]
    return Outcome(
        abs(diff) <= t.max_share_of_task * task,
        {
            "hidden_accuracy_standard": standard,
            "hidden_accuracy_higher": other,
            "difference": diff,
            "task_gain_over_trivial": task,
            "higher_rate": cfg.masking.compare_rate,
        },
    )


JUDGES = {"denoises": denoises, "both-sides": both_sides, "mask-rate": mask_rate}
