"""The Pythagorean embedding of a tree: squared Euclidean distance equals tree distance, exactly.

Coenen, Reif, Yuan et al. (2019), "Visualizing and Measuring the Geometry of BERT", Theorem 1: give
every edge of a tree its own orthonormal direction and place each node at the sum of the directions of
the edges on its path from the root. Two nodes' paths share the edges above their lowest common
ancestor, so their difference is a sum of d(x, y) distinct orthonormal vectors, and
||f(x) - f(y)||^2 = d(x, y). This is why Hewitt and Manning's structural probe squares its distance.

With plain (unsquared) distances many trees have no Euclidean embedding at all: a star with three
leaves would need its centre at the midpoint of every pair of leaves. :func:`euclidean_embeddable`
tests a distance matrix with the classical criterion (Schoenberg 1935; Young and Householder 1938): the
doubly centred matrix -1/2 J D^2 J must be positive semi-definite.

A tree is given as ``parents``: ``parents[i]`` is the parent of node i, and -1 marks the root.
"""

from __future__ import annotations

import numpy as np


def children_of(parents: list[int]) -> list[list[int]]:
    kids: list[list[int]] = [[] for _ in parents]
    for child, parent in enumerate(parents):
        if parent >= 0:
            kids[parent].append(child)
    return kids


def root_of(parents: list[int]) -> int:
    roots = [i for i, p in enumerate(parents) if p < 0]
    if len(roots) != 1:
        raise ValueError(f"a tree has exactly one root (parent -1), got {len(roots)}")
    return roots[0]


def depths(parents: list[int]) -> np.ndarray:
    """Edges from the root to every node, shape (n,)."""
    n = len(parents)
    depth = np.full(n, -1, dtype=np.int64)
    stack = [root_of(parents)]
    depth[stack[0]] = 0
    kids = children_of(parents)
    while stack:
        node = stack.pop()
        for child in kids[node]:
            depth[child] = depth[node] + 1
            stack.append(child)
    if (depth < 0).any():
        raise ValueError("parents do not form one tree (a node is unreachable from the root)")
    return depth


def tree_distances(parents: list[int]) -> np.ndarray:
    """Path lengths between every pair of nodes, shape (n, n), by a breadth-first search from each."""
    n = len(parents)
    neighbours = children_of(parents)
    for child, parent in enumerate(parents):
        if parent >= 0:
            neighbours[child].append(parent)
    out = np.zeros((n, n), dtype=np.int64)
    for source in range(n):
        seen = np.full(n, -1, dtype=np.int64)
        seen[source], frontier = 0, [source]
        while frontier:
            following = []
            for node in frontier:
                for other in neighbours[node]:
                    if seen[other] < 0:
                        seen[other] = seen[node] + 1
                        following.append(other)
            frontier = following
        out[source] = seen
    return out


def pythagorean_embedding(parents: list[int]) -> np.ndarray:
    """Node coordinates, shape (n, n - 1): the sum of one unit direction per edge on the root path."""
    n = len(parents)
    depths(parents)  # validates: one root, every node reachable
    root = root_of(parents)
    edge_of = {}  # child node -> the index of the edge to its parent
    for child, parent in enumerate(parents):
        if parent >= 0:
            edge_of[child] = len(edge_of)
    coordinates = np.zeros((n, max(n - 1, 1)))
    for node in range(n):
        walker = node
        while walker != root:
            coordinates[node, edge_of[walker]] = 1.0
            walker = parents[walker]
    return coordinates


def euclidean_embeddable(distances: np.ndarray, tol: float = 1e-9) -> tuple[bool, float]:
    """(whether points with these pairwise distances exist in some R^k, the smallest eigenvalue of
    -1/2 J D^2 J, which is negative exactly when they do not)."""
    d = np.asarray(distances, dtype=np.float64)
    n = d.shape[0]
    centre = np.eye(n) - np.ones((n, n)) / n
    gram = -0.5 * centre @ (d**2) @ centre
    smallest = float(np.linalg.eigvalsh(gram).min())
    return smallest >= -tol * max(1.0, float(np.abs(gram).max())), smallest


def random_tree(n: int, rng: np.random.Generator) -> list[int]:
    """A random recursive tree on n nodes: node i > 0 hangs under a uniformly chosen earlier node."""
    return [-1] + [int(rng.integers(0, i)) for i in range(1, n)]
