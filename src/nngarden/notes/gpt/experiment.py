"""The gpt note's measurements: train one model per seed (the engine, checkpointed), evaluate each on the
whole validation split at the compared steps, then probe the trained models.

Stages (cached in the run directory): ``train-seed-<s>`` for each seed (training, then the whole-split
evaluations) and ``samples`` (every seed's sample, the 5-gram baseline's, and what each copies from the
training text). The first seed's model is the run's own (its checkpoints in ``checkpoints/``, so
``nngarden sample RUN_DIR`` finds it); the others train in ``seed-<s>/``. The causality and shape
checks are cheap inference on the first seed's checkpoint and on the meta device, so they run again
when rejudging.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ...data.text import load_text_data
from ...nn.ngram import MAX_KEY, KneserNey
from ...runs import read_metrics
from ...train.checkpoint import checkpoint_step, latest_checkpoint, step_dir_name
from ...train.language_model import load_gpt, train_gpt
from .config import MIN_WORD_LETTERS, NGRAM_ORDER, GPTNoteConfig

# Published parameter counts: GPT-2 small (Radford et al. 2019; 124M as released) and GPT-3 175B
# (Brown et al. 2020, Table 2.1), with their shapes (vocabulary 50257, learned positions, tied embeddings).
PUBLISHED_SHAPES = {
    "gpt2_small": dict(n_layer=12, n_head=12, n_embd=768, block_size=1024, params=124e6),
    "gpt3_175b": dict(n_layer=96, n_head=96, n_embd=12288, block_size=2048, params=175e9),
}
GPT2_VOCAB = 50257
CAUSAL_SEQUENCES = 8  # validation sequences the causality check perturbs
WINDOWS_PER_FORWARD = 64  # whole-split evaluation: on one CPU thread 64 windows a pass beat 128 or more

WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)*")


def measure(cfg: GPTNoteConfig, ctx) -> dict[str, Any]:
    corpus = Corpus(cfg)
    trained = [
        ctx.stage(f"train-seed-{seed}", lambda seed=seed: train_stage(cfg, ctx, seed, corpus))
        for seed in cfg.training_seeds()
    ]
    model, tokenizer, state = load_gpt(ctx.checkpoints_dir, device="cpu")
    data = corpus.data(tokenizer)
    influence, max_before, min_self = causality_check(model, data, tokenizer.vocab_size, cfg.training_seed())
    return {
        "trained": trained,
        "final_step": int(state["step"]),
        "vocab_size": tokenizer.vocab_size,
        "corpus_chars": data.n_chars,
        "val_tokens": len(data.val),
        "parameters": model.num_params(),
        "causal": {
            "influence": influence.tolist(),
            "max_change_up_to_t": max_before,
            "min_change_at_changed_position": min_self,
            "positions": model.config.block_size,
            "sequences": CAUSAL_SEQUENCES,
        },
        "shapes": {
            "vocabulary": GPT2_VOCAB,
            "counts": {
                name: {"params": count_parameters(shape), "published": shape["params"]}
                for name, shape in PUBLISHED_SHAPES.items()
            },
        },
        "samples": ctx.stage("samples", lambda: samples_stage(cfg, ctx, tokenizer, data)),
        "speedrun": speedrun_stages(cfg, ctx) if cfg.speedrun.seeds else None,
    }


def speedrun_stages(cfg: GPTNoteConfig, ctx) -> dict[str, Any]:
    """Issue 18: the baby and speedrun recipes seed by seed, interleaved (``speedrun.py``), a stage each."""
    from .speedrun import summarize, train_recipe, warm_up

    runs: dict[str, list] = {"baby": [], "speedrun": []}
    for seed in range(cfg.speedrun.seeds):
        for recipe in runs:
            folder = ctx.run_dir / "speedrun" / f"{recipe}-{seed}"

            def train(recipe=recipe, seed=seed, folder=folder):
                warm_up()
                return train_recipe(recipe, seed, folder, data_path=cfg.data.path, device=ctx.device)

            runs[recipe].append(ctx.stage(f"speedrun-{recipe}-{seed}", train))
    return {**summarize(runs["baby"], runs["speedrun"]), "runs": runs}


class Corpus:
    """The tokenized corpus, loaded once for every seed's evaluation and the samples (the tokenizer is
    the same for every seed: it is built from the corpus alone)."""

    def __init__(self, cfg: GPTNoteConfig):
        self.cfg, self._data = cfg, None

    def data(self, tokenizer):
        if self._data is None:
            _, _, self._data = load_text_data(self.cfg.data, self.cfg.model.block_size, tokenizer.to_json())
        return self._data


def seed_folder(cfg: GPTNoteConfig, ctx, seed: int) -> Path:
    """Where the model of ``seed`` trains: the run directory for the first seed, ``seed-<s>/`` else."""
    return Path(ctx.run_dir) if seed == cfg.training_seed() else Path(ctx.run_dir) / f"seed-{seed}"


def seed_config(cfg: GPTNoteConfig, seed: int, stop: int) -> GPTNoteConfig:
    """``cfg`` for the model of ``seed``, stopped at step ``stop`` of the same learning-rate schedule."""
    overrides = []
    if seed != cfg.training_seed():
        overrides.append(f"train.seed={seed}")
    if stop != cfg.train.max_steps:  # an intermediate stop keeps the whole run's schedule
        overrides += [f"train.max_steps={stop}", f"train.lr_decay_steps={cfg.train.decay_steps}"]
    return cfg.with_overrides(overrides) if overrides else cfg


def train_stage(cfg: GPTNoteConfig, ctx, seed: int, corpus: Corpus) -> dict[str, Any]:
    """Train the model of ``seed`` (resuming from its checkpoints), stopping at each compared step to
    evaluate it on the whole validation split; the engine resumes bit-identically, so the stops do not
    change the model. Returns the timing, the engine's evaluations and the whole-split losses.

    Each evaluation is a stage of its own, so a run killed half-way loses none that was finished (the
    checkpoint of an earlier stop may have been pruned by then)."""
    folder = seed_folder(cfg, ctx, seed)
    compared = cfg.compared_steps()
    seconds = cpu_seconds = 0.0
    steps_run, whole_split = 0, []
    for stop in sorted(set(compared) | {cfg.train.max_steps}):
        newest = latest_checkpoint(folder / "checkpoints")
        if newest is None or checkpoint_step(newest) < stop:
            result = train_gpt(
                seed_config(cfg, seed, stop),
                folder,
                device=ctx.device,
                threads=cfg.train.threads,
                progress=ctx.progress,
            ).result
            if result.stopped_by:
                raise KeyboardInterrupt(
                    f"seed {seed}: training stopped by {result.stopped_by} at {result.step}"
                )
            seconds, cpu_seconds = seconds + result.seconds, cpu_seconds + result.cpu_seconds
            steps_run += result.steps_run
        if stop in compared:
            checkpoint = folder / "checkpoints" / step_dir_name(stop)
            whole_split.append(
                ctx.stage(
                    f"split-loss-seed-{seed}-step-{stop}",
                    lambda checkpoint=checkpoint, stop=stop: checkpoint_split_loss(
                        checkpoint, stop, corpus, ctx
                    ),
                )
            )
    evals = [
        {"step": r["step"], "val_loss": r["val_loss"], "train_eval_loss": r.get("train_eval_loss")}
        for r in read_metrics(folder / "metrics.jsonl")
        if r.get("val_loss") is not None
    ]
    return {
        "seed": seed,
        "step": cfg.train.max_steps,
        "ms_per_step": 1000 * seconds / steps_run if steps_run else None,
        "cpu_ms_per_step": 1000 * cpu_seconds / steps_run if steps_run else None,
        "threads": cfg.train.threads,
        "steps_run": steps_run,
        "evals": evals,
        "whole_split": whole_split,
    }


def checkpoint_split_loss(checkpoint: Path, step: int, corpus: Corpus, ctx) -> dict[str, Any]:
    """The whole-split validation loss of the checkpoint of ``step``, and the CPU seconds it took."""
    started = time.process_time()
    model, tokenizer, _ = load_gpt(checkpoint, device=ctx.device)
    loss = split_loss(model, corpus.data(tokenizer).val, model.config.block_size, ctx.device)
    return {"step": step, "val_loss": loss, "cpu_seconds": time.process_time() - started}


@torch.no_grad()
def split_loss(model, stream: torch.Tensor, block_size: int, device: str = "cpu") -> float:
    """Mean next-token loss over every consecutive, non-overlapping window of ``stream`` (its last partial
    window left out): every token after the first is predicted once, with 0 to block_size - 1 tokens of
    context, the mix nanoGPT's randomly placed evaluation windows average over."""
    model.eval()
    count = (len(stream) - 1) // block_size
    offsets = torch.arange(block_size)
    total = 0.0
    for starts in torch.split(torch.arange(count) * block_size, WINDOWS_PER_FORWARD):
        index = starts[:, None] + offsets
        _, loss = model(stream[index].to(device), stream[index + 1].to(device))
        total += float(loss) * len(starts)  # windows of equal length: weight each pass by its count
    return total / count


