"""The seq2seq-attention measurements: every model trained with ``fit`` and evaluated inside a stage.

Each stage returns plain numbers (length curves, alignment fractions, translation scores, the logged
loss curve), so ``nngarden rejudge`` can judge and draw without a model in memory.
"""

from __future__ import annotations

import collections

import numpy as np
import torch
import torch.nn.functional as F

from ...data import sword
from ...data.seq2seq_tasks import (
    Pair,
    TaskSampler,
    Vocab,
    algorithmic_pairs,
    bleu_and_chrf,
    exact_and_token_accuracy,
    make_batch,
)
from ...nn.seq2seq import Seq2SeqConfig, beam_search, build_model, count_parameters, greedy_decode, strip
from ...train.fit import fit
from .config import Seq2SeqNoteConfig


def _model_config(
    cfg: Seq2SeqNoteConfig,
    arch: str,
    hidden: int,
    src_vocab: int,
    tgt_vocab: int,
    score: str | None = None,
    encoder: str = "gru",
):
    return Seq2SeqConfig(
        src_vocab=src_vocab,
        tgt_vocab=tgt_vocab,
        arch=arch,
        score=score or cfg.score,
        encoder=encoder,
        hidden=hidden,
        embed=cfg.embed,
        attn_hidden=cfg.attn_hidden,
        d_model=cfg.d_model,
        n_head=cfg.n_head,
        n_layer=cfg.n_layer,
        d_ff=2 * cfg.d_model,
        max_len=max(cfg.max_len, 64) + 8,
    )


def teacher_forced_loss(model, batch) -> torch.Tensor:
    """Cross-entropy of every target token given the true previous ones (padding ignored)."""
    src, src_len, tgt_in, tgt_out = batch
    logits, _ = model(src, src_len, tgt_in)  # (B, T, V)
    return F.cross_entropy(logits.reshape(-1, logits.size(-1)), tgt_out.reshape(-1), ignore_index=0)


def _window_means(losses: list[float], every: int) -> list[list[float]]:
    """[step, mean batch loss of the ``every`` updates up to that step]: one batch's loss swings with its
    sequence lengths, so the curve averages over a window."""
    ends = [step for step in range(1, len(losses) + 1) if step % every == 0 or step == len(losses)]
    starts = [0] + ends[:-1]
    return [[end, float(np.mean(losses[start:end]))] for start, end in zip(starts, ends)]


def _train(ctx, cfg, name: str, model, next_batch, steps: int, lr: float, warmup: int = 0) -> dict:
    """Adam on teacher-forced cross-entropy through ``fit``; returns the loss curve and the time spent.

    ``next_batch`` draws from the task's own generator, once per step in step order, as before the
    move to ``fit``, so the batches (and the trained model) are the same.
    """
    losses: list[float] = []

    def batches(step: int):
        batch = next_batch()  # a tuple, so that fit moves every tensor of it to the device
        return batch.src, batch.src_len, batch.tgt_in, batch.tgt_out

    def loss_fn(model, batch) -> torch.Tensor:
        loss = teacher_forced_loss(model, batch)
        losses.append(loss.item())
        return loss

    result = fit(
        model,
        loss_fn,
        batches,
        lambda params: torch.optim.Adam(params, lr=lr),
        steps=steps,
        device=ctx.device,
        lr=(lambda step: lr * min(1.0, (step + 1) / warmup)) if warmup else None,
        grad_clip=cfg.clip,
        log=ctx.log,
        log_every=cfg.log_every,
        tag=name,
    )
    model.eval()
    return {
        "curve": _window_means(losses, cfg.log_every),
        "train_cpu_seconds": result.train_cpu_seconds,
        "train_wall_seconds": result.wall_seconds,
    }


