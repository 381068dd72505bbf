"""The inductive-bias note's measurements: (a) invariance errors of untrained models, (b) MNIST-1D
classifiers trained plain and with the positions shuffled, (c) graph networks and an MLP trained to sort
lists (and find shortest paths), tested on larger ones.

Every training run is a ``ctx.stage`` (cached in the run directory, so an interrupted run resumes and
``nngarden rejudge`` trains nothing) and goes through :func:`nngarden.train.fit.fit` on ``ctx.device``:
an evaluation logged at step s measured the model after s updates.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from ...config import ConfigError
from ...data.graphs import make_task, solved_graphs, sort_lists
from ...data.mnist1d import load_mnist1d, shuffle_positions
from ...nn.classifiers import MLP, CNN1d, CNN1dConfig, GRUClassifier, build_classifier
from ...nn.graph import (
    EncodeProcessDecode,
    EncodeProcessDecodeConfig,
    GNBlock,
    GNBlockConfig,
    Graph,
    GraphBatch,
    permute_graphs,
)
from ...nn.stacked import stack
from ...train.fit import fit, to_device
from .config import InductiveBiasConfig


# --------------------------------------------------------------------------------------------------
# (a) invariances
# --------------------------------------------------------------------------------------------------
def relative_error(a: torch.Tensor, b: torch.Tensor) -> float:
    """max |a - b| / max |b|: the error relative to the output's scale."""
    return float((a - b).abs().max() / b.abs().max().clamp(min=1e-12))


def random_graphs(
    num: int, generator: torch.Generator, node_dim: int = 3, edge_dim: int = 2, global_dim: int = 2
) -> GraphBatch:
    """Random directed graphs of 4-12 nodes (about 3 out-edges each) with Gaussian features."""
    graphs = []
    for _ in range(num):
        n = int(torch.randint(4, 13, (1,), generator=generator))
        m = 3 * n
        graphs.append(
            Graph(
                torch.randn(n, node_dim, generator=generator),
                torch.randn(m, edge_dim, generator=generator),
                torch.randn(global_dim, generator=generator),
                torch.randint(0, n, (m,), generator=generator),
                torch.randint(0, n, (m,), generator=generator),
            )
        )
    return GraphBatch.from_graphs(graphs)


def graph_permutation_errors(model, batch: GraphBatch, generator: torch.Generator) -> dict[str, float]:
    """Relative errors of node / edge equivariance and global invariance under a random relabelling."""
    permuted, node_perm, edge_perm = permute_graphs(batch, generator)
    with torch.no_grad():
        out, out_p = model(batch), model(permuted)
    if isinstance(out, list):
        out, out_p = out[-1], out_p[-1]
    errors = {}
    if out.nodes is not None:
        errors["nodes"] = relative_error(out_p.nodes, out.nodes[node_perm])
    if out.edges is not None:
        errors["edges"] = relative_error(out_p.edges, out.edges[edge_perm])
    if out.globals is not None:
        errors["globals"] = relative_error(out_p.globals, out.globals)
    return errors


def worst_graph_network_errors(batch: GraphBatch, gen: torch.Generator) -> dict[str, float]:
    """The largest GN error over a GN block and an encode-process-decode model, for each aggregation."""
    worst = {"nodes": 0.0, "edges": 0.0, "globals": 0.0}
    widths = dict(node_in=3, edge_in=2, global_in=2)
    for agg in ("sum", "mean", "max"):
        block = GNBlock(GNBlockConfig(**widths, edge_to_node=agg, edge_to_global=agg, node_to_global=agg))
        epd = EncodeProcessDecode(
            EncodeProcessDecodeConfig(
                **widths, node_out=2, edge_out=2, global_out=2, steps=3, aggregation=agg
            )
        )
        for model in (block, epd):
            for key, err in graph_permutation_errors(model, batch, gen).items():
                worst[key] = max(worst[key], err)
    return {f"gn_{k}_error": v for k, v in worst.items()}


