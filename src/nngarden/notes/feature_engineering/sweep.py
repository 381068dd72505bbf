"""(e) and (f): accuracy against the number of labels, for models that saw only the labels and for models
that saw unlabelled text first.

The test set is fold 0 of the movie snippets; every labelled subset is drawn from the other folds by
(seed, count). nngarden's BERT with the project's byte-level BPE tokenizer is pretrained once, by masked
language modelling on every sentence of the four sources except those test sentences, through the
library's ``train_bert`` (checkpoints in the run directory); the scratch BERT is the same shape with the
same tokenizer and a fresh initialisation, fine-tuned with the same recipe. MiniLM (all-MiniLM-L6-v2)
gives frozen sentence vectors (mean of its last hidden states over the word pieces, L2-normalised, as
sentence-transformers does) for a logistic regression.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn as nn

from ...config import Config
from ...data.fetch import DataMissing, require
from ...data.text_config import TextDataConfig
from ...runs import StageMissing
from ...train.config import TrainConfig
from .experiment import load_corpus, timed

FINETUNE_LRS = (1e-4, 3e-4)  # chosen per fine-tuning by held-out training labels, for both BERTs alike
MINILM = "all-MiniLM-L6-v2"


@dataclass
class PretrainShape(Config):
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 256
    block_size: int = 64
    dropout: float = 0.1
    bias: bool = True
    positions: str = "learned"


@dataclass
class PretrainMasking(Config):
    rate: float = 0.15
    mask_frac: float = 0.8
    random_frac: float = 0.1


@dataclass
class PretrainConfig(Config):
    """What ``train_bert`` reads: model, data, train and masking sections, and a seed."""

    model: PretrainShape = field(default_factory=PretrainShape)
    data: TextDataConfig = field(default_factory=TextDataConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    masking: PretrainMasking = field(default_factory=PretrainMasking)
    seed: int = 0

    def training_seed(self) -> int:
        return self.seed


def movie_split(cfg, corpus):
    """(pool, test) indices of the labelled movie snippets: fold 0 tests, the other folds label."""
    idx = corpus.of("movies")
    folds = corpus.folds(idx, cfg.folds)
    return idx[folds != 0], idx[folds == 0]


def pretraining_text(cfg, corpus) -> str:
    """Every sentence of every source (ratings unused) except the movie test sentences, one per line,
    in a fixed order by id hash."""
    _, test = movie_split(cfg, corpus)
    held = set(test.tolist())
    keep = [s for i, s in enumerate(corpus.sentences) if i not in held]
    keep.sort(key=lambda s: hashlib.sha256(f"lm/{s.source}/{s.id}".encode()).digest())
    return "\n".join(s.text for s in keep) + "\n"


def pretrain_config(cfg, corpus_path: Path) -> PretrainConfig:
    shape = PretrainShape(cfg.bert_layers, cfg.bert_heads, cfg.bert_embd, cfg.bert_block)
    data = TextDataConfig(path=str(corpus_path), tokenizer="bpe", bpe_vocab_size=cfg.bert_vocab)
    steps = cfg.pretrain_steps
    train = TrainConfig(
        batch_size=cfg.pretrain_batch,
        max_steps=steps,
        lr=5e-4,
        min_lr=5e-5,
        warmup_steps=min(1000, max(1, steps // 10)),
        eval_interval=max(1, min(1000, steps)),
        checkpoint_interval=max(1, min(2000, steps)),
        keep_checkpoints=1,
    )
    return PretrainConfig(model=shape, data=data, train=train, seed=cfg.seed)


def pretrain_stage(cfg, ctx) -> dict[str, Any]:
    from ...train.language_model import train_bert

    folder = ctx.checkpoints_dir / "bert-mlm"
    folder.mkdir(parents=True, exist_ok=True)
    corpus_path = folder / "unlabelled.txt"
    corpus_path.write_text(pretraining_text(cfg, load_corpus(cfg.max_per_source)), encoding="utf-8")
    trained = train_bert(pretrain_config(cfg, corpus_path), folder, device=ctx.device, threads=ctx.threads)
    evals = [row for row in trained.result.evals if "val_loss" in row]
    return {
        "steps": trained.result.step,
        "train_tokens": int(len(trained.data.train)),
        "vocabulary": int(trained.tokenizer.vocab_size),
        "val_loss": [[int(row["step"]), float(row["val_loss"])] for row in evals],
        "train_cpu_seconds": float(trained.result.cpu_seconds),
    }


class BertClassifier(nn.Module):
    """A BERT encoder, mean-pooled over the real tokens, then a linear layer. Inputs are token ids + 1,
    with 0 as padding (the BPE vocabulary has no padding token of its own)."""

    def __init__(self, bert, classes: int = 2, dropout: float = 0.1):
        super().__init__()
        self.bert = bert
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(bert.config.n_embd, classes)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:  # (B, T) -> (B, K)
        padding = ids == 0
        hidden, _ = self.bert.encode((ids - 1).clamp(min=0), key_padding_mask=padding)
        real = (~padding).unsqueeze(-1).float()
        pooled = (hidden * real).sum(1) / real.sum(1).clamp(min=1.0)
        return self.head(self.drop(pooled))


def encode_for_bert(tokenizer, texts: list[str], block: int) -> torch.Tensor:
    rows = [[i + 1 for i in tokenizer.encode(text)][:block] for text in texts]
    out = torch.zeros(len(rows), max(1, max((len(r) for r in rows), default=1)), dtype=torch.long)
    for i, row in enumerate(rows):
        out[i, : len(row)] = torch.tensor(row, dtype=torch.long)
    return out


def finetune_bert(bert, tokenizer, train, test, cfg, seed: int, ctx, tag: str) -> dict[str, Any]:
    """Fine-tune a copy of ``bert`` with a classification head at each rate of FINETUNE_LRS; keep the
    rate whose best epoch labels the held-out training sentences best; return its test accuracy."""
    import copy

    from .neural import predict, train_classifier

    (texts, labels), (test_texts, test_labels) = train, test
    ids = encode_for_bert(tokenizer, texts, cfg.bert_block)
    best: dict[str, Any] = {"val_accuracy": -1.0}
    for lr in FINETUNE_LRS:
        torch.manual_seed(seed)
        model = BertClassifier(copy.deepcopy(bert))
        info = train_classifier(
            model,
            model,
            ids,
            torch.tensor(labels, dtype=torch.long),
            lambda params, lr=lr: torch.optim.AdamW(params, lr=lr, weight_decay=0.01),
            epochs=cfg.finetune_epochs,
            batch=cfg.finetune_batch,
            validation_fraction=cfg.validation_fraction,
            seed=seed,
            ctx=ctx,
            tag=f"{tag}-lr{lr:g}",
            patience=3,
        )
        if info["val_accuracy"] > best["val_accuracy"]:
            predicted = predict(model, encode_for_bert(tokenizer, test_texts, cfg.bert_block), ctx.device)
            accuracy = float((predicted == torch.tensor(test_labels)).float().mean())
            best = {**info, "lr": lr, "accuracy": accuracy}
    return best


def minilm_vectors(texts: list[str], device: str, batch: int = 64) -> np.ndarray:
    """MiniLM's sentence vectors: the mean of the last hidden states over the word pieces, L2-normalised."""
    from ...nn.pretrained import load_pretrained

    encoder = load_pretrained(MINILM, device=device)
    tokenizer, model = encoder.tokenizer, encoder.model
    out = []
    with torch.no_grad():
        for start in range(0, len(texts), batch):
            encodings = tokenizer.encode_batch(texts[start : start + batch])
            width = min(256, max(len(e.ids) for e in encodings))
            ids = torch.zeros(len(encodings), width, dtype=torch.long)
            mask = torch.zeros_like(ids)
            for r, e in enumerate(encodings):
                piece = e.ids[: width - 1] + ([e.ids[-1]] if len(e.ids) > width else [])  # keep [SEP]
                ids[r, : len(piece)] = torch.tensor(piece)
                mask[r, : len(piece)] = 1
            hidden = model(input_ids=ids.to(device), attention_mask=mask.to(device)).last_hidden_state
            weights = mask.to(device).unsqueeze(-1).float()
            pooled = (hidden * weights).sum(1) / weights.sum(1)
            out.append(torch.nn.functional.normalize(pooled, dim=-1).cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, encoder.width), dtype=np.float32)


