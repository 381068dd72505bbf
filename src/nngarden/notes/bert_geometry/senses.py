"""Word senses on every hidden state: a nearest-centroid classifier per ambiguous word, its layer chosen
on the training templates alone, then tested on templates and cue words never seen in training.

Coenen et al. (2019) and Wiedemann et al. (2019) classify senses by the nearest neighbours of BERT's
contextual vectors; a centroid per sense is the simplest such classifier.
"""

from __future__ import annotations

import numpy as np

from nngarden.data.grammar import SENSES, SenseUse, sense_uses


def use_vectors(encoder, uses: list[SenseUse]) -> np.ndarray:
    """(layers, uses, width): the ambiguous word's vector (averaged over its pieces) at every layer."""
    from nngarden.nn.pretrained import word_vectors

    vectors = word_vectors(encoder, [u.words for u in uses])
    return np.stack([v[:, u.position] for v, u in zip(vectors, uses)], axis=1)


def nearest_centroid(fit_x, fit_uses, eval_x, eval_uses) -> tuple[np.ndarray, np.ndarray]:
    """(right or wrong, relative margin) of each evaluated use against the two sense centroids of its
    word, fitted on ``fit_uses``. The margin (d_other - d_own) / (d_other + d_own) breaks layer ties."""
    centroids = {}
    for word in SENSES:
        for sense in (0, 1):
            rows = [i for i, u in enumerate(fit_uses) if u.word == word and u.sense == sense]
            centroids[word, sense] = fit_x[rows].mean(0)
    right, margin = np.zeros(len(eval_uses), dtype=bool), np.zeros(len(eval_uses))
    for i, use in enumerate(eval_uses):
        own = np.linalg.norm(eval_x[i] - centroids[use.word, use.sense])
        other = np.linalg.norm(eval_x[i] - centroids[use.word, 1 - use.sense])
        right[i] = own < other
        margin[i] = (other - own) / max(other + own, 1e-12)
    return right, margin


def development(train_x: np.ndarray, train: list[SenseUse]) -> tuple[int, float]:
    """Leave one (frame, cue) out on the training uses: fit on the uses sharing neither that frame nor
    that cue, evaluate the uses with both, as the test split shares neither with training."""
    right_total, margins = 0, []
    for frame, cue in sorted({(u.frame, u.cue) for u in train}):
        fit_rows = [i for i, u in enumerate(train) if u.frame != frame and u.cue != cue]
        eval_rows = [i for i, u in enumerate(train) if u.frame == frame and u.cue == cue]
        right, margin = nearest_centroid(
            train_x[fit_rows], [train[i] for i in fit_rows], train_x[eval_rows], [train[i] for i in eval_rows]
        )
        right_total += int(right.sum())
        margins += margin.tolist()
    return right_total, float(np.mean(margins))


def silhouettes(x: np.ndarray, uses: list[SenseUse]) -> np.ndarray:
    """Each use's silhouette between the two senses of its word, Euclidean, in the full space."""
    from sklearn.metrics import silhouette_samples

    out = np.zeros(len(uses))
    for word in SENSES:
        rows = [i for i, u in enumerate(uses) if u.word == word]
        out[rows] = silhouette_samples(x[rows], [uses[i].sense for i in rows])
    return out


def projection(x: np.ndarray, uses: list[SenseUse]) -> dict:
    """Per word, the test uses' first two principal components and senses (for the figure)."""
    out = {}
    for word in SENSES:
        rows = [i for i, u in enumerate(uses) if u.word == word]
        centred = x[rows] - x[rows].mean(0)
        _, _, vt = np.linalg.svd(centred, full_matrices=False)
        out[word] = {"xy": (centred @ vt[:2].T).tolist(), "sense": [uses[i].sense for i in rows]}
    return out


def measure_senses(encoder) -> dict:
    train, test = sense_uses("train"), sense_uses("test")
    train_x, test_x = use_vectors(encoder, train), use_vectors(encoder, test)
    layers = []
    for layer in range(train_x.shape[0]):
        dev_right, dev_margin = development(train_x[layer], train)
        right, _ = nearest_centroid(train_x[layer], train, test_x[layer], test)
        layers.append(
            {
                "dev_right": dev_right,
                "dev_margin": dev_margin,
                "test_right": right.astype(int).tolist(),
                "test_silhouette": silhouettes(test_x[layer], test).tolist(),
            }
        )
    best = max(range(len(layers)), key=lambda i: (layers[i]["dev_right"], layers[i]["dev_margin"]))
    return {
        "layers": layers,
        "layer": best,
        "dev_uses": len(train),
        "test_uses": len(test),
        "width": int(test_x.shape[-1]),
        "sense_names": {word: [s[0] for s in senses] for word, senses in SENSES.items()},
        "projection": projection(test_x[best], test),
        "projection_layer0": projection(test_x[0], test),
    }