def _algorithmic_batches(cfg: Seq2SeqNoteConfig, sampler):
    """Fresh copy/reverse batches whose lengths span ``length_spread`` values (little padding)."""

    def next_batch():
        top = int(sampler.rng.integers(cfg.min_len, cfg.max_len + 1))
        lengths = sampler.rng.integers(max(cfg.min_len, top - cfg.length_spread + 1), top + 1, size=cfg.batch)
        pairs = algorithmic_pairs(sampler.task, lengths, cfg.n_symbols, sampler.rng)
        return make_batch(pairs, sampler.src_vocab, sampler.tgt_vocab)

    return next_batch


def _eval_lengths(cfg: Seq2SeqNoteConfig) -> list[int]:
    lengths = list(range(cfg.min_len, cfg.max_len + 1, cfg.eval_every))
    return lengths if lengths[-1] == cfg.max_len else lengths + [cfg.max_len]


def seed_of(cfg: Seq2SeqNoteConfig, k: int) -> int:
    """The seed of a claim's k-th model (copy; reverse adds 1, dates 2, verses 3)."""
    return cfg.seed + 10 * k


def alignment_histogram(weights: torch.Tensor, task: str) -> dict[int, int]:
    """Signed offsets of the attention argmax from the aligned source position, counted over tokens.

    weights (B, L, S): the teacher-forced attention when predicting target token i = 0 .. L-1 of a source
    of length L (the EOS step dropped). Target i is aligned with source i on copy and L-1-i on reverse;
    the offset is argmax_j a_ij minus that position.
    """
    length = weights.size(1)
    target = torch.arange(length, device=weights.device)
    if task == "reverse":
        target = length - 1 - target
    offsets, counts = torch.unique(weights.argmax(dim=-1) - target, return_counts=True)
    return {int(o): int(c) for o, c in zip(offsets.tolist(), counts.tolist())}


@torch.no_grad()
def _length_curve(ctx, cfg, model, task: str, seed: int, align: bool) -> dict:
    """Greedy exact/token accuracy at each length on fresh sequences; with ``align``, the histogram of
    the attention argmax's signed offsets from the aligned position at each length."""
    sampler = TaskSampler(task, cfg.n_symbols, cfg.min_len, cfg.max_len, seed=seed)
    out = {"lengths": [], "exact": [], "token": [], "offsets": [], "n_sequences": []}
    for length in _eval_lengths(cfg):
        batch = make_batch(sampler.pairs(cfg.n_eval, length=length), sampler.src_vocab, sampler.tgt_vocab).to(
            ctx.device
        )
        tokens, _ = greedy_decode(model, batch.src, batch.src_len, max_len=length + 5, need_weights=False)
        exact, token = exact_and_token_accuracy(strip(tokens), strip(batch.tgt_out))
        out["lengths"].append(length)
        out["exact"].append(exact)
        out["token"].append(token)
        if align:
            _, weights = model(batch.src, batch.src_len, batch.tgt_in)  # (B, L+1, L), teacher forced
            histogram = alignment_histogram(weights[:, :length], task)
            out["offsets"].append(sorted(histogram.items()))
            out["n_sequences"].append(int(batch.src.size(0)))
    if align:
        length = min(cfg.max_len, max(cfg.min_len, 12))
        batch = make_batch(sampler.pairs(1, length=length), sampler.src_vocab, sampler.tgt_vocab).to(
            ctx.device
        )
        _, weights = model(batch.src, batch.src_len, batch.tgt_in)
        out["heatmap"] = weights[0].cpu().tolist()  # (L+1, L)
        out["heatmap_src"] = sampler.src_vocab.decode(batch.src[0].tolist())
        out["heatmap_tgt"] = sampler.tgt_vocab.decode(batch.tgt_out[0].tolist()) + ["</s>"]
    return out


