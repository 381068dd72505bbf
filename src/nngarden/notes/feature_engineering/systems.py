"""The shallow learners, on hand features or on TF-IDF: scikit-learn pipelines whose hyper-parameters are
chosen by cross-validation inside the training sentences only (the TF-IDF vocabulary is refitted inside
every inner fold, since it sits in the pipeline).

- hand features -> logistic regression (standardised) or ``HistGradientBoostingClassifier``: the 2012
  recipe. ``hand`` is whichever of the two the inner cross-validation prefers; ``hand-lr`` and
  ``hand-hgb`` are each family's own best, reported beside it.
- TF-IDF of words and word bigrams -> logistic regression (``tfidf``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

TFIDF_PARAMS = {"ngram_range": (1, 2), "sublinear_tf": True, "min_df": 1}


def _inner_cv(cfg, seed: int):
    from sklearn.model_selection import StratifiedKFold

    return StratifiedKFold(cfg.inner_folds, shuffle=True, random_state=seed)


def tfidf_model(c: float):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    return Pipeline(
        [("tfidf", TfidfVectorizer(**TFIDF_PARAMS)), ("lr", LogisticRegression(solver="liblinear", C=c))]
    )


def fit_tfidf(texts: list[str], labels: np.ndarray, cfg, seed: int) -> tuple[Any, dict[str, float]]:
    """TF-IDF (words and bigrams) with logistic regression, C chosen by inner cross-validation.

    The same choice as ``GridSearchCV`` over the pipeline (same folds, accuracy, the first best C, then a
    refit on every sentence), but each inner fold's vocabulary is fitted once rather than once per C:
    a third of the CPU time.
    """
    from sklearn.base import clone

    texts, labels = list(texts), np.asarray(labels)
    scores = np.zeros((cfg.inner_folds, len(cfg.tfidf_c)))
    for k, (train, test) in enumerate(_inner_cv(cfg, seed).split(texts, labels)):
        vectorizer = tfidf_model(1.0).named_steps["tfidf"]
        fitted = vectorizer.fit_transform([texts[i] for i in train])
        held = vectorizer.transform([texts[i] for i in test])
        for j, c in enumerate(cfg.tfidf_c):
            classifier = clone(tfidf_model(c).named_steps["lr"]).fit(fitted, labels[train])
            scores[k, j] = (classifier.predict(held) == labels[test]).mean()
    best = float(cfg.tfidf_c[int(np.argmax(scores.mean(axis=0)))])
    return tfidf_model(best).fit(texts, labels), {"C": best}


def _hand_candidates(cfg, seed: int) -> list[tuple[str, Any, dict[str, list]]]:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    lr = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    hgb = HistGradientBoostingClassifier(random_state=seed)
    return [
        ("hand-lr", lr, {"logisticregression__C": list(cfg.hand_c)}),
        (
            "hand-hgb",
            hgb,
            {"learning_rate": list(cfg.hgb_learning_rate), "max_leaf_nodes": list(cfg.hgb_leaf_nodes)},
        ),
    ]


def fit_hand(features: np.ndarray, labels: np.ndarray, cfg, seed: int) -> dict[str, tuple[Any, dict]]:
    """Both hand-feature families, each tuned by inner cross-validation, and ``hand``: the family with the
    better inner score (its refitted model, not a new one)."""
    from sklearn.model_selection import GridSearchCV

    fitted: dict[str, tuple[Any, dict]] = {}
    scores = {}
    for name, estimator, grid in _hand_candidates(cfg, seed):
        search = GridSearchCV(estimator, grid, cv=_inner_cv(cfg, seed))
        search.fit(features, labels)
        params = {k.split("__")[-1]: float(v) for k, v in search.best_params_.items()}
        fitted[name] = (search.best_estimator_, params)
        scores[name] = float(search.best_score_)
    best = max(scores, key=lambda name: (scores[name], name == "hand-lr"))  # a tie goes to the simpler
    fitted["hand"] = (fitted[best][0], {**fitted[best][1], "family": float(best == "hand-hgb")})
    return fitted


def correct(model, inputs, labels: np.ndarray) -> np.ndarray:
    """0/1 per item: whether ``model`` labels it right."""
    return (model.predict(inputs) == labels).astype(int)
