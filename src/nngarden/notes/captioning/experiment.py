"""The captioning measurements: every model trained with ``fit`` and scored inside a stage.

Stages return per-item outcomes (0/1 per held-out item or scene, a BLEU per caption), so the judges can
pair models on the same scenes and ``nngarden rejudge`` needs no model in memory.
"""

from __future__ import annotations

import functools
import math
import time

import numpy as np
import torch
import torch.nn.functional as F

from ...data import scenes as sc
from ...data import shape_tasks as tasks
from ...data.digits import load_digits_split
from ...nn import rnn_shapes
from ...nn.captioning import ShowAttendTell, ShowTell, count_parameters, doubly_stochastic_penalty
from ...nn.seq2seq import beam_search, greedy_decode, strip
from ...train.fit import fit
from .config import CaptioningConfig

CAPTIONERS = {"vector": "flatten", "mean": "mean", "attention": None}  # name -> ShowTell pooling


def _train(ctx, model, loss_fn, batches, steps: int, lr: float, clip: float, tag: str, log_every: int):
    """Adam through ``fit`` on the run's device, the rate following a cosine from ``lr`` to a tenth of it."""

    def schedule(step: int) -> float:
        return lr * (0.1 + 0.45 * (1 + math.cos(math.pi * step / steps)))

    result = fit(
        model,
        loss_fn,
        batches,
        lambda params: torch.optim.Adam(params, lr=lr, foreach=True),  # one kernel per op for all tensors
        steps=steps,
        device=ctx.device,
        lr=schedule,
        grad_clip=clip,
        log=ctx.log,
        log_every=log_every,
        tag=tag,
    )
    model.eval()
    return {"train_cpu_seconds": result.train_cpu_seconds, "train_wall_seconds": result.wall_seconds}


def _cross_entropy(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits.reshape(-1, logits.size(-1)), target.reshape(-1), ignore_index=tasks.PAD)


# --- the five shapes ----------------------------------------------------------------------------------
def one_to_one_stage(ctx, cfg: CaptioningConfig, seed: int) -> dict:
    """A digit's class from one step of the core: trained on 1-pixel shifts of the training digits."""
    torch.manual_seed(seed)
    digits = load_digits_split(seed=seed)
    model = rnn_shapes.OneToOne(64, 2 * cfg.shape_hidden, 10)

    def batches(step: int):
        rng = np.random.default_rng([seed, 1, step])
        idx = rng.integers(0, len(digits.y_train), size=2 * cfg.shape_batch)
        return tasks.shift_images(digits.x_train[idx], rng).flatten(1), digits.y_train[idx]

    def loss_fn(model, batch):
        return F.cross_entropy(model(batch[0]), batch[1])

    out = _train(
        ctx, model, loss_fn, batches, cfg.digit_steps, cfg.shape_lr, cfg.clip, "one-to-one", cfg.log_every
    )
    with torch.no_grad():
        predicted = model(digits.x_test.flatten(1).to(ctx.device)).argmax(dim=-1).cpu()
    return out | {"correct": (predicted == digits.y_test).int().tolist(), "params": count_parameters(model)}


def _spell(model, numbers: list[int], device) -> list[str]:
    tokens, _ = greedy_decode(model, tasks.number_inputs(numbers).to(device), None, max_len=20)
    return ["".join(tasks.LETTER_VOCAB[i] for i in row) for row in strip(tokens)]


def _speller(ctx, cfg: CaptioningConfig, held: list[int], tag: str) -> tuple[list[int], dict, int]:
    """Train one number speller on every number but ``held`` (full batch); spell the held-out ones."""
    seen = [n for n in range(100) if n not in held]
    batch = (tasks.number_inputs(seen), *tasks.number_targets(seen))  # the whole training set
    model = rnn_shapes.OneToMany(20, len(tasks.LETTER_VOCAB), cfg.shape_hidden, embed=16)

    def loss_fn(model, batch):
        return _cross_entropy(model(batch[0], batch[1]), batch[2])

    spent = _train(
        ctx, model, loss_fn, lambda step: batch, cfg.number_steps, cfg.number_lr, cfg.clip, tag, cfg.log_every
    )
    with torch.no_grad():
        spelled = _spell(model, held, ctx.device)
    return (
        [int(word == tasks.number_name(n)) for word, n in zip(spelled, held)],
        spent,
        count_parameters(model),
    )


