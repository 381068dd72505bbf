"""The bert note's measurements: train a BERT (and one at a higher masking rate) and a GPT of the same
shape, batches and budget with the engine, then probe them on held-out text.

Stages (cached in the run directory): ``train-<model>`` for each model, then ``measure``, which loads
the checkpoints and computes every accuracy, so rejudging loads no model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from ...data.masking import MaskedLMBatches
from ...data.text import keyed_generator, load_text_data
from ...nn.bert import IGNORE_INDEX
from ...train.language_model import load_bert, load_gpt, train_bert, train_gpt
from .config import DISTANCE_RATE, EVAL_RATES, BertNoteConfig


def measure(cfg: BertNoteConfig, ctx) -> dict[str, Any]:
    models = cfg.trained_models()
    timings = {
        name: ctx.stage(f"train-{name}", lambda name=name, rate=rate: train_stage(cfg, ctx, name, rate))
        for name, rate in models.items()
    }
    probed = ctx.stage("measure", lambda: probe_models(cfg, Path(ctx.run_dir), list(models)))
    return {"timings": timings, **probed}


def train_stage(cfg: BertNoteConfig, ctx, name: str, rate: float | None) -> dict[str, Any]:
    """Train one model in ``run_dir/<name>`` (resuming from its checkpoints); its timing."""
    out = Path(ctx.run_dir) / name
    if rate is None:  # the GPT of the same shape, tokenizer, batches and budget: left side only
        trained = train_gpt(cfg, out, note="bert", device=ctx.device, progress=ctx.progress)
    else:
        trained = train_bert(cfg, out, rate=rate, device=ctx.device, progress=ctx.progress)
    result = trained.result
    if result.stopped_by:
        raise KeyboardInterrupt(f"{name}: training stopped by {result.stopped_by} at step {result.step}")
    return {"ms_per_step": result.ms_per_step, "steps": result.step, "threads": result.threads}


def probe_models(cfg: BertNoteConfig, run_dir: Path, names: list[str]) -> dict[str, Any]:
    """Every accuracy of the trained models on held-out text (the ``measure`` stage)."""
    bert, tokenizer, state = load_bert(run_dir / "bert")
    gpt = load_gpt(run_dir / "gpt")[0]
    berts = {"bert": bert}
    berts.update({name: load_bert(run_dir / name)[0] for name in names if name.startswith("bert-")})
    _, _, data = load_text_data(cfg.data, cfg.model.block_size, tokenizer.to_json())
    mask_id, vocab = state["mask_id"], bert.config.vocab_size

    counts = torch.bincount(data.train, minlength=tokenizer.vocab_size)
    top = int(counts.argmax())
    probe = held_out_probe(cfg, data, mask_id, vocab, cfg.masking.rate, 1)
    targets = torch.cat([labels[labels >= 0] for _, labels in probe])
    result = {
        "trivial_accuracy": float((targets == top).float().mean()),
        "top_token": top,
        "parameters": bert.num_params(),
        "vocab_size": vocab,
        "hidden_accuracy": {},
        "rate_curve": {},
        "by_distance": {},
    }
    for name, model in berts.items():
        result["hidden_accuracy"][name] = hidden_accuracy(model, probe)[0]
        result["rate_curve"][name] = {
            f"{r:g}": hidden_accuracy(model, held_out_probe(cfg, data, mask_id, vocab, r, 2))[0]
            for r in EVAL_RATES
        }
        _, details = hidden_accuracy(model, held_out_probe(cfg, data, mask_id, vocab, DISTANCE_RATE, 3))
        result["by_distance"][name] = accuracy_by_distance(details)
    result["both_sides"] = both_sides(bert, gpt, data, mask_id, cfg)
    result["fills"] = example_fills(bert, tokenizer, data, mask_id, cfg)
    return result


def held_out_probe(cfg: BertNoteConfig, data, mask_id: int, vocab_size: int, rate: float, seed_offset: int):
    """Held-out windows with ``rate`` of positions hidden behind [MASK] (all of them: a pure denoising
    probe, no random or unchanged tokens), as (inputs, labels) batches."""
    probe = MaskedLMBatches(
        data,
        cfg.model.block_size,
        cfg.seed + seed_offset,
        mask_id=mask_id,
        vocab_size=vocab_size,
        rate=rate,
        mask_frac=1.0,
        random_frac=0.0,
    )
    n = cfg.eval.windows
    sizes = [min(cfg.eval.batch_size, n - i) for i in range(0, n, cfg.eval.batch_size)]
    return [probe.eval_batch("val", i, size) for i, size in enumerate(sizes)]


@torch.no_grad()
def hidden_accuracy(model, batches) -> tuple[float, list[list[list[int]]]]:
    """Accuracy on hidden positions and, per batch, the (target, prediction, distance) triples."""
    correct = total = 0
    details = []
    for inputs, labels in batches:
        logits, _ = model(inputs)
        hidden = labels != IGNORE_INDEX
        pred = logits.argmax(-1)
        correct += int((pred[hidden] == labels[hidden]).sum())
        total += int(hidden.sum())
        dist = distance_to_context(hidden)
        details.append(torch.stack([labels[hidden], pred[hidden], dist[hidden]], 1).tolist())
    return correct / max(total, 1), details


def accuracy_by_distance(details) -> dict[str, list[float]]:
    """distance to the nearest visible character -> [accuracy, hidden positions at that distance]."""
    by: dict[int, tuple[int, int]] = {}
    for target, pred, dist in (row for batch in details for row in batch):
        hit, n = by.get(dist, (0, 0))
        by[dist] = (hit + (target == pred), n + 1)
    return {str(d): [h / n, n] for d, (h, n) in sorted(by.items())}


def distance_to_context(hidden):
    """(B, T) bool of hidden positions -> (B, T) distance to the nearest visible position (T+1 if none)."""
    b, t = hidden.shape
    big = t + 1
    left = torch.full((b, t), big)
    right = torch.full((b, t), big)
    last = torch.full((b,), -big)
    for i in range(t):
        last = torch.where(~hidden[:, i], torch.full_like(last, i), last)
        left[:, i] = i - last
    nxt = torch.full((b,), 2 * big + t)
    for i in reversed(range(t)):
        nxt = torch.where(~hidden[:, i], torch.full_like(nxt, i), nxt)
        right[:, i] = nxt - i
    return torch.minimum(left, right).clamp(max=big)


@torch.no_grad()
def both_sides(bert, gpt, data, mask_id: int, cfg: BertNoteConfig) -> dict[str, float]:
    """Accuracy at one hidden position per held-out window, for three readers of the same text.

    Window w of length T, position p = T // 2: BERT sees w with w[p] hidden (both sides); BERT sees only
    w[:p] then [MASK] (left side); the GPT sees w[:p] and predicts the next character. Because all three
    read the same positions, they are compared pairwise (McNemar): ``z_a_vs_b`` = (a right and b wrong -
    b right and a wrong) / sqrt(their sum).
    """
    t = cfg.model.block_size
    p = t // 2
    stream = data.val
    starts = torch.randint(len(stream) - t, (cfg.eval.windows,), generator=keyed_generator(cfg.seed, "both"))
    windows = stream[starts[:, None] + torch.arange(t)]  # (N, T)
    target = windows[:, p]
    right = {"bert_both_sides": [], "bert_left_only": [], "gpt_left_only": []}
    for chunk in torch.split(torch.arange(len(windows)), cfg.eval.batch_size):
        w, y = windows[chunk], target[chunk]
        both = w.clone()
        both[:, p] = mask_id
        left = torch.cat([w[:, :p], torch.full((len(w), 1), mask_id)], dim=1)
        right["bert_both_sides"].append(bert(both)[0][:, p].argmax(-1) == y)
        right["bert_left_only"].append(bert(left)[0][:, p].argmax(-1) == y)
        right["gpt_left_only"].append(gpt(w[:, :p])[0][:, -1].argmax(-1) == y)
    right = {name: torch.cat(hits) for name, hits in right.items()}
    out = {name: float(hits.float().mean()) for name, hits in right.items()}
    for a, b in (("bert_both_sides", "gpt_left_only"), ("bert_both_sides", "bert_left_only")):
        only_a = int((right[a] & ~right[b]).sum())
        only_b = int((right[b] & ~right[a]).sum())
        out[f"z_{a}_vs_{b}"] = (only_a - only_b) / max(only_a + only_b, 1) ** 0.5
    return out


@torch.no_grad()
def example_fills(bert, tokenizer, data, mask_id: int, cfg: BertNoteConfig, n: int = 6) -> str:
    """Held-out lines with every fourth character hidden, and what BERT puts there."""
    t = cfg.model.block_size
    starts = torch.randint(len(data.val) - t, (n,), generator=keyed_generator(cfg.seed, "fills"))
    out = []
    for s in starts.tolist():
        w = data.val[s : s + t].clone()
        hidden = torch.zeros(t, dtype=torch.bool)
        hidden[2::4] = True
        pred = bert(w.masked_fill(hidden, mask_id)[None])[0][0].argmax(-1)
        filled = torch.where(hidden, pred, w)
        shown = "".join("_" if h else tokenizer.decode([int(c)]) for c, h in zip(w, hidden))
        out.append(
            f"input:    {shown.replace(chr(10), '⏎')}\n"
            f"BERT:     {tokenizer.decode(filled.tolist()).replace(chr(10), '⏎')}\n"
            f"original: {tokenizer.decode(w.tolist()).replace(chr(10), '⏎')}\n"
            f"hidden characters right: {int((pred[hidden] == w[hidden]).sum())} of {int(hidden.sum())}\n"
        )
    return "\n".join(out)


def metrics(cfg: BertNoteConfig, results: dict[str, Any]) -> dict[str, float]:
    out = {
        "hidden_accuracy": results["hidden_accuracy"]["bert"],
        "most_frequent_accuracy": results["trivial_accuracy"],
        **{k: v for k, v in results["both_sides"].items() if not k.startswith("z_")},
        "parameters": results["parameters"],
        "vocab_size": results["vocab_size"],
        "bert_ms_per_step": results["timings"]["bert"]["ms_per_step"],
        "gpt_ms_per_step": results["timings"]["gpt"]["ms_per_step"],
    }
    for name, accuracy in results["hidden_accuracy"].items():
        if name.startswith("bert-"):
            out[f"hidden_accuracy_{name}"] = accuracy
    return out
