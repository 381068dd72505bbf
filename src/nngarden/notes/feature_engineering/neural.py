"""The learned systems: Kim's CNN from scratch, nngarden's BERT from scratch or pretrained by masked
language modelling, and MiniLM's frozen sentence vectors. Every training loop goes through ``fit()``.

Each trained network holds out ``validation_fraction`` of its training sentences and keeps the weights
of the epoch that labels them best: the epoch count is chosen inside the training data, never on the test
sentences.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from ...train.fit import fit


def split_validation(n: int, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(fit indices, validation indices) of ``n`` training items, drawn from ``seed``."""
    order = np.random.default_rng(seed).permutation(n)
    held = int(round(n * fraction)) if n > 1 else 0
    return np.sort(order[held:]), np.sort(order[:held])


def epoch_batches(n: int, batch: int, seed: int) -> tuple[int, Callable[[int], np.ndarray]]:
    """(steps per epoch, step -> item indices): a fresh permutation each epoch, drawn from (seed, epoch)."""
    per_epoch = max(1, -(-n // batch))
    cache: dict[int, np.ndarray] = {}

    def indices(step: int) -> np.ndarray:
        epoch, k = divmod(step, per_epoch)
        if epoch not in cache:
            cache.clear()
            cache[epoch] = np.random.default_rng([seed, epoch]).permutation(n)
        return cache[epoch][k * batch : (k + 1) * batch]

    return per_epoch, indices


def trim(ids: torch.Tensor, pad: int = 0) -> torch.Tensor:
    """(B, T) ids without the columns that are padding in every row (at least one column kept)."""
    used = int((ids != pad).any(0).nonzero().max().item()) + 1 if (ids != pad).any() else 1
    return ids[:, :used]


@torch.no_grad()
def predict(logits_of: Callable[[torch.Tensor], torch.Tensor], ids: torch.Tensor, device, chunk=512):
    """Predicted class of every row of ``ids`` (the model already in eval mode)."""
    out = []
    for start in range(0, len(ids), chunk):
        out.append(logits_of(trim(ids[start : start + chunk]).to(device)).argmax(-1).cpu())
    return torch.cat(out) if out else torch.zeros(0, dtype=torch.long)


class KeepBest:
    """``fit``'s ``evaluate`` and ``stop``: validation accuracy each epoch, a copy of the best weights,
    and a stop after ``patience`` epochs without improvement."""

    def __init__(self, model, logits_of, ids, labels, device, patience: int = 2):
        self.model, self.logits_of, self.ids, self.labels = model, logits_of, ids, labels
        self.device, self.patience = device, patience
        self.best, self.best_epoch, self.epoch, self.state = -1.0, 0, -1, None

    def evaluate(self, model) -> dict[str, float]:
        self.epoch += 1  # fit evaluates at step 0 too: the untrained model is epoch 0
        if len(self.labels) == 0:  # nothing held out: keep the last epoch
            self.state, self.best_epoch = copy.deepcopy(model.state_dict()), self.epoch
            return {"val_accuracy": float("nan")}
        accuracy = float((predict(self.logits_of, self.ids, self.device) == self.labels).float().mean())
        if accuracy > self.best:
            self.best, self.best_epoch = accuracy, self.epoch
            self.state = copy.deepcopy(model.state_dict())
        return {"val_accuracy": accuracy}

    def stop(self, step, loss, evaluation) -> bool:
        return self.epoch - self.best_epoch >= self.patience

    def restore(self) -> None:
        if self.state is not None:
            self.model.load_state_dict(self.state)


def train_classifier(
    model: torch.nn.Module,
    logits_of: Callable[[torch.Tensor], torch.Tensor],
    ids: torch.Tensor,
    labels: torch.Tensor,
    optimizer,
    *,
    epochs: int,
    batch: int,
    validation_fraction: float,
    seed: int,
    ctx,
    tag: str,
    before_step: Callable[[], None] | None = None,
    patience: int = 2,
) -> dict[str, Any]:
    """Train ``model`` (through ``logits_of(ids)``) on (ids, labels) with ``fit``; keep the best epoch on
    the held-out share. Returns the best epoch, its validation accuracy and the training CPU seconds."""
    fit_part, held = split_validation(len(labels), validation_fraction, seed)
    per_epoch, indices = epoch_batches(len(fit_part), batch, seed)
    keeper = KeepBest(model, logits_of, ids[held], labels[held], ctx.device, patience)

    def batches(step: int):
        rows = fit_part[indices(step)]
        return trim(ids[rows]), labels[rows]

    def loss_fn(m, b):
        if before_step is not None:
            before_step()
        return F.cross_entropy(logits_of(b[0]), b[1])

    result = fit(
        model,
        loss_fn,
        batches,
        optimizer,
        steps=epochs * per_epoch,
        device=ctx.device,
        evaluate=keeper.evaluate,
        eval_every=per_epoch,
        stop=keeper.stop,
        log=ctx.log,
        tag=tag,
    )
    keeper.restore()
    model.eval()
    return {
        "best_epoch": keeper.best_epoch,
        "val_accuracy": keeper.best,
        "n_fit": int(len(fit_part)),
        "n_validation": int(len(held)),
        "train_cpu_seconds": result.train_cpu_seconds,
    }


def cnn_system(
    train: tuple[list[str], list[int]],
    tests: dict[str, tuple[list[str], list[int]]],
    cfg,
    seed: int,
    ctx,
    tag: str,
) -> dict[str, Any]:
    """Kim's CNN-rand trained on ``train`` (vocabulary from the training sentences only), scored on each
    test set: per-item correctness and accuracy."""
    from ...nn.text_cnn import SparseAndDenseAdam, TextCNN, Vocabulary

    texts, labels = train
    torch.manual_seed(seed)
    vocab = Vocabulary(texts)
    model = TextCNN(len(vocab), cfg.cnn_embed, cfg.cnn_widths, cfg.cnn_filters, 2, cfg.cnn_dropout)
    info = train_classifier(
        model,
        model,
        vocab.encode(texts, cfg.cnn_max_tokens),
        torch.tensor(labels, dtype=torch.long),
        lambda params: SparseAndDenseAdam(model, cfg.cnn_lr),
        epochs=cfg.cnn_epochs,
        batch=cfg.cnn_batch,
        validation_fraction=cfg.validation_fraction,
        seed=seed,
        ctx=ctx,
        tag=tag,
        before_step=model.max_norm_,  # Kim's max-norm, applied before each update's forward pass
    )
    scored = {}
    for name, (test_texts, test_labels) in tests.items():
        ids = vocab.encode(test_texts, cfg.cnn_max_tokens)
        right = (predict(model, ids, ctx.device) == torch.tensor(test_labels)).int().tolist()
        scored[name] = {"accuracy": sum(right) / max(1, len(right)), "correct": right}
    return {**info, "vocabulary": len(vocab), "tests": scored}
