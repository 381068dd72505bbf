"""Figures drawn from the stage results: error and rank by depth, by observations, singular value
trajectories, the law against measurement, and the ratio penalty."""

from __future__ import annotations

import numpy as np

from ...plotting import figure
from . import CLAIMS
from .claims import mean

BASELINES = (("nuclear", "nuclear-norm min", "--"), ("soft_impute", "Soft-Impute", ":"))
TEST_ERROR = "test error (MSE over all entries)"


def draw(cfg, results, ctx) -> list[str]:
    figures: list[str] = []
    runs = {int(count): per for count, per in results["runs"].items()}
    _by_depth(ctx, cfg, runs, figures)
    _by_observations(ctx, cfg, runs, figures)
    base = runs[cfg.base_observations]
    _singular_values(ctx, cfg, base, figures)
    _law(ctx, results["law"], figures)
    if "ratio_penalty" in base:
        _penalty(ctx, cfg, base, cfg.base_observations, figures)
    return figures


def _average(per: dict, method: str, key: str) -> float:
    return mean(r[key] for r in per[method])


def _by_depth(ctx, cfg, runs, figures) -> None:
    with figure(ctx, "depth.png", figures, ncols=2) as (fig, (ax_err, ax_rank)):
        for count in sorted(runs):
            per, label = runs[count], f"|Omega|={count}"
            errors = [_average(per, f"depth{d}", "test_error") for d in cfg.depths]
            ranks = [_average(per, f"depth{d}", "effective_rank") for d in cfg.depths]
            (line,) = ax_err.semilogy(cfg.depths, errors, "o-", label=f"deep linear, {label}")
            ax_rank.semilogy(cfg.depths, ranks, "o-", color=line.get_color(), label=f"deep linear, {label}")
            for method, name, style in BASELINES:
                if method in per:
                    for ax, key in ((ax_err, "test_error"), (ax_rank, "effective_rank")):
                        value = _average(per, method, key)
                        ax.axhline(value, ls=style, color=line.get_color(), label=f"{name}, {label}")
        ax_rank.axhline(cfg.rank, color="gray", lw=0.8, label=f"target rank {cfg.rank}")
        ax_err.set(xlabel="depth N", ylabel=TEST_ERROR, xticks=list(cfg.depths))
        ax_rank.set(xlabel="depth N", ylabel="effective rank", xticks=list(cfg.depths))
        ax_err.legend(fontsize=6)
        ax_rank.legend(fontsize=6)


def _by_observations(ctx, cfg, runs, figures) -> None:
    """Test error against |Omega|: the seed mean, each seed as a dot, the recovery bound as a line."""
    counts = sorted(runs)
    bound = next(c for c in CLAIMS if c.id == "more-observations").thresholds["max_test_error"]
    methods = [(f"depth{d}", f"depth {d}", "o-") for d in cfg.depths]
    methods += [(m, name, "s--") for m, name, _ in BASELINES]
    with figure(ctx, "observations.png", figures) as (fig, ax):
        for i, (method, name, style) in enumerate(methods):
            if not all(method in runs[c] for c in counts):
                continue
            errors = [[max(r["test_error"], 1e-18) for r in runs[c][method]] for c in counts]
            ax.semilogy(
                counts, [np.exp(np.mean(np.log(e))) for e in errors], style, color=f"C{i}", label=name
            )
            for c, e in zip(counts, errors):
                ax.semilogy([c] * len(e), e, ".", color=f"C{i}", alpha=0.4, ms=4)
        ax.axhline(bound, color="gray", lw=0.8, ls=":", label=f"recovery bound {bound:g}")
        ax.set(
            xlabel="observed entries |Omega|",
            ylabel=TEST_ERROR + "\n(geometric mean over seeds; dots: seeds)",
            xticks=counts,
        )
        ax.tick_params(axis="x", labelsize=7)
        ax.legend(fontsize=7)


def _singular_values(ctx, cfg, per, figures) -> None:
    with figure(ctx, "singular_values.png", figures, ncols=len(cfg.depths)) as (fig, axes):
        for ax, d in zip(np.atleast_1d(axes), cfg.depths):
            trajectory = per[f"depth{d}"][0]["trajectory"]
            steps = [row["step"] for row in trajectory]
            sv = np.array([row["singular_values"] for row in trajectory])
            for r in range(sv.shape[1]):
                ax.semilogy(steps, np.maximum(sv[:, r], 1e-12), color="C0" if r < cfg.rank else "C3", lw=1)
            ax.set(
                xlabel="gradient step",
                ylabel="singular value of W_N...W_1",
                title=f"depth {d} (blue: top {cfg.rank}, red: next)",
            )


def _law(ctx, law, figures) -> None:
    with figure(ctx, "singular_value_law.png", figures, ncols=len(law)) as (fig, axes):
        for ax, (d, res) in zip(np.atleast_1d(axes), law.items()):
            sigma, integrated = np.array(res["sigma"]), np.array(res["integrated"])
            for r in range(sigma.shape[1]):
                ax.semilogy(res["steps"], np.maximum(sigma[:, r], 1e-12), color=f"C{r}", lw=1.5)
                ax.semilogy(res["steps"], np.maximum(integrated[:, r], 1e-12), color="k", ls="--", lw=0.8)
            ax.set(
                xlabel="gradient step",
                ylabel="singular value",
                title=f"depth {d}: measured (colour), law (dashed)\n"
                f"rel. error of rates {res['relative_error']:.3f}",
            )


def _penalty(ctx, cfg, per, count, figures) -> None:
    deepest = max(cfg.depths)
    bars = [
        ("depth1", "depth 1"),
        ("ratio_penalty", "depth 1 + ratio\n(Adam)"),
        (f"depth{deepest}", f"depth {deepest}"),
        ("nuclear", "nuclear-norm min"),
    ]
    bars = [(key, name) for key, name in bars if key in per]
    labels = [name for _, name in bars]
    with figure(ctx, "penalty.png", figures, ncols=2) as (fig, (ax_err, ax_rank)):
        ax_err.bar(labels, [_average(per, key, "test_error") for key, _ in bars])
        ax_err.set(yscale="log", ylabel=TEST_ERROR, title=f"|Omega| = {count}")
        ax_rank.bar(labels, [_average(per, key, "effective_rank") for key, _ in bars])
        ax_rank.axhline(cfg.rank, color="gray", lw=0.8)
        ax_rank.set(ylabel="effective rank")
        for ax in (ax_err, ax_rank):
            ax.tick_params(axis="x", labelsize=7)
