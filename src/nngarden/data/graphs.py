"""Relational tasks as batches of graphs, generated on the fly (the graph_nets demos' two tasks).

* Sorting: a list of numbers is a fully connected graph (every ordered pair, self loops included);
  the target marks the smallest element (node) and, for each edge i -> j, whether j comes right after
  i in sorted order, so the answer is a linked list through the graph.
* Shortest path: a random geometric graph in the unit square (connected by adding its Euclidean
  minimum spanning tree); nodes carry their position and start / end flags, edges their length; the
  target marks the nodes and edges on the shortest (by length) path from start to end (networkx).

Both return ``(inputs, targets)`` GraphBatches with the same structure; targets hold 0/1 floats with
one column for nodes and one for edges. Lists and graphs are drawn with a numpy Generator, so a seed
fixes a dataset.
"""

from __future__ import annotations

import numpy as np
import torch

from ..config import ConfigError
from ..nn.graph import Graph, GraphBatch


def _sizes(rng: np.random.Generator, num_graphs: int, min_size: int, max_size: int, least: int) -> np.ndarray:
    if num_graphs < 1:
        raise ConfigError(f"num_graphs: got {num_graphs}, must be >= 1")
    if min_size < least or max_size < min_size:
        raise ConfigError(
            f"min_size, max_size: need {least} <= min_size <= max_size, got {min_size}, {max_size}"
        )
    return rng.integers(min_size, max_size + 1, size=num_graphs)


