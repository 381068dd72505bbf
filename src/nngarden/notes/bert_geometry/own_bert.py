"""nngarden's own BERT, trained by masked language modelling on the generated language (the full
preset), and its untrained twin: the same initialisation before any update.

Words are tokens (the grammar has a few hundred), so a word's vector is its token's hidden state; the
hidden states are the embedding output (0) and the residual stream after every block. The weights are
kept in the run's checkpoints folder as safetensors.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import torch

from nngarden.data.grammar import generate_sentences
from nngarden.data.masking import mask_tokens
from nngarden.data.text import keyed_generator
from nngarden.nn.bert import BERT, BERTConfig
from nngarden.runs import RunContext
from nngarden.train.fit import fit

PAD, MASK = "[PAD]", "[MASK]"
BATCH = 64


def vocabulary(texts: list[list[str]], corpus: list[list[str]]) -> dict[str, int]:
    words = sorted({w for sentence in texts + corpus for w in sentence})
    return {word: i for i, word in enumerate([PAD, MASK] + words)}


@lru_cache(maxsize=1)
def corpus(seed: int, size: int) -> list[list[str]]:
    """The sentences the masked LM learns from: a stream apart from the probes' splits."""
    return [s.words for s in generate_sentences(size, seed=1_000_003 + seed)]


def encode(sentences: list[list[str]], vocab: dict[str, int]) -> tuple[torch.Tensor, torch.Tensor]:
    """(token ids (S, T), padding mask (S, T), True at padding)."""
    longest = max(len(s) for s in sentences)
    ids = torch.zeros(len(sentences), longest, dtype=torch.long)
    for i, sentence in enumerate(sentences):
        ids[i, : len(sentence)] = torch.tensor([vocab[w] for w in sentence])
    return ids, ids == vocab[PAD]


def build(cfg, vocab: dict[str, int]) -> BERT:
    config = BERTConfig(
        vocab_size=len(vocab), block_size=32, n_layer=cfg.own_bert_layers, n_head=4, n_embd=cfg.own_bert_width
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.seed)
        return BERT(config)


def train_own_bert(cfg, ctx: RunContext, texts: list[list[str]]) -> dict:
    """Train the masked LM (BERT's 15% / 80-10-10 recipe) and keep its weights and its twin's."""
    from safetensors.torch import save_model  # handles the tied input / output embedding

    sentences = corpus(cfg.seed, cfg.own_bert_corpus)
    vocab = vocabulary(texts, sentences)
    model = build(cfg, vocab)
    save_model(model, str(ctx.checkpoints_dir / "own_bert_untrained.safetensors"))
    ids, padding = encode(sentences, vocab)
    special = (vocab[PAD],)

    def batches(step: int):
        rows = torch.randint(len(sentences), (BATCH,), generator=keyed_generator(cfg.seed, "rows", step))
        inputs, labels = mask_tokens(
            ids[rows],
            mask_id=vocab[MASK],
            vocab_size=len(vocab),
            special_ids=special,
            generator=keyed_generator(cfg.seed, "mask", step),
        )
        return inputs, labels, padding[rows]

    steps = cfg.own_bert_steps
    fitted = fit(
        model,
        lambda m, b: m(b[0], labels=b[1], key_padding_mask=b[2])[1],
        batches,
        lambda params: torch.optim.AdamW(params, lr=1e-3, weight_decay=0.01),
        steps=steps,
        device=ctx.device,
        lr=lambda s: 1e-3 * min(1.0, (s + 1) / 100) * (0.1 + 0.45 * (1 + math.cos(math.pi * s / steps))),
        grad_clip=1.0,
        log=ctx.log,
        tag="own-bert",
    )
    save_model(model.cpu(), str(ctx.checkpoints_dir / "own_bert.safetensors"))
    return {
        "train_loss": fitted.train_loss,
        "train_cpu_seconds": fitted.train_cpu_seconds,
        "vocabulary": len(vocab),
        "parameters": sum(p.numel() for p in model.parameters()),
    }


@torch.no_grad()
def own_vectors(cfg, ctx: RunContext, texts: list[list[str]], trained: bool) -> list[np.ndarray]:
    """(layers, words, width) per sentence from the trained model or its untrained twin."""
    from safetensors.torch import load_model

    vocab = vocabulary(texts, corpus(cfg.seed, cfg.own_bert_corpus))
    model = build(cfg, vocab)
    name = "own_bert.safetensors" if trained else "own_bert_untrained.safetensors"
    load_model(model, str(ctx.checkpoints_dir / name))
    model.to(ctx.device).eval()
    out = []
    for start in range(0, len(texts), 256):
        chunk = texts[start : start + 256]
        ids, padding = encode(chunk, vocab)
        ids, padding = ids.to(ctx.device), padding.to(ctx.device)
        x = model.pos_enc(model.tok_emb(ids))
        states = [x]
        for block in model.blocks:
            x = block(x, key_padding_mask=padding)  # the shared pre-LN block returns x alone
            states.append(x)
        stacked = torch.stack(states, dim=1).cpu().numpy()  # (S, layers, T, width)
        out += [stacked[i, :, : len(sentence)] for i, sentence in enumerate(chunk)]
    return out
