"""The transformers note's figures, drawn from the results and the logged learning curves."""

from __future__ import annotations

import numpy as np

from nngarden.plotting import figure

from . import CLAIMS
from .config import ARMS, TransformersConfig, run_tag

COLORS = {"none": "tab:red", "sinusoidal": "tab:blue", "learned": "tab:green"}


def threshold(claim_id: str, name: str) -> float:
    return next(spec.thresholds[name] for spec in CLAIMS if spec.id == claim_id)


def draw(cfg: TransformersConfig, results: dict, ctx) -> list[str]:
    figures: list[str] = []
    draw_encoding_table(ctx, results["relative"], figures)
    draw_relative_position(ctx, results["relative"], figures)
    draw_learning_curves(ctx, cfg, figures)
    draw_attention(ctx, results, figures)
    return figures


def draw_encoding_table(ctx, rel: dict, figures: list[str]) -> None:
    with figure(ctx, "encoding_matrix.png", figures, size=(6.5, 3.8)) as (fig, ax):
        table = np.array(rel["table"])
        im = ax.imshow(table.T, aspect="auto", cmap="RdBu_r", vmin=-1, vmax=1, origin="lower")
        ax.set_xlabel("position p")
        ax.set_ylabel("encoding dimension (sin even, cos odd)")
        ax.set_title("sinusoidal position encodings PE(p)")
        fig.colorbar(im, ax=ax, label="value")


def draw_relative_position(ctx, rel: dict, figures: list[str]) -> None:
    with figure(ctx, "dot_product_vs_offset.png", figures, ncols=2, size=(10, 3.8)) as (fig, axes):
        for p, curve in rel["curves"].items():
            axes[0].plot(range(len(curve)), curve, label=f"p = {p}", lw=1.2)
        axes[0].set_xlabel("offset k (positions)")
        axes[0].set_ylabel("PE(p) · PE(p+k)")
        axes[0].set_title("the dot product depends on k only")
        axes[0].legend(fontsize=8)
        floor = 1e-18  # zero errors drawn at the bottom of the log axis
        curves = (
            ("closed_error", "rotation M_k"),
            ("fit_error", "one least-squares M_k for all p (residual)"),
            ("dot_spread", "spread of PE(p)·PE(p+k) over p"),
        )
        for key, label in curves:
            axes[1].semilogy(rel["offsets"], np.maximum(rel[key], floor), label=label)
        tolerance = threshold("relative-position", "tolerance")
        axes[1].axhline(tolerance, color="k", ls=":", lw=1, label="threshold")
        axes[1].set_xlabel("offset k (positions)")
        axes[1].set_ylabel("max absolute error")
        axes[1].set_title("PE(p+k) = M_k PE(p) for every p")
        axes[1].legend(fontsize=8)


def logged_curve(rows: list[dict], tag: str, key: str) -> tuple[list[int], list[float]]:
    """(steps, values) of ``key`` in the rows of run ``tag``; the last row wins where a resumed run
    logged a step twice."""
    latest = {r["step"]: r[key] for r in rows if r.get("run") == tag and r.get(key) is not None}
    steps = sorted(latest)
    return steps, [latest[s] for s in steps]


def draw_learning_curves(ctx, cfg: TransformersConfig, figures: list[str]) -> None:
    rows = ctx.metrics()
    with figure(ctx, "learning_curves.png", figures, ncols=2, size=(10, 3.8)) as (fig, axes):
        for arm in ARMS:
            for seed in cfg.arm_seeds(arm):
                tag = run_tag(arm, seed)
                label = (
                    (f"{arm} encodings" if arm != "none" else "no encodings") if seed == cfg.seed else None
                )
                steps, accuracy = logged_curve(rows, tag, "val_acc")
                axes[0].plot(
                    steps,
                    accuracy,
                    color=COLORS[arm],
                    label=label,
                    alpha=0.8,
                    lw=2 if arm == "none" else 1.4,
                    zorder=3,
                )
                steps, loss = logged_curve(rows, tag, "train_loss")
                axes[1].plot(steps, loss, color=COLORS[arm], label=label, alpha=0.8)
        axes[0].axhline(0.5, color="0.5", ls=":", lw=1, label="chance (1/2)", zorder=2)
        axes[0].set_ylim(0.3, 1.02)
        axes[0].set_xlabel("training step")
        axes[0].set_ylabel("held-out accuracy (sorted vs permuted pairs)")
        axes[0].set_title("is the sequence sorted?")
        axes[0].legend(fontsize=8)
        axes[1].set_xlabel("training step")
        axes[1].set_ylabel("training loss (binary cross-entropy, nats)")
        axes[1].set_title("training loss")
        axes[1].legend(fontsize=8)


def draw_attention(ctx, results: dict, figures: list[str]) -> None:
    example = results["arms"]["sinusoidal"][0]
    att = np.array(example["attention"])  # (H, T, T)
    heads = att.shape[0]
    convex_weights = np.array(results["convex"]["weights_example"])
    size = (2.6 * (heads + 1), 3.0)
    with figure(ctx, "attention_weights.png", figures, ncols=heads + 1, size=size) as (fig, axes):
        ticks = [str(t) for t in example["example"]]
        for h in range(heads):
            axes[h].imshow(att[h], cmap="viridis", vmin=0, vmax=1)
            axes[h].set_title(f"sorter, block 1, head {h + 1}", fontsize=8)
            axes[h].set_xticks(range(len(ticks)), ticks, fontsize=6)
            axes[h].set_yticks(range(len(ticks)), ticks, fontsize=6)
            axes[h].set_xlabel("key token", fontsize=7)
            axes[h].set_ylabel("query token", fontsize=7)
        im = axes[heads].imshow(convex_weights, cmap="viridis", vmin=0, vmax=1)
        axes[heads].set_title("random, causal + padding", fontsize=8)
        axes[heads].set_xticks(range(0, len(convex_weights), 2))
        axes[heads].set_yticks(range(0, len(convex_weights), 2))
        axes[heads].set_xlabel("key position", fontsize=7)
        axes[heads].set_ylabel("query position", fontsize=7)
        fig.colorbar(im, ax=axes[heads], label="weight")
