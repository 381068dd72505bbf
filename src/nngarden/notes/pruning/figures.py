"""The pruning note's figures, drawn from the stage results only."""

from __future__ import annotations

import numpy as np

from ...plotting import figure
from . import SPEEDUP
from .claims import per_seed, summarise
from .config import DETERMINISTIC, FINETUNE_BUDGETS


def _band(ax, table: dict, name: str, ratios, phase: str, label: str) -> None:
    """Mean ± std over seeds of ``phase`` accuracy of ``name`` against the compression ratio."""
    points = [
        (r, table[(name, r)][phase]) for r in ratios if (name, r) in table and phase in table[(name, r)]
    ]
    if not points:
        return
    xs = np.array([p[0] for p in points])
    mean = np.array([p[1][0] for p in points])
    std = np.array([p[1][1] for p in points])
    (line,) = ax.plot(xs, mean, marker="o", label=label)
    ax.fill_between(xs, mean - std, mean + std, color=line.get_color(), alpha=0.15)


def accuracy_vs_compression(cfg, table, dense_mean, ctx, figures) -> None:
    with figure(ctx, "accuracy_vs_compression.png", figures, ncols=2, size=(11, 4.2)) as (fig, axes):
        for ax, phase in zip(axes, ("before", "after")):
            for s in cfg.strategies:
                _band(ax, table, s, cfg.ratios, phase, s)
            ax.axhline(dense_mean, color="k", ls="--", lw=1, label="dense")
            ax.set_xscale("log", base=2)
            ax.set_xlabel("compression ratio (parameters / non-zeros)")
            ax.set_ylabel("test accuracy (%)")
            when = "right after pruning" if phase == "before" else "after fine-tuning"
            ax.set_title(f"{when} (mean ± std, {cfg.seeds} seeds)")
            ax.set_ylim(0, 100)
        axes[1].legend(fontsize=7, loc="lower left")


def layer_density(cfg, table, ctx, figures) -> None:
    ratio = 32.0 if 32.0 in cfg.ratios else max(cfg.ratios)  # layer-collapse: one threshold starves
    shown = [s for s in DETERMINISTIC if (s, ratio) in table]  # the ranked ones; random is uniform
    if not shown:
        return
    layers = list(table[(shown[0], ratio)]["densities"])
    with figure(ctx, "layer_density.png", figures, size=(7, 4)) as (fig, ax):
        width = 0.8 / len(shown)
        for i, s in enumerate(shown):
            values = [table[(s, ratio)]["densities"][n] for n in layers]
            heights = [max(v, 1e-4) for v in values]  # an emptied layer shows as a stub labelled 0%
            bars = ax.bar(np.arange(len(layers)) + i * width, heights, width, label=s)
            for bar, value, height in zip(bars, values, heights):
                x = bar.get_x() + bar.get_width() / 2
                ax.text(x, height, f"{100 * value:.2g}%", ha="center", va="bottom", fontsize=6)
        ax.set_yscale("log")
        ax.set_xticks(np.arange(len(layers)) + 0.4 - width / 2)
        ax.set_xticklabels([f"{n} ({'64x300' if n == 'hidden.0' else '300x100'})" for n in layers])
        ax.set_ylabel("fraction of the layer's weights kept (log)")
        ax.set_title(f"per-layer density at {ratio:g}x (mean over seeds; classifier unpruned)")
        ax.legend(fontsize=7)


def _measured_against_theory(ax, speed: dict) -> None:
    """Measured against theoretical speedup for every timed family, with the speedup the fitted
    per-call overhead allows a structured model (dotted, same colour)."""
    styles = {"wide": "C0", "mlp": "C1", "cnn": "C2"}
    for arch, family in speed["families"].items():
        color = styles.get(arch, "C3")
        label = f"{arch} ({1e3 * family['dense_seconds']:.2g} ms dense)"
        for kind, marker, ls in (("structured", "o", "-"), ("masked", "x", "--")):
            points = sorted((r["theoretical"], r["measured"]) for r in family["rows"] if r["kind"] == kind)
            if points:
                ax.plot(*zip(*points), marker=marker, ls=ls, color=color, label=f"{label} {kind}")
        a, b, dense_macs = family["overhead_seconds"], family["seconds_per_mac"], family["dense_macs"]
        capped = sorted(
            (r["theoretical"], (a + b * dense_macs) / (a + b * r["macs"]))
            for r in family["rows"]
            if r["kind"] == "structured"
        )
        if capped:
            ax.plot(
                *zip(*capped),
                ls=":",
                color=color,
                lw=1,
                label=f"{arch}: overhead-capped ({1e3 * a:.2g} ms/call)",
            )
    top, fraction = max(r["theoretical"] for r in speed["rows"]), SPEEDUP["min_measured_fraction"]
    ax.plot([1, top], [1, top], "k--", lw=1, label="measured = theoretical")
    ax.plot([1, top], [fraction, fraction * top], "k:", lw=1, label=f"{fraction:g} x theoretical")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log", base=2)
    ax.set_xlabel("theoretical speedup (dense / non-zero multiply-adds)")
    ax.set_ylabel(f"measured speedup (latency ratio, {speed['clock']} clock)")
    ax.set_title(f"{speed['threads']} thread, load average {speed['load_average']:.1f}", fontsize=9)
    ax.legend(fontsize=5.5)


