"""Figures drawn from the stage results: rates, one path, divergence times, the 3-cycle, Adam."""

from __future__ import annotations

import math

import numpy as np

from ...plotting import figure
from . import CLAIMS
from .claims import slope

# Nesterov's proven band for N^2 (f(x_N) - f*) / (L R^2): the rates claim's thresholds
BAND = next(spec for spec in CLAIMS if spec.id == "rates").thresholds
BAND_LABEL = f"[{BAND['band_lower']:g}, {BAND['band_upper']:g}]"


def draw(cfg, results, ctx) -> list[str]:
    figures: list[str] = []
    _rates(ctx, cfg, results["rates"], results["logistic"], figures)
    _same_path(ctx, results["same_path"], figures)
    _divergence(ctx, results["divergence"], figures)
    _heavy_ball(ctx, cfg, results["heavy_ball"], figures)
    _adam(ctx, results["rates"], results["reddi"], results["mlp"], figures)
    return figures


def _nesterov_constants(rates) -> tuple[np.ndarray, np.ndarray]:
    N = np.array(rates["N"], float)
    return N, np.array(rates["worst"]["Nesterov k/(k+3)"]) * N**2


def _rates(ctx, cfg, rates, logistic, figures) -> None:
    N, nesterov = _nesterov_constants(rates)
    with figure(ctx, "rates.png", figures, ncols=3, size=(16, 4.6)) as (fig, (a0, a1, a2)):
        for name, vals in rates["worst"].items():
            v = np.array(vals, float)
            keep = np.isfinite(v) & (v > 0)
            a0.loglog(N[keep], v[keep], "o-", ms=3, label=f"{name} (slope {slope(N, v):.2f})")
        high, low = BAND["band_upper"], BAND["band_lower"]
        a0.loglog(N, high / (N + 1) ** 2, "k--", lw=1, label=f"upper bound {high:g}/(N+1)^2")
        a0.loglog(N, low / (N + 1) ** 2, "k:", lw=1, label=f"lower bound {low:g}/(N+1)^2")
        a0.set_xlabel("horizon N (iterations; one worst-case instance per N)")
        a0.set_ylabel("(f(x_N) - f*) / (L ||x0 - x*||^2)")
        a0.set_title("per-N worst-case quadratic")
        a0.legend(fontsize=6)
        a1.semilogx(N, nesterov, "o-", label="Nesterov: N^2 gap / (L R^2)")
        a1.semilogx(N, rates["gd_1d_constant"], "s-", label="GD on lam = L/(2N+1): N gap / (L R^2)")
        a1.axhline(1 / (4 * math.e), color="C1", ls=":", label="1/(4e)")
        a1.axhspan(
            BAND["band_lower"],
            BAND["band_upper"],
            color="C0",
            alpha=0.08,
            label=f"Nesterov band {BAND_LABEL}",
        )
        a1.semilogx(N, N / (4 * N + 2), "C1--", lw=1, label="GD exact worst case N/(4N+2)")
        a1.set_yscale("log")
        a1.set_xlabel("horizon N (iterations)")
        a1.set_ylabel("rate constant")
        a1.set_title("constants settle")
        a1.legend(fontsize=7)
        for name, c in logistic["curves"].items():
            k, g = np.array(c["k"], float), np.array(c["gap"], float)
            keep = np.isfinite(g) & (g > 0)
            a2.loglog(k[keep], g[keep], label=name, lw=1)
        k = np.geomspace(1, cfg.logistic_iters, 20)
        a2.loglog(k, 1 / k, "k--", lw=0.8, label="slope -1")
        a2.loglog(k, 1 / k**2, "k:", lw=0.8, label="slope -2")
        a2.set_ylim(1e-16, None)
        a2.set_xlabel("iteration k")
        a2.set_ylabel("f(x_k) - f* (mean logistic loss)")
        a2.set_title("generated logistic regression (not a worst case)")
        a2.legend(fontsize=6)


def _same_path(ctx, path, figures) -> None:
    with figure(ctx, "same_path.png", figures, ncols=2, size=(11, 4.2)) as (fig, (a0, a1)):
        for p, d in path["paths"].items():
            t, g = np.array(d["t"]), np.array(d["gap"])
            a0.loglog(t, g, label=f"p={p}")
            a1.loglog(t ** (int(p) / 2), g, ls="-" if p == "2" else "--", label=f"p={p} against t^(p/2)")
        s = np.array(path["s"])
        a1.loglog(s, path["bound"] / s**2, "k:", lw=1, label="bound R^2/(2C s^2)")
        top = max(max(d["gap"]) for d in path["paths"].values())
        a1.set_ylim(None, 100 * top)
        a0.set_xlabel("ODE time t")
        a1.set_xlabel("reparametrised time s = t^(p/2)")
        for a in (a0, a1):
            a.set_ylabel("f(X_t) - f*")
            a.legend(fontsize=7)
        a0.set_title("Bregman-Lagrangian ODEs, p = 2, 3, 4")
        a1.set_title("one path at different speeds")