def one_to_many_stage(ctx, cfg: CaptioningConfig, seed: int) -> dict:
    """Numbers to letters, each composed number held out once per fold split (``number_repeats`` splits)."""
    correct, numbers, out = [], [], {"train_cpu_seconds": 0.0, "train_wall_seconds": 0.0}
    for repeat in range(cfg.number_repeats):
        for fold, held in enumerate(tasks.number_folds(1000 * seed + repeat, cfg.number_folds)):
            torch.manual_seed(1000 * seed + 10 * repeat + fold)
            right, spent, params = _speller(ctx, cfg, held, f"one-to-many-{repeat}-{fold}")
            out = {key: out[key] + spent[key] for key in out}
            correct += right
            numbers += held
    return out | {"correct": correct, "numbers": numbers, "params": params}


def _sequences(cfg: CaptioningConfig, rng: np.random.Generator, n: int) -> dict[int, np.ndarray]:
    """n fresh digit sequences of uniform lengths, grouped by length (so a batch needs no padding)."""
    lengths = rng.integers(cfg.min_digits, cfg.max_digits + 1, size=n)
    return {
        int(length): tasks.digit_sequences(rng, int((lengths == length).sum()), int(length))
        for length in np.unique(lengths)
    }


def _sequence_batches(cfg: CaptioningConfig, seed: int, task: int, make, shortest: int | None = None):
    """Training batches of one length each, drawn from ``shortest`` (default: min_digits) to max_digits."""

    def batches(step: int):
        rng = np.random.default_rng([seed, task, step])
        length = int(rng.integers(cfg.min_digits if shortest is None else shortest, cfg.max_digits + 1))
        return make(tasks.digit_sequences(rng, cfg.shape_batch, length))

    return batches


def many_to_one_stage(ctx, cfg: CaptioningConfig, seed: int) -> dict:
    """The sum of 5-15 digits modulo 10, answered once after the last digit."""
    torch.manual_seed(seed)
    model = rnn_shapes.ManyToOne(tasks.N_DIGIT_TOKENS, cfg.shape_hidden, 16, 10)

    def loss_fn(model, batch):
        return F.cross_entropy(model(batch[0]), batch[1])

    # short sums (from one digit) in training give a signal for the addition table; tests are 5-15 long
    batches = _sequence_batches(cfg, seed, 2, tasks.sum_batch, shortest=cfg.sum_shortest)
    out = _train(
        ctx, model, loss_fn, batches, cfg.sum_steps, cfg.shape_lr, cfg.clip, "many-to-one", cfg.log_every
    )
    correct = []
    with torch.no_grad():
        for digits in _sequences(cfg, np.random.default_rng([seed, 20]), cfg.n_sequences).values():
            x, y = tasks.sum_batch(digits)
            correct += (model(x.to(ctx.device)).argmax(dim=-1).cpu() == y).int().tolist()
    return out | {"correct": correct, "params": count_parameters(model)}


def _reverse_check(model, cfg: CaptioningConfig, rng: np.random.Generator, device) -> dict:
    """Ask for L - 2 and L + 3 outputs from L inputs; redraw only the last input, watch the first output."""
    length, n = cfg.max_digits, 100
    src = tasks.reverse_batch(tasks.digit_sequences(rng, n, length))[0].to(device)
    lengths_ok = True
    for n_out in (length - 2, length + 3):
        memory, token = model.encode(src), torch.full((n,), tasks.BOS, device=device)
        state, written = model.init_state(memory), []
        for _ in range(n_out):
            logits, state, _ = model.step(memory, state, token)
            token = logits.argmax(dim=-1)
            written.append(token)
        lengths_ok &= torch.stack(written, dim=1).shape == (n, n_out)
    other = src.clone()  # the same sequences with only the last digit changed
    shift = torch.as_tensor(rng.integers(1, 10, size=n), device=device)
    other[:, -1] = tasks.DIGIT0 + (other[:, -1] - tasks.DIGIT0 + shift) % 10
    first = []
    for inputs in (src, other):
        memory = model.encode(inputs)
        logits, _, _ = model.step(
            memory, model.init_state(memory), torch.full((n,), tasks.BOS, device=device)
        )
        first.append(F.log_softmax(logits, dim=-1))
    change = (first[0] - first[1]).abs().amax(dim=-1)  # (n,)
    return {"lengths_ok": bool(lengths_ok), "first_output_change": float(change.min()), "n_probes": n}


