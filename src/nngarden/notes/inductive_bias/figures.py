"""The inductive-bias note's figures, drawn from the measured results: Table 1 with the measured errors
and accuracies, MNIST-1D accuracies and learning curves, and the relational models' solved fractions."""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import stats
from ...plotting import figure
from .config import PUBLISHED, InductiveBiasConfig

ROWS = [  # Battaglia et al. (2018) Table 1: component, entities, relations, relational bias, invariance
    ("Fully connected", "units", "all-to-all", "weak", "none"),
    ("Convolutional", "grid elements", "local", "locality", "spatial translation"),
    ("Recurrent", "time steps", "sequential", "sequentiality", "time translation"),
    ("Graph network", "nodes", "edges", "arbitrary", "node, edge permutations"),
]


def figure_table(ctx, figures: list[str], inv: dict, acc: dict, rel: dict | None = None) -> None:
    def pct(key: str) -> str:
        return f"{acc[key]:.1f}" if key in acc else "-"

    measured = [
        (
            f"perm. equivariance err {inv['mlp_permutation_equivariance_error']:.2g}\n"
            f"perm. invariance err {inv['mlp_permutation_invariance_error']:.2g}",
            "mlp",
        ),
        (
            f"shift equivariance err {inv['conv_shift_equivariance_error']:.2g}\n"
            f"+ flatten & dense: invariance err {inv['conv_dense_shift_invariance_error']:.2g}",
            "cnn",
        ),
        (
            f"delay equivariance err {inv['gru_delay_equivariance_error']:.2g} (no bias)\n"
            f"{inv['gru_delay_equivariance_error_with_bias']:.2g} (with bias)",
            "gru",
        ),
        (
            f"node / edge equivariance err {max(inv['gn_nodes_error'], inv['gn_edges_error']):.2g}\n"
            f"global invariance err {inv['gn_globals_error']:.2g}",
            None,
        ),
    ]
    cells = []
    for row, (text, model) in zip(ROWS, measured):
        mnist = f"{pct(model + '_plain')} / {pct(model + '_shuffled')}" if model else "-"
        pub = f"{PUBLISHED[model][0]:.0f} / {PUBLISHED[model][1]:.0f}" if model else "-"
        if model is None and rel is not None:  # the GN row: its task is sorting, not MNIST-1D
            solved = {band: float(np.mean(v)) for band, v in rel["sort_gn"]["solved"].items()}
            mnist = (
                f"sort solved: {solved['in']:.2f} (train sizes)\n"
                f"{solved['near']:.2f} (near) / {solved['far']:.2f} (far)"
            )
        cells.append(list(row) + [text, mnist, pub])
    cols = [
        "component",
        "entities",
        "relations",
        "relational bias",
        "invariance (paper)",
        "measured (max relative error)",
        "MNIST-1D acc. % plain / shuffled",
        "published",
    ]
    with figure(ctx, "table1_measured.png", figures, size=(17, 3.2)) as (fig, ax):
        ax.axis("off")
        table = ax.table(cellText=cells, colLabels=cols, loc="center", cellLoc="center")
        table.auto_set_font_size(False)
        table.set_fontsize(7.5)
        table.scale(1, 3.0)
        ax.set_title(
            "Battaglia et al. (2018) Table 1, with the invariances and MNIST-1D accuracies measured here"
        )


def _half_width(runs: list[dict]) -> float:
    """Half the 95% t interval of the seeds' final accuracies (0 for one seed)."""
    interval = stats.t_interval([r["final"] for r in runs])
    return (interval.high - interval.low) / 2 if len(runs) > 1 else 0.0


def figure_mnist_bars(ctx, figures: list[str], acc: dict, runs: dict, models: tuple[str, ...]) -> None:
    with figure(ctx, "mnist1d_accuracy.png", figures, size=(7, 4)) as (fig, ax):
        x = np.arange(len(models))
        for i, (cond, color) in enumerate((("plain", "tab:blue"), ("shuffled", "tab:orange"))):
            vals = [acc.get(f"{m}_{cond}", np.nan) for m in models]
            err = [_half_width(runs.get(f"{m}/{cond}", [])) for m in models]
            ax.bar(
                x + (i - 0.5) * 0.38, vals, 0.38, yerr=err, color=color, label=f"measured, {cond} positions"
            )
            pub = [PUBLISHED[m][i] for m in models]
            ax.scatter(
                x + (i - 0.5) * 0.38,
                pub,
                marker="_",
                s=300,
                color="black",
                zorder=3,
                label="published" if i == 0 else None,
            )
        ax.set_xticks(x, models)
        ax.set_xlabel("classifier")
        ax.set_ylabel("test accuracy (%)")
        ax.set_ylim(0, 100)
        ax.set_title("MNIST-1D test accuracy (mean over seeds; error bars: 95% t interval)", fontsize=10)
        ax.legend(fontsize=8, loc="upper left")