def _accuracy_against_speedup(ax, cfg, table, speed, dense_mean) -> None:
    mlp = {(r["kind"], r["ratio"]): r for r in speed["rows"] if r["arch"] == "mlp"}
    for s, kind in (("structured-neurons", "structured"), ("layer-magnitude", "masked")):
        points = [
            (mlp[(kind, r)]["theoretical"], mlp[(kind, r)]["measured"], table[(s, r)]["after"][0])
            for r in cfg.ratios
            if (kind, r) in mlp and (s, r) in table
        ]
        if points:
            accs = [p[2] for p in points]
            ax.plot([p[0] for p in points], accs, marker="o", label=f"{s} vs theoretical speedup")
            ax.plot([p[1] for p in points], accs, marker="s", ls="--", label=f"{s} vs measured speedup")
    ax.axhline(dense_mean, color="k", ls="--", lw=1, label="dense")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("speedup of the MLP (x)")
    ax.set_ylabel("test accuracy after fine-tuning (%)")
    ax.set_title("accuracy against theoretical and measured speedup")
    ax.legend(fontsize=7)


def finetune_budget(cfg, results, dense_mean, ctx, figures) -> None:
    """Accuracy against fine-tuning epochs (0 = right after pruning), mean over seeds, at 8x and 32x."""
    shown = [r for r in (8.0, 32.0) if r in cfg.ratios]
    if not shown or cfg.finetune_epochs < 1:
        return
    with figure(ctx, "finetune_budget.png", figures, ncols=len(shown), size=(5.5 * len(shown), 4)) as (
        fig,
        axes,
    ):
        for ax, ratio in zip(np.atleast_1d(axes), shown):
            for s in cfg.strategies:
                curves = per_seed(results, s, ratio, "curve")
                if curves:
                    mean = np.mean(np.array([c[: cfg.finetune_epochs + 1] for c in curves]), axis=0)
                    ax.plot(range(len(mean)), mean, marker=".", label=s)
            ax.axhline(dense_mean, color="k", ls="--", lw=1, label="dense")
            ax.set_xticks([b for b in FINETUNE_BUDGETS if b <= cfg.finetune_epochs])
            ax.set_xlabel("fine-tuning epochs (Adam, 1e-3)")
            ax.set_ylabel("test accuracy (%)")
            ax.set_title(f"{ratio:g}x: accuracy against fine-tuning budget ({cfg.seeds} seeds)")
            ax.set_ylim(0, 100)
        np.atleast_1d(axes)[0].legend(fontsize=7)


def schedules(cfg, table, dense_mean, ctx, figures) -> None:
    ran = [
        s
        for s in ("layer-magnitude", "iterative", "lottery-rewind")
        if any((s, r) in table for r in cfg.ratios)
    ]
    if not (cfg.iterative_rounds and len(ran) > 1):
        return
    with figure(ctx, "schedules.png", figures, size=(6, 4)) as (fig, ax):
        for s in ran:
            _band(ax, table, s, cfg.ratios, "after", "one-shot" if s == "layer-magnitude" else s)
        ax.axhline(dense_mean, color="k", ls="--", lw=1, label="dense")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("compression ratio (parameters / non-zeros)")
        ax.set_ylabel("test accuracy after (re)training (%)")
        ax.set_title("schedules, per-layer magnitude")
        ax.legend(fontsize=7)


def gpt_perplexity(gpt: dict, ctx, figures) -> None:
    with figure(ctx, "gpt_perplexity.png", figures, size=(6, 4)) as (fig, ax):
        for method in dict.fromkeys(r["method"] for r in gpt["rows"]):
            points = [(r["block_sparsity"], r["perplexity"]) for r in gpt["rows"] if r["method"] == method]
            ax.plot(*zip(*points), marker="o", label=method)
        ax.set_yscale("log")
        ax.set_xlabel("fraction of transformer-block weights removed")
        ax.set_ylabel("validation perplexity (characters)")
        ax.set_title(f"char GPT ({gpt['params']} params), no fine-tuning")
        ax.legend(fontsize=7)


def draw(cfg, results, ctx) -> list[str]:
    figures: list[str] = []
    table = summarise(results["seeds"])
    dense_mean = float(np.mean([r["dense_accuracy"] for r in results["seeds"]]))
    accuracy_vs_compression(cfg, table, dense_mean, ctx, figures)
    layer_density(cfg, table, ctx, figures)
    with figure(ctx, "speedup.png", figures, ncols=2, size=(11, 4.2)) as (fig, axes):
        _measured_against_theory(axes[0], results["speed"])
        _accuracy_against_speedup(axes[1], cfg, table, results["speed"], dense_mean)
    finetune_budget(cfg, results, dense_mean, ctx, figures)
    schedules(cfg, table, dense_mean, ctx, figures)
    if results["gpt"]:
        gpt_perplexity(results["gpt"], ctx, figures)
    return figures