@torch.no_grad()
def causality_check(model, data, vocab_size: int, seed: int):
    """Perturb inputs and measure how far outputs move before and after the changed position.

    Returns (influence matrix (T, T): max |change of logits at s| when the token at t changes,
    largest change at any position <= t when every token after t is replaced, smallest change at a
    perturbed position itself (so the test could see a change)).
    """
    T = model.config.block_size
    g = torch.Generator().manual_seed(seed + 11)
    starts = torch.randint(len(data.val) - T, (CAUSAL_SEQUENCES,), generator=g)
    x, _ = data.batch("val", starts, T)  # (8, T)
    base, _ = model(x)  # (8, T, V)
    influence = torch.zeros(T, T)
    min_self = float("inf")
    for t in range(T):  # one token changed
        changed = x.clone()
        changed[:, t] = (
            changed[:, t] + 1 + torch.randint(vocab_size - 1, (x.size(0),), generator=g)
        ) % vocab_size
        out, _ = model(changed)
        delta = (out - base).abs().amax(dim=(0, 2))  # (T,) per output position
        influence[t] = delta
        min_self = min(min_self, float(delta[t:].max()))
    max_before = 0.0
    for t in range(T - 1):  # every token after t changed
        changed = x.clone()
        changed[:, t + 1 :] = torch.randint(vocab_size, (x.size(0), T - t - 1), generator=g)
        out, _ = model(changed)
        max_before = max(max_before, float((out[:, : t + 1] - base[:, : t + 1]).abs().max()))
    upper = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1).T  # s < t: must not move
    max_before = max(max_before, float(influence[upper].max()) if T > 1 else 0.0)
    return influence, max_before, min_self