def cached_minilm(cfg, ctx, corpus, idx: np.ndarray) -> np.ndarray:
    """MiniLM vectors of the movie snippets ``idx``, kept in the run's checkpoints folder (a resumed run
    does not encode them again)."""
    path = ctx.checkpoints_dir / f"minilm-movies-{len(idx)}.npy"
    if path.exists():
        return np.load(path)
    vectors = minilm_vectors(corpus.texts(idx), ctx.device).astype(np.float32)
    np.save(path, vectors)
    return vectors


def labelled_subset(pool: np.ndarray, count: int, seed: int) -> np.ndarray:
    """``count`` items of ``pool`` drawn from (seed, count); 0 or more than the pool: all of it."""
    if count == 0 or count >= len(pool):
        return pool
    return np.sort(np.random.default_rng([seed, count]).choice(pool, size=count, replace=False))


def sweep_run(cfg, ctx, count: int, seed: int) -> dict[str, Any]:
    """Every system of the sweep on one labelled subset, tested on the same test sentences."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV, StratifiedKFold

    from ...train.language_model import load_bert
    from .neural import cnn_system
    from .systems import correct, fit_tfidf

    corpus = load_corpus(cfg.max_per_source)
    pool, test = movie_split(cfg, corpus)
    chosen = labelled_subset(pool, count, seed)
    train = (corpus.texts(chosen), corpus.labels(chosen).tolist())
    held = (corpus.texts(test), corpus.labels(test).tolist())
    y_test = corpus.labels(test)
    run: dict[str, Any] = {"n_labels": int(len(chosen)), "n_test": int(len(test))}
    tfidf, _ = fit_tfidf(train[0], np.array(train[1]), cfg, seed)
    run["tfidf"] = float(correct(tfidf, held[0], y_test).mean())
    run["cnn"] = cnn_system(train, {"test": held}, cfg, seed, ctx, f"sweep-cnn-{count}-{seed}")["tests"][
        "test"
    ]["accuracy"]
    vectors = cached_minilm(cfg, ctx, corpus, np.concatenate([pool, test]))
    position = {i: k for k, i in enumerate(np.concatenate([pool, test]).tolist())}
    search = GridSearchCV(
        LogisticRegression(max_iter=2000),
        {"C": list(cfg.hand_c)},
        cv=StratifiedKFold(cfg.inner_folds, shuffle=True, random_state=seed),
    )
    search.fit(vectors[[position[i] for i in chosen]], np.array(train[1]))
    run["minilm"] = float(correct(search, vectors[[position[i] for i in test]], y_test).mean())
    pretrained, tokenizer, _ = load_bert(ctx.checkpoints_dir / "bert-mlm", device="cpu")
    torch.manual_seed(seed)
    scratch = type(pretrained)(pretrained.config)
    for name, bert in (("bert-scratch", scratch), ("bert-pretrained", pretrained)):
        tuned = finetune_bert(bert, tokenizer, train, held, cfg, seed, ctx, f"sweep-{name}-{count}-{seed}")
        run[name] = tuned["accuracy"]
        run[f"{name}-lr"], run[f"{name}-epoch"] = tuned["lr"], tuned["best_epoch"]
    return run


def label_sweep(cfg, ctx) -> dict[str, Any]:
    """The pretraining once, then every (label count, seed); inconclusive without MiniLM's files."""
    if not ctx.cached_only:
        try:
            require(MINILM)
        except DataMissing as err:
            return {"minilm_missing": str(err)}
    try:
        pretraining = ctx.stage("bert-pretrain", lambda: timed(lambda: pretrain_stage(cfg, ctx)))
    except StageMissing:
        return {"minilm_missing": "the run measured no label sweep (MiniLM's files were absent)"}
    counts: dict[str, list] = {}
    for count in cfg.label_counts:
        counts[str(count)] = [
            ctx.stage(
                f"sweep-{count}-seed{cfg.seed + s}",
                lambda count=count, s=s: timed(lambda: sweep_run(cfg, ctx, count, cfg.seed + s)),
            )
            for s in range(cfg.label_seeds)
        ]
    return {"pretraining": pretraining, "counts": counts}
