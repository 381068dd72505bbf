"""The seq2seq-attention measurements: every model trained with ``fit`` and evaluated inside a stage.

Each stage returns plain numbers (length curves, alignment fractions, translation scores, the logged
loss curve), so ``nngarden rejudge`` can judge and draw without a model in memory.

The copy/reverse RNN models train stacked: the seeds (and tasks) of one model config form one stage
that trains them side by side as one ``StackedRNNSeq2Seq`` (each member on its own batches, with its
own loss, gradient clip and Adam state: the same training as alone, up to float rounding), then writes
the weights back and evaluates each model on its own, as before. Results stay one dict per model.
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
    algorithmic_ids,
    bleu_and_chrf,
    exact_and_token_accuracy,
    make_batch,
    teacher_forcing_batch,
)
from ...nn.seq2seq import Seq2SeqConfig, beam_search, build_model, count_parameters, greedy_decode, strip
from ...nn.stacked_seq2seq import StackedRNNSeq2Seq, member_losses
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


def _batch_lengths(cfg: Seq2SeqNoteConfig, rng: np.random.Generator) -> np.ndarray:
    """One training batch's source lengths: they span ``length_spread`` values (little padding)."""
    top = int(rng.integers(cfg.min_len, cfg.max_len + 1))
    return rng.integers(max(cfg.min_len, top - cfg.length_spread + 1), top + 1, size=cfg.batch)


def _train_stacked(ctx, cfg, names: list[str], stacked: StackedRNNSeq2Seq, batches) -> list[dict]:
    """Adam on the sum of the members' teacher-forced losses through ``fit``; the sum's gradient is each
    member's own, the stacked module clips each member by its own norm, and Adam is elementwise, so
    each member trains as alone. -> one dict per member: its loss curve and its share of the time.

    ``fit`` logs one row per step for the stack; each becomes one row per member (``run`` its name,
    ``train_loss`` its own loss), as when each model had its own fit. Time cannot be split by member:
    ``train_cpu_seconds`` of a member is the stack's divided by the number of members.
    """
    losses: list[list[float]] = [[] for _ in names]
    share = 1.0 / len(names)

    def loss_fn(model, batch) -> torch.Tensor:
        src, src_len, tgt_in, tgt_out = batch
        logits, _ = model(src, src_len, tgt_in)
        per_member = member_losses(logits, tgt_out)  # (M,)
        for curve, loss in zip(losses, per_member.tolist()):
            curve.append(loss)
        return per_member.sum()

    def log_members(step, run, train_loss, lr, train_cpu_seconds, wall_seconds):
        for name, curve in zip(names, losses):
            ctx.log(
                step,
                run=name,
                train_loss=curve[step],
                lr=lr,
                train_cpu_seconds=round(train_cpu_seconds * share, 4),
                wall_seconds=round(wall_seconds * share, 4),
            )

    device = torch.device(ctx.device)
    result = fit(
        stacked,
        loss_fn,
        batches,
        # fused: one kernel for every tensor; the same Adam update (only float rounding may differ)
        lambda params: torch.optim.Adam(params, lr=cfg.lr, fused=device.type in ("cpu", "cuda")),
        steps=cfg.steps,
        device=ctx.device,
        grad_clip=cfg.clip,
        log=log_members,
        log_every=cfg.log_every,
        tag="stack",
    )
    return [
        {
            "curve": _window_means(curve, cfg.log_every),
            "train_cpu_seconds": result.train_cpu_seconds * share,  # the stack's time / members
            "train_wall_seconds": result.wall_seconds * share,
            "stack": {"members": len(names), "train_cpu_seconds": result.train_cpu_seconds},
        }
        for curve in losses
    ]


def _algorithmic_batches(cfg: Seq2SeqNoteConfig, sampler):
    """Fresh copy/reverse batches from the sampler's generator (lengths, then each sequence's symbols)."""

    def next_batch():
        lengths = _batch_lengths(cfg, sampler.rng)
        src, tgt = algorithmic_ids(sampler.task, lengths, cfg.n_symbols, sampler.rng)
        return teacher_forcing_batch(src, tgt, lengths, lengths)

    return next_batch


def _stacked_batches(cfg: Seq2SeqNoteConfig, samplers):
    """One batch per member per step, each drawn from the member's own generator exactly as
    :func:`_algorithmic_batches` draws it alone, padded to the step's longest source: (M, B, ...)."""

    def batches(step: int):
        lengths = [_batch_lengths(cfg, sampler.rng) for sampler in samplers]
        width = max(int(n.max()) for n in lengths)
        ids = [
            algorithmic_ids(sampler.task, n, cfg.n_symbols, sampler.rng, width)
            for sampler, n in zip(samplers, lengths)
        ]
        lengths = np.stack(lengths)
        batch = teacher_forcing_batch(
            np.stack([src for src, _ in ids]), np.stack([tgt for _, tgt in ids]), lengths, lengths
        )
        return batch.src, batch.src_len, batch.tgt_in, batch.tgt_out

    return batches


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