def count_parameters(shape: dict) -> int:
    """Parameters of a GPT of ``shape`` with GPT-2's vocabulary and biases, built on the meta device."""
    from ...nn.gpt import GPT, GPTConfig

    cfg = GPTConfig(
        vocab_size=GPT2_VOCAB,
        block_size=shape["block_size"],
        n_layer=shape["n_layer"],
        n_head=shape["n_head"],
        n_embd=shape["n_embd"],
        bias=True,
    )
    with torch.device("meta"):
        model = GPT(cfg)
    return model.num_params()


def word_share(text: str, vocabulary: set[str], min_letters: int = 1) -> tuple[float, int]:
    """The share of ``text``'s words (letters and apostrophes, lower-cased) of at least ``min_letters``
    letters that are found in ``vocabulary``, and how many such words there are."""
    words = [w.lower() for w in WORD.findall(text) if sum(c.isalpha() for c in w) >= min_letters]
    if not words:
        return float("nan"), 0
    return sum(w in vocabulary for w in words) / len(words), len(words)


def samples_stage(cfg: GPTNoteConfig, ctx, tokenizer, data) -> dict[str, Any]:
    """Each seed's model samples from a newline; an interpolated Kneser-Ney 5-gram model of the training
    split samples as many tokens at the same temperature with the same seed. Words of at least
    MIN_WORD_LETTERS letters are looked up among the validation split's words, and the longest string
    each sample copies from the training text is found."""
    train_text = tokenizer.decode(data.train.tolist())
    vocabulary = {w.lower() for w in WORD.findall(tokenizer.decode(data.val.tolist()))}
    start = tokenizer.encode("\n")
    ngram = None
    if tokenizer.vocab_size**NGRAM_ORDER < MAX_KEY:
        ngram = KneserNey.fit(data.train.numpy(), NGRAM_ORDER, tokenizer.vocab_size)
    corpus = CopyIndex(train_text)
    per_seed = []
    for seed in cfg.training_seeds():
        model, _, _ = load_gpt(seed_folder(cfg, ctx, seed) / "checkpoints", device="cpu")
        g = torch.Generator().manual_seed(seed + 7)
        out = model.generate(
            torch.tensor([start], dtype=torch.long),
            cfg.sample.tokens,
            temperature=cfg.sample.temperature,
            generator=g,
        )
        texts = {"model": tokenizer.decode(out[0, len(start) :].tolist())}
        if ngram is not None:
            rng = np.random.default_rng(seed + 13)
            texts["ngram"] = tokenizer.decode(
                ngram.sample(start, cfg.sample.tokens, cfg.sample.temperature, rng)
            )
        row: dict[str, Any] = {"seed": seed}
        for name, text in texts.items():
            share, words = word_share(text, vocabulary, MIN_WORD_LETTERS)
            copied = corpus.longest_copy(text)
            row.update({name: text, f"share_{name}": share, f"words_{name}": words, f"copy_{name}": copied})
        per_seed.append(row)
    return {
        "per_seed": per_seed,
        "ngram_order": NGRAM_ORDER if ngram is not None else None,
        "ngram_val_loss": ngram.log_loss(data.val.numpy()) if ngram is not None else None,
        "ngram_discounts": [ngram.tables[n].discount for n in sorted(ngram.tables)] if ngram else None,
        "val_vocabulary": len(vocabulary),
    }