def figure_mnist_curves(ctx, figures: list[str], results: dict, cfg: InductiveBiasConfig) -> None:
    with figure(ctx, "mnist1d_learning_curves.png", figures, size=(8, 4.5)) as (fig, ax):
        colors = {"logistic": "tab:gray", "mlp": "tab:green", "cnn": "tab:blue", "gru": "tab:purple"}
        for key, runs in results.items():
            model, cond = key.split("/")
            curve = np.array(runs[0]["curve"])
            ax.plot(
                curve[:, 0],
                curve[:, 1],
                color=colors[model],
                ls="-" if cond == "plain" else "--",
                label=f"{model}, {cond}",
            )
        ax.set_xlabel(f"training step (Adam updates, batch of {cfg.batch_size})")
        ax.set_ylabel("test accuracy (%)")
        ax.set_title("MNIST-1D learning curves (first seed)")
        ax.legend(fontsize=7, ncol=2)


def figure_relational(ctx, figures: list[str], rel: dict, cfg: InductiveBiasConfig) -> None:
    with figure(ctx, "relational_generalization.png", figures, ncols=2, size=(12, 4.2)) as (fig, axes):
        ax = axes[0]
        for key, label, style in (
            ("sort_gn", "sort, graph network", "o-"),
            ("sort_mlp", "sort, MLP (padded to the longest size)", "s-"),
            ("path_gn", "shortest path, graph network", "^-"),
        ):
            if key not in rel:
                continue
            sizes = sorted(int(n) for n in rel[key]["by_size"])
            ax.plot(sizes, [rel[key]["by_size"][str(n)] for n in sizes], style, label=label)
        ax.axvspan(cfg.train_sizes[0], cfg.train_sizes[1], color="0.9", label="training sizes", zorder=0)
        for band, shade in (("near", "tab:cyan"), ("far", "tab:pink")):
            lo, hi = getattr(cfg, f"{band}_sizes")
            ax.axvspan(
                lo - 0.5, hi + 0.5, color=shade, alpha=0.12, zorder=0, label=f"test band {band} {lo}-{hi}"
            )
        ax.set_xlabel("list length / number of nodes (graph size)")
        ax.set_ylabel("fraction of graphs fully solved (0-1)")
        ax.set_ylim(-0.02, 1.02)
        ax.set_title("Solved fraction against graph size")
        ax.legend(fontsize=7)
        ax = axes[1]
        bands = (("-", cfg.train_sizes), ("--", cfg.near_sizes), (":", cfg.far_sizes))
        for key, label, color in (
            ("sort_gn", "sort GN", "tab:blue"),
            ("sort_mlp", "sort MLP", "tab:orange"),
            ("path_gn", "shortest path GN", "tab:green"),
        ):
            if key not in rel:
                continue
            c = np.array(rel[key]["curve"])
            for j, (style, (lo, hi)) in enumerate(bands, start=1):
                ax.plot(c[:, 0], c[:, j], color=color, ls=style, label=f"{label}, sizes {lo}-{hi}")
        ax.set_xlabel(f"training step (Adam updates, batch of {cfg.graph_batch} graphs)")
        ax.set_ylabel("fraction of held-out graphs fully solved")
        ax.set_ylim(-0.02, 1.02)
        ax.set_title("Learning curves")
        ax.legend(fontsize=6, ncol=2)


def draw(cfg: InductiveBiasConfig, results: dict[str, Any], ctx) -> list[str]:
    figures: list[str] = []
    acc, relational = results["mnist1d_accuracy"], results["relational"]
    if relational:
        figure_relational(ctx, figures, relational, cfg)
    figure_table(ctx, figures, results["invariances"], acc, relational)
    figure_mnist_bars(ctx, figures, acc, results["mnist1d"], cfg.models)
    figure_mnist_curves(ctx, figures, results["mnist1d"], cfg)
    return figures
