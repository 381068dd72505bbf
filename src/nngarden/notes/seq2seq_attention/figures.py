"""The seq2seq-attention figures: accuracy against length, attention heat maps, loss curves, translation."""

from __future__ import annotations

import numpy as np

from ...plotting import figure
from .experiment import copy_curves


def _accuracy_vs_length(ctx, results, figures: list[str]) -> None:
    with figure(ctx, "accuracy_vs_length.png", figures, ncols=2) as (fig, axes):
        for r in copy_curves(results):
            label = (
                f"{r['arch']} {r['hidden']} ({r['params'] / 1000:.0f}k params)"
                if r["arch"] != "transformer"
                else f"transformer ({r['params'] / 1000:.0f}k params)"
            )
            style = "-o" if r["arch"] == "attention" else "--s" if r["arch"] == "fixed" else ":^"
            for ax, key in zip(axes, ("exact", "token")):
                ax.plot(r["lengths"], r[key], style, label=label, ms=4)
        for ax, key in zip(axes, ("exact-sequence accuracy (fraction)", "token accuracy (fraction)")):
            ax.set_xlabel("source length (symbols)")
            ax.set_ylabel(key)
            ax.set_ylim(-0.03, 1.03)
            ax.grid(alpha=0.3)
        axes[0].set_title("copy task, greedy decoding")
        axes[1].legend(fontsize=7)


def _attention_heatmaps(ctx, results, figures: list[str]) -> None:
    with figure(ctx, "attention_heatmaps.png", figures, ncols=2, size=(10, 4.6)) as (fig, axes):
        for ax, r, title in zip(axes, (results["attention"], results["reverse"]), ("copy", "reverse")):
            im = ax.imshow(np.array(r["heatmap"]), cmap="viridis", vmin=0, vmax=1, aspect="auto")
            ax.set_xticks(range(len(r["heatmap_src"])), r["heatmap_src"], rotation=90, fontsize=6)
            ax.set_yticks(range(len(r["heatmap_tgt"])), r["heatmap_tgt"], fontsize=6)
            ax.set_xlabel("source position (encoder state)")
            ax.set_ylabel("target token being predicted")
            ax.set_title(f"{title}: attention weights a_ij")
            fig.colorbar(im, ax=ax, use_gridspec=True, fraction=0.05, label="attention weight")


def _trained_models(results) -> list[dict]:
    """Every trained model's stage result (each carries its name and logged loss curve)."""
    models = copy_curves(results) + [results["reverse"]]
    models += list((results["dates"] or {}).values())
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
        ax.legend(fontsize=7)


def _translation_vs_length(ctx, results, figures: list[str]) -> None:
    panels = []
    if results["dates"] is not None:
        panels.append(("dates in words to ISO", results["dates"]))
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
    _training_curves(cfg, ctx, results, figures)
    _translation_vs_length(ctx, results, figures)
    return figures
