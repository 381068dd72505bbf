"""Figures, drawn from the stage results only: the accuracy heat table, accuracy against labels, and VADER
against the human mean."""

from __future__ import annotations

import numpy as np

from ...plotting import figure
from .config import SOURCES

CV_SYSTEMS = ("vader", "hand-lr", "hand-hgb", "hand", "tfidf", "cnn")
TRANSFER_SYSTEMS = ("vader", "hand", "tfidf", "cnn")
SWEEP_SYSTEMS = ("bert-scratch", "bert-pretrained", "minilm", "tfidf", "cnn")


def accuracy_table(results) -> tuple[list[str], np.ndarray]:
    """(row labels, rows x sources accuracy): in-domain cross-validation, then trained on movie snippets."""
    labels, rows = [], []
    vader = results["vader"]["sources"]
    for system in CV_SYSTEMS:
        row = []
        for source in SOURCES:
            parts = results["in_domain"].get(source)
            if system == "vader":
                row.append(vader[source]["accuracy"])
            elif parts is None:
                row.append(np.nan)
            elif system == "cnn":
                row.append(np.mean([f["accuracy"] for f in parts["cnn"]]))
            else:
                row.append(np.mean([f["accuracy"][system] for f in parts["sklearn"]["folds"]]))
        labels.append(f"{system} (5-fold, in domain)" if system != "vader" else "vader (no training)")
        rows.append(row)
    for system in TRANSFER_SYSTEMS[1:]:
        row = []
        for source in SOURCES:
            stage = results.get("transfer_cnn", {}).get("tests") if system == "cnn" else results["transfer"]
            if source == "movies" or not stage or source not in stage:
                row.append(np.nan)
            elif system == "cnn":
                row.append(stage[source]["accuracy"])
            else:
                row.append(float(np.mean(stage[source]["correct"][system])))
        labels.append(f"{system} (trained on movies)")
        rows.append(row)
    return labels, np.array(rows, dtype=float)


def draw_table(results, ctx, figures) -> None:
    labels, table = accuracy_table(results)
    measured = np.isfinite(table).any(axis=1)  # rows this preset did not measure are left out
    labels, table = [label for label, keep in zip(labels, measured, strict=True) if keep], table[measured]
    with figure(ctx, "accuracy_table.png", figures, size=(7.5, 0.45 * len(labels) + 1.5)) as (fig, ax):
        image = ax.imshow(np.ma.masked_invalid(table), cmap="viridis", vmin=0.5, vmax=1.0, aspect="auto")
        for i in range(table.shape[0]):
            for j in range(table.shape[1]):
                if np.isfinite(table[i, j]):
                    ax.text(j, i, f"{table[i, j]:.3f}", ha="center", va="center", color="w", fontsize=8)
        ax.set_xticks(range(len(SOURCES)), SOURCES)
        ax.set_yticks(range(len(labels)), labels, fontsize=8)
        ax.set_xlabel("test source (sentences whose mean rating is not 0)")
        fig.colorbar(image, ax=ax, label="accuracy (fraction of sentences)")


def draw_sweep(results, ctx, figures) -> None:
    counts = results["sweep"]["counts"]
    with figure(ctx, "accuracy_by_labels.png", figures) as (fig, ax):
        for system in SWEEP_SYSTEMS:
            xs, means, spreads = [], [], []
            for runs in counts.values():
                values = [r[system] for r in runs if system in r]
                if values:
                    xs.append(runs[0]["n_labels"])
                    means.append(np.mean(values))
                    spreads.append(np.std(values))
            order = np.argsort(xs)
            ax.errorbar(np.array(xs)[order], np.array(means)[order], yerr=np.array(spreads)[order],
                        marker="o", capsize=3, label=system)  # fmt: skip
        ax.set_xscale("log")
        ax.set(xlabel="labelled movie sentences", ylabel="test accuracy (mean +- sd over seeds)")
        ax.legend(fontsize=8)


def draw_scatter(results, ctx, figures) -> None:
    sources = results["vader"]["sources"]
    with figure(ctx, "vader_vs_people.png", figures, ncols=4, size=(14, 3.6)) as (fig, axes):
        for ax, source in zip(axes, SOURCES, strict=True):
            data = sources[source]
            ax.scatter(data["ratings"], data["compound"], s=2, alpha=0.25)
            ax.set(
                title=f"{source}: r = {data['r']:.3f}, n = {data['n']}",
                xlabel="mean human rating (-4 to 4)",
                ylabel="VADER compound score (-1 to 1)",
            )


def draw(cfg, results, ctx) -> list[str]:
    figures: list[str] = []
    if "data_missing" in results:
        return figures
    draw_table(results, ctx, figures)
    if results.get("sweep", {}).get("counts"):
        draw_sweep(results, ctx, figures)
    draw_scatter(results, ctx, figures)
    return figures
