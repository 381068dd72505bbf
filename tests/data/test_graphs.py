"""The relational tasks: sort lists as linked lists, shortest paths on connected geometric graphs."""

import networkx as nx
import numpy as np
import pytest
import torch

from nngarden.config import ConfigError
from nngarden.data.graphs import (
    fully_connected,
    geometric_graph,
    make_task,
    shortest_paths,
    solved_fraction,
    sort_lists,
)


def test_fully_connected_has_every_ordered_pair():
    s, r = fully_connected(3)
    assert sorted(zip(s.tolist(), r.tolist())) == [(i, j) for i in range(3) for j in range(3)]


def test_sort_targets_form_the_sorted_linked_list():
    inputs, targets = sort_lists(6, 3, 9, np.random.default_rng(0))
    for g, t in zip(inputs.split(), targets.split()):
        n = g.num_nodes
        values = g.nodes[:, 0]
        assert len(g.senders) == n * n and t.nodes.sum() == 1 and t.edges.sum() == n - 1
        nxt = {int(s): int(r) for s, r, e in zip(g.senders, g.receivers, t.edges[:, 0]) if e == 1}
        node = int(t.nodes[:, 0].argmax())
        walk = [node]
        while node in nxt:
            node = nxt[node]
            walk.append(node)
        assert len(walk) == n and torch.equal(values[walk], values.sort().values)


def test_geometric_graphs_are_connected():
    rng = np.random.default_rng(1)
    for n in (3, 8, 20):
        g = geometric_graph(n, rng)
        assert nx.is_connected(g) and len(g) == n


def test_shortest_path_targets_mark_the_weighted_shortest_path():
    inputs, targets = shortest_paths(5, 6, 12, np.random.default_rng(2))
    for g, t in zip(inputs.split(), targets.split()):
        start, end = int(g.nodes[:, 2].argmax()), int(g.nodes[:, 3].argmax())
        graph = nx.Graph()
        graph.add_weighted_edges_from(
            (int(s), int(r), float(w)) for s, r, w in zip(g.senders, g.receivers, g.edges[:, 0])
        )
        path = nx.shortest_path(graph, start, end, weight="weight")
        assert start != end and len(path) >= 3  # at least two hops
        assert sorted(torch.nonzero(t.nodes[:, 0]).view(-1).tolist()) == sorted(path)
        marked = {(int(s), int(r)) for s, r, e in zip(g.senders, g.receivers, t.edges[:, 0]) if e == 1}
        assert marked == set(zip(path[:-1], path[1:])) | set(zip(path[1:], path[:-1]))


def test_solved_fraction_counts_whole_graphs():
    inputs, targets = sort_lists(4, 5, 5, np.random.default_rng(3))
    perfect = targets.replace(nodes=targets.nodes * 2 - 1, edges=targets.edges * 2 - 1)
    assert solved_fraction(perfect, targets) == (1.0, 1.0)
    all_no = targets.replace(nodes=-torch.ones_like(targets.nodes), edges=-torch.ones_like(targets.edges))
    solved, node_acc = solved_fraction(all_no, targets)
    assert solved == 0.0 and node_acc == pytest.approx(0.8)  # "no" everywhere: 4 of 5 nodes right
    one_wrong = perfect.edges.clone()
    one_wrong[0] = -one_wrong[0]  # first graph's first edge flipped
    assert solved_fraction(perfect.replace(edges=one_wrong), targets)[0] == 0.75


def test_bad_task_arguments_name_the_field():
    with pytest.raises(ConfigError, match="min_size"):
        sort_lists(2, 9, 4, np.random.default_rng(0))
    with pytest.raises(ConfigError, match="task"):
        make_task("tsp", 2, 4, 5, np.random.default_rng(0))