def reverse_stage(ctx, cfg: CaptioningConfig, seed: int) -> dict:
    """5-15 digits reversed by an encoder-decoder (out of step), greedy decoding until EOS."""
    torch.manual_seed(seed)
    model = rnn_shapes.ManyToManyOutOfStep(tasks.N_DIGIT_TOKENS, tasks.N_DIGIT_TOKENS, cfg.shape_hidden, 16)

    def loss_fn(model, batch):
        return _cross_entropy(model(batch[0], None, batch[1])[0], batch[2])

    batches = _sequence_batches(cfg, seed, 4, tasks.reverse_batch)
    out = _train(
        ctx,
        model,
        loss_fn,
        batches,
        cfg.reverse_steps,
        cfg.shape_lr,
        cfg.clip,
        "many-to-many-out-of-step",
        cfg.log_every,
    )
    correct = []
    with torch.no_grad():
        for digits in _sequences(cfg, np.random.default_rng([seed, 40]), cfg.n_sequences).values():
            src, _, tgt_out = tasks.reverse_batch(digits)
            tokens, _ = greedy_decode(model, src.to(ctx.device), None, max_len=src.size(1) + 3)
            correct += [int(p == r) for p, r in zip(strip(tokens.cpu()), strip(tgt_out))]
        check = _reverse_check(model, cfg, np.random.default_rng([seed, 41]), ctx.device)
    return out | {"correct": correct, "params": count_parameters(model), "check": check}


def running_stage(ctx, cfg: CaptioningConfig, seed: int) -> dict:
    """The running sum modulo 10, one answer per digit (in step); then the causality probe."""
    torch.manual_seed(seed)
    model = rnn_shapes.ManyToManyInStep(tasks.N_DIGIT_TOKENS, cfg.shape_hidden, 16, 10)

    def loss_fn(model, batch):  # every class 0..9 is an answer here: no padding to ignore
        return F.cross_entropy(model(batch[0]).reshape(-1, 10), batch[1].reshape(-1))

    batches = _sequence_batches(cfg, seed, 6, tasks.running_sum_batch)
    out = _train(
        ctx,
        model,
        loss_fn,
        batches,
        cfg.running_steps,
        cfg.shape_lr,
        cfg.clip,
        "many-to-many-in-step",
        cfg.log_every,
    )
    correct = []
    with torch.no_grad():
        for digits in _sequences(cfg, np.random.default_rng([seed, 60]), cfg.n_sequences).values():
            x, y = tasks.running_sum_batch(digits)
            correct += (model(x.to(ctx.device)).argmax(dim=-1).cpu() == y).all(dim=1).int().tolist()
        rng = np.random.default_rng([seed, 61])
        x = tasks.running_sum_batch(tasks.digit_sequences(rng, 100, cfg.max_digits))[0].to(ctx.device)
        base, worst = model(x), 0.0
        for t in range(cfg.max_digits - 1):  # redraw everything after t; outputs up to t must not move
            other = x.clone()
            other[:, t + 1 :] = torch.as_tensor(
                tasks.digit_sequences(rng, 100, cfg.max_digits - t - 1) + tasks.DIGIT0, device=ctx.device
            )
            worst = max(worst, float((model(other)[:, : t + 1] - base[:, : t + 1]).abs().max()))
    return out | {
        "correct": correct,
        "params": count_parameters(model),
        "check": {"max_change_before": worst},
    }


SHAPE_STAGES = {
    "one-to-one": one_to_one_stage,
    "one-to-many": one_to_many_stage,
    "many-to-one": many_to_one_stage,
    "many-to-many-out-of-step": reverse_stage,
    "many-to-many-in-step": running_stage,
}


# --- captioning ---------------------------------------------------------------------------------------
def build_captioner(cfg: CaptioningConfig, name: str, width: int):
    vocab = len(sc.VOCAB)
    if CAPTIONERS[name] is None:
        return ShowAttendTell(vocab, width, cfg.embed, cfg.attn_hidden, cfg.channels)
    return ShowTell(vocab, width, cfg.embed, cfg.channels, sc.SIZE, pooling=CAPTIONERS[name])


def caption_loss(penalty: float):
    """Cross-entropy summed over the words of a batch, plus lambda times Xu's penalty summed over its
    captions, divided by the number of words: Xu et al.'s per-caption objective, averaged per word."""

    def loss_fn(model, batch):
        images, tgt_in, tgt_out = batch
        logits, weights = model(images, tgt_in)
        words = tgt_out != sc.PAD
        loss = F.cross_entropy(
            logits.reshape(-1, logits.size(-1)), tgt_out.reshape(-1), ignore_index=sc.PAD, reduction="sum"
        )
        if weights is not None and penalty > 0:
            loss = loss + penalty * doubly_stochastic_penalty(weights, words).sum()
        return loss / words.sum()

    return loss_fn


