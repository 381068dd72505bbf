"""The gpt note's figures: causal influence, the learning curves against nanoGPT's, and the samples."""

from __future__ import annotations

import math

import numpy as np

from ...plotting import figure
from ...stats import t_interval
from . import CLAIMS
from .config import MIN_WORD_LETTERS, NGRAM_ORDER, REFERENCE_VAL_LOSS


def draw(cfg, results, ctx) -> list[str]:
    figures: list[str] = []
    causal_influence(results, ctx, figures)
    learning_curve(cfg, results, ctx, figures)
    samples_text(cfg, results, ctx, figures)
    if results.get("speedrun"):
        speedrun_curves(results["speedrun"], ctx, figures)
    ablation_table(ctx, figures)
    return figures


def causal_influence(results, ctx, figures: list[str]) -> None:
    influence = np.asarray(results["causal"]["influence"])
    with figure(ctx, "causal_influence.png", figures) as (fig, ax):
        im = ax.imshow(np.log10(influence + 1e-12), origin="lower", cmap="magma", vmin=-12, aspect="auto")
        ax.set_xlabel("output position s (tokens)")
        ax.set_ylabel("changed input position t (tokens)")
        ax.set_title(
            "how far outputs move when one input changes\n(s < t, upper left: exactly 0)", fontsize=9
        )
        fig.colorbar(im, ax=ax, label="log10 |Δ logit|")


def learning_curve(cfg, results, ctx, figures: list[str]) -> None:
    """The first seed's batch losses, every seed's 20-batch estimates, the whole-split losses at the
    compared steps (mean and 95% t interval over seeds), nanoGPT's curve (on its corpus) and ln V."""
    widen = next(spec for spec in CLAIMS if spec.id == "learns").thresholds["widen"]
    ln_v = math.log(results["vocab_size"])
    trained = results["trained"]
    with figure(ctx, "learning_curve.png", figures, size=(6.4, 4.2)) as (fig, ax):
        batch = [(r["step"], r["train_loss"]) for r in ctx.metrics() if r.get("train_loss") is not None]
        if batch:
            ax.plot(
                *zip(*batch), color="0.85", lw=0.6, label=f"training batch loss (seed {trained[0]['seed']})"
            )
        for i, seed in enumerate(trained):
            evals = sorted(seed["evals"], key=lambda r: r["step"])
            steps = [r["step"] for r in evals]
            label = {} if i else {"label": f"validation loss, 20-batch estimates ({len(trained)} seeds)"}
            ax.plot(
                steps, [r["val_loss"] for r in evals], "-", color="tab:orange", lw=0.8, alpha=0.6, **label
            )
        steps = sorted({r["step"] for r in trained[0]["whole_split"]})
        means, halves = [], []
        for step in steps:
            interval = t_interval(
                [next(r["val_loss"] for r in seed["whole_split"] if r["step"] == step) for seed in trained]
            )
            means.append(interval.estimate)
            halves.append(interval.estimate - interval.low if math.isfinite(interval.low) else 0.0)
        ax.errorbar(
            steps,
            means,
            yerr=halves,
            fmt="s",
            ms=4,
            capsize=3,
            color="tab:red",
            label="validation loss, whole split (mean, 95% t interval)",
        )
        if cfg.data.path == "" and cfg.data.tokenizer == "char":
            ref_steps = sorted(REFERENCE_VAL_LOSS)
            ax.errorbar(
                ref_steps,
                [REFERENCE_VAL_LOSS[s] for s in ref_steps],
                yerr=widen,
                fmt="kx",
                capsize=3,
                label=f"nanoGPT validation loss (reference, +-{widen:g})",
            )
        ax.axhline(ln_v, color="k", ls=":", lw=0.8, label=f"ln V = {ln_v:.2f}")
        ax.set_xlabel("optimizer step")
        ax.set_ylabel("cross-entropy (nats per token)")
        ax.set_title(f"GPT {cfg.model.n_layer}x{cfg.model.n_embd}, {cfg.data.tokenizer} tokens")
        ax.legend(fontsize=7)


def samples_text(cfg, results, ctx, figures: list[str]) -> None:
    s = results["samples"]
    rule = "=" * 72
    parts = []
    for row in s["per_seed"]:
        parts.append(
            f"GPT, seed {row['seed']}, step {results['final_step']} (temperature {cfg.sample.temperature}): "
            f"{row['share_model']:.2f} of {row['words_model']} words of {MIN_WORD_LETTERS}+ letters occur in "
            f"the validation text; longest string copied from the training text ({len(row['copy_model'])} "
            f"characters): {row['copy_model']!r}\n{rule}\n" + row["model"].strip("\n") + "\n"
        )
        if "ngram" in row:
            parts.append(
                f"{NGRAM_ORDER}-gram Kneser-Ney model, seed {row['seed']} "
                f"(temperature {cfg.sample.temperature}): "
                f"{row['share_ngram']:.2f} of {row['words_ngram']} words; longest copy "
                f"({len(row['copy_ngram'])} characters): {row['copy_ngram']!r}\n{rule}\n"
                + row["ngram"].strip("\n")
                + "\n"
            )
    path, rel = ctx.figure("samples.txt")
    path.write_text("\n".join(parts), encoding="utf-8")
    figures.append(rel)


def speedrun_curves(speedrun, ctx, figures: list[str]) -> None:
    """Validation loss against training CPU seconds, every seed of both recipes, and the target."""
    colors = {"baby": "tab:blue", "speedrun": "tab:orange"}
    with figure(ctx, "speedrun_curves.png", figures, size=(6.4, 4.2)) as (fig, ax):
        for recipe, runs in speedrun["runs"].items():
            for i, run in enumerate(runs):
                points = [(cpu, loss) for step, loss, cpu in run["evals"] if step > 0]
                label = f"{recipe} recipe ({len(runs)} seeds)" if i == 0 else None
                ax.plot(*zip(*points), "o-", ms=3, color=colors.get(recipe, "k"), label=label)
        ax.axhline(speedrun["target"], color="k", ls=":", lw=0.8, label=f"target {speedrun['target']:.3f}")
        if "ratio" in speedrun:
            r = speedrun["ratio"]
            interval = f"{r['estimate']:.3f} [{r['low']:.3f}, {r['high']:.3f}]"
            ax.set_title(f"CPU time to the target, speedrun / baby: {interval}", fontsize=9)
        ax.set_xlabel("training CPU time (seconds, one thread)")
        ax.set_ylabel("validation loss (nats per character)")
        ax.set_ylim(top=min(2.6, ax.get_ylim()[1]))
        ax.legend(fontsize=7)


def ablation_table(ctx, figures: list[str]) -> None:
    """The ablation table that ``benchmarks/speedrun.py --ablate`` logged (shipped with the note)."""
    from importlib import resources

    source = resources.files(__package__).joinpath("speedrun_ablation.txt")
    if not source.is_file():
        return
    path, rel = ctx.figure("speedrun_ablation.txt")
    path.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    figures.append(rel)
