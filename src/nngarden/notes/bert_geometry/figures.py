"""The bert-geometry note's figures, drawn from the results only."""

from __future__ import annotations

import numpy as np

from nngarden.plotting import figure

from .claims import best_layer, seed_mean, seed_mean_uuas
from .config import BertGeometryConfig
from .intervals import stratified_interval


def by_length(spearman: list[float], lengths: list[int]) -> float:
    """Hewitt and Manning's Spearman: sentence means averaged within each length, then across lengths."""
    return stratified_interval(spearman, lengths)[0]


def draw(cfg: BertGeometryConfig, results: dict, ctx) -> list[str]:
    figures: list[str] = []
    if "own_bert" in results:
        draw_own_bert(ctx, results, figures)
    if "minilm" not in results:
        return figures
    draw_layers(ctx, results, figures)
    draw_tree(ctx, results, figures)
    draw_senses(ctx, results, figures)
    if results.get("ranks"):
        draw_ranks(ctx, results, figures)
    return figures


def _per_layer(by_layer: dict, lengths: list[int], key: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mean over runs, min over runs, max over runs) of a test score, per layer."""
    layers = range(len(by_layer))
    if key == "uuas":
        totals = sum(n - 1 for n in lengths)
        values = [[sum(r["test_hits"]) / totals for r in by_layer[str(layer)]] for layer in layers]
    else:
        values = [[by_length(r["test_spearman"], lengths) for r in by_layer[str(layer)]] for layer in layers]
    return tuple(np.array([f(v) for v in values]) for f in (np.mean, np.min, np.max))


def draw_layers(ctx, results: dict, figures: list[str]) -> None:
    summary = results["sentences"]
    lengths = summary["test_lengths"]
    best = best_layer(results["minilm"], summary["dev_lengths"])
    with figure(ctx, "uuas_spearman_by_layer.png", figures, ncols=2, size=(10, 3.8)) as (fig, axes):
        for ax, key, label in (
            (axes[0], "uuas", "test UUAS"),
            (axes[1], "spearman", "test distance Spearman"),
        ):
            for name, by_layer, color in (
                ("MiniLM", results["minilm"], "tab:blue"),
                ("random twins", results["twins"], "tab:red"),
            ):
                mean, low, high = _per_layer(by_layer, lengths, key)
                layers = np.arange(len(mean))
                ax.plot(layers, mean, "o-", color=color, label=f"{name} (range over seeds)")
                ax.fill_between(layers, low, high, color=color, alpha=0.2)
            ax.axvline(best, color="0.5", ls=":", lw=1, label=f"best development layer ({best})")
            ax.set_xlabel("hidden state (0 = embeddings)")
            ax.set_ylabel(label)
        chain = sum(summary["chain_hits"]) / sum(n - 1 for n in lengths)
        axes[0].axhline(chain, color="k", ls="--", lw=1, label="right-branching chain")
        control = seed_mean_uuas(results["control"], lengths)
        axes[0].plot([best], [control], "s", color="tab:green", label="control task (word-type trees)")
        axes[0].set_ylim(0, 1)
        axes[0].set_title("distance probe: edges of the gold tree recovered")
        axes[1].set_title("distance probe: rank correlation with tree distance")
        axes[0].legend(fontsize=7)


def _arcs(ax, edges, y_sign: float, colors) -> None:
    for (i, j), color in zip(edges, colors):
        xs = np.linspace(i, j, 40)
        height = 0.25 * (j - i) ** 0.8
        ys = y_sign * height * np.sin(np.pi * (xs - i) / max(j - i, 1e-9))
        ax.plot(xs, ys, color=color, lw=1.4)


def draw_tree(ctx, results: dict, figures: list[str]) -> None:
    summary = results["sentences"]
    example = summary["example"]
    words, heads = example["words"], example["heads"]
    best = best_layer(results["minilm"], summary["dev_lengths"])
    gold = sorted((min(c, h), max(c, h)) for c, h in enumerate(heads) if h >= 0)
    predicted = [tuple(e) for e in results["minilm"][str(best)][0]["example_edges"]]
    with figure(ctx, "tree_example.png", figures, size=(max(7.0, 0.7 * len(words)), 4.2)) as (fig, ax):
        _arcs(ax, gold, 1.0, ["0.2"] * len(gold))
        _arcs(ax, predicted, -1.0, ["tab:blue" if e in set(gold) else "tab:red" for e in predicted])
        for i, word in enumerate(words):
            ax.text(i, 0, word, ha="center", va="center", fontsize=9, bbox={"fc": "white", "ec": "none"})
        hits = len(set(gold) & set(predicted))
        ax.set_title(
            f"gold tree (above) and the probe's minimum spanning tree on layer {best} (below): "
            f"{hits} of {len(gold)} edges (blue right, red wrong)",
            fontsize=9,
        )
        ax.set_xlim(-0.8, len(words) - 0.2)
        ax.set_xlabel("word position in the test sentence")
        ax.set_yticks([])


def draw_senses(ctx, results: dict, figures: list[str]) -> None:
    s = results["senses"]
    words = list(s["projection"])
    size = (2.4 * len(words), 5.0)
    with figure(ctx, "sense_projection.png", figures, ncols=len(words), nrows=2, size=size) as (fig, axes):
        for row, (key, layer) in enumerate((("projection", s["layer"]), ("projection_layer0", 0))):
            for col, word in enumerate(words):
                ax = axes[row * len(words) + col]
                xy, sense = np.array(s[key][word]["xy"]), np.array(s[key][word]["sense"])
                for value, color in ((0, "tab:blue"), (1, "tab:orange")):
                    ax.scatter(*xy[sense == value].T, s=9, color=color, label=s["sense_names"][word][value])
                ax.set_title(f"{word}, layer {layer}", fontsize=8)
                ax.set_xlabel("PC 1", fontsize=7)
                ax.set_ylabel("PC 2", fontsize=7)
                ax.tick_params(labelsize=6)
                if row == 0:
                    ax.legend(fontsize=6)


def draw_ranks(ctx, results: dict, figures: list[str]) -> None:
    lengths = results["sentences"]["test_lengths"]
    ranks = sorted(results["ranks"], key=int)
    with figure(ctx, "rank_sweep.png", figures) as (fig, ax):
        uuas = [seed_mean_uuas(results["ranks"][r], lengths) for r in ranks]
        rho = [by_length(seed_mean(results["ranks"][r], "test_spearman"), lengths) for r in ranks]
        ax.semilogx([int(r) for r in ranks], uuas, "o-", label="test UUAS")
        ax.semilogx([int(r) for r in ranks], rho, "s-", label="test distance Spearman")
        ax.set_xlabel("probe rank k")
        ax.set_ylabel("score on the best layer")
        ax.set_title("how many dimensions the tree needs")
        ax.legend(fontsize=8)


def draw_own_bert(ctx, results: dict, figures: list[str]) -> None:
    own, lengths = results["own_bert"], results["sentences"]["test_lengths"]
    with figure(ctx, "own_bert_by_layer.png", figures) as (fig, ax):
        for name, key, color in (
            ("trained (masked LM)", "trained", "tab:blue"),
            ("untrained twin", "twin", "tab:red"),
        ):
            mean, low, high = _per_layer(own[key], lengths, "uuas")
            layers = np.arange(len(mean))
            ax.plot(layers, mean, "o-", color=color, label=f"{name} (range over probe seeds)")
            ax.fill_between(layers, low, high, color=color, alpha=0.2)
        ax.set_xticks(layers)
        ax.set_ylim(0, 1)
        ax.set_xlabel("hidden state (0 = embeddings)")
        ax.set_ylabel("test UUAS")
        ax.set_title("nngarden's BERT on the generated language")
        ax.legend(fontsize=8)
