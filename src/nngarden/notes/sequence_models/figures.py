"""The sequence-models figures: gradient ratio against lag, time against n, recall during training, and
Vaswani et al.'s three columns beside the measured ones. Drawn from the stage results only."""

from __future__ import annotations

import numpy as np

from ...plotting import figure
from . import CLAIMS
from .claims import log_ratio_interval, slope_of, trained_ratio
from .config import tcn_name

COLOURS = {"lstm": "C0", "gru": "C4", "tcn": "C2", "attention": "C3"}
TCN_SHADES = ("#c7e9c0", "#74c476", "#31a354", "#006d2c", "#00441b")  # light: short field, dark: long


def _colour(name: str, run: dict | None = None, cfg=None) -> str:
    if run is not None and cfg is not None and run.get("kind") == "tcn":
        rank = sorted(cfg.rf_ratios).index(run["ratio"])
        return TCN_SHADES[min(len(TCN_SHADES) - 1, rank + max(0, len(TCN_SHADES) - len(cfg.rf_ratios)))]
    return COLOURS.get(name.split("-")[0], "C7")


def _thresholds(claim_id: str) -> dict:
    return dict(next(spec for spec in CLAIMS if spec.id == claim_id).thresholds)


def _path_length(cfg, results, ctx, figures: list[str]) -> None:
    init = results["path_init"]
    n = init["length"]
    lags = np.arange(1, n)
    t = _thresholds("path-length")
    with figure(ctx, "path_length.png", figures, ncols=2, size=(11, 4.2)) as (fig, axes):
        ax = axes[0]
        for kind, profiles in init["models"].items():
            bands = np.array([log_ratio_interval(profiles, d)[:3] for d in lags])  # (lags, 3)
            bands[bands <= 0] = np.nan  # exactly zero beyond a TCN's field: nothing to draw on a log axis
            label = f"{kind} ({init['params'][kind] / 1000:.0f}k params)"
            ax.plot(lags, bands[:, 0], color=_colour(kind), label=label)
            ax.fill_between(lags, bands[:, 1], bands[:, 2], color=_colour(kind), alpha=0.2, lw=0)
        ax.axvline(init["tcn_receptive_field"] - 1, color=_colour("tcn"), ls=":", lw=1)
        lag = t["lstm_lag"]
        ax.plot([lag], [t["lstm_max_ratio"]], "v", color=_colour("lstm"), label=f"LSTM bound at D = {lag:g}")
        ax.axhline(
            t["attention_min_ratio"], color=_colour("attention"), ls=":", lw=0.8, label="attention bound"
        )
        ax.set_yscale("log")
        ax.set_xlabel("lag D (positions back from n)")
        ax.set_ylabel("‖∂y_n/∂e_(n-D)‖ / ‖∂y_n/∂e_n‖")
        ax.set_title(f"at initialisation, n = {n}: geometric mean, 95% t band", fontsize=9)
        ax.legend(fontsize=7)
        ax = axes[1]
        T, runs = next(iter(results["copy"].items()))
        for name, run in runs.items():
            profiles = np.array(run["trained_profile"])  # (sequences, T + 11)
            with np.errstate(divide="ignore"):
                logs = np.log10(profiles[:, 1:])
            mean = 10.0 ** logs.mean(axis=0)
            mean[~np.isfinite(logs).all(axis=0)] = np.nan
            ax.plot(np.arange(1, profiles.shape[1]), mean, color=_colour(name, run, cfg), label=name, lw=1)
        ax.axvline(int(T) + 10, color="k", ls=":", lw=0.8)
        ax.set_yscale("log")
        ax.set_xlabel("lag D from the first recall position")
        ax.set_ylabel("gradient ratio (geometric mean over sequences)")
        ax.set_title(f"trained on copy memory, T = {T} (dotted: the recall distance T + 10)", fontsize=9)
        ax.legend(fontsize=7)


def _timing(results, ctx, figures: list[str], timing: dict, name: str) -> None:
    lengths = np.array(timing["lengths"])
    with figure(ctx, name, figures, ncols=2, size=(11, 4.2)) as (fig, axes):
        for ax, kind_of_pass in zip(axes, ("forward", "train")):
            for kind, entry in timing["models"].items():
                medians = 1000 * np.array(entry[kind_of_pass])
                quartiles = 1000 * np.array(entry[f"{kind_of_pass}_quartiles"]).T  # (2, lengths)
                slope, low, high, _ = slope_of(timing, kind, kind_of_pass)
                ax.errorbar(
                    lengths,
                    medians,
                    yerr=[medians - quartiles[0], quartiles[1] - medians],
                    fmt="o-",
                    ms=3,
                    color=_colour(kind),
                    label=f"{kind}: slope {slope:.2f} [{low:.2f}, {high:.2f}]",
                )
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xticks(lengths, [str(n) for n in lengths])
            ax.tick_params(axis="x", which="minor", bottom=False, labelbottom=False)
            ax.set_xlabel("sequence length n (tokens)")
            what = "forward" if kind_of_pass == "forward" else "training step"
            ax.set_ylabel(f"{what} time per batch of {timing['batch']} (ms)")
            ax.set_title(
                f"{what}: {timing['clock']} time, {timing['threads']} thread(s), "
                f"median of {timing['repeats']}",
                fontsize=9,
            )
            ax.legend(fontsize=7)


