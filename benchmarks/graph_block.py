"""Forward + backward speed of nngarden's GN block against PyTorch Geometric's MetaLayer.

Both use the very same MLP modules (shared weights) and sum aggregation on the same batches, and the
script first checks that their outputs agree, so only the plumbing differs: nngarden projects the
node- and graph-level inputs of each MLP's first layer before gathering them per edge
(``apply_to_concat``); MetaLayer gathers then concatenates.

Timed as ``benchmarks/gpt_train.py`` times: one process, one thread, warm-up steps outside the
timings, then interleaved repeats (ours, PyG, PyG, ours, ... the order alternating so that neither
always runs second) so that a noisy shared machine hits both alike. Every step is timed in process
CPU time (robust when other processes share the cores) and in wall time. The table gives medians per
step; the ratio PyG / ours is given on CPU time with its range over the repeats (the median ratio
within each repeat), which shows how far the machine's noise moves it, and on wall time.

    OMP_NUM_THREADS=1 PYTHONPATH=src python benchmarks/graph_block.py [--repeats 5] [--steps 50]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from nngarden.data.graphs import shortest_paths, sort_lists  # noqa: E402
from nngarden.nn.graph import GNBlock, GNBlockConfig, GraphBatch  # noqa: E402

NAMES = ("ours", "pyg")


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


def make_steps(block: GNBlock, pyg, batch: GraphBatch) -> dict:
    """One forward + backward (gradients of all outputs' sum w.r.t. the shared weights) per library,
    after checking that the two forwards agree."""
    params = list(block.parameters())
    edge_index = torch.stack([batch.senders, batch.receivers])
    node_graph = batch.node_graph()
    ours = block(batch)
    x, e, u = pyg(batch.nodes, edge_index, batch.edges, batch.globals, node_graph)
    for a, b in ((ours.edges, e), (ours.nodes, x), (ours.globals, u)):
        torch.testing.assert_close(a, b, atol=1e-4, rtol=1e-4)

    def step_ours():
        out = block(batch)
        torch.autograd.grad(out.edges.sum() + out.nodes.sum() + out.globals.sum(), params)

    def step_pyg():
        x, e, u = pyg(batch.nodes, edge_index, batch.edges, batch.globals, node_graph)
        torch.autograd.grad(e.sum() + x.sum() + u.sum(), params)

    return {"ours": step_ours, "pyg": step_pyg}


def time_case(steps: dict, args) -> tuple[dict, dict]:
    """Per-step CPU and wall seconds of each library: warm-up, then interleaved repeats."""
    for name in NAMES:
        for _ in range(args.warmup):
            steps[name]()
    cpu = {n: [] for n in NAMES}
    wall = {n: [] for n in NAMES}
    for repeat in range(args.repeats):
        for name in NAMES if repeat % 2 == 0 else NAMES[::-1]:
            for _ in range(args.steps):
                w0, c0 = time.perf_counter(), time.process_time()
                steps[name]()
                cpu[name].append(time.process_time() - c0)
                wall[name].append(time.perf_counter() - w0)
    return cpu, wall


def summarise(cpu: dict, wall: dict, args) -> dict:
    med = statistics.median
    per_repeat = [
        med(cpu["pyg"][r * args.steps : (r + 1) * args.steps])
        / med(cpu["ours"][r * args.steps : (r + 1) * args.steps])
        for r in range(args.repeats)
    ]
    return {
        "ours_cpu_ms": 1e3 * med(cpu["ours"]),
        "pyg_cpu_ms": 1e3 * med(cpu["pyg"]),
        "ours_wall_ms": 1e3 * med(wall["ours"]),
        "pyg_wall_ms": 1e3 * med(wall["pyg"]),
        "ratio_cpu": med(cpu["pyg"]) / med(cpu["ours"]),
        "ratio_cpu_range": (min(per_repeat), max(per_repeat)),
        "ratio_wall": med(wall["pyg"]) / med(wall["ours"]),
    }


def parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--width", type=int, default=32, help="feature width (32: the EPD core's input)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--steps", type=int, default=50, help="timed steps per library per repeat (5-20 ms each)")
    p.add_argument("--repeats", type=int, default=5, help="interleaved repeats (ours, PyG, PyG, ours, ...)")
    p.add_argument("--warmup", type=int, default=5)
    return p.parse_args(argv)


def main(argv=None) -> dict:
    args = parse(sys.argv[1:] if argv is None else argv)
    torch.set_num_threads(args.threads)
    try:
        with warnings.catch_warnings():  # PyG 2.8 warns about its own torch.jit.script calls
            warnings.simplefilter("ignore", DeprecationWarning)
            import torch_geometric
    except ImportError:
        print("PyTorch Geometric is not installed (pip install nngarden[pyg]); nothing to compare against.")
        return {}
    load0 = os.getloadavg()
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
    results = {}
    for name, batch in cases.items():
        batch = widen(batch, w, gen)
        cpu, wall = time_case(make_steps(block, pyg, batch), args)
        results[name] = dict(summarise(cpu, wall, args), nodes=batch.num_nodes, edges=batch.num_edges)
    load1 = os.getloadavg()

    print(
        f"torch {torch.__version__}, torch_geometric {torch_geometric.__version__}; width {w}; "
        f"threads {torch.get_num_threads()}; cores {os.cpu_count()}; load average before "
        f"{load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f}, after {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f}"
    )
    print(
        f"{args.repeats} x {args.steps} forward+backward steps each, interleaved; "
        "medians of per-step times; ratio > 1: ours is faster"
    )
    print(
        f"{'batch':37s} {'nodes':>5s} {'edges':>6s} {'ours cpu ms':>11s} {'PyG cpu ms':>10s} "
        f"{'PyG/ours cpu (per repeat)':>26s} {'ours wall ms':>12s} {'PyG wall ms':>11s} "
        f"{'PyG/ours wall':>13s}"
    )
    for name, r in results.items():
        low, high = r["ratio_cpu_range"]
        print(
            f"{name:37s} {r['nodes']:5d} {r['edges']:6d} {r['ours_cpu_ms']:11.2f} {r['pyg_cpu_ms']:10.2f} "
            f"{r['ratio_cpu']:11.2f} ({low:.2f}-{high:.2f}) {r['ours_wall_ms']:12.2f} "
            f"{r['pyg_wall_ms']:11.2f} {r['ratio_wall']:13.2f}"
        )
    results["load"] = [load0, load1]
    return results


if __name__ == "__main__":
    main()
