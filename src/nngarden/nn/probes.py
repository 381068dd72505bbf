"""Structural probes: is a parse tree written linearly into word vectors?

Hewitt and Manning (2019), "A Structural Probe for Finding Syntax in Word Representations". A linear
map B (rank k) is trained so that the squared distance ||B(h_i - h_j)||^2 between two words' vectors
approximates their distance in the sentence's parse tree (the *distance probe*), or so that the squared
norm ||B h_i||^2 approximates the word's depth (the *depth probe*). Both use the L1 loss, normalised by
the number of terms of each sentence (pairs for distances, words for depths), averaged over sentences.

Read-outs: the minimum spanning tree of the predicted distances against the gold tree (UUAS, the share
of gold edges recovered, undirected), the Spearman correlation of predicted and gold distances (per
word, averaged over the words of a sentence, then over sentences of each length, then over lengths),
and root accuracy (the word of least predicted depth is the root).

Shapes: S sentences, n words, d the vector width, k the probe's rank.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn


class DistanceProbe(nn.Module):
    """d_B(h_i, h_j) = ||B (h_i - h_j)||^2 with B of shape (k, d)."""

    def __init__(self, width: int, rank: int):
        super().__init__()
        self.proj = nn.Parameter(torch.empty(rank, width))
        nn.init.uniform_(self.proj, -0.05, 0.05)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        """h: (S, n, d) -> predicted squared distances (S, n, n).

        Computed from the Gram matrix, ||z_i||^2 + ||z_j||^2 - 2 z_i.z_j with z = B h, which never
        builds the (S, n, n, k) differences (3 to 7 times faster at rank 64 to 128); rounding can make a
        value a hair below zero, so it is clamped at 0."""
        z = h @ self.proj.T  # (S, n, k)
        squared = (z * z).sum(-1)  # (S, n)
        gram = z @ z.transpose(1, 2)  # (S, n, n)
        return (squared.unsqueeze(2) + squared.unsqueeze(1) - 2 * gram).clamp_min(0)


class DepthProbe(nn.Module):
    """||B h_i||^2 with B of shape (k, d)."""

    def __init__(self, width: int, rank: int):
        super().__init__()
        self.proj = nn.Parameter(torch.empty(rank, width))
        nn.init.uniform_(self.proj, -0.05, 0.05)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        """h: (S, n, d) -> predicted squared norms (S, n)."""
        return ((h @ self.proj.T) ** 2).sum(-1)


def distance_loss(predicted: torch.Tensor, gold: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Hewitt and Manning's L1 loss: sum over a sentence's pairs / n^2, averaged over sentences.

    predicted, gold: (S, n, n) padded; lengths: (S,) the true word counts."""
    n = predicted.size(1)
    valid = torch.arange(n, device=lengths.device)[None, :] < lengths[:, None]  # (S, n)
    pairs = valid[:, :, None] & valid[:, None, :]  # (S, n, n)
    per_sentence = ((predicted - gold).abs() * pairs).sum((1, 2)) / lengths.float() ** 2
    return per_sentence.mean()


