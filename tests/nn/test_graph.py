"""Graph batches, aggregation against loop references, the GN block's wiring and its invariances."""

import importlib.util

import networkx as nx
import pytest
import torch

from nngarden.config import ConfigError
from nngarden.nn.graph import (
    SPECIAL_CASES,
    EncodeProcessDecode,
    EncodeProcessDecodeConfig,
    GNBlock,
    GNBlockConfig,
    Graph,
    GraphBatch,
    permute_graphs,
    segment_reduce,
)


def random_graph(n, m, gen, dims=(3, 2, 2)):
    return Graph(
        torch.randn(n, dims[0], generator=gen),
        torch.randn(m, dims[1], generator=gen),
        torch.randn(dims[2], generator=gen),
        torch.randint(0, n, (m,), generator=gen),
        torch.randint(0, n, (m,), generator=gen),
    )


def random_batch(seed=0, sizes=((4, 7), (1, 0), (6, 12), (3, 3))):
    gen = torch.Generator().manual_seed(seed)
    return GraphBatch.from_graphs([random_graph(n, m, gen) for n, m in sizes])


# -- batching ----------------------------------------------------------------------------------------
def test_from_graphs_offsets_indices_and_split_inverts_it():
    gen = torch.Generator().manual_seed(1)
    graphs = [random_graph(n, m, gen) for n, m in ((4, 7), (1, 0), (6, 12), (3, 3))]
    batch = GraphBatch.from_graphs(graphs)
    assert batch.n_node.tolist() == [4, 1, 6, 3] and batch.n_edge.tolist() == [7, 0, 12, 3]
    assert batch.nodes.shape == (14, 3) and batch.edges.shape == (22, 2) and batch.globals.shape == (4, 2)
    # the third graph's edges point at its own nodes, which start at row 4 + 1 = 5
    assert torch.equal(batch.senders[7:19], graphs[2].senders + 5)
    assert batch.node_graph().tolist() == [0] * 4 + [1] + [2] * 6 + [3] * 3
    for original, back in zip(graphs, batch.split()):
        for key in ("nodes", "edges", "globals", "senders", "receivers"):
            assert torch.equal(getattr(original, key), getattr(back, key)), key


def test_from_graphs_accepts_dicts_and_graphs_without_features():
    batch = GraphBatch.from_graphs(
        [
            {"n_node": 3, "senders": [0, 1], "receivers": [1, 2]},
            {"n_node": 2, "senders": [1], "receivers": [0]},
        ]
    )
    assert batch.nodes is None and batch.edges is None and batch.globals is None
    assert batch.senders.tolist() == [0, 1, 4] and batch.receivers.tolist() == [1, 2, 3]
    assert [g.num_nodes for g in batch.split()] == [3, 2]


def test_bad_batches_name_the_field():
    with pytest.raises(ConfigError, match="senders"):
        GraphBatch.from_graphs([{"nodes": torch.zeros(2, 1), "senders": [0, 5], "receivers": [1, 0]}])
    with pytest.raises(ConfigError, match="edges"):
        GraphBatch.from_graphs(
            [{"nodes": torch.zeros(2, 1), "edges": torch.zeros(3, 1), "senders": [0], "receivers": [1]}]
        )
    with pytest.raises(ConfigError, match="colour"):
        GraphBatch.from_graphs([{"nodes": torch.zeros(2, 1), "senders": [], "receivers": [], "colour": 1}])
    with pytest.raises(ConfigError, match="nodes"):
        GraphBatch(
            torch.zeros(3, 1),
            None,
            None,
            torch.tensor([0]),
            torch.tensor([1]),
            torch.tensor([2]),
            torch.tensor([1]),
        )
    with pytest.raises(ConfigError, match="globals are given for some"):
        GraphBatch.from_graphs(
            [
                {"nodes": torch.zeros(1, 1), "senders": [], "receivers": [], "globals": [1.0]},
                {"nodes": torch.zeros(1, 1), "senders": [], "receivers": []},
            ]
        )