def _bleu(hypothesis: list[str], reference: list[str]) -> float:
    """sacrebleu's sentence BLEU-4 with its defaults, on a 0-1 scale."""
    import sacrebleu

    return sacrebleu.sentence_bleu(sc.caption_text(hypothesis), [sc.caption_text(reference)]).score / 100


def _alignment(predicted: list[list[str]], weights: torch.Tensor, scenes) -> tuple[list[int], list[int]]:
    """Per scene: of the colour and class words of objects named exactly right, how many were produced
    with the attention peak on the object's cell (hits), and how many such words there were."""
    hits, counts = [], []
    for words, w, scene in zip(predicted, weights, scenes):
        cells = {tuple(obj.words()): obj.cell for obj in scene.objects}
        h = c = 0
        for start, chunk in sc.parse_spans(words):
            if chunk in cells:
                for offset in sc.naming_words(chunk):
                    c += 1
                    h += int(int(w[start + offset].argmax()) == cells[chunk])
        hits.append(h)
        counts.append(c)
    return hits, counts


@torch.no_grad()
def caption_scores(ctx, cfg: CaptioningConfig, model, test: sc.Scenes, k: int) -> dict:
    """Greedy (and beam) captions of the n_test held-out scenes with k objects, scored per scene."""
    images, _, _, scenes = test.batch(range(cfg.n_test), k)
    images = images.to(ctx.device)
    limit = 5 * k + 2  # the longest caption of k objects, plus EOS and one word of slack
    tokens, weights = greedy_decode(model, images, None, max_len=limit)
    predicted = [sc.decode(row) for row in tokens.cpu().tolist()]
    refs = [s.words() for s in scenes]
    out = {
        "exact": [int(p == r) for p, r in zip(predicted, refs)],
        "found": [sc.objects_found(p, r) for p, r in zip(predicted, refs)],
        "bleu": [_bleu(p, r) for p, r in zip(predicted, refs)],
    }
    if weights is not None:
        out["hits"], out["words"] = _alignment(predicted, weights.cpu(), scenes)
    if cfg.beam > 1:
        tokens, _ = beam_search(model, images, None, beam=cfg.beam, max_len=limit)
        out["beam_exact"] = [int(sc.decode(row) == r) for row, r in zip(tokens.cpu().tolist(), refs)]
    return out


@torch.no_grad()
def _examples(ctx, cfg: CaptioningConfig, model, test: sc.Scenes) -> list[dict]:
    """A few held-out scenes with the attention weights behind every generated word (Xu et al.'s figure)."""
    if cfg.n_examples == 0:
        return []
    k = min(3, cfg.max_objects)
    images, _, _, scenes = test.batch(range(cfg.n_examples), k)
    tokens, weights = greedy_decode(model, images.to(ctx.device), None, max_len=5 * k + 2)
    out = []
    for row, w, scene in zip(tokens.cpu().tolist(), weights.cpu(), scenes):
        words = sc.decode(row)
        out.append(
            {
                "image": np.round(scene.image, 3).tolist(),
                "words": words,
                "truth": scene.words(),
                "weights": np.round(w[: len(words)].numpy(), 4).tolist(),
            }
        )
    return out


@functools.lru_cache(maxsize=1)
def training_scenes(seed: int, memo: int) -> sc.Scenes:
    """One seed's training scenes, shared by its captioners: each scene is drawn once, not once per model."""
    return sc.Scenes(seed, "train", memo=memo)


