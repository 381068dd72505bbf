"""The gpt note's measurements: train (the engine, checkpointed), then probe the trained model.

Stages (cached in the run directory): ``train`` and ``samples``. The causality and shape checks are
cheap inference on the loaded checkpoint and on the meta device, so they run again when rejudging.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import torch

from ...data.text import load_text_data
from ...train.language_model import load_gpt, train_gpt
from .config import GPTNoteConfig

# Published parameter counts: GPT-2 small (Radford et al. 2019; 124M as released) and GPT-3 175B
# (Brown et al. 2020, Table 2.1), with their shapes (vocabulary 50257, learned positions, tied embeddings).
PUBLISHED_SHAPES = {
    "gpt2_small": dict(n_layer=12, n_head=12, n_embd=768, block_size=1024, params=124e6),
    "gpt3_175b": dict(n_layer=96, n_head=96, n_embd=12288, block_size=2048, params=175e9),
}
GPT2_VOCAB = 50257
CAUSAL_SEQUENCES = 8  # validation sequences the causality check perturbs

WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)*")


def measure(cfg: GPTNoteConfig, ctx) -> dict[str, Any]:
    seed = cfg.training_seed()
    timing = ctx.stage("train", lambda: train_stage(cfg, ctx))
    model, tokenizer, state = load_gpt(ctx.checkpoints_dir, device="cpu")
    _, _, data = load_text_data(cfg.data, cfg.model.block_size, tokenizer.to_json())
    influence, max_before, min_self = causality_check(model, data, tokenizer.vocab_size, seed)
    return {
        "timing": timing,
        "final_step": int(state["step"]),
        "vocab_size": tokenizer.vocab_size,
        "corpus_chars": data.n_chars,
        "parameters": model.num_params(),
        "evals": [
            {"step": r["step"], "val_loss": r["val_loss"], "train_eval_loss": r.get("train_eval_loss")}
            for r in ctx.metrics()
            if r.get("val_loss") is not None
        ],
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
        "samples": ctx.stage("samples", lambda: samples_stage(cfg, model, tokenizer, data, seed)),
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


def train_stage(cfg: GPTNoteConfig, ctx) -> dict[str, Any]:
    """Train (resuming from the run's checkpoints); the timing of the training steps."""
    result = train_gpt(cfg, ctx.run_dir, device=ctx.device, threads=cfg.train.threads, progress=ctx.progress)
    result = result.result
    if result.stopped_by:
        raise KeyboardInterrupt(f"training stopped by {result.stopped_by} at step {result.step}")
    return {
        "step": result.step,
        "ms_per_step": result.ms_per_step,
        "cpu_ms_per_step": 1000 * result.cpu_seconds / result.steps_run if result.steps_run else None,
        "threads": result.threads,
        "steps_run": result.steps_run,
    }


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


def word_share(text: str, vocabulary: set[str]) -> tuple[float, int]:
    """The share of ``text``'s words (letters and apostrophes, lower-cased) found in ``vocabulary``."""
    words = [w.lower() for w in WORD.findall(text)]
    if not words:
        return float("nan"), 0
    return sum(w in vocabulary for w in words) / len(words), len(words)


def samples_stage(cfg: GPTNoteConfig, model, tokenizer, data, seed: int) -> dict[str, Any]:
    """Text sampled from a newline, and as many characters from the training split's frequencies."""
    g = torch.Generator().manual_seed(seed + 7)
    start = torch.tensor([tokenizer.encode("\n")], dtype=torch.long)
    out = model.generate(start, cfg.sample.tokens, temperature=cfg.sample.temperature, generator=g)
    generated = tokenizer.decode(out[0, 1:].tolist())
    train_text = tokenizer.decode(data.train.tolist())
    chars, counts = np.unique(
        np.frombuffer(train_text.encode("utf-32-le"), dtype=np.uint32), return_counts=True
    )
    rng = np.random.default_rng(seed + 13)
    unigram = "".join(map(chr, rng.choice(chars, size=len(generated), p=counts / counts.sum())))
    vocabulary = {w.lower() for w in WORD.findall(train_text)}
    share_model, n_model = word_share(generated, vocabulary)
    share_unigram, n_unigram = word_share(unigram, vocabulary)
    return {
        "generated": generated,
        "unigram": unigram,
        "share_model": share_model,
        "words_model": n_model,
        "share_unigram": share_unigram,
        "words_unigram": n_unigram,
    }


def metrics(cfg: GPTNoteConfig, results: dict[str, Any]) -> dict[str, float]:
    from .config import REFERENCE_VAL_LOSS

    final_step = results["final_step"]
    evals = {r["step"]: r["val_loss"] for r in results["evals"]}
    timing, samples = results["timing"], results["samples"]
    out = {
        "final_step": final_step,
        "val_loss": evals.get(final_step),
        "initial_val_loss": evals.get(0),
        "vocab_size": results["vocab_size"],
        "corpus_chars": results["corpus_chars"],
        "parameters": results["parameters"],
        "word_share_model": samples["share_model"],
        "word_share_unigram": samples["share_unigram"],
        "ms_per_step": timing.get("ms_per_step"),
        "cpu_ms_per_step": timing.get("cpu_ms_per_step"),
        "train_threads": timing.get("threads"),
    }
    if final_step in REFERENCE_VAL_LOSS and evals.get(final_step) is not None:
        out["reference_val_loss"] = REFERENCE_VAL_LOSS[final_step]
    speedrun = results.get("speedrun") or {}
    if "ratio" in speedrun:
        out["speedrun_cpu_ratio"] = speedrun["ratio"]["estimate"]
        out["speedrun_target_val_loss"] = speedrun["target"]
    return {k: v for k, v in out.items() if v is not None}