def test_from_networkx_reads_attributes_and_doubles_undirected_edges():
    g = nx.path_graph(4)  # 0-1-2-3
    for i in g.nodes:
        g.nodes[i]["features"] = [float(i), 1.0]
    for i, j in g.edges:
        g.edges[i, j]["features"] = [float(i + j)]
    g.graph["features"] = [7.0]
    d = nx.DiGraph([(0, 1), (1, 2)])
    batch = GraphBatch.from_networkx([g], node_key="features", edge_key="features", global_key="features")
    assert batch.num_edges == 6  # three undirected edges, both ways
    pairs = set(zip(batch.senders.tolist(), batch.receivers.tolist()))
    assert pairs == {(0, 1), (1, 0), (1, 2), (2, 1), (2, 3), (3, 2)}
    assert batch.nodes[:, 0].tolist() == [0, 1, 2, 3] and batch.globals.tolist() == [[7.0]]
    directed = GraphBatch.from_networkx([d], node_key=None, edge_key=None, global_key=None)
    assert directed.num_edges == 2 and directed.nodes is None
    with pytest.raises(ConfigError, match="has no attribute 'weight'"):
        GraphBatch.from_networkx([g], node_key="features", edge_key="weight", global_key=None)


@pytest.mark.skipif(
    importlib.util.find_spec("torch_geometric") is None,
    reason="PyTorch Geometric is not installed (optional extra: pip install nngarden[pyg])",
)
# importing PyG 2.8 under torch 2.13 warns that its own torch.jit.script calls are deprecated: not ours
@pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")
def test_pyg_round_trip():
    batch = random_batch()
    back = GraphBatch.from_pyg(batch.to_pyg())
    for key in ("nodes", "edges", "globals", "senders", "receivers", "n_node", "n_edge"):
        assert torch.equal(getattr(batch, key), getattr(back, key)), key


# -- aggregation -------------------------------------------------------------------------------------
@pytest.mark.parametrize("reduce", ["sum", "mean", "max", "min"])
def test_segment_reduce_matches_a_loop(reduce):
    gen = torch.Generator().manual_seed(0)
    values = torch.randn(30, 4, generator=gen)
    index = torch.randint(0, 6, (30,), generator=gen)
    index[index == 4] = 5  # segment 4 stays empty
    out = segment_reduce(values, index, 7, reduce)
    for seg in range(7):
        rows = values[index == seg]
        if len(rows) == 0:
            expected = torch.zeros(4)
        else:
            expected = {
                "sum": rows.sum(0),
                "mean": rows.mean(0),
                "max": rows.max(0).values,
                "min": rows.min(0).values,
            }[reduce]
        torch.testing.assert_close(out[seg], expected)


def test_segment_reduce_rejects_unknown_aggregation_and_passes_gradients():
    with pytest.raises(ConfigError, match="allowed: sum, mean, max, min"):
        segment_reduce(torch.zeros(2, 1), torch.zeros(2, dtype=torch.long), 1, "median")
    values = torch.tensor([[1.0], [3.0], [2.0]], requires_grad=True)
    segment_reduce(values, torch.tensor([0, 0, 1]), 2, "max").sum().backward()
    assert values.grad.view(-1).tolist() == [0.0, 1.0, 1.0]


# -- the block ---------------------------------------------------------------------------------------
class Identity(torch.nn.Module):
    def forward(self, x):
        return x


def test_block_aggregates_received_edges_like_a_loop():
    batch = random_batch(3)
    cfg = GNBlockConfig(
        node_in=3,
        edge_in=2,
        global_in=2,
        edge_out=2,
        node_out=2,
        global_out=4,
        edge_inputs=("edges",),
        node_inputs=("received_edges",),
        global_inputs=("edges", "nodes"),
        edge_to_node="mean",
        edge_to_global="sum",
        node_to_global="max",
    )
    block = GNBlock(cfg, edge_fn=Identity(), node_fn=Identity(), global_fn=Identity())
    out = block(batch)
    for i in range(batch.num_nodes):
        incoming = batch.edges[batch.receivers == i]
        expected = incoming.mean(0) if len(incoming) else torch.zeros(2)
        torch.testing.assert_close(out.nodes[i], expected)
    node_graph, edge_graph = batch.node_graph(), batch.edge_graph()
    for g in range(batch.num_graphs):
        edge_sum = batch.edges[edge_graph == g].sum(0)
        node_max = out.nodes[node_graph == g].max(0).values
        torch.testing.assert_close(out.globals[g], torch.cat([edge_sum, node_max]))


def test_factorised_first_layer_equals_the_plain_concatenation():
    batch = random_batch(4)
    block = GNBlock(GNBlockConfig(node_in=3, edge_in=2, global_in=2, layer_norm=False))
    out = block(batch)
    eg = batch.edge_graph()
    cat = torch.cat(
        [batch.edges, batch.nodes[batch.receivers], batch.nodes[batch.senders], batch.globals[eg]], 1
    )
    torch.testing.assert_close(out.edges, block.edge_fn(cat))