def measure_invariances(num_graphs: int, seed: int) -> dict[str, float]:
    """Every error of (a), relative to the output's scale (see ``relative_error``).

    On the CPU on purpose, whatever the run's device: the check is that float32 rounding is all that
    separates the outputs, and a GPU's reduced-precision matmuls (TF32) would blur that line.
    """
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    res = worst_graph_network_errors(random_graphs(num_graphs, gen), gen)

    x = torch.randn(64, 40, generator=gen)
    shift = 7
    # Kernel 5, stride 1, 2 wrapped values each side: the map keeps length 40 and wraps around.
    circular = dict(channels=(8, 8), kernel_sizes=(5, 5), strides=(1, 1), padding=2, padding_mode="circular")
    conv = CNN1d(CNN1dConfig(**circular, num_classes=0))
    conv_dense = CNN1d(CNN1dConfig(**circular, num_classes=10))
    with torch.no_grad():
        shifted = conv.features(torch.roll(x, shift, 1))
        res["conv_shift_equivariance_error"] = relative_error(shifted, torch.roll(conv.features(x), shift, 2))
        res["conv_dense_shift_invariance_error"] = relative_error(
            conv_dense(torch.roll(x, shift, 1)), conv_dense(x)
        )
        # The same circular convolution pooled over positions is invariant: the head, not the conv, breaks it.
        res["conv_pool_shift_invariance_error"] = relative_error(shifted.sum(2), conv.features(x).sum(2))

    perm = torch.randperm(40, generator=gen)
    mlp_map, mlp_cls = MLP((40, 100, 40)), MLP((40, 100, 100, 10))
    with torch.no_grad():
        res["mlp_permutation_equivariance_error"] = relative_error(mlp_map(x[:, perm]), mlp_map(x)[:, perm])
        res["mlp_permutation_invariance_error"] = relative_error(mlp_cls(x[:, perm]), mlp_cls(x))

    # A recurrent layer applies one cell at every step: delaying the input delays the output. Exact
    # when the blank input keeps the state at rest (no biases: GRU(0, 0) = 0); with biases the state
    # drifts during the blank steps, so the match is only approximate.
    delay = 5
    padded = torch.cat([torch.zeros(64, delay), x], 1)
    for bias in (False, True):
        gru = GRUClassifier(length=40, hidden=6, bidirectional=False, bias=bias)
        with torch.no_grad():
            err = relative_error(gru.states(padded)[:, delay:], gru.states(x))
        res[f"gru_delay_equivariance_error{'_with_bias' if bias else ''}"] = err
    gru = GRUClassifier(length=40, hidden=6, bidirectional=False)
    with torch.no_grad():
        res["gru_permutation_equivariance_error"] = relative_error(
            gru.states(x[:, perm]), gru.states(x)[:, perm]
        )
    return res


# --------------------------------------------------------------------------------------------------
# (b) MNIST-1D
# --------------------------------------------------------------------------------------------------
STACKED = ("logistic", "mlp", "cnn")  # every seed and condition of these trained as one stack (nn.stacked)


def adam(lr: float):
    """Adam with the fused kernel: the same update, without a Python loop over the parameters, which on
    these small models costs as much as the forward and backward passes."""
    return lambda params: torch.optim.Adam(params, lr=lr, fused=True)