HASH_BASE = np.uint64(0x9E3779B97F4A7C15)  # odd: polynomial hashes modulo 2**64 (verified exactly after)
SEED_LENGTH = 8  # a copy at least this long starts where one of the sample's 8-grams occurs


def _codes(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)


def _window_hashes(codes: np.ndarray, length: int, starts: np.ndarray | None = None) -> np.ndarray:
    """Polynomial hashes of ``codes[s : s + length]`` for every start s (or the given ``starts``)."""
    if starts is None:
        count = max(len(codes) - length + 1, 0)
        windows = (codes[j : j + count] for j in range(length))
    else:
        windows = (codes[starts + j] for j in range(length))
        count = len(starts)
    h = np.zeros(count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for column in windows:
            h = h * HASH_BASE + column
    return h


def _first_shared(sample: np.ndarray, corpus: np.ndarray) -> int:
    """Index of the first of the ``sample`` hashes that is among the ``corpus`` hashes, or -1 (the sample's
    few hashes are sorted, the corpus's many looked up in them)."""
    pool = np.unique(sample)
    if not len(pool) or not len(corpus):
        return -1
    found = pool[np.minimum(np.searchsorted(pool, corpus), len(pool) - 1)]
    shared = np.unique(found[found == corpus])
    hit = np.flatnonzero(np.isin(sample, shared))
    return int(hit[0]) if len(hit) else -1


class CopyIndex:
    """Finds the longest string of a sample that occurs verbatim in a corpus.

    A copy of length L >= SEED_LENGTH starts at a corpus position whose first SEED_LENGTH characters
    occur in the sample, so only those positions are hashed at length L. L is found by bisection (a copy
    of length L contains copies of every shorter length), and the answer is checked exactly."""

    def __init__(self, corpus: str):
        self.text, self.codes = corpus, _codes(corpus)
        self.seeds = _window_hashes(self.codes, SEED_LENGTH)

    def _copied_at(self, sample: np.ndarray, length: int, candidates: np.ndarray | None) -> int:
        """Start in the sample of a string of ``length`` found in the corpus (at one of the
        ``candidates``, or anywhere), or -1."""
        if length == SEED_LENGTH:
            corpus = self.seeds if candidates is None else self.seeds[candidates]
        elif candidates is None:
            corpus = _window_hashes(self.codes, length)
        else:
            corpus = _window_hashes(self.codes, length, candidates[candidates + length <= len(self.codes)])
        return _first_shared(_window_hashes(sample, length), corpus)

    def longest_copy(self, text: str) -> str:
        sample = _codes(text)
        candidates, found, best, above = None, 0, 0, min(SEED_LENGTH, len(sample)) + 1
        if len(sample) >= SEED_LENGTH:
            shared = np.unique(_window_hashes(sample, SEED_LENGTH))
            at = np.minimum(np.searchsorted(shared, self.seeds), len(shared) - 1)
            candidates = np.flatnonzero(shared[at] == self.seeds)
            if len(candidates):  # a copy of SEED_LENGTH at least: look above it, at those positions only
                found, best = SEED_LENGTH, self._copied_at(sample, SEED_LENGTH, candidates)
                above = len(sample) + 1
                while found * 2 < above and (start := self._copied_at(sample, found * 2, candidates)) >= 0:
                    found, best = found * 2, start
                above = min(above, found * 2)
            else:
                above, candidates = SEED_LENGTH, None  # shorter than SEED_LENGTH: look anywhere
        while above - found > 1:
            middle = (found + above) // 2
            start = self._copied_at(sample, middle, candidates)
            if start >= 0:
                found, best = middle, start
            else:
                above = middle
        while found > 0 and text[best : best + found] not in self.text:  # a hash collision: shorten
            found -= 1
        return text[best : best + found]


def metrics(cfg: GPTNoteConfig, results: dict[str, Any]) -> dict[str, float]:
    """The first seed's numbers as before, and the means over seeds of what the findings use."""
    from .config import REFERENCE_VAL_LOSS

    first = results["trained"][0]
    evals = {r["step"]: r["val_loss"] for r in first["evals"]}
    final_step = results["final_step"]
    samples = results["samples"]
    out = {
        "final_step": final_step,
        "seeds": len(results["trained"]),
        "val_loss": evals.get(final_step),
        "initial_val_loss": evals.get(0),
        "vocab_size": results["vocab_size"],
        "corpus_chars": results["corpus_chars"],
        "parameters": results["parameters"],
        "ms_per_step": first.get("ms_per_step"),
        "cpu_ms_per_step": first.get("cpu_ms_per_step"),
        "train_threads": first.get("threads"),
        "ngram_val_loss": samples.get("ngram_val_loss"),
    }
    whole = [
        row["val_loss"] for t in results["trained"] for row in t["whole_split"] if row["step"] == final_step
    ]
    if whole:
        out["whole_split_val_loss"] = float(np.mean(whole))
    for name in ("model", "ngram"):
        shares = [row.get(f"share_{name}") for row in samples["per_seed"]]
        if shares and all(x is not None for x in shares):
            out[f"word_share_{name}"] = float(np.mean(shares))
    if final_step in REFERENCE_VAL_LOSS:
        out["reference_val_loss"] = REFERENCE_VAL_LOSS[final_step]
    speedrun = results.get("speedrun") or {}
    if "ratio" in speedrun:
        out["speedrun_cpu_ratio"] = speedrun["ratio"]["estimate"]
        out["speedrun_target_val_loss"] = speedrun["target"]
    return {k: v for k, v in out.items() if v is not None}