def algorithmic_stage(
    ctx, cfg, task: str, arch: str, hidden: int, k: int, score: str | None = None, encoder: str = "gru"
) -> dict:
    """Train the k-th seed's model on copy or reverse, then measure its accuracy (and alignment) at each
    length. ``score`` and ``encoder`` choose the attention score and the annotations (the control's
    "embedding" has no recurrence)."""
    seed = seed_of(cfg, k) + (1 if task == "reverse" else 0)
    torch.manual_seed(seed)
    sampler = TaskSampler(task, cfg.n_symbols, cfg.min_len, cfg.max_len, seed=seed)
    mcfg = _model_config(cfg, arch, hidden, len(sampler.src_vocab), len(sampler.tgt_vocab), score, encoder)
    model = build_model(mcfg)
    transformer = arch == "transformer"
    name = model_name(task, arch, hidden, k, score if score != cfg.score else None, encoder)
    result = _train(
        ctx,
        cfg,
        name,
        model,
        _algorithmic_batches(cfg, sampler),
        cfg.transformer_steps if transformer else cfg.steps,
        cfg.transformer_lr if transformer else cfg.lr,
        warmup=200 if transformer else 0,
    )
    result.update(_length_curve(ctx, cfg, model, task, seed + 10_000, align=arch == "attention"))
    for offset, count in _pooled(result.get("offsets", [])).items():  # the signed-offset histogram
        ctx.log(cfg.steps, run=name, alignment_offset=offset, tokens=count)
    result.update(
        name=name,
        params=count_parameters(model),
        task=task,
        arch=arch,
        hidden=hidden,
        seed=k,
        score=mcfg.score,
    )
    result["encoder"] = encoder
    return result


def model_name(
    task: str, arch: str, hidden: int, k: int, score: str | None = None, encoder: str = "gru"
) -> str:
    """E.g. copy-fixed-32-seed0, reverse-attention-32-seed1, copy-control-32-seed0,
    copy-attention-additive-32-seed0 (a score is named only when it is not the deciding one)."""
    kind = "control" if encoder == "embedding" else arch
    width = "" if arch == "transformer" else f"-{hidden}"
    return f"{task}-{kind}" + (f"-{score}" if score else "") + f"{width}-seed{k}"


def _pooled(per_length: list) -> dict[int, int]:
    pooled: dict[int, int] = collections.Counter()
    for histogram in per_length:
        for offset, count in histogram:
            pooled[int(offset)] += int(count)
    return dict(sorted(pooled.items()))


@torch.no_grad()
def _translation_scores(ctx, cfg, model, pairs, src_vocab, tgt_vocab, buckets, joiner=" ") -> dict:
    """Greedy and beam outputs scored with sacrebleu, overall and per source-length bucket."""
    greedy, beamed = [], []
    for i in range(0, len(pairs), 256):
        chunk = pairs[i : i + 256]
        batch = make_batch(chunk, src_vocab, tgt_vocab).to(ctx.device)
        limit = int(batch.tgt_out.size(1)) + 10
        tokens, _ = greedy_decode(model, batch.src, batch.src_len, max_len=limit, need_weights=False)
        greedy += [tgt_vocab.decode(seq + [2]) for seq in strip(tokens)]
        tokens, _ = beam_search(
            model, batch.src, batch.src_len, beam=cfg.beam, max_len=limit, alpha=cfg.length_penalty
        )
        beamed += [tgt_vocab.decode(seq + [2]) for seq in strip(tokens)]
    refs = [joiner.join(p.tgt) for p in pairs]
    hyp_g = [joiner.join(h) for h in greedy]
    hyp_b = [joiner.join(h) for h in beamed]
    out = {"exact": float(np.mean([h == p.tgt for h, p in zip(greedy, pairs)]))}
    out["bleu"], out["chrf"] = bleu_and_chrf(hyp_g, refs)
    out["bleu_beam"], out["chrf_beam"] = bleu_and_chrf(hyp_b, refs)
    out["by_length"] = []
    for lo, hi in buckets:
        idx = [i for i, p in enumerate(pairs) if lo <= len(p.src) <= hi]
        if len(idx) < 10:
            continue
        bleu, chrf = bleu_and_chrf([hyp_g[i] for i in idx], [refs[i] for i in idx])
        out["by_length"].append({"lo": lo, "hi": hi, "n": len(idx), "bleu": bleu, "chrf": chrf})
    out["examples"] = [[" ".join(p.src), h, r] for p, h, r in zip(pairs[:5], hyp_g[:5], refs[:5])]
    return out


