"""Transformers: attention is a convex combination of values; sinusoidal encodings make relative
position linear; without position information self-attention cannot see order.

Vaswani et al. (2017), "Attention Is All You Need". Three measurements:

(a) ``convex-combination``: attention weights from random queries and keys (sharpened, with causal and
    padding masks, one padding-only sequence) are non-negative, rows sum to 1 (empty rows to 0), and
    every output lies inside the per-coordinate range of the values it may attend to.
(b) ``relative-position``: for each offset k one fixed matrix M_k maps PE(p) to PE(p + k) for every p
    (the closed-form rotation and a least-squares fit on other positions), and PE(p) . PE(p + k)
    depends on k alone.
(c) ``needs-position``: a small non-causal transformer encoder with mean pooling classifies "is the
    sequence sorted?", where each negative is a permutation of a positive (half of them one adjacent
    swap away). Without encodings the network is permutation-equivariant (measured) and its pooled
    readout permutation-invariant, so on a test set of (sorted, permuted) pairs it must score 1/2;
    with sinusoidal (or learned) encodings it learns the task.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..config import ConfigError, option
from ..findings import Findings, judge
from ..nn.attention import attention_weights, build_mask, scaled_dot_product_attention
from ..nn.bert import EncoderBlock
from ..nn.positional import (
    LearnedPositionalEncoding,
    SinusoidalPositionalEncoding,
    relative_shift_matrix,
    sinusoidal_table,
)
from ..plotting import figure
from ..runs import RunContext
from .base import Note, NoteConfig

CLAIMS = {
    "convex-combination": "Attention output is a convex combination of the values: the weights are "
    "non-negative and every row sums to 1.",
    "relative-position": "With sinusoidal encodings relative position is linear: one fixed matrix M_k maps "
    "PE(p) to PE(p+k) for every p, and PE(p)·PE(p+k) depends on k alone.",
    "needs-position": "Without position information self-attention is permutation-equivariant, so a "
    "non-causal encoder with mean pooling cannot learn an order-dependent task "
    "(is the sequence sorted?) that the same model with position encodings learns.",
}

ARMS = ("none", "sinusoidal", "learned")

# thresholds of the verdicts (stated in the criteria)
TOL_CONVEX = 1e-5  # float32 row sums and hull bounds
TOL_RELATIVE = 1e-4  # float32 table entries are exact to ~1e-7; norms are sqrt(d/2)
CHANCE_MARGIN = 0.05  # "at chance": within 0.05 of 1/2
LEARNED_ACC = 0.90  # "learns": held-out accuracy at least 0.9
TOL_EQUIVARIANT = 1e-4


@dataclass
class TransformersConfig(NoteConfig):
    """Sizes of the three measurements."""

    # (a) convex combination
    attn_batch: int = option(
        8, "batch of random query/key/value sets for the convex-combination check", low=2
    )
    attn_len: int = option(12, "sequence length of those sets", low=2)
    score_scale: float = option(
        8.0, "factor on the random queries, to make the softmax sharp", low=0.0, low_open=True
    )
    # (b) sinusoidal encodings
    pe_dim: int = option(64, "width of the sinusoidal table (even)", low=2)
    pe_positions: int = option(256, "positions in the sinusoidal table", low=8)
    max_offset: int = option(64, "largest offset k examined", low=1)
    # (c) sortedness task
    seq_len: int = option(8, "length of the sequences to classify", low=3)
    vocab: int = option(16, "number of distinct token values", low=3)
    hard_fraction: float = option(
        0.5, "share of negatives that are one adjacent swap from sorted", low=0.0, high=1.0
    )
    d_model: int = option(64, "encoder width", low=2)
    n_head: int = option(4, "attention heads", low=1)
    n_layer: int = option(2, "encoder blocks", low=1)
    steps: int = option(1000, "training steps per model", low=1)
    batch_size: int = option(128, "fresh examples per step", low=2)
    lr: float = option(2e-3, "Adam learning rate (cosine decay to 1/10)", low=0.0, low_open=True)
    eval_interval: int = option(100, "steps between held-out evaluations", low=1)
    val_pairs: int = option(
        256, "(sorted, permuted) pairs in the validation set for the learning curves", low=1
    )
    test_pairs: int = option(1000, "(sorted, permuted) pairs in the test set that decides the verdict", low=1)
    n_seeds: int = option(1, "seeds per arm; the verdict uses the mean accuracy", low=1)

    def validate(self) -> None:
        if self.pe_dim % 2:
            raise ConfigError(f"pe_dim: got {self.pe_dim}, must be even (sin and cos pairs)")
        if self.d_model % self.n_head:
            raise ConfigError(f"d_model: {self.d_model} is not divisible by n_head={self.n_head}")
        if self.d_model % 2:
            raise ConfigError(f"d_model: got {self.d_model}, must be even (sinusoidal encodings)")
        if self.pe_positions - self.max_offset <= self.pe_dim:
            raise ConfigError(
                f"max_offset: got {self.max_offset}, must be below pe_positions - pe_dim "
                f"= {self.pe_positions - self.pe_dim} (a fitted shift matrix needs more "
                f"position pairs than dimensions)"
            )

    @classmethod
    def tiny(cls):
        return cls(
            attn_batch=2,
            attn_len=6,
            pe_dim=16,
            pe_positions=40,
            max_offset=8,
            seq_len=5,
            vocab=8,
            d_model=16,
            n_head=2,
            n_layer=1,
            steps=30,
            batch_size=32,
            eval_interval=10,
            val_pairs=32,
            test_pairs=64,
        )

    @classmethod
    def quick(cls):
        return cls()

    @classmethod
    def full(cls):
        return cls(steps=3000, n_seeds=3, test_pairs=4000, pe_dim=128, pe_positions=1024, max_offset=256)


# ------------------------------------------------------------------------------------------------
# (c) the model: a non-causal transformer encoder with an order-blind readout
# ------------------------------------------------------------------------------------------------


class SortednessClassifier(nn.Module):
    """tokens (B, T) -> logit (B,) of "sorted"; encodings "none", "sinusoidal" or "learned"."""

    def __init__(self, vocab: int, max_len: int, d_model: int, n_head: int, n_layer: int, position: str):
        super().__init__()
        if position not in ARMS:
            raise ConfigError(f"position: got {position!r}, allowed: {', '.join(ARMS)}")
        self.embed = nn.Embedding(vocab, d_model)
        self.position = {
            "none": None,
            "sinusoidal": SinusoidalPositionalEncoding(d_model, max_len),
            "learned": LearnedPositionalEncoding(d_model, max_len),
        }[position]
        if position == "learned":  # same scale as the token embedding, so positions are not drowned
            nn.init.normal_(self.position.embedding.weight, std=1.0)
        self.blocks = nn.ModuleList([EncoderBlock(d_model, n_head) for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, 1)

    def encode(self, tokens: torch.Tensor, need_weights: bool = False):
        """(B, T) -> per-position features (B, T, C) and each block's attention weights."""
        x = self.embed(tokens)
        if self.position is not None:
            x = self.position(x)
        weights = []
        for block in self.blocks:
            x, w = block(x, need_weights=need_weights)
            weights.append(w)
        return self.ln_f(x), weights

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        h, _ = self.encode(tokens)
        return self.head(h.mean(dim=1)).squeeze(-1)  # mean pooling: order-blind


