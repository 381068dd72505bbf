"""The transformers note's measurements: (a) convex attention, (b) the sinusoidal table, (c) three
encoders trained on "is the sequence sorted?" (the only code that trains)."""

from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from nngarden.config import ConfigError
from nngarden.nn.attention import attention_weights, build_mask, scaled_dot_product_attention
from nngarden.nn.bert import EncoderBlock
from nngarden.nn.positional import (
    LearnedPositionalEncoding,
    SinusoidalPositionalEncoding,
    relative_shift_matrix,
    sinusoidal_table,
)
from nngarden.runs import RunContext
from nngarden.train.fit import fit

from .claims import mean_test_accuracy
from .config import ARMS, TransformersConfig, run_tag

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


def multiset_keys(rows: torch.Tensor, vocab: int) -> torch.Tensor:
    """One integer per sorted row: its values as the digits of a base-``vocab`` number (int64)."""
    powers = vocab ** torch.arange(rows.size(1) - 1, -1, -1, dtype=torch.int64)
    return (rows.to(torch.int64) * powers).sum(dim=1)


def _sorted_rows(
    n: int,
    cfg: TransformersConfig,
    g: torch.Generator,
    exclude: torch.Tensor | None = None,
    redrawn: list[int] | None = None,
) -> torch.Tensor:
    """n sorted rows, each with at least two distinct values (so an unsorted permutation exists).

    ``exclude``: multiset keys (:func:`multiset_keys`) never to return, the held-out sets' multisets;
    rows that hit one are redrawn and counted in ``redrawn[0]``.
    """

    def bad(rows: torch.Tensor) -> torch.Tensor:
        flat = rows[:, 0] == rows[:, -1]
        if exclude is None:
            return flat
        held_out = torch.isin(multiset_keys(rows, cfg.vocab), exclude)
        if redrawn is not None:
            redrawn[0] += int(held_out.sum())
        return flat | held_out

    rows = torch.randint(cfg.vocab, (n, cfg.seq_len), generator=g).sort(dim=1).values
    todo = bad(rows)
    while todo.any():
        rows[todo] = torch.randint(cfg.vocab, (int(todo.sum()), cfg.seq_len), generator=g).sort(dim=1).values
        todo[todo.clone()] = bad(rows[todo])
    return rows


def random_batch(
    n: int,
    cfg: TransformersConfig,
    g: torch.Generator,
    exclude: torch.Tensor | None = None,
    redrawn: list[int] | None = None,
):
    """n examples, half sorted; the label is independent of the multiset of values. No row's multiset
    is among ``exclude`` (the held-out sets', so that the test asks about unseen multisets)."""
    rows = _sorted_rows(n, cfg, g, exclude, redrawn)
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
    perm = torch.randperm(x.size(1), generator=g).to(x.device)  # drawn on the CPU: same on any device
    h, _ = model.encode(x)
    h_perm, _ = model.encode(x[:, perm])
    logits = model.head(torch.stack([h.mean(dim=1), h_perm.mean(dim=1)])).squeeze(-1)  # = model(x), ...
    model.train()
    return {
        "feature_error": (h_perm - h[:, perm]).abs().max().item(),
        "logit_gap": (logits[1] - logits[0]).abs().max().item(),
        "feature_scale": h.abs().max().item(),
    }


@torch.no_grad()
def bce_loss(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    return F.binary_cross_entropy_with_logits(model(x), y).item()


def cosine_lr(cfg: TransformersConfig):
    """The learning rate of the update at (0-based) step s: cosine decay from lr to lr/10."""
    return lambda s: cfg.lr * (0.1 + 0.45 * (1 + math.cos(math.pi * min(s, cfg.steps) / cfg.steps)))


def train_arm(cfg: TransformersConfig, arm: str, seed: int, ctx: RunContext) -> dict:
    """Train one encoder; log learning curves; return held-out accuracy and equivariance numbers."""
    torch.manual_seed(seed)
    data_g = torch.Generator().manual_seed(10_000 + seed)  # same data stream for every arm
    val = paired_set(cfg.val_pairs, cfg, torch.Generator().manual_seed(20_000 + seed))
    test = paired_set(cfg.test_pairs, cfg, torch.Generator().manual_seed(30_000 + seed))
    held_out = multiset_keys(torch.cat([val[0][: cfg.val_pairs], test[0][: cfg.test_pairs]]), cfg.vocab)
    redrawn = [0]  # training rows whose multiset was held out, drawn again
    val, test = [tuple(t.to(ctx.device) for t in pair) for pair in (val, test)]
    model = SortednessClassifier(cfg.vocab, cfg.seq_len, cfg.d_model, cfg.n_head, cfg.n_layer, arm)
    trained = fit(
        model,
        lambda m, batch: F.binary_cross_entropy_with_logits(m(batch[0]), batch[1]),
        lambda step: random_batch(cfg.batch_size, cfg, data_g, held_out, redrawn),  # once per step, in order
        # foreach: the same AdamW arithmetic in fewer kernel calls (about 10% of a step here)
        lambda params: torch.optim.AdamW(params, lr=cfg.lr, weight_decay=0.01, foreach=True),
        steps=cfg.steps,
        device=ctx.device,
        lr=cosine_lr(cfg),
        evaluate=lambda m: {"val_loss": bce_loss(m, *val), "val_acc": accuracy(m, *val)},
        eval_every=cfg.eval_interval,
        log=ctx.log,
        tag=run_tag(arm, seed),
    )
    result = {
        "test_acc": accuracy(model, *test),
        "val_acc": accuracy(model, *val),
        "train_cpu_seconds": trained.train_cpu_seconds,
        "held_out_multisets_redrawn": redrawn[0],
        "held_out_multisets": int(held_out.unique().numel()),
    }
    result.update(equivariance_error(model, test[0], torch.Generator().manual_seed(seed)))
    # attention weights of block 0 on one sorted test sequence, for the figure
    model.eval()
    with torch.no_grad():
        _, weights = model.encode(test[0][:1], need_weights=True)
    result["example"] = test[0][0].tolist()
    result["attention"] = weights[0][0].tolist()  # (H, T, T)
    return result


# ------------------------------------------------------------------------------------------------
# (a) and (b): no training, exact computations on random attention and on the sinusoidal table
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
# the note's results
# ------------------------------------------------------------------------------------------------


def measure(cfg: TransformersConfig, ctx: RunContext) -> dict:
    """Every measurement, each in a stage cached in the run directory."""
    return {
        "convex": ctx.stage("convex", lambda: measure_convex(cfg)),
        "relative": ctx.stage("relative", lambda: measure_relative(cfg)),
        "arms": {
            arm: [
                ctx.stage(
                    f"train-{run_tag(arm, seed)}", lambda arm=arm, seed=seed: train_arm(cfg, arm, seed, ctx)
                )
                for seed in cfg.arm_seeds(arm)
            ]
            for arm in ARMS
        },
    }


def metrics(cfg: TransformersConfig, results: dict) -> dict:
    return {
        "acc_without_positions": mean_test_accuracy(results, "none"),
        "acc_sinusoidal": mean_test_accuracy(results, "sinusoidal"),
        "acc_learned": mean_test_accuracy(results, "learned"),
        "max_shift_error": max(results["relative"]["closed_error"]),
        "max_dot_spread": max(results["relative"]["dot_spread"]),
        "max_row_sum_error": results["convex"]["max_row_sum_error"],
    }