def depth_loss(predicted: torch.Tensor, gold: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """L1 loss over a sentence's words / n, averaged over sentences. predicted, gold: (S, n)."""
    n = predicted.size(1)
    valid = torch.arange(n, device=lengths.device)[None, :] < lengths[:, None]
    return (((predicted - gold).abs() * valid).sum(1) / lengths.float()).mean()


# --- read-outs (numpy, one sentence at a time) --------------------------------------------------------


def minimum_spanning_edges(distances: np.ndarray) -> set[tuple[int, int]]:
    """Undirected edges (i < j) of a minimum spanning tree of a dense distance matrix (Prim's)."""
    n = distances.shape[0]
    if n < 2:
        return set()
    in_tree = np.zeros(n, dtype=bool)
    in_tree[0] = True
    best = distances[0].astype(np.float64).copy()
    link = np.zeros(n, dtype=np.int64)
    edges = set()
    for _ in range(n - 1):
        candidates = np.where(in_tree, np.inf, best)
        node = int(np.argmin(candidates))
        edges.add((min(node, int(link[node])), max(node, int(link[node]))))
        in_tree[node] = True
        closer = distances[node] < best
        best = np.where(closer, distances[node], best)
        link = np.where(closer, node, link)
    return edges


def tree_edges(parents: list[int]) -> set[tuple[int, int]]:
    return {(min(c, p), max(c, p)) for c, p in enumerate(parents) if p >= 0}


def uuas(predicted_distances: np.ndarray, parents: list[int]) -> tuple[int, int]:
    """(gold edges the MST of the predicted distances recovers, gold edges): sum over sentences, divide."""
    gold = tree_edges(parents)
    return len(gold & minimum_spanning_edges(predicted_distances)), len(gold)


def _ranks(values: np.ndarray) -> np.ndarray:
    """Average ranks of the entries of each row (ties share their mean rank), as Spearman needs."""
    from scipy.stats import rankdata

    return rankdata(values, axis=-1)


def sentence_spearman(predicted: np.ndarray, gold: np.ndarray) -> float:
    """Mean over words of the Spearman correlation between a word's predicted and gold distances to
    the other words (nan for a sentence too short or a word whose gold distances are all equal)."""
    n = predicted.shape[0]
    if n < 3:
        return float("nan")
    off = ~np.eye(n, dtype=bool)
    p = _ranks(predicted[off].reshape(n, n - 1))
    g = _ranks(gold[off].reshape(n, n - 1))
    p, g = p - p.mean(1, keepdims=True), g - g.mean(1, keepdims=True)
    denominator = np.sqrt((p**2).sum(1) * (g**2).sum(1))
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = (p * g).sum(1) / denominator
    return float(np.nanmean(rho)) if np.isfinite(rho).any() else float("nan")


def spearman_by_length(
    predicted: list[np.ndarray], gold: list[np.ndarray], low: int = 5, high: int = 50
) -> float:
    """Hewitt and Manning's distance Spearman: per-sentence means averaged within each length in
    [low, high], then across lengths (so long and short sentences weigh alike)."""
    by_length: dict[int, list[float]] = {}
    for p, g in zip(predicted, gold):
        n = p.shape[0]
        if low <= n <= high:
            value = sentence_spearman(p, g)
            if np.isfinite(value):
                by_length.setdefault(n, []).append(value)
    means = [float(np.mean(v)) for v in by_length.values()]
    return float(np.mean(means)) if means else float("nan")


def root_correct(predicted_depths: np.ndarray, parents: list[int]) -> bool:
    """Whether the word of least predicted depth is the gold root."""
    return int(np.argmin(predicted_depths)) == parents.index(-1)


@dataclass
class ProbeData:
    """Sentences padded to one length: vectors (S, n, d), gold distances (S, n, n), depths (S, n)."""

    vectors: torch.Tensor
    distances: torch.Tensor
    depths: torch.Tensor
    lengths: torch.Tensor

    @classmethod
    def from_sentences(cls, vectors: list[np.ndarray], parents: list[list[int]]) -> ProbeData:
        from .tree_embedding import depths as tree_depths
        from .tree_embedding import tree_distances

        n, d = max(v.shape[0] for v in vectors), vectors[0].shape[1]
        s = len(vectors)
        h, dist, dep = torch.zeros(s, n, d), torch.zeros(s, n, n), torch.zeros(s, n)
        for i, (v, p) in enumerate(zip(vectors, parents)):
            m = v.shape[0]
            h[i, :m] = torch.as_tensor(v, dtype=torch.float32)
            dist[i, :m, :m] = torch.as_tensor(tree_distances(p), dtype=torch.float32)
            dep[i, :m] = torch.as_tensor(tree_depths(p), dtype=torch.float32)
        return cls(h, dist, dep, torch.tensor([v.shape[0] for v in vectors]))

    def batch(self, rows: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return self.vectors[rows], self.distances[rows], self.depths[rows], self.lengths[rows]
