"""Figures for notes: matplotlib on the Agg backend (no display), saved into the run's figures/.

Plots are drawn from logged metrics or stage results, never from typed-in numbers. matplotlib is
imported on first use, so importing a note (as `nngarden list` does for all of them) stays cheap.
"""

from __future__ import annotations

from contextlib import contextmanager


def pyplot():
    """matplotlib.pyplot on the Agg backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


@contextmanager
def figure(
    ctx,
    name: str,
    figures: list[str],
    *,
    ncols: int = 1,
    nrows: int = 1,
    size: tuple[float, float] | None = None,
):
    """Yield (fig, axes); on exit save ``figures/<name>`` and append its relative path to ``figures``."""
    plt = pyplot()
    size = size or (5.0 * ncols, 3.6 * nrows)
    fig, axes = plt.subplots(nrows, ncols, figsize=size, squeeze=False)
    try:
        yield fig, (axes[0, 0] if ncols * nrows == 1 else axes.ravel())
        fig.tight_layout()
        path, rel = ctx.figure(name)
        fig.savefig(path, dpi=110)
        figures.append(rel)
    finally:
        plt.close(fig)