def dates_stage(ctx, cfg, arch: str, k: int) -> dict:
    """Train the k-th seed's RNN model on dates in words to ISO, then score it on fresh dates (greedy and
    beam)."""
    seed = seed_of(cfg, k) + 2
    torch.manual_seed(seed)
    sampler = TaskSampler("dates", seed=seed)
    mcfg = _model_config(cfg, arch, cfg.dates_hidden, len(sampler.src_vocab), len(sampler.tgt_vocab))
    model = build_model(mcfg)
    result = _train(
        ctx,
        cfg,
        f"dates-{arch}-seed{k}",
        model,
        lambda: make_batch(sampler.pairs(cfg.batch), sampler.src_vocab, sampler.tgt_vocab),
        cfg.dates_steps,
        cfg.lr,
    )
    test = TaskSampler("dates", seed=seed + 10_000).pairs(cfg.n_dates_eval)
    lengths = sorted({len(p.src) for p in test})
    result.update(
        _translation_scores(
            ctx, cfg, model, test, sampler.src_vocab, sampler.tgt_vocab, [(n, n) for n in lengths]
        )
    )
    result.update(
        name=f"dates-{arch}-seed{k}",
        seed=k,
        params=count_parameters(model),
        src_len_mean=float(np.mean([len(p.src) for p in test])),
        tgt_len_mean=float(np.mean([len(p.tgt) for p in test])),
        lengths_differ=float(np.mean([len(p.src) != len(p.tgt) for p in test])),
    )
    return result


def _frequent_words(sentences: list[list[str]], size: int) -> Vocab:
    """The ``size`` most frequent words of the training side; the rest read as <unk>."""
    counts = collections.Counter(word for sentence in sentences for word in sentence)
    return Vocab([word for word, _ in counts.most_common(size)], unk="<unk>")


