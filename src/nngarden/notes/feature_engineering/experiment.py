"""Measure: VADER on every source, the trained systems by cross-validation on the in-domain sources, the
systems trained on all movie snippets and tested on the other sources, and (full preset) the label sweep.

Every stage reads the archive itself and returns plain numbers, so a rejudge needs neither the data nor
any training. Where the archive is absent the note measures nothing and every claim is inconclusive with
the command that fetches it.
"""

from __future__ import annotations

import functools
import hashlib
import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...data.fetch import DataMissing
from .config import SOURCES, FeatureEngineeringConfig

NEUTRAL_BAND = 0.05  # VADER's neutral band, applied to the human mean to pick non-neutral tweets


@dataclass
class Corpus:
    sentences: list  # nngarden.data.sentiment.Sentence
    compound: np.ndarray  # VADER's compound score per sentence
    features: np.ndarray  # hand features per sentence (handmade.FEATURE_NAMES)

    def of(self, source: str, labelled: bool = True) -> np.ndarray:
        """Indices of ``source``'s sentences (only those with a sign when ``labelled``)."""
        return np.array(
            [
                i
                for i, s in enumerate(self.sentences)
                if s.source == source and not (labelled and s.rating == 0)
            ],
            dtype=int,
        )

    def texts(self, idx) -> list[str]:
        return [self.sentences[i].text for i in idx]

    def labels(self, idx) -> np.ndarray:
        return np.array([self.sentences[i].label for i in idx], dtype=int)

    def folds(self, idx, k: int) -> np.ndarray:
        return np.array([self.sentences[i].fold(k) for i in idx], dtype=int)

    def vader_correct(self, idx) -> np.ndarray:
        from .handmade import vader_predicts_positive

        calls = np.array([vader_predicts_positive(c) for c in self.compound[idx]])
        return (calls == self.labels(idx)).astype(int)


def _keep_key(sentence) -> bytes:
    return hashlib.sha256(f"keep/{sentence.source}/{sentence.id}".encode()).digest()


@functools.lru_cache(maxsize=2)
def load_corpus(max_per_source: int) -> Corpus:
    """Every sentence (or ``max_per_source`` per source, chosen by id hash), VADER scores, hand features."""
    from ...data.sentiment import load_ratings
    from .handmade import hand_features, vader_scores

    sentences = load_ratings()
    if max_per_source:
        kept = []
        for source in SOURCES:
            mine = sorted((s for s in sentences if s.source == source), key=_keep_key)
            kept += mine[:max_per_source]
        sentences = kept
    texts = [s.text for s in sentences]
    scores = vader_scores(texts)
    return Corpus(
        sentences,
        np.array([s["compound"] for s in scores]),
        np.array(hand_features(texts, scores), dtype=float),
    )


def timed(compute):
    """``compute()`` with the process CPU and wall seconds it took, under ``cpu_seconds``/``wall_seconds``."""
    cpu, wall = time.process_time(), time.perf_counter()
    out = compute()
    return {
        **out,
        "cpu_seconds": time.process_time() - cpu,
        "wall_seconds": time.perf_counter() - wall,
    }


# --- (a) VADER: no training ----------------------------------------------------------------------------


def vader_stage(cfg: FeatureEngineeringConfig) -> dict[str, Any]:
    corpus = load_corpus(cfg.max_per_source)
    out = {}
    for source in SOURCES:
        every = corpus.of(source, labelled=False)
        ratings = np.array([corpus.sentences[i].rating for i in every])
        compound = corpus.compound[every]
        idx = corpus.of(source)
        right = corpus.vader_correct(idx)
        folds = corpus.folds(idx, cfg.folds)
        out[source] = {
            "n": int(len(every)),
            "r": float(np.corrcoef(compound, ratings)[0, 1]),
            "n_labelled": int(len(idx)),
            "dropped_zero": int(len(every) - len(idx)),
            "accuracy": float(right.mean()),
            "fold_accuracy": [float(right[folds == k].mean()) for k in range(cfg.folds)],
            "ratings": [round(float(x), 4) for x in ratings],
            "compound": [round(float(x), 4) for x in compound],
        }
    return {"sources": out}


# --- (b), (c): shallow learners by cross-validation ----------------------------------------------------


def sklearn_fold(corpus: Corpus, idx: np.ndarray, folds: np.ndarray, k: int, cfg, seed: int) -> dict:
    from .systems import correct, fit_hand, fit_tfidf

    train, test = idx[folds != k], idx[folds == k]
    y_train, y_test = corpus.labels(train), corpus.labels(test)
    tfidf, tfidf_params = fit_tfidf(corpus.texts(train), y_train, cfg, seed)
    accuracy = {
        "vader": float(corpus.vader_correct(test).mean()),
        "tfidf": float(correct(tfidf, corpus.texts(test), y_test).mean()),
    }
    params = {"tfidf": tfidf_params}
    for name, (model, chosen) in fit_hand(corpus.features[train], y_train, cfg, seed).items():
        accuracy[name] = float(correct(model, corpus.features[test], y_test).mean())
        params[name] = chosen
    return {"n_train": int(len(train)), "n_test": int(len(test)), "accuracy": accuracy, "params": params}


def sklearn_stage(cfg: FeatureEngineeringConfig, source: str) -> dict[str, Any]:
    corpus = load_corpus(cfg.max_per_source)
    idx = corpus.of(source)
    folds = corpus.folds(idx, cfg.folds)
    return {"folds": [sklearn_fold(corpus, idx, folds, k, cfg, cfg.seed + k) for k in range(cfg.folds)]}