class _Member:
    """One copy/reverse model of a stage: its task, seed index k, generator seed, sampler, model config."""

    def __init__(self, cfg, task: str, arch: str, hidden: int, k: int, score: str | None, encoder: str):
        self.task, self.arch, self.hidden, self.k, self.encoder = task, arch, hidden, k, encoder
        self.seed = seed_of(cfg, k) + (1 if task == "reverse" else 0)
        self.sampler = TaskSampler(task, cfg.n_symbols, cfg.min_len, cfg.max_len, seed=self.seed)
        vocab = (len(self.sampler.src_vocab), len(self.sampler.tgt_vocab))
        self.mcfg = _model_config(cfg, arch, hidden, *vocab, score, encoder)
        self.name = model_name(task, arch, hidden, k, score if score != cfg.score else None, encoder)

    def build(self):
        torch.manual_seed(self.seed)  # the model's initial weights come from its own seed
        return build_model(self.mcfg)


def _evaluated(ctx, cfg, member: _Member, model, result: dict) -> dict:
    """The trained model's accuracy (and alignment) at each length, added to its training ``result``."""
    model.to(ctx.device).eval()
    result.update(
        _length_curve(ctx, cfg, model, member.task, member.seed + 10_000, member.arch == "attention")
    )
    for offset, count in _pooled(result.get("offsets", [])).items():  # the signed-offset histogram
        ctx.log(cfg.steps, run=member.name, alignment_offset=offset, tokens=count)
    result.update(
        name=member.name,
        params=count_parameters(model),
        task=member.task,
        arch=member.arch,
        hidden=member.hidden,
        seed=member.k,
        score=member.mcfg.score,
    )
    result["encoder"] = member.encoder
    return result


def algorithmic_stage(
    ctx, cfg, task: str, arch: str, hidden: int, k: int, score: str | None = None, encoder: str = "gru"
) -> dict:
    """Train the k-th seed's model alone on copy or reverse (the transformer), then measure it at each
    length."""
    member = _Member(cfg, task, arch, hidden, k, score, encoder)
    model = member.build()
    transformer = arch == "transformer"
    result = _train(
        ctx,
        cfg,
        member.name,
        model,
        _algorithmic_batches(cfg, member.sampler),
        cfg.transformer_steps if transformer else cfg.steps,
        cfg.transformer_lr if transformer else cfg.lr,
        warmup=200 if transformer else 0,
    )
    return _evaluated(ctx, cfg, member, model, result)


def stacked_stage(
    ctx, cfg, tasks, arch: str, hidden: int, count: int, score: str | None = None, encoder: str = "gru"
) -> list[dict]:
    """Train seeds 0..count-1 of one RNN model on each task, all stacked (one config: the copy and
    reverse vocabularies are the same), then measure each model at each length, as alone. ``score``
    and ``encoder`` choose the attention score and the annotations (the control's "embedding" has no
    recurrence)."""
    members = [_Member(cfg, task, arch, hidden, k, score, encoder) for task in tasks for k in range(count)]
    models = [member.build() for member in members]
    stacked = StackedRNNSeq2Seq(models)
    batches = _stacked_batches(cfg, [member.sampler for member in members])
    trained = _train_stacked(ctx, cfg, [member.name for member in members], stacked, batches)
    stacked.write_back(models)
    return [_evaluated(ctx, cfg, *args) for args in zip(members, models, trained)]


def _stacked(ctx, cfg, tasks, arch: str, hidden: int, count: int, **kwargs) -> dict[str, list[dict]]:
    """One stage for ``count`` seeds of one RNN model on each of ``tasks`` -> {task: the seeds' results}.
    The stage is named after its models, e.g. copy+reverse-attention-32-seeds0-2."""
    seeds = f"seeds0-{count - 1}" if count > 1 else "seed0"
    name = model_name("+".join(tasks), arch, hidden, 0, kwargs.get("score"), kwargs.get("encoder", "gru"))
    results = ctx.stage(
        name.rsplit("-seed", 1)[0] + f"-{seeds}",
        lambda: stacked_stage(ctx, cfg, tasks, arch, hidden, count, **kwargs),
    )
    return {task: [r for r in results if r["task"] == task] for task in tasks}


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


def measure(cfg: Seq2SeqNoteConfig, ctx) -> dict:
    """Over ``n_seeds`` seeds each: copy with fixed-vector models of each width and with attention,
    reverse with attention, copy with the control's annotations; the other attention score on copy and
    reverse; the transformer, dates and verses when the preset trains them. The seeds of each RNN
    model (with its copy and reverse models) train stacked in one stage; the others, one stage each."""
    n, both = cfg.n_seeds, ("copy", "reverse")
    other = {"copy": [], "reverse": []}
    if cfg.other_score_seeds > 0:
        other = _stacked(
            ctx, cfg, both, "attention", cfg.hidden, cfg.other_score_seeds, score=cfg.other_score
        )
    transformer = None
    if cfg.transformer_steps > 0:  # described beside the RNNs, one seed
        transformer = ctx.stage(
            model_name("copy", "transformer", cfg.d_model, 0),
            lambda: algorithmic_stage(ctx, cfg, "copy", "transformer", cfg.d_model, 0),
        )
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
    attention = _stacked(ctx, cfg, both, "attention", cfg.hidden, n)
    return {
        "fixed": [_stacked(ctx, cfg, ("copy",), "fixed", w, n)["copy"] for w in cfg.fixed_widths],
        "attention": attention["copy"],
        "reverse": attention["reverse"],
        "control": _stacked(ctx, cfg, ("copy",), "attention", cfg.hidden, n, encoder="embedding")["copy"],
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