def _recall_curves(cfg, results, ctx, figures: list[str]) -> None:
    min_recall = _thresholds("long-range")["min_recall"]
    panels = list(results["copy"].items())
    size = (5.5 * len(panels), 4)
    with figure(ctx, "recall_curves.png", figures, ncols=len(panels), size=size) as (fig, axes):
        for ax, (T, runs) in zip(np.atleast_1d(axes), panels):
            for name, run in runs.items():
                steps = [row[0] for row in run["curve"]]
                recall = [row[1] / run["n_items"] for row in run["curve"]]
                short = run.get("kind") == "tcn" and run["ratio"] < 1  # cannot see the symbols
                label = f"{name} ({run['params'] / 1000:.0f}k params, {run['train_cpu_seconds']:.0f} CPU s)"
                ax.plot(steps, recall, "--" if short else "-", color=_colour(name, run, cfg), label=label)
            ax.axhline(1 / 8, color="k", ls=":", lw=0.8)
            ax.axhline(min_recall, color="k", ls="--", lw=0.8)
            ax.set_xlabel(f"training step (Adam updates, batch {cfg.batch})")
            ax.set_ylabel("held-out recall (fraction of symbols)")
            ax.set_ylim(-0.02, 1.02)
            ax.set_title(f"copy memory, T = {T} (dotted: chance 1/8; dashed TCNs: R < T + 11)", fontsize=9)
            ax.legend(fontsize=6)


VASWANI = {  # Table 1 of Vaswani et al. (2017): work per layer, sequential operations, maximum path length
    "attention": ("O(n² d)", "O(1)", "O(1)"),
    "lstm": ("O(n d²)", "O(n)", "O(n)"),
    "tcn": ("O(k n d²)", "O(1)", "O(log_k n)"),
}


def _column_rows(cfg, results) -> tuple[list[str], list[list[str]]]:
    init, timing = results["path_init"], results["timing"]
    n, largest = init["length"], timing["lengths"][-1]
    T, runs = next(iter(results["copy"].items()))
    header = [
        "model",
        "work / layer",
        f"measured: time ∝ n^slope\n(training step, n ≤ {largest})",
        "sequential\noperations",
        f"counted steps\n(n = {largest})",
        "maximum\npath length",
        f"gradient ratio\nr({n - 1}) at init",
        f"gradient ratio\nr({T} + 10), trained",
    ]
    rows = []
    for kind, (work, ops, path) in VASWANI.items():
        entry = timing["models"].get(kind)
        slope = f"n^{slope_of(timing, kind, 'train')[0]:.2f}" if entry else "not timed"
        steps = str(entry["sequential_steps"][-1]) if entry else "-"
        r_init = log_ratio_interval(init["models"][kind], n - 1)[0]
        run = runs[tcn_name(cfg.covering_ratio)] if kind == "tcn" else runs.get(kind)
        r_trained = f"{trained_ratio(run):.1e}" if run else "-"
        name = f"TCN (R = {init['tcn_receptive_field']})" if kind == "tcn" else kind
        rows.append([name, work, slope, ops, steps, path, f"{r_init:.1e}", r_trained])
    return header, rows


def _vaswani_columns(cfg, results, ctx, figures: list[str]) -> None:
    header, rows = _column_rows(cfg, results)
    with figure(ctx, "vaswani_columns.png", figures, size=(12, 2.2)) as (fig, ax):
        ax.axis("off")
        table = ax.table(cellText=rows, colLabels=header, loc="center", cellLoc="center")
        table.auto_set_font_size(False)
        table.set_fontsize(8)
        table.scale(1, 1.5)
        for column in range(len(header)):
            table[0, column].set_height(table[0, column].get_height() * 1.8)
        ax.set_title(
            "Vaswani et al. (2017, Table 1), columns 2, 4, 6, beside the measured values", fontsize=9
        )


def draw(cfg, results, ctx) -> list[str]:
    figures: list[str] = []
    _path_length(cfg, results, ctx, figures)
    _timing(results, ctx, figures, results["timing"], "timing.png")
    for name, timing in (results.get("timing_wide") or {}).items():
        _timing(results, ctx, figures, timing, f"timing_{name}.png")
    _recall_curves(cfg, results, ctx, figures)
    _vaswani_columns(cfg, results, ctx, figures)
    return figures
