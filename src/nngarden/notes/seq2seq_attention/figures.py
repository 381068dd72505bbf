"""The seq2seq-attention figures: accuracy against length, attention heat maps, loss curves, translation."""

from __future__ import annotations

import numpy as np

from ...plotting import figure
from .claims import offset_counts
from .experiment import copy_curves


def _label(r: dict, seeds: int) -> str:
    if r["arch"] == "transformer":
        return f"transformer ({r['params'] / 1000:.0f}k params)"
    kind = "control (no recurrence)" if r.get("encoder") == "embedding" else r["arch"]
    score = f" {r['score']}" if r["arch"] == "attention" else ""
    return f"{kind}{score} {r['hidden']} ({r['params'] / 1000:.0f}k params, {seeds} seed(s))"


def _accuracy_vs_length(ctx, results, figures: list[str]) -> None:
    with figure(ctx, "accuracy_vs_length.png", figures, ncols=2) as (fig, axes):
        for i, seeds in enumerate(copy_curves(results)):
            r = seeds[0]
            style = "-o" if r["arch"] == "attention" else "--s" if r["arch"] == "fixed" else ":^"
            for ax, key in zip(axes, ("exact", "token")):
                curves = np.array([run[key] for run in seeds])
                ax.plot(
                    r["lengths"], curves.mean(axis=0), style, color=f"C{i}", label=_label(r, len(seeds)), ms=4
                )
                for curve in curves:  # each seed, thin
                    ax.plot(r["lengths"], curve, "-", color=f"C{i}", lw=0.6, alpha=0.5)
        for ax, key in zip(axes, ("exact-sequence accuracy (fraction)", "token accuracy (fraction)")):
            ax.set_xlabel("source length (symbols)")
            ax.set_ylabel(key)
            ax.set_ylim(-0.03, 1.03)
            ax.grid(alpha=0.3)
        axes[0].set_title("copy task, greedy decoding (mean over seeds; thin: each seed)")
        axes[1].legend(fontsize=6)


def _attention_heatmaps(ctx, results, figures: list[str]) -> None:
    panels = (
        (results["attention"][0], "copy"),
        (results["reverse"][0], "reverse"),
        (results["control"][0], "copy, control (no recurrence)"),
    )
    with figure(ctx, "attention_heatmaps.png", figures, ncols=3, size=(15, 4.6)) as (fig, axes):
        for ax, (r, title) in zip(axes, panels):
            im = ax.imshow(np.array(r["heatmap"]), cmap="viridis", vmin=0, vmax=1, aspect="auto")
            ax.set_xticks(range(len(r["heatmap_src"])), r["heatmap_src"], rotation=90, fontsize=6)
            ax.set_yticks(range(len(r["heatmap_tgt"])), r["heatmap_tgt"], fontsize=6)
            ax.set_xlabel("source position (annotation)")
            ax.set_ylabel("target token being predicted")
            ax.set_title(f"{title}: attention weights a_ij, seed 0", fontsize=9)
            fig.colorbar(im, ax=ax, use_gridspec=True, fraction=0.05, label="attention weight")


def _offset_histograms(ctx, results, figures: list[str]) -> None:
    """The signed offset of the attention argmax from the aligned position, pooled over lengths."""
    rows = [("copy", results["attention"]), ("reverse", results["reverse"]), ("control", results["control"])]
    rows += [(f"{task}, {runs[0]['score']}", runs) for task, runs in results["other_score"].items() if runs]
    with figure(ctx, "alignment_offsets.png", figures, ncols=len(rows), size=(3.6 * len(rows), 3.4)) as (
        fig,
        axes,
    ):
        for ax, (title, runs) in zip(np.atleast_1d(axes), rows):
            for k, r in enumerate(runs):
                counts = offset_counts(r)
                total = sum(counts.values()) or 1
                offsets = sorted(counts)
                width = 0.8 / len(runs)
                xs = [o - 0.4 + width * (k + 0.5) for o in offsets]
                ax.bar(xs, [counts[o] / total for o in offsets], width=width, label=f"seed {k}")
            ax.set_xlabel("argmax position minus aligned position")
            ax.set_ylabel("fraction of target tokens")
            ax.set_title(f"{title} ({runs[0]['score']} score)", fontsize=9)
            ax.set_ylim(0, 1.02)
            ax.legend(fontsize=6)


def _trained_models(results) -> list[dict]:
    """Every trained model's stage result (each carries its name and logged loss curve)."""
    models = [r for seeds in copy_curves(results) for r in seeds]
    models += results["reverse"] + results["other_score"]["reverse"]
    models += [r for runs in (results["dates"] or {}).values() for r in runs]
    models += list(((results["verses"] or {}).get("models") or {}).values())
    return sorted(models, key=lambda r: r["name"])


def _training_curves(cfg, ctx, results, figures: list[str]) -> None:
    with figure(ctx, "training_curves.png", figures) as (fig, ax):
        for r in _trained_models(results):
            steps, losses = zip(*r["curve"]) if r["curve"] else ((), ())
            ax.plot(steps, losses, label=r["name"])
        ax.set_yscale("log")
        ax.set_xlabel("training step (optimizer updates)")
        ax.set_ylabel("teacher-forced cross-entropy (nats/token)")
        ax.set_title(f"training loss, mean over windows of {cfg.log_every} batches", fontsize=9)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=5, ncol=2)


def _translation_vs_length(ctx, results, figures: list[str]) -> None:
    panels = []
    if results["dates"] is not None:
        panels.append(
            ("dates in words to ISO, seed 0", {arch: runs[0] for arch, runs in results["dates"].items()})
        )
    if results["verses"] is not None and "models" in results["verses"]:
        panels.append(("English to Spanish verses (KJV / RV1909)", results["verses"]["models"]))
    if not panels:
        return
    with figure(ctx, "translation_vs_length.png", figures, ncols=2, nrows=len(panels)) as (fig, axes):
        axes = np.atleast_1d(axes).reshape(len(panels), 2)
        for row, (title, models) in zip(axes, panels):
            for arch, r in models.items():
                mids = [(b["lo"] + b["hi"]) / 2 for b in r["by_length"]]
                for ax, key in zip(row, ("chrf", "bleu")):
                    ax.plot(
                        mids,
                        [b[key] for b in r["by_length"]],
                        "-o" if arch == "attention" else "--s",
                        label=f"{arch} ({r['params'] / 1000:.0f}k params)",
                        ms=4,
                    )
            for ax, key in zip(row, ("chrF", "BLEU")):
                ax.set_xlabel("source length (words)")
                ax.set_ylabel(f"{key} (0-100, greedy)")
                ax.set_title(title, fontsize=9)
                ax.set_ylim(-2, 102)
                ax.grid(alpha=0.3)
            row[0].legend(fontsize=7)


def draw(cfg, results, ctx) -> list[str]:
    figures: list[str] = []
    _accuracy_vs_length(ctx, results, figures)
    _attention_heatmaps(ctx, results, figures)
    _offset_histograms(ctx, results, figures)
    _training_curves(cfg, ctx, results, figures)
    _translation_vs_length(ctx, results, figures)
    return figures
