"""Graph networks (Battaglia et al. 2018, "Relational inductive biases, deep learning, and graph networks").

A batch of graphs is one big disconnected graph: node, edge and global feature matrices, the
``senders`` and ``receivers`` of every edge (indices into the batch's nodes), and per-graph node and
edge counts. The graph-network (GN) block updates it in three steps:

    e'_k  = phi_e(e_k, v_{r_k}, v_{s_k}, u)            edge update, one row per edge
    ebar'_i = rho_ev({e'_k : r_k = i})                   received edges aggregated per node
    v'_i  = phi_v(ebar'_i, v_i, u)                       node update
    ebar' = rho_eu(E'),  vbar' = rho_vu(V')              edges and nodes aggregated per graph
    u'    = phi_u(ebar', vbar', u)                       global update

The rho are sums, means or maxima computed with ``index_add_`` / ``scatter_reduce`` over all edges at
once, never a Python loop, so the block is invariant to the order in which nodes and edges are stored
(up to float rounding). Dropping inputs of the phi gives the paper's special cases (Figure 4): the
graph-independent block, the interaction network, deep sets and the relation network are
configurations of the one block (see ``GNBlockConfig.special_case``). ``EncodeProcessDecode`` is the
paper's Figure 6c model: an encoder, one core block applied for several steps with the encoder's
output fed back in, and a decoder.

Shapes: N nodes, E edges, G graphs in the batch; Dn, De, Dg feature widths.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import torch
import torch.nn as nn

from ..config import Config, ConfigError, option
from .classifiers import MLP

AGGREGATIONS = ("sum", "mean", "max", "min")


# --------------------------------------------------------------------------------------------------
# Graphs and batches
# --------------------------------------------------------------------------------------------------
@dataclass
class Graph:
    """One graph: ``nodes`` (n, Dn), ``edges`` (m, De), ``globals`` (Dg,), ``senders``/``receivers`` (m,).

    Features may be None where a graph has none of that kind. Indices are local to this graph.
    """

    nodes: torch.Tensor | None
    edges: torch.Tensor | None
    globals: torch.Tensor | None
    senders: torch.Tensor
    receivers: torch.Tensor
    n_node: int | None = None  # needed only when nodes is None

    @property
    def num_nodes(self) -> int:
        if self.nodes is not None:
            return int(self.nodes.shape[0])
        if self.n_node is None:
            raise ConfigError("n_node: a graph without node features must say how many nodes it has")
        return int(self.n_node)


def _as_tensor(value: Any, name: str, dtype: torch.dtype | None = None) -> torch.Tensor | None:
    if value is None:
        return None
    try:
        t = torch.as_tensor(value)
    except (TypeError, ValueError, RuntimeError) as err:
        raise ConfigError(f"{name}: cannot be read as a tensor ({err})") from None
    if dtype is not None:
        t = t.to(dtype)
    elif t.is_floating_point() and t.dtype != torch.float32:
        t = t.float()
    return t


@dataclass
class GraphBatch:
    """Several graphs as one disconnected graph (the paper's ``GraphsTuple``).

    ``senders``/``receivers`` index rows of ``nodes``; graph g owns ``n_node[g]`` consecutive nodes and
    ``n_edge[g]`` consecutive edges. Construction checks that every field's shape agrees.
    """

    nodes: torch.Tensor | None  # (N, Dn)
    edges: torch.Tensor | None  # (E, De)
    globals: torch.Tensor | None  # (G, Dg)
    senders: torch.Tensor  # (E,) int64
    receivers: torch.Tensor  # (E,) int64
    n_node: torch.Tensor  # (G,) int64
    n_edge: torch.Tensor  # (G,) int64

    def __post_init__(self) -> None:
        for name in ("senders", "receivers", "n_node", "n_edge"):
            value = getattr(self, name)
            if not isinstance(value, torch.Tensor):
                value = _as_tensor(value, name, torch.long)
                setattr(self, name, value)
            if value.dim() != 1:
                raise ConfigError(f"{name}: expected a 1-D tensor, got shape {tuple(value.shape)}")
            if value.is_floating_point():
                raise ConfigError(f"{name}: expected integer indices, got {value.dtype}")
        if len(self.n_node) != len(self.n_edge):
            raise ConfigError(
                f"n_node, n_edge: one count per graph each, got {len(self.n_node)} and {len(self.n_edge)}"
            )
        num_nodes, num_edges = int(self.n_node.sum()), int(self.n_edge.sum())
        if len(self.senders) != num_edges or len(self.receivers) != num_edges:
            raise ConfigError(
                f"senders, receivers: expected {num_edges} entries (sum of n_edge), got "
                f"{len(self.senders)} and {len(self.receivers)}"
            )
        for name, rows in (("nodes", num_nodes), ("edges", num_edges), ("globals", len(self.n_node))):
            value = getattr(self, name)
            if value is None:
                continue
            if value.dim() != 2 or value.shape[0] != rows:
                raise ConfigError(f"{name}: expected shape ({rows}, features), got {tuple(value.shape)}")
        if num_edges and (
            int(self.senders.min()) < 0
            or int(self.receivers.min()) < 0
            or int(self.senders.max()) >= num_nodes
            or int(self.receivers.max()) >= num_nodes
        ):
            raise ConfigError(f"senders, receivers: indices must lie in [0, {num_nodes}) (the batch's nodes)")

    # -- sizes and indices --------------------------------------------------------------------------
    @property
    def num_graphs(self) -> int:
        return int(self.n_node.shape[0])

    @property
    def num_nodes(self) -> int:
        return int(self.n_node.sum())

    @property
    def num_edges(self) -> int:
        return int(self.n_edge.sum())

    @property
    def device(self) -> torch.device:
        return self.senders.device

    def node_graph(self) -> torch.Tensor:
        """(N,) the graph each node belongs to."""
        return torch.repeat_interleave(torch.arange(self.num_graphs, device=self.device), self.n_node)

    def edge_graph(self) -> torch.Tensor:
        """(E,) the graph each edge belongs to."""
        return torch.repeat_interleave(torch.arange(self.num_graphs, device=self.device), self.n_edge)

    def node_offsets(self) -> torch.Tensor:
        """(G,) index of each graph's first node."""
        return torch.cumsum(self.n_node, 0) - self.n_node

    def replace(self, **fields: Any) -> GraphBatch:
        """A copy with some fields replaced (features usually), checked again."""
        return replace(self, **fields)

    def to(self, device: torch.device | str) -> GraphBatch:
        move = lambda t: None if t is None else t.to(device)
        return GraphBatch(
            *(
                move(getattr(self, f))
                for f in ("nodes", "edges", "globals", "senders", "receivers", "n_node", "n_edge")
            )
        )

    # -- building and splitting ---------------------------------------------------------------------
    @classmethod
    def from_graphs(cls, graphs: Sequence[Graph | dict]) -> GraphBatch:
        """Batch graphs (``Graph`` objects or dicts with the same keys), offsetting the edge indices."""
        if len(graphs) == 0:
            raise ConfigError("graphs: need at least one graph to batch")
        items = [g if isinstance(g, Graph) else _graph_from_dict(g, i) for i, g in enumerate(graphs)]
        n_node = torch.tensor([g.num_nodes for g in items], dtype=torch.long)
        n_edge = torch.tensor([len(g.senders) for g in items], dtype=torch.long)
        offsets = torch.repeat_interleave(torch.cumsum(n_node, 0) - n_node, n_edge)
        senders = torch.cat([torch.as_tensor(g.senders, dtype=torch.long) for g in items]) + offsets
        receivers = torch.cat([torch.as_tensor(g.receivers, dtype=torch.long) for g in items]) + offsets
        for i, g in enumerate(items):
            if len(g.senders) and (
                int(torch.as_tensor(g.senders).max()) >= g.num_nodes
                or int(torch.as_tensor(g.receivers).max()) >= g.num_nodes
            ):
                raise ConfigError(f"graphs[{i}].senders/receivers: index >= its {g.num_nodes} nodes")

        def stack(name: str, as_rows: bool) -> torch.Tensor | None:
            values = [getattr(g, name) for g in items]
            present = [v is not None for v in values]
            if not any(present):
                return None
            if not all(present):
                raise ConfigError(f"graphs: {name} are given for some graphs and missing for others")
            values = [_as_tensor(v, f"graphs[{i}].{name}") for i, v in enumerate(values)]
            if as_rows:
                return torch.stack([v.reshape(-1) for v in values])
            return torch.cat([v.reshape(v.shape[0], -1) if v.dim() != 2 else v for v in values])

        return cls(
            stack("nodes", False),
            stack("edges", False),
            stack("globals", True),
            senders,
            receivers,
            n_node,
            n_edge,
        )

    def split(self) -> list[Graph]:
        """The graphs of the batch back, with local edge indices (inverse of ``from_graphs``)."""
        nn_, ne = self.n_node.tolist(), self.n_edge.tolist()
        offsets = torch.repeat_interleave(self.node_offsets(), self.n_edge)
        senders = torch.split(self.senders - offsets, ne)
        receivers = torch.split(self.receivers - offsets, ne)
        nodes = torch.split(self.nodes, nn_) if self.nodes is not None else [None] * len(nn_)
        edges = torch.split(self.edges, ne) if self.edges is not None else [None] * len(ne)
        globals_ = list(self.globals) if self.globals is not None else [None] * len(nn_)
        return [
            Graph(nodes[g], edges[g], globals_[g], senders[g], receivers[g], n_node=nn_[g])
            for g in range(len(nn_))
        ]

    @classmethod
    def from_networkx(
        cls,
        graphs: Sequence[Any],
        node_key: str | None = "features",
        edge_key: str | None = "features",
        global_key: str | None = "features",
        both_directions: bool | None = None,
    ) -> GraphBatch:
        """Batch networkx graphs; features are read from the named node/edge/graph attributes.

        Nodes are numbered in ``G.nodes`` order. An undirected graph's edge becomes two directed edges
        (``both_directions`` defaults to ``not G.is_directed()``). A key of None means no features.
        """
        out = []
        for gi, g in enumerate(graphs):
            index = {node: i for i, node in enumerate(g.nodes)}
            pairs = list(g.edges(data=True))
            two_ways = (not g.is_directed()) if both_directions is None else both_directions
            senders, receivers, edge_feats = [], [], []
            for u, v, data in pairs:
                for a, b in ((u, v), (v, u)) if two_ways and u != v else ((u, v),):
                    senders.append(index[a])
                    receivers.append(index[b])
                    if edge_key is not None:
                        edge_feats.append(_feature(data, edge_key, f"graphs[{gi}] edge {(a, b)}"))
            nodes = None
            if node_key is not None:
                nodes = (
                    torch.stack(
                        [_feature(d, node_key, f"graphs[{gi}] node {n!r}") for n, d in g.nodes(data=True)]
                    )
                    if len(g)
                    else torch.zeros(0, 1)
                )
            edges = None
            if edge_key is not None:
                edges = torch.stack(edge_feats) if edge_feats else torch.zeros(0, 1)
            glob = _feature(g.graph, global_key, f"graphs[{gi}] graph") if global_key is not None else None
            out.append(
                Graph(
                    nodes,
                    edges,
                    glob,
                    torch.tensor(senders, dtype=torch.long),
                    torch.tensor(receivers, dtype=torch.long),
                    n_node=len(g),
                )
            )
        return cls.from_graphs(out)

    # -- PyTorch Geometric (optional) ---------------------------------------------------------------
    def to_pyg(self):
        """A ``torch_geometric.data.Batch``: x, edge_index (senders; receivers), edge_attr, u (1, Dg)."""
        from torch_geometric.data import Batch, Data

        data = []
        for g in self.split():
            item = Data(edge_index=torch.stack([g.senders, g.receivers]), num_nodes=g.num_nodes)
            if g.nodes is not None:
                item.x = g.nodes
            if g.edges is not None:
                item.edge_attr = g.edges
            if g.globals is not None:
                item.u = g.globals.reshape(1, -1)
            data.append(item)
        return Batch.from_data_list(data)

    @classmethod
    def from_pyg(cls, data) -> GraphBatch:
        """From a PyG ``Data`` (one graph) or ``Batch`` (several); ``u`` is read as globals if present."""
        items = data.to_data_list() if hasattr(data, "to_data_list") else [data]
        graphs = []
        for d in items:
            ei = d.edge_index
            u = getattr(d, "u", None)
            graphs.append(
                Graph(
                    getattr(d, "x", None),
                    getattr(d, "edge_attr", None),
                    None if u is None else u.reshape(-1),
                    ei[0],
                    ei[1],
                    n_node=int(d.num_nodes),
                )
            )
        return cls.from_graphs(graphs)


def _graph_from_dict(d: dict, i: int) -> Graph:
    allowed = {"nodes", "edges", "globals", "senders", "receivers", "n_node"}
    unknown = set(d) - allowed
    if unknown:
        raise ConfigError(
            f"graphs[{i}]: unknown key {sorted(unknown)[0]!r}; allowed: {', '.join(sorted(allowed))}"
        )
    for key in ("senders", "receivers"):
        if key not in d:
            raise ConfigError(f"graphs[{i}]: missing {key!r} (use an empty list for a graph without edges)")
    senders = _as_tensor(d["senders"], f"graphs[{i}].senders", torch.long).reshape(-1)
    receivers = _as_tensor(d["receivers"], f"graphs[{i}].receivers", torch.long).reshape(-1)
    if len(senders) != len(receivers):
        raise ConfigError(
            f"graphs[{i}]: senders and receivers differ in length ({len(senders)} vs {len(receivers)})"
        )
    nodes = _as_tensor(d.get("nodes"), f"graphs[{i}].nodes")
    edges = _as_tensor(d.get("edges"), f"graphs[{i}].edges")
    if edges is not None and edges.shape[0] != len(senders):
        raise ConfigError(f"graphs[{i}].edges: {edges.shape[0]} rows for {len(senders)} edges")
    n_node = d.get("n_node")
    if nodes is None and n_node is None:
        raise ConfigError(f"graphs[{i}]: give nodes or n_node")
    return Graph(
        nodes,
        edges,
        _as_tensor(d.get("globals"), f"graphs[{i}].globals"),
        senders,
        receivers,
        n_node=None if n_node is None else int(n_node),
    )


def _feature(data: dict, key: str, where: str) -> torch.Tensor:
    if key not in data:
        raise ConfigError(f"{where}: has no attribute {key!r} (pass another key, or None for no features)")
    return torch.as_tensor(data[key], dtype=torch.float32).reshape(-1)


def permute_graphs(
    batch: GraphBatch, generator: torch.Generator | None = None
) -> tuple[GraphBatch, torch.Tensor, torch.Tensor]:
    """Reorder the nodes and the edges of every graph at random, relabelling senders and receivers.

    Returns (permuted batch, node_perm, edge_perm): row j of the new nodes is old row ``node_perm[j]``
    and likewise for edges, so a permutation-equivariant f satisfies f(new).nodes == f(old).nodes[node_perm].
    Each graph keeps its own nodes and edges (the permutations act within graphs).
    """

    def within(groups: torch.Tensor) -> torch.Tensor:
        key = groups.double() + torch.rand(len(groups), generator=generator, dtype=torch.float64)
        return torch.argsort(key)

    node_perm = within(batch.node_graph().cpu()).to(batch.device)
    edge_perm = within(batch.edge_graph().cpu()).to(batch.device)
    inverse = torch.empty_like(node_perm)
    inverse[node_perm] = torch.arange(len(node_perm), device=batch.device)
    take = lambda t, p: None if t is None else t[p]
    permuted = batch.replace(
        nodes=take(batch.nodes, node_perm),
        edges=take(batch.edges, edge_perm),
        senders=inverse[batch.senders[edge_perm]],
        receivers=inverse[batch.receivers[edge_perm]],
    )
    return permuted, node_perm, edge_perm


# --------------------------------------------------------------------------------------------------
# Aggregation
# --------------------------------------------------------------------------------------------------
def segment_reduce(
    values: torch.Tensor, index: torch.Tensor, num_segments: int, reduce: str = "sum"
) -> torch.Tensor:
    """Reduce rows of ``values`` (M, D) that share ``index`` (M,) into (num_segments, D).

    sum uses ``index_add_``; mean divides by the counts; max and min use ``scatter_reduce`` with
    ``include_self=False`` so a segment without rows is 0 (not -inf). All rows at once, no loop.
    """
    if reduce not in AGGREGATIONS:
        raise ConfigError(f"aggregation: got {reduce!r}, allowed: {', '.join(AGGREGATIONS)}")
    out = values.new_zeros((num_segments,) + tuple(values.shape[1:]))
    if reduce in ("sum", "mean"):
        out = out.index_add(0, index, values)
        if reduce == "mean":
            counts = torch.bincount(index, minlength=num_segments).clamp(min=1).to(values.dtype)
            out = out / counts.view(-1, *([1] * (values.dim() - 1)))
        return out
    expanded = index.view(-1, *([1] * (values.dim() - 1))).expand_as(values)
    return out.scatter_reduce(
        0, expanded, values, reduce="amax" if reduce == "max" else "amin", include_self=False
    )


# --------------------------------------------------------------------------------------------------
# The graph-network block
# --------------------------------------------------------------------------------------------------
EDGE_INPUTS = ("edges", "receivers", "senders", "globals")
NODE_INPUTS = ("received_edges", "sent_edges", "nodes", "globals")
GLOBAL_INPUTS = ("edges", "nodes", "globals")
SPECIAL_CASES = (
    "full",
    "graph_independent",
    "interaction_network",
    "deep_sets",
    "relation_network",
    "message_passing",
)


@dataclass
class GNBlockConfig(Config):
    """Widths and wiring of one GN block. An output width of 0 means that part is passed through."""

    node_in: int = option(0, "input node feature width (0 = the graphs have no node features)", low=0)
    edge_in: int = option(0, "input edge feature width (0 = none)", low=0)
    global_in: int = option(0, "input global feature width (0 = none)", low=0)
    node_out: int = option(16, "updated node width (0 = no node update: nodes pass through)", low=0)
    edge_out: int = option(16, "updated edge width (0 = no edge update)", low=0)
    global_out: int = option(16, "updated global width (0 = no global update)", low=0)
    hidden: tuple[int, ...] = option((16, 16), "hidden layer sizes of each update MLP (phi)")
    activate_last: bool = option(True, "apply the activation after the MLP's last layer too")
    layer_norm: bool = option(True, "LayerNorm after each update MLP (as in the graph_nets demos)")
    edge_inputs: tuple[str, ...] = option(EDGE_INPUTS, "what phi_e reads, from: " + ", ".join(EDGE_INPUTS))
    node_inputs: tuple[str, ...] = option(
        ("received_edges", "nodes", "globals"), "what phi_v reads, from: " + ", ".join(NODE_INPUTS)
    )
    global_inputs: tuple[str, ...] = option(
        GLOBAL_INPUTS, "what phi_u reads, from: " + ", ".join(GLOBAL_INPUTS)
    )
    edge_to_node: str = option(
        "sum", "rho_ev: edges -> their receiver (or sender) node", choices=AGGREGATIONS
    )
    edge_to_global: str = option("sum", "rho_eu: edges -> their graph", choices=AGGREGATIONS)
    node_to_global: str = option("sum", "rho_vu: nodes -> their graph", choices=AGGREGATIONS)

    def validate(self) -> None:
        for name, allowed in (
            ("edge_inputs", EDGE_INPUTS),
            ("node_inputs", NODE_INPUTS),
            ("global_inputs", GLOBAL_INPUTS),
        ):
            for item in getattr(self, name):
                if item not in allowed:
                    raise ConfigError(f"{name}: got {item!r}, allowed: {', '.join(allowed)}")
            if len(set(getattr(self, name))) != len(getattr(self, name)):
                raise ConfigError(f"{name}: lists an input twice: {getattr(self, name)}")
        if any(h < 1 for h in self.hidden):
            raise ConfigError(f"hidden: layer sizes must be >= 1, got {self.hidden}")
        widths = self.input_widths()
        for part in ("edge", "node", "global"):
            if getattr(self, f"{part}_out") and widths[part] == 0:
                raise ConfigError(
                    f"{part}_inputs: the {part} update reads nothing (its inputs are absent "
                    f"or have width 0); give it inputs or set {part}_out=0"
                )

    def input_widths(self) -> dict[str, int]:
        """Width of the concatenated input of phi_e, phi_v, phi_u under this wiring."""
        edge_w = self.edge_out or self.edge_in  # what the node and global updates see as edges
        node_w = self.node_out or self.node_in
        e = {
            "edges": self.edge_in,
            "receivers": self.node_in,
            "senders": self.node_in,
            "globals": self.global_in,
        }
        v = {"received_edges": edge_w, "sent_edges": edge_w, "nodes": self.node_in, "globals": self.global_in}
        u = {"edges": edge_w, "nodes": node_w, "globals": self.global_in}
        return {
            "edge": sum(e[k] for k in self.edge_inputs) if self.edge_out else 0,
            "node": sum(v[k] for k in self.node_inputs) if self.node_out else 0,
            "global": sum(u[k] for k in self.global_inputs) if self.global_out else 0,
        }

    @classmethod
    def special_case(cls, name: str, **widths: Any) -> GNBlockConfig:
        """The paper's Figure 4 variants as wirings of the full block.

        full: every input. graph_independent: each part sees only itself (no relations used).
        interaction_network: edges from (edge, receiver, sender), nodes from (received edges, node), no
        global update. deep_sets: nodes from (node, global), global from the pooled nodes; no edges.
        relation_network: edges from the two end nodes only, global from the pooled edges.
        message_passing: edges from (edge, receiver, sender), nodes from (received, node), global from
        the pooled nodes (an MPNN with a readout).
        """
        wiring = {
            "full": {},
            "graph_independent": dict(
                edge_inputs=("edges",), node_inputs=("nodes",), global_inputs=("globals",)
            ),
            "interaction_network": dict(
                edge_inputs=("edges", "receivers", "senders"),
                node_inputs=("received_edges", "nodes"),
                global_out=0,
            ),
            "deep_sets": dict(
                edge_out=0, edge_inputs=(), node_inputs=("nodes", "globals"), global_inputs=("nodes",)
            ),
            "relation_network": dict(
                edge_inputs=("receivers", "senders"), node_out=0, node_inputs=(), global_inputs=("edges",)
            ),
            "message_passing": dict(
                edge_inputs=("edges", "receivers", "senders"),
                node_inputs=("received_edges", "nodes"),
                global_inputs=("nodes",),
            ),
        }
        if name not in wiring:
            raise ConfigError(f"special_case: got {name!r}, allowed: {', '.join(SPECIAL_CASES)}")
        return cls(**{**widths, **wiring[name]})


class GNBlock(nn.Module):
    """One graph-network block: edge, node and global updates with permutation-invariant pooling.

    The update functions default to MLPs (``hidden`` sizes, then LayerNorm); pass ``edge_fn``,
    ``node_fn`` or ``global_fn`` to use other modules (they receive the concatenated inputs).
    """

    def __init__(
        self,
        config: GNBlockConfig,
        edge_fn: nn.Module | None = None,
        node_fn: nn.Module | None = None,
        global_fn: nn.Module | None = None,
    ):
        super().__init__()
        self.config = config
        widths = config.input_widths()

        def build(part: str, given: nn.Module | None) -> nn.Module | None:
            out = getattr(config, f"{part}_out")
            if not out:
                return None
            if given is not None:
                return given
            return MLP(
                (widths[part],) + tuple(config.hidden) + (out,),
                activate_last=config.activate_last,
                layer_norm=config.layer_norm,
            )

        self.edge_fn = build("edge", edge_fn)
        self.node_fn = build("node", node_fn)
        self.global_fn = build("global", global_fn)

    def _need(self, graph: GraphBatch, name: str, width: int) -> torch.Tensor:
        value = getattr(graph, name)
        if value is None:
            raise ConfigError(f"graph.{name}: this block reads {name} but the graph has none")
        if value.shape[1] != width:
            raise ConfigError(
                f"graph.{name}: width {value.shape[1]}, the block was built for {width} "
                f"({name.rstrip('s') if name != 'globals' else 'global'}_in)"
            )
        return value

    def forward(self, graph: GraphBatch) -> GraphBatch:
        c = self.config
        n, g = graph.num_nodes, graph.num_graphs
        edge_graph = node_graph = None
        nodes, edges, globals_ = graph.nodes, graph.edges, graph.globals

        if self.edge_fn is not None:  # e'_k = phi_e(...)
            parts = []  # (features, rows to gather)
            for name in c.edge_inputs:
                if name == "edges":
                    parts.append((self._need(graph, "edges", c.edge_in), None))
                elif name == "receivers":
                    parts.append((self._need(graph, "nodes", c.node_in), graph.receivers))
                elif name == "senders":
                    parts.append((self._need(graph, "nodes", c.node_in), graph.senders))
                else:
                    edge_graph = graph.edge_graph() if edge_graph is None else edge_graph
                    parts.append((self._need(graph, "globals", c.global_in), edge_graph))
            edges = apply_to_concat(self.edge_fn, parts)  # (E, De')

        if self.node_fn is not None:  # v'_i = phi_v(...)
            parts = []
            for name in c.node_inputs:
                if name == "received_edges":
                    parts.append(
                        (segment_reduce(self._edges(edges), graph.receivers, n, c.edge_to_node), None)
                    )
                elif name == "sent_edges":
                    parts.append((segment_reduce(self._edges(edges), graph.senders, n, c.edge_to_node), None))
                elif name == "nodes":
                    parts.append((self._need(graph, "nodes", c.node_in), None))
                else:
                    node_graph = graph.node_graph() if node_graph is None else node_graph
                    parts.append((self._need(graph, "globals", c.global_in), node_graph))
            nodes = apply_to_concat(self.node_fn, parts)  # (N, Dn')

        if self.global_fn is not None:  # u' = phi_u(...)
            parts = []
            for name in c.global_inputs:
                if name == "edges":
                    edge_graph = graph.edge_graph() if edge_graph is None else edge_graph
                    parts.append(segment_reduce(self._edges(edges), edge_graph, g, c.edge_to_global))
                elif name == "nodes":
                    if nodes is None:
                        raise ConfigError("graph.nodes: the global update pools nodes but the graph has none")
                    node_graph = graph.node_graph() if node_graph is None else node_graph
                    parts.append(segment_reduce(nodes, node_graph, g, c.node_to_global))
                else:
                    parts.append(self._need(graph, "globals", c.global_in))
            globals_ = self.global_fn(torch.cat(parts, dim=1))  # (G, Dg')

        return graph.replace(nodes=nodes, edges=edges, globals=globals_)

    @staticmethod
    def _edges(edges: torch.Tensor | None) -> torch.Tensor:
        if edges is None:
            raise ConfigError("graph.edges: the node or global update pools edges but the graph has none")
        return edges


def apply_to_concat(fn: nn.Module, parts: list[tuple[torch.Tensor, torch.Tensor | None]]) -> torch.Tensor:
    """fn(cat([x[index] if index is not None else x for x, index in parts], dim=1)), computed cheaply.

    When fn is an MLP its first layer is linear, so W @ cat(x_r[recv], x_s[send], ...) equals the sum
    of per-part products W_r @ x_r gathered afterwards: the node- and graph-level parts are projected
    once per node / graph (N or G rows) instead of once per edge (E rows), and the wide (E, sum of
    widths) concatenation is never built. Any other module gets the plain concatenation.
    """
    if not (isinstance(fn, MLP) and isinstance(fn[0], nn.Linear)):
        return fn(torch.cat([x if idx is None else x.index_select(0, idx) for x, idx in parts], dim=1))
    first = fn[0]
    h = None
    offset = 0
    for x, idx in parts:
        width = x.shape[1]
        projected = x @ first.weight[:, offset : offset + width].t()
        offset += width
        # index_select's backward is an index_add_, cheaper on CPU than advanced indexing's index_put_
        projected = projected if idx is None else projected.index_select(0, idx)
        h = projected if h is None else h + projected
    if first.bias is not None:
        h = h + first.bias
    for module in list(fn)[1:]:
        h = module(h)
    return h


def concat_graphs(a: GraphBatch, b: GraphBatch) -> GraphBatch:
    """Feature-wise concatenation of two batches with the same structure (the core's skip input)."""
    cat = lambda x, y: None if x is None or y is None else torch.cat([x, y], dim=1)
    return a.replace(
        nodes=cat(a.nodes, b.nodes), edges=cat(a.edges, b.edges), globals=cat(a.globals, b.globals)
    )


@dataclass
class EncodeProcessDecodeConfig(Config):
    """Battaglia et al. (2018) Figure 6c, sized like the graph_nets demos (MLPs of 2 x 16, LayerNorm)."""

    node_in: int = option(1, "input node feature width", low=1)
    edge_in: int = option(1, "input edge feature width", low=1)
    global_in: int = option(1, "input global feature width", low=1)
    node_out: int = option(0, "output node width (0 = no node output)", low=0)
    edge_out: int = option(0, "output edge width (0 = no edge output)", low=0)
    global_out: int = option(0, "output global width (0 = no global output)", low=0)
    latent: int = option(16, "latent width of nodes, edges and globals", low=1)
    layers: int = option(2, "layers per update MLP (each of width latent)", low=1)
    steps: int = option(10, "processing steps: how many times the shared core is applied", low=1)
    aggregation: str = option("sum", "rho for every pooling in the core", choices=AGGREGATIONS)

    def validate(self) -> None:
        if not (self.node_out or self.edge_out or self.global_out):
            raise ConfigError("node_out, edge_out, global_out: at least one output width must be > 0")


class EncodeProcessDecode(nn.Module):
    """Encoder (graph-independent) -> core (full GN block, shared, ``steps`` times) -> decoder -> output.

    The core reads the concatenation of the encoded input and its previous output, so the input stays
    visible at every step; ``forward`` returns the decoded graph after each step (the graph_nets
    demos train on all of them).
    """

    def __init__(self, config: EncodeProcessDecodeConfig):
        super().__init__()
        self.config = c = config
        mlp = dict(hidden=(c.latent,) * (c.layers - 1), activate_last=True, layer_norm=True)
        self.encoder = GNBlock(
            GNBlockConfig.special_case(
                "graph_independent",
                node_in=c.node_in,
                edge_in=c.edge_in,
                global_in=c.global_in,
                node_out=c.latent,
                edge_out=c.latent,
                global_out=c.latent,
                **mlp,
            )
        )
        agg = dict(edge_to_node=c.aggregation, edge_to_global=c.aggregation, node_to_global=c.aggregation)
        self.core = GNBlock(
            GNBlockConfig(
                node_in=2 * c.latent,
                edge_in=2 * c.latent,
                global_in=2 * c.latent,
                node_out=c.latent,
                edge_out=c.latent,
                global_out=c.latent,
                **agg,
                **mlp,
            )
        )
        self.decoder = GNBlock(
            GNBlockConfig.special_case(
                "graph_independent",
                node_in=c.latent,
                edge_in=c.latent,
                global_in=c.latent,
                node_out=c.latent,
                edge_out=c.latent,
                global_out=c.latent,
                **mlp,
            )
        )
        self.node_head = nn.Linear(c.latent, c.node_out) if c.node_out else None
        self.edge_head = nn.Linear(c.latent, c.edge_out) if c.edge_out else None
        self.global_head = nn.Linear(c.latent, c.global_out) if c.global_out else None

    def forward(self, graph: GraphBatch, steps: int | None = None) -> list[GraphBatch]:
        encoded = self.encoder(graph)
        latent = encoded
        outputs = []
        for _ in range(steps or self.config.steps):
            latent = self.core(concat_graphs(encoded, latent))
            decoded = self.decoder(latent)
            head = lambda layer, x: None if layer is None else layer(x)
            outputs.append(
                decoded.replace(
                    nodes=head(self.node_head, decoded.nodes),
                    edges=head(self.edge_head, decoded.edges),
                    globals=head(self.global_head, decoded.globals),
                )
            )
        return outputs
