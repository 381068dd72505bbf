"""The bert note's measurements: train a BERT, the same masked model under a causal mask (the left-only
control), a GPT of the same shape and steps, a GPT with as many predicted tokens as BERT (and a BERT at
a higher masking rate) with the engine, then probe them on held-out text.

Stages (cached in the run directory): ``train-<model>`` for each model, then ``measure``, which loads
the checkpoints and computes every accuracy, so rejudging loads no model. Readers compared on the same
held-out items are kept as 2x2 tables (both right, only the first, only the second, neither), from
which the judges compute the paired intervals.
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
        name: ctx.stage(f"train-{name}", lambda name=name: train_stage(cfg, ctx, name)) for name in models
    }
    probed = ctx.stage("measure", lambda: probe_models(cfg, Path(ctx.run_dir), list(models)))
    return {"timings": timings, **probed}


def train_stage(cfg: BertNoteConfig, ctx, name: str) -> dict[str, Any]:
    """Train the model ``name`` in ``run_dir/<name>`` (resuming from its checkpoints); its timing."""
    plan, out = cfg.trained_models()[name], Path(ctx.run_dir) / name
    model_cfg = cfg.model_config(name)
    if plan["kind"] == "gpt":  # the GPT of the same shape, tokenizer and batches: left side only
        trained = train_gpt(model_cfg, out, note="bert", device=ctx.device, progress=ctx.progress)
    else:
        trained = train_bert(model_cfg, out, rate=plan["rate"], device=ctx.device, progress=ctx.progress)
    result = trained.result
    if result.stopped_by:
        raise KeyboardInterrupt(f"{name}: training stopped by {result.stopped_by} at step {result.step}")
    return {
        "ms_per_step": result.ms_per_step,
        "cpu_seconds": result.cpu_seconds,
        "steps": result.step,
        "threads": result.threads,
    }


def table(a: torch.Tensor, b: torch.Tensor) -> dict[str, int]:
    """The 2x2 table of two readers right (True) or wrong on the same items."""
    return {
        "both": int((a & b).sum()),
        "only_a": int((a & ~b).sum()),
        "only_b": int((~a & b).sum()),
        "neither": int((~a & ~b).sum()),
    }


def probe_models(cfg: BertNoteConfig, run_dir: Path, names: list[str]) -> dict[str, Any]:
    """Every accuracy of the trained models on held-out text (the ``measure`` stage)."""
    bert, tokenizer, state = load_bert(run_dir / "bert")
    plans = cfg.trained_models()
    berts = {  # the masked models that see both sides: BERT, and BERT at a higher masking rate
        name: bert if name == "bert" else load_bert(run_dir / name)[0]
        for name in names
        if plans[name]["kind"] == "bert" and not plans[name]["causal"]
    }
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
        "hidden_right": {},
        "rate_curve": {},
        "by_distance": {},
    }
    right = {}
    for name, model in berts.items():
        result["hidden_accuracy"][name], details = hidden_accuracy(model, probe)
        right[name] = torch.tensor([t == p for batch in details for t, p, _ in batch], dtype=torch.bool)
        result["rate_curve"][name] = {
            f"{r:g}": hidden_accuracy(model, held_out_probe(cfg, data, mask_id, vocab, r, 2))[0]
            for r in EVAL_RATES
        }
        _, details = hidden_accuracy(model, held_out_probe(cfg, data, mask_id, vocab, DISTANCE_RATE, 3))
        result["by_distance"][name] = accuracy_by_distance(details)
    result["hidden_right"]["bert_vs_most_frequent"] = table(right["bert"], targets == top)
    if cfg.masking.compare_rate > 0:
        result["hidden_right"]["standard_vs_higher"] = table(right["bert"], right[cfg.higher_rate_model()])
    gpts = {name: load_gpt(run_dir / name)[0] for name in ("gpt", "gpt-tokens")}
    result["both_sides"] = both_sides(bert, load_bert(run_dir / "bert-left")[0], gpts, data, mask_id, cfg)
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
def both_sides(bert, bert_left, gpts: dict, data, mask_id: int, cfg: BertNoteConfig) -> dict[str, Any]:
    """Accuracy at one hidden position per held-out window, for four readers of the same text.

    Window w of length T, position p = T // 2: BERT sees w with w[p] hidden (both sides); the left-only
    masked model sees the same input, its causal mask hiding everything after p (as in its training);
    each GPT sees w[:p] and predicts the next character. All read the same positions, so every pair is
    kept as a 2x2 table of right and wrong answers (the judge's paired interval and McNemar's test).
    """
    t = cfg.model.block_size
    p = t // 2
    stream = data.val
    starts = torch.randint(len(stream) - t, (cfg.eval.windows,), generator=keyed_generator(cfg.seed, "both"))
    windows = stream[starts[:, None] + torch.arange(t)]  # (N, T)
    target = windows[:, p]
    readers = ("bert_both_sides", "bert_left_only", "gpt_equal_steps", "gpt_equal_tokens")
    right: dict[str, list] = {name: [] for name in readers}
    for chunk in torch.split(torch.arange(len(windows)), cfg.eval.batch_size):
        w, y = windows[chunk], target[chunk]
        hidden = w.clone()
        hidden[:, p] = mask_id
        right["bert_both_sides"].append(bert(hidden)[0][:, p].argmax(-1) == y)
        right["bert_left_only"].append(bert_left(hidden)[0][:, p].argmax(-1) == y)
        right["gpt_equal_steps"].append(gpts["gpt"](w[:, :p])[0][:, -1].argmax(-1) == y)
        right["gpt_equal_tokens"].append(gpts["gpt-tokens"](w[:, :p])[0][:, -1].argmax(-1) == y)
    hits = {name: torch.cat(h) for name, h in right.items()}
    out: dict[str, Any] = {name: float(h.float().mean()) for name, h in hits.items()}
    out["tables"] = {
        f"{a}_vs_{b}": table(hits[a], hits[b])
        for a, b in (
            ("bert_both_sides", "gpt_equal_steps"),
            ("bert_both_sides", "gpt_equal_tokens"),
            ("bert_both_sides", "bert_left_only"),
            ("bert_left_only", "gpt_equal_steps"),
        )
    }
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
    both = results["both_sides"]
    out = {
        "hidden_accuracy": results["hidden_accuracy"]["bert"],
        "most_frequent_accuracy": results["trivial_accuracy"],
        **{k: v for k, v in both.items() if isinstance(v, float)},
        "parameters": results["parameters"],
        "vocab_size": results["vocab_size"],
    }
    for name, timing in results["timings"].items():
        out[f"{name.replace('-', '_')}_ms_per_step"] = timing["ms_per_step"]
    for name, accuracy in results["hidden_accuracy"].items():
        if name.startswith("bert-"):
            out[f"hidden_accuracy_{name}"] = accuracy
    return out