def _divergence(ctx, div, figures) -> None:
    with figure(ctx, "divergence.png", figures, ncols=2, size=(11, 4.2)) as (fig, (a0, a1)):
        p_show = str(max(int(p) for p in div["runs"]))
        for i, row in enumerate(div["runs"][p_show]):
            a0.semilogy(
                row["t"], np.maximum(row["dist"], 1e-300), color=f"C{i}", lw=1, label=f"h={row['h']:g}"
            )
            a0.axvline(row["t_pred"], color=f"C{i}", ls=":", lw=1)
        a0.semilogy(div["p2"]["t"], div["p2"]["dist"], "k", lw=1, label=f"p=2, h={div['p2']['h']:g}")
        a0.set_xlim(0, 3 * max(r["t_pred"] for r in div["runs"][p_show]))
        a0.set_ylim(1e-8, 1e3)
        a0.set_xlabel("time t")
        a0.set_ylabel("|x_k - x*| (semi-implicit Euler)")
        a0.set_title(f"p={p_show}: divergence near t* (dotted)")
        a0.legend(fontsize=7)
        for i, (p, rows) in enumerate(div["runs"].items()):
            h = np.array([r["h"] for r in rows])
            a1.loglog(h, [r["t_div"] for r in rows], "o", color=f"C{i}", label=f"p={p} semi-implicit")
            a1.loglog(h, [r["t_pred"] for r in rows], "-", color=f"C{i}", lw=1, label=f"p={p} predicted t*")
            a1.loglog(h, [r["t_div_forward"] for r in rows], "x", color=f"C{i}", label=f"p={p} forward Euler")
        a1.set_xlabel("step size h")
        a1.set_ylabel("divergence time t_div")
        a1.set_title("t* = (4 / (C p^2 L h^2))^(1/(p-2))")
        a1.legend(fontsize=7)


def _heavy_ball(ctx, cfg, hb, figures) -> None:
    starts = list(hb["starts"])
    shown = min(starts, key=lambda s: abs(float(s) - 3.3))  # the published start
    with figure(ctx, "heavy_ball.png", figures, ncols=2, size=(11, 4.2)) as (fig, (a0, a1)):
        for name, xs in hb["starts"][shown].items():
            a0.plot(range(len(xs[:60])), xs[:60], ".-", lw=0.8, label=f"{name} from {shown}")
        for i, start in enumerate(s for s in starts if s != shown):
            xs = hb["starts"][start]["heavy ball"][:60]
            a0.plot(range(len(xs)), xs, ":", lw=0.8, color=f"C{i + 3}", label=f"heavy ball from {start}")
        a0.set_xlabel("iteration k")
        a0.set_ylabel("x_k")
        a0.set_title("Lessard's function")
        a0.legend(fontsize=7)
        for i, start in enumerate(starts):
            xs = np.array(hb["starts"][start]["heavy ball"])
            a1.plot(xs[:-1], xs[1:], ".-", lw=0.5, color=f"C{i}", label=f"heavy ball from {start}")
        tail = np.array(hb["starts"][shown]["heavy ball"][-4:])
        a1.plot(tail[:-1], tail[1:], "o", ms=9, mfc="none", color="C3", label="last cycle")
        a1.set_xlabel("x_k")
        a1.set_ylabel("x_{k+1}")
        a1.set_title("the 3-cycle")
        a1.legend(fontsize=7)


def _adam(ctx, rates, reddi, mlp, figures) -> None:
    N, nesterov = _nesterov_constants(rates)
    with figure(ctx, "adam.png", figures, ncols=3, size=(16, 4.2)) as (fig, (a0, a1, a2)):
        t = np.array(reddi["t"])
        for i, (method, paths) in enumerate(reddi["paths"].items()):
            for k, path in enumerate(paths):
                a0.semilogx(
                    t, path, color=f"C{i}", lw=1.2 if k == 0 else 0.5, label=method if k == 0 else None
                )
        a0.axhline(-1, color="k", ls=":", lw=1, label="minimiser x = -1")
        a0.set_xlabel("step t")
        a0.set_ylabel("x_t (projected onto [-1, 1])")
        a0.set_title(f"Reddi et al.'s stochastic problem, {len(reddi['paths']['Adam'])} seeds")
        a0.legend(fontsize=7)
        a1.semilogx(N, nesterov, "o-", label="Nesterov (lr 1/L)")
        a1.semilogx(N, rates["adam_constant"], "s-", label="Adam (best lr per N)")
        a1.axhspan(BAND["band_lower"], BAND["band_upper"], color="C0", alpha=0.08, label=f"band {BAND_LABEL}")
        a1.set_yscale("log")
        a1.set_xlabel("horizon N (iterations)")
        a1.set_ylabel("N^2 (f(x_N) - f*) / (L R^2)")
        a1.set_title("worst-case family (described)")
        a1.legend(fontsize=7)
        if mlp:
            for name, d in mlp.items():
                a2.semilogy(
                    range(1, len(d["losses"]) + 1),
                    d["losses"],
                    label=f"{name} lr={d['lr']:g} (test acc {d['test_acc']:.2f})",
                )
            a2.set_xlabel("full-batch step")
            a2.set_ylabel("training cross-entropy (nats)")
            a2.set_title("MLP on MNIST-1D, tuned step sizes (described)")
            a2.legend(fontsize=7)