# ------------------------------------------------------------------------------------------------
# (c) the data: negatives are permutations of positives
# ------------------------------------------------------------------------------------------------


def unsorted_permutations(rows: torch.Tensor, hard: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """For each sorted row (each with two distinct values) a permutation of it that is not sorted.

    ``hard`` (bool per row): swap one random adjacent pair of different values, the smallest possible
    disorder; otherwise shuffle the whole row (redrawing the rare shuffles that come out sorted).
    """
    n, t = rows.shape
    out = rows.clone()
    # hard: pick one adjacent pair (i, i+1) with different values, uniformly among such pairs
    spots = (rows[:, 1:] != rows[:, :-1]).float()  # (n, t-1)
    i = torch.multinomial(spots, 1, generator=g)  # (n, 1)
    swapped = rows.clone()
    swapped.scatter_(1, i, rows.gather(1, i + 1))
    swapped.scatter_(1, i + 1, rows.gather(1, i))
    out[hard] = swapped[hard]
    todo = ~hard
    while todo.any():
        perm = torch.rand(int(todo.sum()), t, generator=g).argsort(dim=1)
        out[todo] = rows[todo].gather(1, perm)
        todo = todo & (out[:, 1:] >= out[:, :-1]).all(dim=1)
    return out


def _sorted_rows(n: int, cfg: TransformersConfig, g: torch.Generator) -> torch.Tensor:
    """n sorted rows, each with at least two distinct values (so an unsorted permutation exists)."""
    rows = torch.randint(cfg.vocab, (n, cfg.seq_len), generator=g).sort(dim=1).values
    flat = rows[:, 0] == rows[:, -1]
    while flat.any():
        rows[flat] = torch.randint(cfg.vocab, (int(flat.sum()), cfg.seq_len), generator=g).sort(dim=1).values
        flat = rows[:, 0] == rows[:, -1]
    return rows


def random_batch(n: int, cfg: TransformersConfig, g: torch.Generator):
    """n examples, half sorted; the label is independent of the multiset of values."""
    rows = _sorted_rows(n, cfg, g)
    labels = torch.rand(n, generator=g) < 0.5
    hard = torch.rand(n, generator=g) < cfg.hard_fraction
    negatives = unsorted_permutations(rows, hard, g)
    return torch.where(labels[:, None], rows, negatives), labels.float()


def paired_set(pairs: int, cfg: TransformersConfig, g: torch.Generator):
    """Each multiset twice: sorted (label 1) and as an unsorted permutation (label 0)."""
    pos = _sorted_rows(pairs, cfg, g)
    neg = unsorted_permutations(pos, torch.rand(pairs, generator=g) < cfg.hard_fraction, g)
    return torch.cat([pos, neg]), torch.cat([torch.ones(pairs), torch.zeros(pairs)])


@torch.no_grad()
def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    model.eval()
    acc = ((model(x) > 0).float() == y).float().mean().item()
    model.train()
    return acc


@torch.no_grad()
def equivariance_error(model: SortednessClassifier, x: torch.Tensor, g: torch.Generator) -> dict:
    """max |f(x[perm]) - f(x)[perm]| over features, and max |logit(x[perm]) - logit(x)|."""
    model.eval()
    perm = torch.randperm(x.size(1), generator=g)
    h, _ = model.encode(x)
    h_perm, _ = model.encode(x[:, perm])
    logit_gap = (model(x[:, perm]) - model(x)).abs().max().item()
    model.train()
    return {
        "feature_error": (h_perm - h[:, perm]).abs().max().item(),
        "logit_gap": logit_gap,
        "feature_scale": h.abs().max().item(),
    }


def train_arm(cfg: TransformersConfig, arm: str, seed: int, ctx: RunContext) -> dict:
    """Train one encoder; log learning curves; return held-out accuracy and equivariance numbers."""
    torch.manual_seed(seed)
    data_g = torch.Generator().manual_seed(10_000 + seed)  # same data stream for every arm
    val = paired_set(cfg.val_pairs, cfg, torch.Generator().manual_seed(20_000 + seed))
    test = paired_set(cfg.test_pairs, cfg, torch.Generator().manual_seed(30_000 + seed))
    model = SortednessClassifier(cfg.vocab, cfg.seq_len, cfg.d_model, cfg.n_head, cfg.n_layer, arm)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: 0.1 + 0.45 * (1 + math.cos(math.pi * min(s, cfg.steps) / cfg.steps))
    )
    ctx.log(0, arm=arm, seed=seed, val_acc=accuracy(model, *val))
    for step in range(1, cfg.steps + 1):
        x, y = random_batch(cfg.batch_size, cfg, data_g)
        loss = F.binary_cross_entropy_with_logits(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        if step % cfg.eval_interval == 0 or step == cfg.steps:
            ctx.log(step, arm=arm, seed=seed, train_loss=loss.item(), val_acc=accuracy(model, *val))
    result = {"test_acc": accuracy(model, *test), "val_acc": accuracy(model, *val)}
    result.update(equivariance_error(model, test[0], torch.Generator().manual_seed(seed)))
    # attention weights of block 0 on one sorted test sequence, for the figure
    model.eval()
    with torch.no_grad():
        _, weights = model.encode(test[0][:1], need_weights=True)
    result["example"] = test[0][0].tolist()
    result["attention"] = weights[0][0].tolist()  # (H, T, T)
    return result


# ------------------------------------------------------------------------------------------------
# (a) and (b)
# ------------------------------------------------------------------------------------------------


def measure_convex(cfg: TransformersConfig) -> dict:
    g = torch.Generator().manual_seed(cfg.seed)
    b, h, t, d = cfg.attn_batch, 4, cfg.attn_len, 16
    q = torch.randn(b, h, t, d, generator=g) * cfg.score_scale
    k, v = torch.randn(b, h, t, d, generator=g), torch.randn(b, h, t, d, generator=g)
    pad = torch.rand(b, t, generator=g) < 0.3
    pad[0] = True  # a padding-only sequence
    mask = build_mask(t, t, causal=True, key_padding_mask=pad).expand(b, h, t, t)
    w = attention_weights(q, k, mask)  # (B, H, T, T)
    out, _ = scaled_dot_product_attention(q, k, v, mask, explicit=True)
    fast, _ = scaled_dot_product_attention(q, k, v, mask)
    nonempty = mask.any(-1)  # (B, H, T)
    sums = w.sum(-1)
    # convex hull check per coordinate: min over allowed values <= out <= max over allowed values
    big = torch.finfo(v.dtype).max
    vv = v[:, :, None, :, :].expand(b, h, t, t, d)  # (B, H, Tq, Tk, d)
    allowed = mask[..., None]
    lo = vv.masked_fill(~allowed, big).amin(dim=3)
    hi = vv.masked_fill(~allowed, -big).amax(dim=3)
    violation = torch.maximum(lo - out, out - hi).clamp_min(0)[nonempty]
    return {
        "min_weight": w.min().item(),
        "max_row_sum_error": (sums[nonempty] - 1).abs().max().item(),
        "max_empty_row_sum": sums[~nonempty].abs().max().item() if (~nonempty).any() else 0.0,
        "empty_rows": int((~nonempty).sum()),
        "rows": int(nonempty.numel()),
        "max_hull_violation": violation.max().item(),
        "max_weight": w.max().item(),
        "fast_vs_explicit": (fast - out).abs().max().item(),
        "weights_example": w[1, 0].tolist(),  # (T, T) for the figure
    }


def measure_relative(cfg: TransformersConfig) -> dict:
    n, d = cfg.pe_positions, cfg.pe_dim
    pe = sinusoidal_table(n, d)  # float32, as models use it
    pe64 = pe.double()
    offsets = list(range(1, cfg.max_offset + 1))
    closed_err, fit_err, dot_spread, dots = [], [], [], []
    for k in offsets:
        m = relative_shift_matrix(k, d)
        closed_err.append((pe64[: n - k] @ m.T - pe64[k:]).abs().max().item())
        # without the formula: the best single matrix for all p at once (least squares), and its residual
        fit = torch.linalg.lstsq(pe64[: n - k], pe64[k:]).solution  # PE(p) @ fit ~ PE(p + k)
        fit_err.append((pe64[: n - k] @ fit - pe64[k:]).abs().max().item())
        dot = (pe64[: n - k] * pe64[k:]).sum(-1)  # PE(p) . PE(p + k) for every p
        dot_spread.append((dot.max() - dot.min()).item())
        dots.append(dot.mean().item())
    probe_positions = [0, n // 8, n // 4, n - 1 - cfg.max_offset]
    curves = {
        str(p): [(pe64[p] * pe64[p + k]).sum().item() for k in range(cfg.max_offset + 1)]
        for p in probe_positions
    }
    return {
        "offsets": offsets,
        "closed_error": closed_err,
        "fit_error": fit_err,
        "dot_spread": dot_spread,
        "dot_mean": dots,
        "curves": curves,
        "table": pe[: min(n, 128)].tolist(),
        "norm": pe64[0].norm().item(),
    }


# ------------------------------------------------------------------------------------------------
# the note
# ------------------------------------------------------------------------------------------------


def run(cfg: TransformersConfig, ctx: RunContext) -> Findings:
    figures: list[str] = []
    claims = []

    convex = ctx.stage("convex", lambda: measure_convex(cfg))
    ev = {
        k: convex[k]
        for k in (
            "min_weight",
            "max_row_sum_error",
            "max_empty_row_sum",
            "max_hull_violation",
            "fast_vs_explicit",
            "empty_rows",
            "rows",
        )
    }
    ok = (
        convex["min_weight"] >= 0
        and convex["max_row_sum_error"] <= TOL_CONVEX
        and convex["max_empty_row_sum"] == 0
        and convex["max_hull_violation"] <= TOL_CONVEX
        and convex["fast_vs_explicit"] <= TOL_CONVEX
    )
    claims.append(
        judge(
            "convex-combination",
            CLAIMS["convex-combination"],
            ok,
            ev,
            f"over {convex['rows']} masked query rows of sharpened random attention (causal + padding, "
            f"{convex['empty_rows']} fully masked rows): every weight >= 0, |row sum - 1| <= {TOL_CONVEX:g}, "
            f"fully masked rows sum to exactly 0, each output lies within the per-coordinate range of the "
            f"values it may attend to (violation <= {TOL_CONVEX:g}), and the fused SDPA path agrees "
            f"with the explicit one within {TOL_CONVEX:g}",
        )
    )

    rel = ctx.stage("relative", lambda: measure_relative(cfg))
    ev = {
        "max_closed_form_error": max(rel["closed_error"]),
        "max_fitted_residual": max(rel["fit_error"]),
        "max_dot_spread": max(rel["dot_spread"]),
        "max_offset": cfg.max_offset,
        "positions": cfg.pe_positions,
        "encoding_norm": rel["norm"],
    }
    ok = (
        ev["max_closed_form_error"] <= TOL_RELATIVE
        and ev["max_fitted_residual"] <= TOL_RELATIVE
        and ev["max_dot_spread"] <= TOL_RELATIVE
    )
    claims.append(
        judge(
            "relative-position",
            CLAIMS["relative-position"],
            ok,
            ev,
            f"for every offset k = 1..{cfg.max_offset} over {cfg.pe_positions} positions (width "
            f"{cfg.pe_dim}, float32 table): the rotation M_k maps PE(p) to PE(p+k) with max error <= "
            f"{TOL_RELATIVE:g}; the one matrix fitted by least squares to all pairs (PE(p), PE(p+k)) "
            f"leaves a max residual <= {TOL_RELATIVE:g}; and max_p - min_p of PE(p).PE(p+k) "
            f"is <= {TOL_RELATIVE:g} (entries have norm {rel['norm']:.2f})",
        )
    )

    results = {
        arm: [
            ctx.stage(f"train-{arm}-seed{s}", lambda arm=arm, s=s: train_arm(cfg, arm, cfg.seed + s, ctx))
            for s in range(cfg.n_seeds)
        ]
        for arm in ARMS
    }

    def mean(arm, key):
        return sum(r[key] for r in results[arm]) / len(results[arm])

    acc = {arm: mean(arm, "test_acc") for arm in ARMS}
    ev = {
        "test_acc_without_positions": acc["none"],
        "test_acc_sinusoidal": acc["sinusoidal"],
        "test_acc_learned": acc["learned"],
        "equivariance_error_without": max(r["feature_error"] for r in results["none"]),
        "logit_gap_under_permutation_without": max(r["logit_gap"] for r in results["none"]),
        "logit_gap_under_permutation_sinusoidal": min(r["logit_gap"] for r in results["sinusoidal"]),
        "seeds": cfg.n_seeds,
        "test_examples": 2 * cfg.test_pairs,
    }
    if cfg.n_seeds > 1:
        for arm in ARMS:
            ev[f"test_acc_spread_{arm}"] = max(r["test_acc"] for r in results[arm]) - min(
                r["test_acc"] for r in results[arm]
            )
    ok = (
        abs(acc["none"] - 0.5) <= CHANCE_MARGIN
        and acc["sinusoidal"] >= LEARNED_ACC
        and ev["equivariance_error_without"] <= TOL_EQUIVARIANT
    )
    claims.append(
        judge(
            "needs-position",
            CLAIMS["needs-position"],
            ok,
            ev,
            f"after {cfg.steps} steps (mean over {cfg.n_seeds} seed(s)), on {cfg.test_pairs} held-out "
            f"(sorted, permuted) pairs of length {cfg.seq_len}: without encodings test accuracy within "
            f"{CHANCE_MARGIN} of 1/2, with sinusoidal encodings at least {LEARNED_ACC}, and the "
            f"encoder without encodings permutation-equivariant (max |f(x[pi]) - f(x)[pi]| <= "
            f"{TOL_EQUIVARIANT:g}); learned encodings reported alongside",
        )
    )

    _figures(ctx, cfg, rel, convex, results, figures)
    metrics = {
        "acc_without_positions": acc["none"],
        "acc_sinusoidal": acc["sinusoidal"],
        "acc_learned": acc["learned"],
        "max_shift_error": max(rel["closed_error"]),
        "max_dot_spread": max(rel["dot_spread"]),
        "max_row_sum_error": convex["max_row_sum_error"],
    }
    return Findings(claims, metrics, figures)


def _figures(ctx, cfg, rel, convex, results, figures) -> None:
    import numpy as np

    with figure(ctx, "encoding_matrix.png", figures, size=(6.5, 3.8)) as (fig, ax):
        table = np.array(rel["table"])
        im = ax.imshow(table.T, aspect="auto", cmap="RdBu_r", vmin=-1, vmax=1, origin="lower")
        ax.set_xlabel("position p")
        ax.set_ylabel("encoding dimension (sin even, cos odd)")
        ax.set_title("sinusoidal position encodings PE(p)")
        fig.colorbar(im, ax=ax, label="value")

    with figure(ctx, "dot_product_vs_offset.png", figures, ncols=2, size=(10, 3.8)) as (fig, axes):
        for p, curve in rel["curves"].items():
            axes[0].plot(range(len(curve)), curve, label=f"p = {p}", lw=1.2)
        axes[0].set_xlabel("offset k (positions)")
        axes[0].set_ylabel("PE(p) · PE(p+k)")
        axes[0].set_title("the dot product depends on k only")
        axes[0].legend(fontsize=8)
        floor = 1e-18  # zero errors drawn at the bottom of the log axis
        axes[1].semilogy(rel["offsets"], np.maximum(rel["closed_error"], floor), label="rotation M_k")
        axes[1].semilogy(
            rel["offsets"],
            np.maximum(rel["fit_error"], floor),
            label="one least-squares M_k for all p (residual)",
        )
        axes[1].semilogy(
            rel["offsets"], np.maximum(rel["dot_spread"], floor), label="spread of PE(p)·PE(p+k) over p"
        )
        axes[1].axhline(TOL_RELATIVE, color="k", ls=":", lw=1, label="threshold")
        axes[1].set_xlabel("offset k (positions)")
        axes[1].set_ylabel("max absolute error")
        axes[1].set_title("PE(p+k) = M_k PE(p) for every p")
        axes[1].legend(fontsize=8)

    rows = [r for r in ctx.metrics() if "val_acc" in r]
    latest = {}
    for r in rows:  # a resumed run may have logged a stage twice: keep the last row per point
        latest[(r["arm"], r["seed"], r["step"])] = r
    with figure(ctx, "learning_curves.png", figures, ncols=2, size=(10, 3.8)) as (fig, axes):
        colors = {"none": "tab:red", "sinusoidal": "tab:blue", "learned": "tab:green"}
        for arm in ARMS:
            for s in sorted({k[1] for k in latest if k[0] == arm}):
                pts = sorted((k[2], v) for k, v in latest.items() if k[0] == arm and k[1] == s)
                steps = [p[0] for p in pts]
                label = (f"{arm} encodings" if arm != "none" else "no encodings") if s == cfg.seed else None
                axes[0].plot(
                    steps,
                    [p[1]["val_acc"] for p in pts],
                    color=colors[arm],
                    label=label,
                    alpha=0.8,
                    lw=2 if arm == "none" else 1.4,
                    zorder=3,
                )
                loss_pts = [(st, p["train_loss"]) for st, p in pts if p.get("train_loss") is not None]
                axes[1].plot(
                    [a for a, _ in loss_pts],
                    [b for _, b in loss_pts],
                    color=colors[arm],
                    label=label,
                    alpha=0.8,
                )
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

    example = results["sinusoidal"][0]
    att = np.array(example["attention"])  # (H, T, T)
    heads = att.shape[0]
    with figure(ctx, "attention_weights.png", figures, ncols=heads + 1, size=(2.6 * (heads + 1), 3.0)) as (
        fig,
        axes,
    ):
        ticks = [str(t) for t in example["example"]]
        for h in range(heads):
            axes[h].imshow(att[h], cmap="viridis", vmin=0, vmax=1)
            axes[h].set_title(f"sorter, block 1, head {h + 1}", fontsize=8)
            axes[h].set_xticks(range(len(ticks)), ticks, fontsize=6)
            axes[h].set_yticks(range(len(ticks)), ticks, fontsize=6)
            axes[h].set_xlabel("key token", fontsize=7)
            axes[h].set_ylabel("query token", fontsize=7)
        im = axes[heads].imshow(np.array(convex["weights_example"]), cmap="viridis", vmin=0, vmax=1)
        axes[heads].set_title("random, causal + padding", fontsize=8)
        n_pos = len(convex["weights_example"])
        axes[heads].set_xticks(range(0, n_pos, 2))
        axes[heads].set_yticks(range(0, n_pos, 2))
        axes[heads].set_xlabel("key position", fontsize=7)
        axes[heads].set_ylabel("query position", fontsize=7)
        fig.colorbar(im, ax=axes[heads], label="weight")


NOTE = Note(
    slug="transformers",
    title="Transformers: attention, position encodings, and why order needs them",
    claims=CLAIMS,
    config_cls=TransformersConfig,
    run=run,
    summary=(
        "Attention mixes values with softmax weights, so each output is a convex combination of the values "
        "it may see; sinusoidal encodings turn a shift by k positions into one fixed rotation; and without "
        "any position signal a non-causal transformer is permutation-equivariant, so with mean pooling it "
        "cannot tell a sorted sequence from a shuffled one. Each is measured: weight signs, row sums and "
        "hull bounds under causal and padding masks; shift-matrix and dot-product errors over all offsets; "
        "held-out accuracies of the same encoder trained with and without encodings on sorted-versus-"
        "permuted pairs, and its permutation-equivariance error."
    ),
    links=("gpt", "seq2seq-attention", "bert", "inductive-bias"),
    quick_decides=("convex-combination", "relative-position", "needs-position"),
)
