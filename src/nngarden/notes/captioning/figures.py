"""The captioning figures, drawn from the stage results and the logged training losses only."""

from __future__ import annotations

import numpy as np

from ...plotting import figure
from .claims import CAPTIONERS, SHAPE_TASKS, proportion, wilson

# Karpathy's diagrams: (steps, steps with an input, steps with an output, task)
DIAGRAMS = {
    "one-to-one": (1, (0,), (0,), "digit image -> class"),
    "one-to-many": (3, (0,), (0, 1, 2), "number -> its name's letters"),
    "many-to-one": (3, (0, 1, 2), (2,), "digits -> sum mod 10"),
    "many-to-many-out-of-step": (5, (0, 1, 2), (3, 4), "digits -> reversed"),
    "many-to-many-in-step": (3, (0, 1, 2), (0, 1, 2), "digits -> running sum mod 10"),
}
BOX_COLOURS = {"x": "#f4a6a6", "h": "#a8d5a2", "y": "#a6c8f4"}


def _box(ax, x: float, y: float, kind: str) -> None:
    from matplotlib.patches import Rectangle

    ax.add_patch(
        Rectangle((x - 0.3, y - 0.3), 0.6, 0.6, facecolor=BOX_COLOURS[kind], edgecolor="black", linewidth=0.8)
    )


def _arrow(ax, x0: float, y0: float, x1: float, y1: float) -> None:
    ax.annotate("", xy=(x1, y1), xytext=(x0, y0), arrowprops={"arrowstyle": "->", "linewidth": 0.8})


def _diagram(ax, steps: int, inputs, outputs) -> None:
    """Inputs (red) below, the core's steps (green) in the middle, outputs (blue) above."""
    for t in range(steps):
        _box(ax, t, 1, "h")
        if t + 1 < steps:
            _arrow(ax, t + 0.3, 1, t + 0.7, 1)
    for t in inputs:
        _box(ax, t, 0, "x")
        _arrow(ax, t, 0.3, t, 0.7)
    for t in outputs:
        _box(ax, t, 2, "y")
        _arrow(ax, t, 1.3, t, 1.7)
    ax.set_xlim(-0.6, 4.6)
    ax.set_ylim(-0.6, 2.6)
    ax.set_aspect("equal")
    ax.axis("off")


def _five_shapes(cfg, results, ctx, figures) -> None:
    with figure(ctx, "five-shapes.png", figures, ncols=5, size=(16.0, 3.6)) as (fig, axes):
        for ax, task in zip(axes, SHAPE_TASKS):
            steps, inputs, outputs, what = DIAGRAMS[task]
            _diagram(ax, steps, inputs, outputs)
            exact, low, high = proportion([seed[task]["correct"] for seed in results["shapes"]], cfg)
            n = len(results["shapes"][0][task]["correct"])
            ax.set_title(f"{task.replace('-', ' ')}\n{what}", fontsize=9)
            ax.text(2.0, -0.9, f"exact {exact:.3f} [{low:.3f}, {high:.3f}], n = {n}", ha="center", fontsize=8)
        fig.suptitle(
            "x input (red), one GRU step (green), y output (blue); held-out exact match, 95% interval"
        )


def _captioner_labels(results) -> list[str]:
    labels = list(results["captioners"][0])
    return [name for name in CAPTIONERS if name in labels] + [n for n in labels if n not in CAPTIONERS]