def classification_loss(model: torch.nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    x, y = batch
    return F.cross_entropy(model(x), y)


def stacked_loss(model: torch.nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """The sum over members of each member's mean cross-entropy: each member gets its own gradient."""
    x, y = batch  # (M, B, L), (B,): every member sees the same examples (in its own condition)
    logits = model(x)
    return F.cross_entropy(logits.flatten(0, 1), y.repeat(len(logits)), reduction="sum") / len(y)


def _summary(curve: list[list[float]], steps: int, average_last: int) -> dict:
    """``final``: the mean accuracy over the evaluations in the last ``average_last`` steps."""
    tail = [acc for step, acc in curve if step >= steps - average_last]
    return {"final": float(np.mean(tail)), "last": curve[-1][1], "curve": curve}


def train_classifier(
    name: str,
    data: dict,
    *,
    steps: int,
    lr: float,
    batch_size: int,
    eval_every: int,
    seed: int,
    average_last: int = 0,
    device: str = "cpu",
    log=None,
    tag: str | None = None,
) -> dict:
    """The MNIST-1D paper's training: Adam, cross-entropy, batches sliced in order from the shuffled
    train set; test accuracy (and loss, as ``val_loss``) at step 0, every ``eval_every`` steps and at
    the end. Returns the curve of (step, accuracy %), the accuracy after the last step (``last``) and
    ``final``: the mean over the evaluations in the last ``average_last`` steps."""
    torch.manual_seed(seed)
    x, y, x_test, y_test = (torch.as_tensor(data[k]).to(device) for k in ("x", "y", "x_test", "y_test"))
    model = build_classifier(name, length=x.shape[1])

    def batches(step: int) -> tuple[torch.Tensor, torch.Tensor]:
        start = (step * batch_size) % len(y)
        return x[start : start + batch_size], y[start : start + batch_size]

    def evaluate(m: torch.nn.Module) -> dict[str, float]:
        logits = m(x_test)
        accuracy = float((logits.argmax(1) == y_test).float().mean()) * 100
        return {"val_loss": float(F.cross_entropy(logits, y_test)), "test_acc": accuracy}

    result = fit(
        model,
        classification_loss,
        batches,
        adam(lr),
        steps=steps,
        device=device,
        evaluate=evaluate,
        eval_every=eval_every,
        log=log,
        tag=tag,
    )
    curve = [[row["step"], row["test_acc"]] for row in result.history if "test_acc" in row]
    return {
        **_summary(curve, steps, average_last),
        "train_cpu_seconds": result.train_cpu_seconds,
        "wall_seconds": result.wall_seconds,
    }


def train_stacked(
    name: str,
    data: dict[str, dict],
    members: list[tuple[str, int]],
    *,
    steps: int,
    lr: float,
    batch_size: int,
    eval_every: int,
    average_last: int = 0,
    device: str = "cpu",
    log=None,
    tag: str | None = None,
) -> list[dict]:
    """``train_classifier`` for several (condition, seed) members at once, as one stacked module: member
    i starts from the weights ``build_classifier`` draws after ``torch.manual_seed(seed)``, sees the
    same batches in its condition's data, and is updated as it would be alone (nn.stacked: a
    StackedDense for logistic regression and the MLP, a StackedCNN1d for the CNN). Returns one
    result per member, in order, as ``train_classifier`` would."""
    nets = []
    for _, seed in members:
        torch.manual_seed(seed)
        nets.append(build_classifier(name, length=data[members[0][0]]["x"].shape[1]))
    model = stack(nets)
    conditions = [condition for condition, _ in members]
    x, x_test = (
        torch.stack([torch.as_tensor(data[c][k]) for c in conditions]).to(device) for k in ("x", "x_test")
    )
    y, y_test = (torch.as_tensor(data[conditions[0]][k]).to(device) for k in ("y", "y_test"))
    if any(not np.array_equal(data[c]["y_test"], data[conditions[0]]["y_test"]) for c in conditions):
        raise ValueError("the stacked conditions must share their labels (positions shuffled, not examples)")

    def batches(step: int) -> tuple[torch.Tensor, torch.Tensor]:
        start = (step * batch_size) % len(y)
        return x[:, start : start + batch_size], y[start : start + batch_size]

    def evaluate(m: torch.nn.Module) -> dict[str, float]:
        logits = m(x_test)
        accuracy = (logits.argmax(2) == y_test).float().mean(1) * 100
        loss = F.cross_entropy(logits.flatten(0, 1), y_test.repeat(len(members)))
        return {"val_loss": float(loss), **{f"test_acc_{i}": float(a) for i, a in enumerate(accuracy)}}

    result = fit(
        model,
        stacked_loss,
        batches,
        adam(lr),
        steps=steps,
        device=device,
        evaluate=evaluate,
        eval_every=eval_every,
        log=log,
        tag=tag,
    )
    rows = [row for row in result.history if "test_acc_0" in row]
    share = result.train_cpu_seconds / len(members)  # the stack's CPU time, shared out per member
    return [
        {
            **_summary([[row["step"], row[f"test_acc_{i}"]] for row in rows], steps, average_last),
            "condition": condition,
            "seed": seed,
            "train_cpu_seconds": share,
        }
        for i, (condition, seed) in enumerate(members)
    ]


def run_mnist1d(cfg: InductiveBiasConfig, ctx) -> dict[str, list[dict]]:
    """Every (model, condition, seed) as its own stage (the GRU), or every condition and seed of a model
    as one stacked stage (logistic, MLP, CNN), so an interrupted run resumes.

    Returns ``"model/plain"`` and ``"model/shuffled"`` -> one training result per seed.
    """
    data: dict[str, Any] = {}

    def dataset() -> dict[str, dict]:
        if not data:  # generated (or read from the cache) only when a stage actually trains
            data["plain"] = load_mnist1d(cfg.mnist_samples)
            data["shuffled"] = shuffle_positions(data["plain"], cfg.shuffle_seed)[0]
        return data

    common = dict(lr=cfg.lr, batch_size=cfg.batch_size, eval_every=cfg.eval_every)
    common.update(average_last=cfg.average_last, device=ctx.device, log=ctx.log)

    def train(model: str, condition: str, seed: int) -> dict:
        tag = f"mnist1d/{model}/{condition}/seed{seed}"
        return train_classifier(
            model, dataset()[condition], steps=cfg.steps_of(model), seed=seed, tag=tag, **common
        )

    def stack(model: str) -> list[dict]:
        members = [(c, seed) for c in ("plain", "shuffled") for seed in cfg.seeds_of(model)]
        tag = f"mnist1d/{model}/stacked"
        return train_stacked(model, dataset(), members, steps=cfg.steps_of(model), tag=tag, **common)

    out: dict[str, list[dict]] = {}
    for model in cfg.models:
        if model in STACKED:
            members = ctx.stage(f"mnist1d-{model}-stacked", partial(stack, model))
            for condition in ("plain", "shuffled"):
                out[f"{model}/{condition}"] = [r for r in members if r["condition"] == condition]
            continue
        for condition in ("plain", "shuffled"):
            out[f"{model}/{condition}"] = [
                ctx.stage(f"mnist1d-{model}-{condition}-{seed}", partial(train, model, condition, seed))
                for seed in cfg.seeds_of(model)
            ]
    return out


def summarize_mnist1d(results: dict[str, list[dict]]) -> dict[str, float]:
    """``model_condition``: the mean over seeds of the final accuracy; ``..._spread``: max - min."""
    out = {}
    for key, runs in results.items():
        model, condition = key.split("/")
        finals = [r["final"] for r in runs]
        out[f"{model}_{condition}"] = float(np.mean(finals))
        out[f"{model}_{condition}_spread"] = float(np.max(finals) - np.min(finals))
    return out


# --------------------------------------------------------------------------------------------------
# (c) relational generalization
# --------------------------------------------------------------------------------------------------
def graph_loss(outputs: list[GraphBatch], targets: GraphBatch) -> torch.Tensor:
    """Mean over processing steps of node + edge binary cross-entropy (as the graph_nets demos)."""
    total = 0.0
    for out in outputs:
        total = (
            total
            + F.binary_cross_entropy_with_logits(out.nodes, targets.nodes)
            + F.binary_cross_entropy_with_logits(out.edges, targets.edges)
        )
    return total / len(outputs)


def size_grid(cfg: InductiveBiasConfig) -> list[int]:
    lo, hi = cfg.train_sizes[0], cfg.far_sizes[1]
    edges = {cfg.train_sizes[1], cfg.near_sizes[0], cfg.near_sizes[1], cfg.far_sizes[0], hi}
    return sorted(set(range(lo, hi + 1, cfg.size_step)) | edges)


def evaluation_interval(cfg: InductiveBiasConfig) -> int:
    """About 15 evaluations per relational run."""
    return max(1, cfg.relational_steps // 15)


BANDS = ("in", "near", "far")  # training sizes, then the two test bands strictly above them


def evaluation_sets(
    task: str, cfg: InductiveBiasConfig, seed: int
) -> dict[str, tuple[GraphBatch, GraphBatch]]:
    """``eval_graphs`` held-out graphs per band, drawn from the seed alone: the graph network and the
    MLP are scored on the same lists, so their difference is a paired one."""
    rng = np.random.default_rng(10_000 + seed)
    sizes = {"in": cfg.train_sizes, "near": cfg.near_sizes, "far": cfg.far_sizes}
    return {band: make_task(task, cfg.eval_graphs, *sizes[band], rng) for band in BANDS}


def graph_solved(model, inputs: GraphBatch, targets: GraphBatch, device: str) -> list[int]:
    """1 for each graph fully solved, else 0; counted on the CPU, where the library's ``solved_graphs``
    builds its per-graph tally."""
    return solved_graphs(model(inputs.to(device))[-1].to("cpu"), targets).int().tolist()


def train_graph_task(task: str, cfg: InductiveBiasConfig, seed: int, device: str = "cpu", log=None) -> dict:
    """Train an encode-process-decode GN on fresh batches of ``task``; which held-out graphs it solves
    in each band, and the solved fraction by size."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    probe, _ = make_task(task, 1, 3, 3, rng)  # the feature widths (its draws also advance rng)
    model = EncodeProcessDecode(
        EncodeProcessDecodeConfig(
            node_in=probe.nodes.shape[1],
            edge_in=probe.edges.shape[1],
            global_in=probe.globals.shape[1],
            node_out=1,
            edge_out=1,
            latent=cfg.latent,
            steps=cfg.processing_steps,
        )
    )
    sets = evaluation_sets(task, cfg, seed)
    val_in_targets = sets["in"][1].to(device)

    def batches(step: int) -> tuple[GraphBatch, GraphBatch]:
        inputs, targets = make_task(task, cfg.graph_batch, *cfg.train_sizes, rng)
        return inputs.to(device), targets.to(device)  # fit moves tensors, not GraphBatches

    def evaluate(m) -> dict[str, float]:
        outputs = m(sets["in"][0].to(device))
        solved = {band: float(np.mean(graph_solved(m, *sets[band], device))) for band in BANDS}
        loss = float(graph_loss(outputs, val_in_targets))
        return {"val_loss": loss, **{f"solved_{band}": solved[band] for band in BANDS}}

    result = fit(
        model,
        lambda m, batch: graph_loss(m(batch[0]), batch[1]),
        batches,
        adam(cfg.graph_lr),
        steps=cfg.relational_steps,
        device=device,
        evaluate=evaluate,
        eval_every=evaluation_interval(cfg),
        log=log,
        tag=f"{task}/gn",
    )
    curve = [
        [row["step"]] + [row[f"solved_{b}"] for b in BANDS] for row in result.history if "solved_in" in row
    ]
    size_rng = np.random.default_rng(20_000 + seed)
    with torch.no_grad():
        solved = {band: graph_solved(model, *sets[band], device) for band in BANDS}
        by_size = {
            str(n): float(
                np.mean(graph_solved(model, *make_task(task, cfg.eval_graphs, n, n, size_rng), device))
            )
            for n in size_grid(cfg)
        }
    return {
        "curve": curve,
        "by_size": by_size,
        "solved": solved,
        "train_cpu_seconds": result.train_cpu_seconds,
    }


def padded_lists(inputs: GraphBatch, targets: GraphBatch, width: int):
    """Sort problems as fixed-width vectors for an MLP: values and a mask in, node and edge bits out.

    Input (B, 2W): values padded with zeros, then 1 for a real position. Target (B, W + W*W): the
    "first" bit per position and the successor matrix, row-major; the mask says which ones exist.
    """
    graphs_in, graphs_t = inputs.split(), targets.split()
    b = len(graphs_in)
    x = torch.zeros(b, 2 * width)
    y = torch.zeros(b, width + width * width)
    mask = torch.zeros_like(y)
    for i, (g, t) in enumerate(zip(graphs_in, graphs_t)):
        n = g.num_nodes
        if n > width:
            raise ConfigError(f"list length {n} exceeds the MLP's input width {width}")
        x[i, :n], x[i, width : width + n] = g.nodes[:, 0], 1.0
        y[i, :n], mask[i, :n] = t.nodes[:, 0], 1.0
        succ = torch.zeros(width, width)
        succ[g.senders, g.receivers] = t.edges[:, 0]
        valid = torch.zeros(width, width)
        valid[:n, :n] = 1.0
        y[i, width:], mask[i, width:] = succ.flatten(), valid.flatten()
    return x, y, mask


def masked_bce(logits: torch.Tensor, y: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy over the positions that exist (the mask), averaged."""
    return (F.binary_cross_entropy_with_logits(logits, y, reduction="none") * mask).sum() / mask.sum()


def lists_solved(logits: torch.Tensor, y: torch.Tensor, mask: torch.Tensor) -> list[int]:
    """1 for each list with every existing node and edge bit right, else 0."""
    wrong = (((logits > 0).float() != y).float() * mask).sum(1)
    return (wrong == 0).int().tolist()


def train_sort_mlp(cfg: InductiveBiasConfig, seed: int, device: str = "cpu", log=None) -> dict:
    """The same budget (steps, batch, Adam lr) for an MLP on lists padded to the longest test size, so
    that it faces the graph network's test: the same held-out lists in every band."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    width = cfg.far_sizes[1]
    model = MLP((2 * width,) + tuple(cfg.mlp_hidden) + (width + width * width,))
    sets = {
        band: to_device(padded_lists(*graphs, width), device)
        for band, graphs in evaluation_sets("sort", cfg, seed).items()
    }

    def evaluate(m) -> dict[str, float]:
        solved = {band: float(np.mean(lists_solved(m(x), y, mask))) for band, (x, y, mask) in sets.items()}
        x, y, mask = sets["in"]
        return {"val_loss": float(masked_bce(m(x), y, mask)), **{f"solved_{b}": solved[b] for b in BANDS}}

    result = fit(
        model,
        lambda m, batch: masked_bce(m(batch[0]), batch[1], batch[2]),
        lambda step: padded_lists(*sort_lists(cfg.graph_batch, *cfg.train_sizes, rng), width),
        adam(cfg.graph_lr),
        steps=cfg.relational_steps,
        device=device,
        evaluate=evaluate,
        eval_every=evaluation_interval(cfg),
        log=log,
        tag="sort/mlp",
    )
    curve = [
        [row["step"]] + [row[f"solved_{b}"] for b in BANDS] for row in result.history if "solved_in" in row
    ]
    size_rng = np.random.default_rng(20_000 + seed)
    with torch.no_grad():
        solved = {band: lists_solved(model(x), y, mask) for band, (x, y, mask) in sets.items()}
        by_size = {}
        for n in size_grid(cfg):
            x, y, mask = to_device(padded_lists(*sort_lists(cfg.eval_graphs, n, n, size_rng), width), device)
            by_size[str(n)] = float(np.mean(lists_solved(model(x), y, mask)))
    return {
        "curve": curve,
        "by_size": by_size,
        "solved": solved,
        "max_length": width,
        "train_cpu_seconds": result.train_cpu_seconds,
    }


def run_relational(cfg: InductiveBiasConfig, ctx) -> dict[str, dict]:
    train = dict(seed=cfg.seed, device=ctx.device, log=ctx.log)
    out = {
        "sort_gn": ctx.stage("relational-sort-gn", lambda: train_graph_task("sort", cfg, **train)),
        "sort_mlp": ctx.stage("relational-sort-mlp", lambda: train_sort_mlp(cfg, **train)),
    }
    if cfg.shortest_path:
        out["path_gn"] = ctx.stage(
            "relational-path-gn", lambda: train_graph_task("shortest_path", cfg, **train)
        )
    return out


# --------------------------------------------------------------------------------------------------
# The note's measurements and headline metrics
# --------------------------------------------------------------------------------------------------
def measure(cfg: InductiveBiasConfig, ctx) -> dict[str, Any]:
    invariances = ctx.stage("invariances", lambda: measure_invariances(cfg.invariance_graphs, cfg.seed))
    mnist = run_mnist1d(cfg, ctx)
    return {
        "invariances": invariances,
        "mnist1d": mnist,
        "mnist1d_accuracy": summarize_mnist1d(mnist),
        "relational": run_relational(cfg, ctx) if cfg.relational_steps > 0 else None,
    }


def metrics(cfg: InductiveBiasConfig, results: dict[str, Any]) -> dict[str, float]:
    acc = results["mnist1d_accuracy"]
    out = {f"mnist1d_{k}": v for k, v in acc.items() if not k.endswith("_spread")}
    out.update({f"invariance_{k}": v for k, v in results["invariances"].items()})
    relational = results["relational"]
    if relational:
        for key, run in relational.items():
            for band, solved in run["solved"].items():
                out[f"{key}_solved_{band}"] = float(np.mean(solved))
    return out
