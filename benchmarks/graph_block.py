"""Forward + backward speed of nngarden's GN block against PyTorch Geometric's MetaLayer.

Both use the very same MLP modules (shared weights) and sum aggregation on the same batches, and the
script first checks that their outputs agree, so only the plumbing differs: nngarden projects the
node- and graph-level inputs of each MLP's first layer before gathering them per edge
(``apply_to_concat``); MetaLayer gathers then concatenates. Prints milliseconds per step and the ratio.

    OMP_NUM_THREADS=1 python benchmarks/graph_block.py [--repeats 30]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from nngarden.data.graphs import shortest_paths, sort_lists
from nngarden.nn.graph import GNBlock, GNBlockConfig, GraphBatch


def make_pyg_layer(block: GNBlock):
    from torch_geometric.nn import MetaLayer
    from torch_geometric.utils import scatter

    class EdgeModel(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.mlp = block.edge_fn

        def forward(self, src, dst, edge_attr, u, batch):
            return self.mlp(torch.cat([edge_attr, dst, src, u[batch]], 1))

    class NodeModel(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.mlp = block.node_fn

        def forward(self, x, edge_index, edge_attr, u, batch):
            received = scatter(edge_attr, edge_index[1], dim=0, dim_size=x.size(0), reduce="sum")
            return self.mlp(torch.cat([received, x, u[batch]], 1))

    class GlobalModel(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.mlp = block.global_fn

        def forward(self, x, edge_index, edge_attr, u, batch):
            edges = scatter(edge_attr, batch[edge_index[0]], dim=0, dim_size=u.size(0), reduce="sum")
            nodes = scatter(x, batch, dim=0, dim_size=u.size(0), reduce="sum")
            return self.mlp(torch.cat([edges, nodes, u], 1))

    return MetaLayer(EdgeModel(), NodeModel(), GlobalModel())


def widen(batch: GraphBatch, width: int, gen: torch.Generator) -> GraphBatch:
    """Random features of the latent width the processing core sees."""
    return batch.replace(
        nodes=torch.randn(batch.num_nodes, width, generator=gen),
        edges=torch.randn(batch.num_edges, width, generator=gen),
        globals=torch.randn(batch.num_graphs, width, generator=gen),
    )


def time_it(fn, repeats: int) -> float:
    fn()  # warm-up
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - start) / repeats * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--width", type=int, default=32, help="feature width (32: the EPD core's input)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    try:
        import torch_geometric  # noqa: F401
    except ImportError:
        print("PyTorch Geometric is not installed (pip install nngarden[pyg]); nothing to compare against.")
        return
    gen = torch.Generator().manual_seed(0)
    rng = np.random.default_rng(0)
    cases = {
        "sort 32 x (8-16) fully connected": sort_lists(32, 8, 16, rng)[0],
        "sort 32 x (16-32) fully connected": sort_lists(32, 16, 32, rng)[0],
        "shortest path 128 x (8-16) geometric": shortest_paths(128, 8, 16, rng)[0],
    }
    w = args.width
    block = GNBlock(GNBlockConfig(node_in=w, edge_in=w, global_in=w, node_out=16, edge_out=16, global_out=16))
    pyg = make_pyg_layer(block)
    print(
        f"{'batch':40s} {'nodes':>6s} {'edges':>7s} {'nngarden ms':>12s} {'PyG ms':>8s} {'PyG / ours':>10s}"
    )
    for name, batch in cases.items():
        batch = widen(batch, w, gen)
        params = [p for p in block.parameters()]
        edge_index = torch.stack([batch.senders, batch.receivers])
        node_graph = batch.node_graph()
        ours = block(batch)
        x, e, u = pyg(batch.nodes, edge_index, batch.edges, batch.globals, node_graph)
        for a, b in ((ours.edges, e), (ours.nodes, x), (ours.globals, u)):
            torch.testing.assert_close(a, b, atol=1e-4, rtol=1e-4)

        def step_ours():
            out = block(batch)
            loss = out.edges.sum() + out.nodes.sum() + out.globals.sum()
            torch.autograd.grad(loss, params)

        def step_pyg():
            x, e, u = pyg(batch.nodes, edge_index, batch.edges, batch.globals, node_graph)
            torch.autograd.grad(e.sum() + x.sum() + u.sum(), params)

        t_ours, t_pyg = time_it(step_ours, args.repeats), time_it(step_pyg, args.repeats)
        print(
            f"{name:40s} {batch.num_nodes:6d} {batch.num_edges:7d} {t_ours:12.2f} {t_pyg:8.2f} {t_pyg / t_ours:10.2f}"
        )


if __name__ == "__main__":
    main()