@pytest.mark.parametrize("name", SPECIAL_CASES)
def test_special_cases_run_and_use_only_their_inputs(name):
    batch = random_batch(5)
    block = GNBlock(GNBlockConfig.special_case(name, node_in=3, edge_in=2, global_in=2))
    out = block(batch)
    rewired = batch.replace(receivers=batch.receivers.flip(0), edges=torch.randn_like(batch.edges))
    out2 = block(rewired)
    if name in ("graph_independent", "deep_sets"):  # no relation is used: edges do not reach the nodes
        torch.testing.assert_close(out.nodes, out2.nodes)
    else:
        assert not torch.allclose(out.nodes, out2.nodes) if block.node_fn is not None else True
    if name == "graph_independent":  # globals see only globals
        torch.testing.assert_close(out.globals, out2.globals)
    if name == "interaction_network":
        assert block.global_fn is None and torch.equal(out.globals, batch.globals)
    if name == "relation_network":  # nodes pass through, globals pool pairwise relations
        assert torch.equal(out.nodes, batch.nodes) and out.globals.shape == (batch.num_graphs, 16)


def test_block_config_errors_name_the_field():
    with pytest.raises(ConfigError, match="edge_inputs"):
        GNBlockConfig(node_in=1, edge_inputs=("edges", "colour"))
    with pytest.raises(ConfigError, match="edge_inputs"):
        GNBlockConfig(node_in=0, edge_in=0, global_in=0)  # the edge update would read nothing
    with pytest.raises(ConfigError, match="special_case"):
        GNBlockConfig.special_case("transformer", node_in=1)
    block = GNBlock(GNBlockConfig(node_in=5, edge_in=2, global_in=2))
    with pytest.raises(ConfigError, match="graph.nodes: width 3"):
        block(random_batch())


@pytest.mark.parametrize("agg", ["sum", "mean", "max"])
def test_permuting_nodes_and_edges_permutes_outputs_and_keeps_globals(agg):
    batch = random_batch(6, sizes=((5, 9), (8, 20), (3, 4)))
    torch.manual_seed(0)
    model = EncodeProcessDecode(
        EncodeProcessDecodeConfig(
            node_in=3, edge_in=2, global_in=2, node_out=2, edge_out=3, global_out=2, steps=3, aggregation=agg
        )
    )
    permuted, node_perm, edge_perm = permute_graphs(batch, torch.Generator().manual_seed(1))
    assert not torch.equal(node_perm, torch.arange(len(node_perm)))
    with torch.no_grad():
        out, out_p = model(batch)[-1], model(permuted)[-1]
    torch.testing.assert_close(out_p.nodes, out.nodes[node_perm], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(out_p.edges, out.edges[edge_perm], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(out_p.globals, out.globals, atol=1e-5, rtol=1e-5)


def test_permute_graphs_keeps_each_graph_its_own_nodes():
    batch = random_batch(7)
    permuted, node_perm, _ = permute_graphs(batch, torch.Generator().manual_seed(0))
    assert torch.equal(batch.node_graph()[node_perm], batch.node_graph())
    assert torch.equal(permuted.node_graph()[permuted.senders], permuted.edge_graph())


def test_encode_process_decode_outputs_every_step_and_learns_a_relation():
    # Target: each node's value is the sum of its in-neighbours' inputs, a one-hop relation an MLP
    # on the node alone cannot know. A few hundred Adam steps should cut the error tenfold.
    gen = torch.Generator().manual_seed(0)
    graphs = []
    for _ in range(16):
        g = random_graph(6, 12, gen, dims=(1, 1, 1))
        graphs.append(g)
    batch = GraphBatch.from_graphs(graphs)
    target = segment_reduce(batch.nodes[batch.senders], batch.receivers, batch.num_nodes, "sum")
    torch.manual_seed(0)
    model = EncodeProcessDecode(EncodeProcessDecodeConfig(node_out=1, steps=2))
    outs = model(batch)
    assert len(outs) == 2 and outs[-1].nodes.shape == (batch.num_nodes, 1) and outs[-1].edges is None
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    first = torch.nn.functional.mse_loss(model(batch)[-1].nodes, target).item()
    for _ in range(300):
        loss = torch.nn.functional.mse_loss(model(batch)[-1].nodes, target)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < first / 10