def _against_k(cfg, results, ctx, figures) -> None:
    seed0 = results["captioners"][0]
    ks = sorted(int(k) for k in seed0["vector"]["by_k"])
    with figure(ctx, "accuracy-vs-objects.png", figures, ncols=3, size=(15.0, 4.0)) as (fig, axes):
        for label in _captioner_labels(results):
            r = seed0[label]
            exact = [wilson(sum(r["by_k"][str(k)]["exact"]), len(r["by_k"][str(k)]["exact"])) for k in ks]
            values = np.array([e[0] for e in exact])
            errors = np.clip([[e[0] - e[1] for e in exact], [e[2] - e[0] for e in exact]], 0, None)
            name = f"{label} ({r['params'] / 1000:.0f}k params)"
            axes[0].errorbar(ks, values, yerr=errors, marker="o", capsize=3, label=name)
            per_object = [
                np.sum(r["by_k"][str(k)]["found"]) / (k * len(r["by_k"][str(k)]["found"])) for k in ks
            ]
            axes[1].plot(ks, per_object, marker="o", label=name)
            axes[2].plot(ks, [np.mean(r["by_k"][str(k)]["bleu"]) for k in ks], marker="o", label=name)
        titles = ("exact caption (greedy, Wilson 95%)", "objects named exactly", "sentence BLEU-4 (mean)")
        for ax, title in zip(axes, titles):
            ax.set_xlabel("objects in the scene (k)")
            ax.set_ylabel("fraction of test scenes" if ax is axes[0] else "mean over test scenes")
            ax.set_title(title, fontsize=10)
            ax.set_ylim(-0.02, 1.02)
            ax.set_xticks(ks)
        axes[0].legend(fontsize=7)
        fig.suptitle(f"held-out scenes, {cfg.n_test} per k, seed {results['seeds'][0]}")


def _attention_maps(cfg, results, ctx, figures) -> None:
    examples = results["captioners"][0]["attention"].get("examples", [])
    if not examples:
        return
    columns = 1 + max(len(e["words"]) for e in examples)
    rows = len(examples)
    with figure(
        ctx, "attention-maps.png", figures, ncols=columns, nrows=rows, size=(1.3 * columns, 1.5 * rows)
    ) as (
        fig,
        axes,
    ):
        axes = np.asarray(axes).reshape(rows, columns)
        for row, example in zip(axes, examples):
            image = np.transpose(np.asarray(example["image"]), (1, 2, 0))
            row[0].imshow(np.clip(image, 0, 1))
            row[0].set_title("scene", fontsize=7)
            for ax, word, weights in zip(row[1:], example["words"], example["weights"]):
                grid = np.kron(np.asarray(weights).reshape(3, 3), np.ones((8, 8)))  # a cell is 8x8 pixels
                ax.imshow(np.clip(image, 0, 1))
                ax.imshow(grid, cmap="gray", alpha=0.6, vmin=0, vmax=1)
                ax.set_title(word, fontsize=7)
            for ax in row:
                ax.axis("off")
        fig.suptitle("attention of each generated word over the 3x3 grid (bright: weight near 1)", fontsize=9)


def _learning_curves(cfg, results, ctx, figures) -> None:
    rows = [r for r in ctx.metrics() if "train_loss" in r and "run" in r]
    if not rows:
        return
    with figure(ctx, "learning-curves.png", figures, ncols=2, size=(11.0, 4.0)) as (fig, axes):
        runs = sorted({r["run"] for r in rows})
        for run in runs:
            ax = axes[0] if run.split("-")[0] in CAPTIONERS else axes[1]
            if run.startswith("one-to-many-") and not run.endswith("-0-0"):
                continue  # one of the number spellers stands for all of them
            curve = [(r["step"], r["train_loss"]) for r in rows if r["run"] == run]
            ax.plot(*zip(*curve), label=run, linewidth=1)
        for ax, title in zip(axes, ("captioners", "the five shapes")):
            ax.set_yscale("log")
            ax.set_xlabel("optimizer step")
            ax.set_ylabel("training loss (nats per output token)")
            ax.set_title(title, fontsize=10)
            ax.legend(fontsize=7)


def draw(cfg, results, ctx) -> list[str]:
    figures: list[str] = []
    _five_shapes(cfg, results, ctx, figures)
    _against_k(cfg, results, ctx, figures)
    _attention_maps(cfg, results, ctx, figures)
    _learning_curves(cfg, results, ctx, figures)
    return figures