def captioner_stage(ctx, cfg: CaptioningConfig, seed: int, name: str, width: int) -> dict:
    """Train one captioner on scenes with 1..max_objects objects (every count in every batch: batch
    normalisation then sees the same statistics in training and on a test set of one count), then
    caption the held-out scenes of every k."""
    torch.manual_seed(seed)
    model = build_captioner(cfg, name, width)
    train, test = training_scenes(seed, min(cfg.steps * cfg.batch, 100_000)), sc.Scenes(seed, "test")

    def batches(step: int):
        indices = range(step * cfg.batch, (step + 1) * cfg.batch)
        images, tgt_in, tgt_out, _ = train.batch(indices, [1 + i % cfg.max_objects for i in indices])
        return images, tgt_in, tgt_out

    tag = name if width == cfg.width else f"{name}-{width}"
    out = _train(
        ctx,
        model,
        caption_loss(cfg.penalty),
        batches,
        cfg.steps,
        cfg.lr,
        cfg.clip,
        tag,
        cfg.log_every,
    )
    cpu = time.process_time()
    by_k = {str(k): caption_scores(ctx, cfg, model, test, k) for k in range(1, cfg.max_objects + 1)}
    out.update(name=name, width=width, params=count_parameters(model), by_k=by_k)
    if CAPTIONERS[name] is None:
        out["align"] = {key: [v for k in by_k for v in by_k[k].pop(key)] for key in ("hits", "words")}
        out["examples"] = _examples(ctx, cfg, model, test)
    out["eval_cpu_seconds"] = time.process_time() - cpu
    return out


def swap_two_colours(objects) -> list[str] | None:
    """The caption with the colours of the first two objects of different colours (raster order) swapped;
    None when every object has the same colour."""
    colours = [obj.colour for obj in objects]
    pairs = [
        (i, j) for i in range(len(objects)) for j in range(i + 1, len(objects)) if colours[i] != colours[j]
    ]
    if not pairs:
        return None
    i, j = pairs[0]
    colours[i], colours[j] = colours[j], colours[i]
    words = []
    for obj, colour in zip(objects, colours):  # an object's colour word is the only colour name in it
        words += [colour if word == obj.colour else word for word in obj.words()]
    return words


def bleu_swap_stage(cfg: CaptioningConfig, seed: int) -> dict:
    """Every held-out scene with k >= 2 objects: BLEU of its colour-swapped caption over a perfect one's."""
    test = sc.Scenes(seed, "test")
    out = {}
    for k in range(2, cfg.max_objects + 1):
        ratios, differs, skipped = [], [], 0
        for index in range(cfg.n_test):
            objects = test.describe(index, k)
            truth = [w for obj in objects for w in obj.words()]
            swapped = swap_two_colours(objects)
            if swapped is None:
                skipped += 1
                continue
            ratios.append(_bleu(swapped, truth) / _bleu(truth, truth))
            differs.append(int(swapped != truth))
        out[str(k)] = {"ratios": ratios, "differs": differs, "skipped": skipped}
    return out


def measure(cfg: CaptioningConfig, ctx) -> dict:
    """The five shapes and the captioners for every seed, then the BLEU swap; each model in its stage."""
    seeds = [cfg.seed + i for i in range(cfg.seeds)]
    widths = {name: cfg.width for name in CAPTIONERS} | {
        f"vector-{w}": w for w in cfg.vector_widths if w != cfg.width
    }
    shapes, captioners = [], []
    for seed in seeds:
        shapes.append(
            {
                task: ctx.stage(f"{task}-seed{seed}", lambda stage=stage, seed=seed: stage(ctx, cfg, seed))
                for task, stage in SHAPE_STAGES.items()
            }
        )
        captioners.append(
            {
                label: ctx.stage(
                    f"captioner-{label}-seed{seed}",
                    lambda label=label, seed=seed: captioner_stage(
                        ctx, cfg, seed, label.split("-")[0], widths[label]
                    ),
                )
                for label in widths
            }
        )
    bleu_swap = ctx.stage(f"bleu-swap-seed{cfg.seed}", lambda: bleu_swap_stage(cfg, cfg.seed))
    return {"seeds": seeds, "shapes": shapes, "captioners": captioners, "bleu_swap": bleu_swap}


def metrics(cfg: CaptioningConfig, results: dict) -> dict[str, float]:
    """The first seed's numbers beside the claims: each task's exact match, each captioner at k = 1, max."""
    out: dict[str, float] = {}
    for task, r in results["shapes"][0].items():
        out[f"{task}_exact"] = float(np.mean(r["correct"]))
        out[f"{task}_params"] = r["params"]
    for label, r in results["captioners"][0].items():
        for k in ("1", str(cfg.max_objects)):
            out[f"{label}_exact_k{k}"] = float(np.mean(r["by_k"][k]["exact"]))
            if "beam_exact" in r["by_k"][k]:
                out[f"{label}_beam{cfg.beam}_exact_k{k}"] = float(np.mean(r["by_k"][k]["beam_exact"]))
        out[f"{label}_params"] = r["params"]
        out[f"{label}_train_cpu_seconds"] = r["train_cpu_seconds"]
    return out