def fully_connected(n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(senders, receivers) of every ordered pair (i, j) of n nodes, self loops included: n^2 edges."""
    idx = torch.arange(n)
    return idx.repeat_interleave(n), idx.repeat(n)


def sort_graph(values: np.ndarray) -> tuple[Graph, Graph]:
    """One list as a fully connected graph, and its sorted order as node and edge targets."""
    n = len(values)
    senders, receivers = fully_connected(n)
    order = np.argsort(values, kind="stable")
    first = np.zeros(n, dtype=np.float32)
    first[order[0]] = 1.0
    nxt = np.full(n, -1)
    nxt[order[:-1]] = order[1:]  # nxt[i] = element after i, -1 for the last
    is_next = (torch.as_tensor(nxt)[senders] == receivers).float()
    zeros_e = torch.zeros(n * n, 1)
    inputs = Graph(
        torch.as_tensor(values, dtype=torch.float32).view(n, 1), zeros_e, torch.zeros(1), senders, receivers
    )
    targets = Graph(
        torch.as_tensor(first).view(n, 1), is_next.view(-1, 1), torch.zeros(1), senders, receivers
    )
    return inputs, targets


def sort_lists(
    num_graphs: int, min_size: int, max_size: int, rng: np.random.Generator
) -> tuple[GraphBatch, GraphBatch]:
    """Lists of uniform [0, 1) numbers of sizes in [min_size, max_size], batched as graphs."""
    pairs = [sort_graph(rng.random(n)) for n in _sizes(rng, num_graphs, min_size, max_size, 2)]
    return GraphBatch.from_graphs([p[0] for p in pairs]), GraphBatch.from_graphs([p[1] for p in pairs])


def geometric_graph(n: int, rng: np.random.Generator, radius: float | None = None):
    """A connected random geometric graph as a networkx Graph: n points in the unit square (node
    attribute ``pos``), an edge between points closer than ``radius`` (default 1.5 / sqrt(n), a few
    neighbours each) plus the Euclidean minimum spanning tree (scipy), edge attribute ``length``."""
    import networkx as nx
    from scipy.sparse.csgraph import minimum_spanning_tree

    pos = rng.random((n, 2))
    radius = 1.5 / np.sqrt(n) if radius is None else radius
    dist = np.sqrt(((pos[:, None, :] - pos[None, :, :]) ** 2).sum(-1))
    keep = np.triu(dist < radius, k=1)
    tree = minimum_spanning_tree(dist).toarray() > 0
    keep |= np.triu(tree | tree.T, k=1)
    g = nx.Graph()
    g.add_nodes_from((i, {"pos": pos[i]}) for i in range(n))
    g.add_edges_from((int(i), int(j), {"length": float(dist[i, j])}) for i, j in zip(*np.nonzero(keep)))
    return g


def shortest_path_graph(n: int, rng: np.random.Generator, min_hops: int = 2) -> tuple[Graph, Graph]:
    """One geometric graph with a start and an end node and the shortest path between them marked."""
    import networkx as nx

    g = geometric_graph(n, rng)
    start = int(rng.integers(n))
    hops = nx.single_source_shortest_path_length(g, start)
    far = sorted(v for v, h in hops.items() if h >= min_hops)
    end = int(rng.choice(far)) if far else max(hops, key=hops.get)
    path = nx.shortest_path(g, start, end, weight="length")
    pairs = np.array(list(g.edges), dtype=np.int64).reshape(-1, 2)
    senders = np.concatenate([pairs[:, 0], pairs[:, 1]])  # both directions of every edge
    receivers = np.concatenate([pairs[:, 1], pairs[:, 0]])
    lengths = np.array([g.edges[i, j]["length"] for i, j in pairs], dtype=np.float32)
    lengths = np.concatenate([lengths, lengths])
    step = np.full(n, -1)
    step[path] = np.arange(len(path))  # position along the path, -1 if off it
    edge_target = (
        (step[senders] >= 0) & (step[receivers] >= 0) & (np.abs(step[senders] - step[receivers]) == 1)
    ).astype(np.float32)
    flags = np.zeros((n, 2), dtype=np.float32)
    flags[start, 0] = flags[end, 1] = 1.0
    pos = np.stack([g.nodes[i]["pos"] for i in range(n)]).astype(np.float32)
    node_target = (step >= 0).astype(np.float32).reshape(n, 1)
    s, r = torch.as_tensor(senders), torch.as_tensor(receivers)
    inputs = Graph(
        torch.as_tensor(np.concatenate([pos, flags], 1)),
        torch.as_tensor(lengths).view(-1, 1),
        torch.zeros(1),
        s,
        r,
    )
    targets = Graph(
        torch.as_tensor(node_target), torch.as_tensor(edge_target).view(-1, 1), torch.zeros(1), s, r
    )
    return inputs, targets


def shortest_paths(
    num_graphs: int, min_size: int, max_size: int, rng: np.random.Generator
) -> tuple[GraphBatch, GraphBatch]:
    """Shortest-path problems on connected geometric graphs of sizes in [min_size, max_size]."""
    pairs = [shortest_path_graph(int(n), rng) for n in _sizes(rng, num_graphs, min_size, max_size, 3)]
    return GraphBatch.from_graphs([p[0] for p in pairs]), GraphBatch.from_graphs([p[1] for p in pairs])


TASKS = {"sort": sort_lists, "shortest_path": shortest_paths}


def make_task(name: str, num_graphs: int, min_size: int, max_size: int, rng: np.random.Generator):
    if name not in TASKS:
        raise ConfigError(f"task: got {name!r}, allowed: {', '.join(TASKS)}")
    return TASKS[name](num_graphs, min_size, max_size, rng)


def solved_graphs(logits: GraphBatch, targets: GraphBatch) -> torch.Tensor:
    """(G,) bool: which graphs have every node and edge right; logits > 0 is "yes"."""
    node_wrong = ((logits.nodes > 0).float() != targets.nodes).any(dim=1).float()  # (N,)
    edge_wrong = ((logits.edges > 0).float() != targets.edges).any(dim=1).float()  # (E,)
    g = targets.num_graphs
    wrong = torch.zeros(g).index_add(0, targets.node_graph(), node_wrong) + torch.zeros(g).index_add(
        0, targets.edge_graph(), edge_wrong
    )
    return wrong == 0


def solved_fraction(logits: GraphBatch, targets: GraphBatch) -> tuple[float, float]:
    """(fraction of graphs with every node and edge right, fraction of nodes right); logits > 0 is "yes"."""
    node_wrong = ((logits.nodes > 0).float() != targets.nodes).any(dim=1).float()  # (N,)
    return float(solved_graphs(logits, targets).float().mean()), float(1 - node_wrong.mean())