def verses_stage(ctx, cfg, seed: int) -> dict:
    """English -> Spanish verses with both RNN models; {"skipped": reason} when the corpus is absent."""
    available, reason = sword.sword_status()
    if not available:
        ctx.log(0, verses_skipped=reason)
        return {"skipped": reason}
    verses = sword.verse_pairs()
    pairs = [Pair(sword.tokenize(v.source), sword.tokenize(v.target)) for v in verses]
    pairs = [
        p
        for p in pairs
        if 1 <= len(p.src) <= cfg.verse_max_words and 1 <= len(p.tgt) <= 2 * cfg.verse_max_words
    ]
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(pairs))
    test = [pairs[i] for i in order[:1000]]
    train = [pairs[i] for i in order[1000:]]
    src_vocab = _frequent_words([p.src for p in train], cfg.verse_vocab)
    tgt_vocab = _frequent_words([p.tgt for p in train], cfg.verse_vocab)
    step = max(2, cfg.verse_max_words // 4)
    buckets = [(lo, lo + step - 1) for lo in range(1, cfg.verse_max_words + 1, step)]
    out = {"n_pairs": len(verses), "n_train": len(train), "n_test": len(test), "models": {}}
    for arch in ("fixed", "attention"):
        torch.manual_seed(seed)
        model = build_model(_model_config(cfg, arch, cfg.hidden, len(src_vocab), len(tgt_vocab)))

        def next_batch():
            return make_batch(
                [train[i] for i in rng.integers(0, len(train), size=cfg.batch)], src_vocab, tgt_vocab
            )

        result = _train(ctx, cfg, f"verses-{arch}", model, next_batch, cfg.verse_steps, cfg.lr)
        result.update(_translation_scores(ctx, cfg, model, test, src_vocab, tgt_vocab, buckets))
        result.update(name=f"verses-{arch}", params=count_parameters(model))
        out["models"][arch] = result
    return out


def _seeded(ctx, cfg, count: int, task: str, arch: str, hidden: int, **kwargs) -> list[dict]:
    """``count`` seeds of one model, each trained in its own stage."""
    return [
        ctx.stage(
            model_name(task, arch, hidden, k, kwargs.get("score"), kwargs.get("encoder", "gru")),
            lambda k=k: algorithmic_stage(ctx, cfg, task, arch, hidden, k, **kwargs),
        )
        for k in range(count)
    ]


def measure(cfg: Seq2SeqNoteConfig, ctx) -> dict:
    """Over ``n_seeds`` seeds each: copy with fixed-vector models of each width and with attention,
    reverse with attention, copy with the control's annotations; the other attention score on copy and
    reverse; the transformer, dates and verses when the preset trains them. Every model trains in its
    own stage."""
    n = cfg.n_seeds
    other = {"copy": [], "reverse": []}
    if cfg.other_score_seeds > 0:
        other = {
            task: _seeded(
                ctx, cfg, cfg.other_score_seeds, task, "attention", cfg.hidden, score=cfg.other_score
            )
            for task in ("copy", "reverse")
        }
    transformer = None
    if cfg.transformer_steps > 0:  # described beside the RNNs, one seed
        transformer = _seeded(ctx, cfg, 1, "copy", "transformer", cfg.d_model)[0]
    dates = None
    if cfg.dates_steps > 0:
        dates = {
            arch: [
                ctx.stage(f"dates-{arch}-seed{k}", lambda arch=arch, k=k: dates_stage(ctx, cfg, arch, k))
                for k in range(cfg.dates_seeds)
            ]
            for arch in ("fixed", "attention")
        }
    verses = None
    if cfg.verse_steps > 0:
        verses = ctx.stage("verses", lambda: verses_stage(ctx, cfg, cfg.seed + 3))
    return {
        "fixed": [_seeded(ctx, cfg, n, "copy", "fixed", w) for w in cfg.fixed_widths],
        "attention": _seeded(ctx, cfg, n, "copy", "attention", cfg.hidden),
        "reverse": _seeded(ctx, cfg, n, "reverse", "attention", cfg.hidden),
        "control": _seeded(ctx, cfg, n, "copy", "attention", cfg.hidden, encoder="embedding"),
        "other_score": other,
        "transformer": transformer,
        "dates": dates,
        "verses": verses,
    }


def copy_curves(results: dict) -> list[list[dict]]:
    """The copy models' seeds, model by model in the order they are drawn: fixed widths, attention, the
    control, the other score, the transformer."""
    models = results["fixed"] + [results["attention"], results["control"]]
    models += [results["other_score"]["copy"]] if results["other_score"]["copy"] else []
    return models + ([[results["transformer"]]] if results["transformer"] else [])


def metrics(cfg: Seq2SeqNoteConfig, results: dict) -> dict[str, float]:
    out: dict[str, float] = {}
    for seeds in copy_curves(results) + [results["reverse"], results["other_score"]["reverse"]]:
        for r in seeds:
            out[f"{r['name']}_exact_at_{cfg.max_len}"] = r["exact"][-1]
            out[f"{r['name']}_token_at_{cfg.max_len}"] = r["token"][-1]
            out[f"{r['name']}_train_cpu_seconds"] = r["train_cpu_seconds"]
        if seeds:
            out[f"{seeds[0]['name'].rsplit('-seed', 1)[0]}_params"] = seeds[0]["params"]
    for runs in (results["dates"] or {}).values():
        for r in runs:
            out[f"{r['name']}_chrf"] = r["chrf"]
            out[f"{r['name']}_bleu"] = r["bleu"]
            out[f"{r['name']}_exact"] = r["exact"]
            out[f"{r['name']}_chrf_beam{cfg.beam}"] = r["chrf_beam"]
    verses = results["verses"]
    if verses is not None:
        out["verses_available"] = float("models" in verses)
        for arch, r in verses.get("models", {}).items():
            out[f"verses_{arch}_bleu"] = r["bleu"]
            out[f"verses_{arch}_chrf"] = r["chrf"]
    return out
