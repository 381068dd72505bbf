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


def fit_tfidf(texts: list[str], labels: np.ndarray, cfg, seed: int) -> tuple[Any, dict[str, float]]:
    """TF-IDF (words and bigrams) with logistic regression, C chosen by inner cross-validation."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline

    pipeline = Pipeline(
        [("tfidf", TfidfVectorizer(**TFIDF_PARAMS)), ("lr", LogisticRegression(solver="liblinear"))]
    )
    search = GridSearchCV(pipeline, {"lr__C": list(cfg.tfidf_c)}, cv=_inner_cv(cfg, seed))
    search.fit(texts, labels)
    return search.best_estimator_, {"C": float(search.best_params_["lr__C"])}


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
