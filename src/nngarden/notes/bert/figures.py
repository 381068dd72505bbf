"""The bert note's figures: learning curves, accuracy against masking rate and against distance to the
nearest visible character, the four readers of the both-sides claim, and example fills."""

from __future__ import annotations

from pathlib import Path

from ...plotting import figure
from ...runs import read_metrics
from ...stats import wilson_interval
from .config import DISTANCE_RATE


def draw(cfg, results, ctx) -> list[str]:
    figures: list[str] = []
    models = cfg.trained_models()
    trivial = results["trivial_accuracy"]
    learning_curves(models, ctx, figures)
    with figure(ctx, "accuracy_vs_masking_rate.png", figures) as (fig, ax):
        for name, curve in results["rate_curve"].items():
            rates = sorted(curve, key=float)
            label = f"BERT trained at {models[name]['rate']:.0%}"
            ax.plot([100 * float(r) for r in rates], [curve[r] for r in rates], "o-", label=label)
        ax.axhline(trivial, color="k", ls=":", label="most frequent character")
        ax.set_xlabel("characters hidden at test time (%)")
        ax.set_ylabel("accuracy at hidden positions (fraction)")
        ax.set_ylim(0, 1)
        ax.legend(fontsize=7)
    with figure(ctx, "accuracy_vs_distance.png", figures) as (fig, ax):
        for name, by in results["by_distance"].items():
            ds = [d for d in sorted(by, key=int) if by[d][1] >= 20]  # distances seen at least 20 times
            label = f"BERT trained at {models[name]['rate']:.0%}"
            ax.plot([int(d) for d in ds], [by[d][0] for d in ds], "o-", label=label)
        ax.axhline(trivial, color="k", ls=":", label="most frequent character")
        ax.set_xlabel("distance to the nearest visible character (characters)")
        ax.set_title(f"{DISTANCE_RATE:.0%} of the characters hidden", fontsize=9)
        ax.set_ylabel("accuracy at hidden positions (fraction)")
        ax.set_ylim(0, 1)
        ax.legend(fontsize=7)
    both_sides_bars(results, ctx, figures)
    fills_text(results, ctx, figures)
    return figures


def learning_curves(models: dict[str, dict], ctx, figures: list[str]) -> None:
    """Validation loss of each model, from the metrics log the engine wrote in its folder."""
    with figure(ctx, "learning_curves.png", figures, size=(6.4, 4.2)) as (fig, ax):
        for name, plan in models.items():
            rows = [
                r
                for r in read_metrics(Path(ctx.run_dir) / name / "metrics.jsonl")
                if r.get("val_loss") is not None
            ]
            if plan["kind"] == "gpt":
                label = f"GPT, {plan['steps']} steps: next-character loss"
            else:
                side = "left only (causal mask)" if plan["causal"] else "both sides"
                label = f"masked model, {side}, {plan['rate']:.0%} masked: loss on chosen characters"
            ax.plot([r["step"] for r in rows], [r["val_loss"] for r in rows], "o-", ms=3, label=label)
        ax.set_xlabel("optimizer step")
        ax.set_ylabel("validation cross-entropy (nats per predicted character)")
        ax.set_title("Training (same shape and batches)")
        ax.legend(fontsize=7)


def both_sides_bars(results, ctx, figures: list[str]) -> None:
    """The four readers' accuracy at the hidden middle character, with Wilson 95% intervals."""
    b = results["both_sides"]
    n = sum(next(iter(b["tables"].values())).values())  # windows: every table counts each once
    names = ["bert_both_sides", "bert_left_only", "gpt_equal_steps", "gpt_equal_tokens"]
    intervals = [wilson_interval(round(b[name] * n), n) for name in names]
    with figure(ctx, "both_sides.png", figures) as (fig, ax):
        ax.bar(
            ["BERT\nboth sides", "masked model\nleft only", "GPT\nequal steps", "GPT\nequal tokens"],
            [b[name] for name in names],
            yerr=[[i.estimate - i.low for i in intervals], [i.high - i.estimate for i in intervals]],
            capsize=4,
            color=["tab:blue", "tab:cyan", "tab:orange", "tab:red"],
        )
        ax.axhline(results["trivial_accuracy"], color="k", ls=":", label="most frequent character")
        ax.set_ylabel("accuracy at the hidden middle character (fraction)")
        ax.set_title(f"{n} held-out windows, 95% Wilson intervals", fontsize=9)
        ax.set_ylim(0, 1)
        ax.legend(fontsize=7)


def fills_text(results, ctx, figures: list[str]) -> None:
    path, rel = ctx.figure("fills.txt")
    path.write_text(
        "Example fills: every fourth character of held-out text hidden (_), filled by BERT\n"
        + "=" * 72
        + "\n"
        + results["fills"],
        encoding="utf-8",
    )
    figures.append(rel)