# --- (d): the CNN by cross-validation -----------------------------------------------------------------


def cnn_fold_stage(cfg: FeatureEngineeringConfig, source: str, k: int, ctx) -> dict[str, Any]:
    from .neural import cnn_system

    corpus = load_corpus(cfg.max_per_source)
    idx = corpus.of(source)
    folds = corpus.folds(idx, cfg.folds)
    train, test = idx[folds != k], idx[folds == k]
    out = cnn_system(
        (corpus.texts(train), corpus.labels(train).tolist()),
        {"test": (corpus.texts(test), corpus.labels(test).tolist())},
        cfg,
        cfg.seed + k,
        ctx,
        tag=f"cnn-{source}-fold{k}",
    )
    test_result = out.pop("tests")["test"]
    return {**out, "n_train": int(len(train)), "n_test": int(len(test)), "accuracy": test_result["accuracy"]}


# --- transfer: trained on all movie snippets, tested elsewhere -------------------------------------------


def transfer_tests(corpus: Corpus) -> dict[str, np.ndarray]:
    """Test sets of the transfer: every other source's labelled sentences, and the non-neutral tweets."""
    tests = {source: corpus.of(source) for source in SOURCES if source != "movies"}
    tweets = corpus.of("tweets")
    ratings = np.array([corpus.sentences[i].rating for i in tweets])
    tests["tweets-non-neutral"] = tweets[np.abs(ratings) >= NEUTRAL_BAND]
    return tests


def transfer_stage(cfg: FeatureEngineeringConfig) -> dict[str, Any]:
    from .systems import correct, fit_hand, fit_tfidf

    corpus = load_corpus(cfg.max_per_source)
    train = corpus.of("movies")
    y_train = corpus.labels(train)
    models = {"tfidf": fit_tfidf(corpus.texts(train), y_train, cfg, cfg.seed)}
    models.update(fit_hand(corpus.features[train], y_train, cfg, cfg.seed))
    out: dict[str, Any] = {"n_train": int(len(train)), "params": {k: v[1] for k, v in models.items()}}
    for name, idx in transfer_tests(corpus).items():
        labels = corpus.labels(idx)
        right = {"vader": corpus.vader_correct(idx)}
        for system, (model, _) in models.items():
            inputs = corpus.texts(idx) if system == "tfidf" else corpus.features[idx]
            right[system] = correct(model, inputs, labels)
        out[name] = {"n": int(len(idx)), "correct": {k: v.tolist() for k, v in right.items()}}
    return out


def cnn_transfer_stage(cfg: FeatureEngineeringConfig, ctx) -> dict[str, Any]:
    from .neural import cnn_system

    corpus = load_corpus(cfg.max_per_source)
    train = corpus.of("movies")
    tests = {
        name: (corpus.texts(idx), corpus.labels(idx).tolist()) for name, idx in transfer_tests(corpus).items()
    }
    out = cnn_system(
        (corpus.texts(train), corpus.labels(train).tolist()), tests, cfg, cfg.seed, ctx, tag="cnn-transfer"
    )
    return out


# --- measure -----------------------------------------------------------------------------------------


def measure(cfg: FeatureEngineeringConfig, ctx) -> dict[str, Any]:
    try:
        vader = ctx.stage("vader", lambda: timed(lambda: vader_stage(cfg)))
    except DataMissing as err:
        return {"data_missing": str(err)}
    results: dict[str, Any] = {"vader": vader, "in_domain": {}}
    for source in cfg.in_domain:
        results["in_domain"][source] = {
            "sklearn": ctx.stage(f"sklearn-{source}", lambda s=source: timed(lambda: sklearn_stage(cfg, s))),
            "cnn": [
                ctx.stage(
                    f"cnn-{source}-fold{k}",
                    lambda s=source, k=k: timed(lambda: cnn_fold_stage(cfg, s, k, ctx)),
                )
                for k in range(cfg.folds)
            ],
        }
    results["transfer"] = ctx.stage("transfer", lambda: timed(lambda: transfer_stage(cfg)))
    if cfg.cnn_transfer:
        results["transfer_cnn"] = ctx.stage(
            "transfer-cnn", lambda: timed(lambda: cnn_transfer_stage(cfg, ctx))
        )
    if cfg.label_counts:
        from .sweep import label_sweep

        results["sweep"] = label_sweep(cfg, ctx)
    return results


def metrics(cfg: FeatureEngineeringConfig, results: dict[str, Any]) -> dict[str, float]:
    if "data_missing" in results:
        return {}
    out = {f"vader_r_{s}": v["r"] for s, v in results["vader"]["sources"].items()}
    for source, parts in results["in_domain"].items():
        for system in parts["sklearn"]["folds"][0]["accuracy"]:
            values = [f["accuracy"][system] for f in parts["sklearn"]["folds"]]
            out[f"cv_accuracy_{system}_{source}"] = float(np.mean(values))
        out[f"cv_accuracy_cnn_{source}"] = float(np.mean([f["accuracy"] for f in parts["cnn"]]))
    stages = [results["vader"], results["transfer"]]
    stages += [p["sklearn"] for p in results["in_domain"].values()]
    stages += [f for p in results["in_domain"].values() for f in p["cnn"]]
    out["stage_cpu_seconds"] = float(sum(s.get("cpu_seconds", math.nan) for s in stages))
    return out
