"""The bert-geometry note's measurements (the only code that trains): the Pythagorean embedding and a
probe's positive control; distance probes on every hidden state of MiniLM and of its random twins; depth
and control-task probes on MiniLM's best layer; nearest-centroid word senses on every layer."""

from __future__ import annotations

import json
import math

import numpy as np
import torch

from nngarden.data.fetch import DataMissing, require
from nngarden.data.grammar import control_heads, right_branching, treebank
from nngarden.nn.probes import (
    DepthProbe,
    DistanceProbe,
    ProbeData,
    depth_loss,
    distance_loss,
    minimum_spanning_edges,
    root_correct,
    sentence_spearman,
    tree_edges,
    uuas,
)
from nngarden.nn.tree_embedding import (
    euclidean_embeddable,
    pythagorean_embedding,
    random_tree,
    tree_distances,
)
from nngarden.runs import RunContext
from nngarden.train.fit import fit

from .claims import best_layer, seed_mean_uuas
from .config import MODEL, BertGeometryConfig
from .senses import measure_senses

SPLITS = ("train", "dev", "test")
CONTROL_STEPS = 400  # updates of the positive-control probe (rank 32, Adam 0.01, 20 trees a batch)

# ------------------------------------------------------------------------------------------------
# (a) the Pythagorean embedding, and a probe that must recover trees from it
# ------------------------------------------------------------------------------------------------


def measure_pythagorean(cfg: BertGeometryConfig, ctx: RunContext) -> dict:
    rng = np.random.default_rng(cfg.seed)
    worst = 0.0
    for _ in range(cfg.trees):
        parents = random_tree(int(rng.integers(2, cfg.max_nodes + 1)), rng)
        x = pythagorean_embedding(parents)
        squared = ((x[:, None, :] - x[None, :, :]) ** 2).sum(-1)
        worst = max(worst, float(np.abs(squared - tree_distances(parents)).max()))
    star = tree_distances([-1, 0, 0, 0]).astype(float)
    _, plain_eigenvalue = euclidean_embeddable(star)
    _, root_eigenvalue = euclidean_embeddable(np.sqrt(star))  # the Pythagorean case embeds
    return {
        "max_error": worst,
        "star_smallest_eigenvalue": plain_eigenvalue,
        "star_sqrt_smallest_eigenvalue": root_eigenvalue,
        **probe_positive_control(cfg, ctx, rng),
    }


def probe_positive_control(cfg: BertGeometryConfig, ctx: RunContext, rng: np.random.Generator) -> dict:
    """Train a distance probe on a random rotation of trees' Pythagorean embeddings (plus noise
    dimensions); a working probe recovers held-out trees, since one linear map fits every tree."""
    width = 64
    rotation = np.linalg.qr(rng.normal(size=(width, width)))[0]
    vectors, trees = [], []
    for _ in range(cfg.control_trees):
        parents = random_tree(int(rng.integers(5, 26)), rng)
        x = np.zeros((len(parents), width))
        embedding = pythagorean_embedding(parents)
        x[:, : embedding.shape[1]] = embedding
        x[:, 32:] = 0.3 * rng.normal(size=(len(parents), width - 32))
        vectors.append(x @ rotation.T)
        trees.append(parents)
    held_out = max(1, len(trees) // 4)
    train = ProbeData.from_sentences(vectors[held_out:], trees[held_out:])
    test = ProbeData.from_sentences(vectors[:held_out], trees[:held_out])
    torch.manual_seed(cfg.seed)
    probe = DistanceProbe(width, rank=32)
    order = torch.Generator().manual_seed(cfg.seed)
    fit(
        probe,
        lambda m, b: distance_loss(m(b[0]), b[1], b[3]),
        lambda step: train.batch(torch.randint(len(train.lengths), (20,), generator=order)),
        lambda p: torch.optim.Adam(p, lr=0.01),
        steps=CONTROL_STEPS,
        device=ctx.device,
        log=ctx.log,
        log_every=CONTROL_STEPS // 10,
        tag="positive-control",
    )
    predicted = predict(probe, test, ctx.device)
    hits = [uuas(predicted[i, : len(p), : len(p)], p)[0] for i, p in enumerate(trees[:held_out])]
    return {"control_hits": int(sum(hits)), "control_edges": sum(len(p) - 1 for p in trees[:held_out])}


# ------------------------------------------------------------------------------------------------
# sentences, gold trees and word vectors
# ------------------------------------------------------------------------------------------------


class Sentences:
    """The three splits of the generated language, their gold trees as probe targets, the control
    task's trees, and where each split sits in the list of all sentences."""

    def __init__(self, cfg: BertGeometryConfig):
        bank = treebank(cfg.seed, cfg.train_sentences, cfg.dev_sentences, cfg.test_sentences)
        self.words = {split: [s.words for s in bank[split]] for split in SPLITS}
        self.heads = {split: [s.heads for s in bank[split]] for split in SPLITS}
        self.control = {split: [control_heads(w, cfg.seed) for w in self.words[split]] for split in SPLITS}
        self.texts = [w for split in SPLITS for w in self.words[split]]
        starts = np.cumsum([0] + [len(self.words[s]) for s in SPLITS])
        self.rows = {split: range(int(starts[i]), int(starts[i + 1])) for i, split in enumerate(SPLITS)}
        self._gold: dict = {}

    def gold(self, split: str, task: str = "syntax") -> ProbeData:
        """Targets (distances, depths, lengths) of a split; its vectors are filled in per layer."""
        if (split, task) not in self._gold:
            heads = self.heads[split] if task == "syntax" else self.control[split]
            dummy = [np.zeros((len(h), 1)) for h in heads]
            self._gold[split, task] = ProbeData.from_sentences(dummy, heads)
        return self._gold[split, task]

    def data(self, vectors: list[np.ndarray], layer: int, split: str, task: str = "syntax") -> ProbeData:
        gold = self.gold(split, task)
        rows = [vectors[i][layer] for i in self.rows[split]]
        padded = torch.zeros(len(rows), gold.distances.size(1), rows[0].shape[1])
        for i, v in enumerate(rows):
            padded[i, : v.shape[0]] = torch.from_numpy(v)
        return ProbeData(padded, gold.distances, gold.depths, gold.lengths)

    def example(self) -> int:
        """A test sentence for the figure: the first of 12-16 words with a relative clause."""
        for i, words in enumerate(self.words["test"]):
            if 12 <= len(words) <= 16 and "that" in words:
                return i
        return 0

    def summary(self) -> dict:
        test = self.words["test"]
        chain = [
            len(tree_edges(right_branching(len(w))) & tree_edges(h)) for w, h in zip(test, self.heads["test"])
        ]
        example = self.example()
        return {
            "dev_lengths": [len(w) for w in self.words["dev"]],
            "test_lengths": [len(w) for w in test],
            "chain_hits": chain,
            "example": {"index": example, "words": test[example], "heads": self.heads["test"][example]},
        }


class Models:
    """Word vectors of every sentence for one model at a time (MiniLM or a twin): encoding is costly
    and a model's vectors of all layers take ~100 MB at the quick size, so only the last is kept, with
    its last layer padded as probe data (every layer is probed with several seeds in a row)."""

    def __init__(self, cfg: BertGeometryConfig, ctx: RunContext, sentences: Sentences):
        self.cfg, self.ctx, self.sentences = cfg, ctx, sentences
        self.key: str | None = None
        self.encoder = None
        self.vectors: list[np.ndarray] | None = None
        self._padded: dict = {}

    def load(self, key: str):
        from nngarden.nn.pretrained import load_pretrained, random_twin, word_vectors

        if key != self.key:
            self.vectors = self.encoder = None
            self._padded.clear()
            if key in ("own", "own-twin"):  # nngarden's BERT: words are its tokens
                from .own_bert import own_vectors

                self.vectors = own_vectors(self.cfg, self.ctx, self.sentences.texts, trained=key == "own")
            else:
                if key == "minilm":
                    self.encoder = load_pretrained(MODEL, self.ctx.device)
                else:
                    self.encoder = random_twin(MODEL, int(key.removeprefix("twin-")), self.ctx.device)
                self.vectors = word_vectors(self.encoder, self.sentences.texts)
            self.key = key
        return self.encoder, self.vectors

    def data(self, key: str, layer: int, split: str, task: str = "syntax") -> ProbeData:
        """Probe data of a split on one layer of model ``key``."""
        _, vectors = self.load(key)
        if (layer, split, task) not in self._padded:
            if any(cached[0] != layer for cached in self._padded):
                self._padded.clear()  # another layer: free the memory
            self._padded[layer, split, task] = self.sentences.data(vectors, layer, split, task)
        return self._padded[layer, split, task]


def model_status() -> dict:
    """Whether MiniLM is in the data cache (hash-checked), and its shape from config.json."""
    try:
        folder = require(MODEL)
    except DataMissing as err:
        return {"available": False, "reason": str(err)}
    config = json.loads((folder / "config.json").read_text())
    return {
        "available": True,
        "reason": "",
        "layers": config["num_hidden_layers"] + 1,
        "width": config["hidden_size"],
        "heads": config["num_attention_heads"],
    }


# ------------------------------------------------------------------------------------------------
# probes
# ------------------------------------------------------------------------------------------------


def cosine_lr(cfg: BertGeometryConfig):
    return lambda s: (
        cfg.probe_lr * (0.1 + 0.45 * (1 + math.cos(math.pi * min(s, cfg.probe_steps) / cfg.probe_steps)))
    )


def train_probe(kind: str, data: ProbeData, rank: int, seed: int, cfg, ctx: RunContext, tag: str):
    """A distance or depth probe trained with fit() on random batches of sentences (trimmed to the
    batch's longest sentence), Adam with a cosine learning rate."""
    torch.manual_seed(seed)
    width = data.vectors.size(-1)
    probe = DistanceProbe(width, rank) if kind == "distance" else DepthProbe(width, rank)
    order = torch.Generator().manual_seed(seed)

    def batches(step: int):
        h, dist, dep, lengths = data.batch(
            torch.randint(len(data.lengths), (cfg.probe_batch,), generator=order)
        )
        n = int(lengths.max())
        return h[:, :n], dist[:, :n, :n], dep[:, :n], lengths

    def objective(model, batch):
        h, dist, dep, lengths = batch
        if kind == "distance":
            return distance_loss(model(h), dist, lengths)
        return depth_loss(model(h), dep, lengths)

    fitted = fit(
        probe,
        objective,
        batches,
        lambda params: torch.optim.Adam(params, lr=cfg.probe_lr),
        steps=cfg.probe_steps,
        device=ctx.device,
        lr=cosine_lr(cfg),
        log=ctx.log,
        log_every=max(1, cfg.probe_steps // 20),
        tag=tag,
    )
    return probe.eval(), fitted


@torch.no_grad()
def predict(probe: torch.nn.Module, data: ProbeData, device: str, chunk: int = 256) -> np.ndarray:
    parts = [probe(data.vectors[i : i + chunk].to(device)).cpu() for i in range(0, len(data.lengths), chunk)]
    return torch.cat(parts).numpy()


def distance_readout(predicted: np.ndarray, gold: ProbeData, heads: list[list[int]], spearman: bool):
    """Per sentence: gold edges the MST recovers, and (optionally) the distance Spearman."""
    hits, rhos = [], []
    for i, parents in enumerate(heads):
        n = len(parents)
        hits.append(uuas(predicted[i, :n, :n], parents)[0])
        if spearman:
            rhos.append(sentence_spearman(predicted[i, :n, :n], gold.distances[i, :n, :n].numpy()))
    return hits, rhos


def distance_stage(cfg, ctx, models: Models, sentences: Sentences, key: str, layer: int, seed: int, **kw):
    """One distance probe on one layer of one model: development and test read-outs."""
    rank, task = kw.get("rank", cfg.probe_rank), kw.get("task", "syntax")
    train = models.data(key, layer, "train", task)
    probe, fitted = train_probe("distance", train, rank, seed, cfg, ctx, kw["tag"])
    out = {"train_loss": fitted.train_loss, "train_cpu_seconds": fitted.train_cpu_seconds}
    heads = sentences.heads if task == "syntax" else sentences.control
    if task == "syntax":
        dev = models.data(key, layer, "dev")
        out["dev_hits"], _ = distance_readout(predict(probe, dev, ctx.device), dev, heads["dev"], False)
    test = models.data(key, layer, "test", task)
    predicted = predict(probe, test, ctx.device)
    out["test_hits"], out["test_spearman"] = distance_readout(
        predicted, test, heads["test"], task == "syntax"
    )
    n = len(heads["test"][sentences.example()])
    out["example_edges"] = sorted(minimum_spanning_edges(predicted[sentences.example(), :n, :n]))
    return out


def depth_stage(cfg, ctx, models: Models, sentences: Sentences, layer: int, seed: int, tag: str) -> dict:
    train = models.data("minilm", layer, "train")
    probe, fitted = train_probe("depth", train, cfg.probe_rank, seed, cfg, ctx, tag)
    test = models.data("minilm", layer, "test")
    predicted = predict(probe, test, ctx.device)
    roots = [bool(root_correct(predicted[i, : len(h)], h)) for i, h in enumerate(sentences.heads["test"])]
    return {"test_root_correct": roots, "train_loss": fitted.train_loss}


def probe_every_layer(cfg, ctx, models, sentences, key: str, seeds: list[int], layers: int) -> dict:
    """{layer: [one run per seed]} for the distance probe on every hidden state of ``key``."""
    runs: dict[str, list] = {}
    for layer in range(layers):
        runs[str(layer)] = [
            ctx.stage(
                f"distance-{key}-L{layer}-s{seed}",
                lambda layer=layer, seed=seed: distance_stage(
                    cfg, ctx, models, sentences, key, layer, seed, tag=f"distance-{key}-L{layer}-s{seed}"
                ),
            )
            for seed in seeds
        ]
    return runs


# ------------------------------------------------------------------------------------------------
# the note's results
# ------------------------------------------------------------------------------------------------


def measure(cfg: BertGeometryConfig, ctx: RunContext) -> dict:
    """Every measurement, each in a stage cached in the run directory."""
    results = {"pythagorean": ctx.stage("pythagorean", lambda: measure_pythagorean(cfg, ctx))}
    results["model"] = model = ctx.stage("model", model_status)
    sentences = Sentences(cfg)
    models = Models(cfg, ctx, sentences)
    if model["available"] or cfg.own_bert_steps > 0:
        results["sentences"] = sentences.summary()
    if cfg.own_bert_steps > 0:  # needs no download
        results["own_bert"] = measure_own_bert(cfg, ctx, models, sentences)
    if model["available"]:
        results.update(measure_minilm(cfg, ctx, models, sentences, model["layers"]))
    return results


def measure_minilm(cfg: BertGeometryConfig, ctx: RunContext, models, sentences, layers: int) -> dict:
    """Distance probes on every layer of MiniLM and its twins; depth, control and rank probes on
    MiniLM's best development layer; the word senses."""
    seeds, results = cfg.probe_seed_list, {}
    results["minilm"] = probe_every_layer(cfg, ctx, models, sentences, "minilm", seeds, layers)
    best = best_layer(results["minilm"], [len(w) for w in sentences.words["dev"]])

    def on_best(name: str, compute):
        return [
            ctx.stage(f"{name}-L{best}-s{s}", lambda s=s: compute(s, f"{name}-L{best}-s{s}")) for s in seeds
        ]

    results["depth"] = on_best("depth", lambda s, tag: depth_stage(cfg, ctx, models, sentences, best, s, tag))
    results["control"] = on_best(
        "control",
        lambda s, tag: distance_stage(
            cfg, ctx, models, sentences, "minilm", best, s, task="control", tag=tag
        ),
    )
    results["senses"] = ctx.stage("senses", lambda: measure_senses(models.load("minilm")[0]))
    results["ranks"] = {
        str(rank): on_best(
            f"rank{rank}",
            lambda s, tag, rank=rank: distance_stage(
                cfg, ctx, models, sentences, "minilm", best, s, rank=rank, tag=tag
            ),
        )
        for rank in cfg.ranks
    }
    twins: dict[str, list] = {str(layer): [] for layer in range(layers)}
    for twin in cfg.twin_seed_list:
        for layer, runs in probe_every_layer(
            cfg, ctx, models, sentences, f"twin-{twin}", [twin], layers
        ).items():
            twins[layer] += runs
    results["twins"] = twins
    return results


def measure_own_bert(cfg: BertGeometryConfig, ctx: RunContext, models, sentences) -> dict:
    """nngarden's BERT trained by masked LM on the generated language, and its untrained twin, each
    probed on every layer with the probe seeds."""
    from .own_bert import train_own_bert

    trained = ctx.stage("own-bert-train", lambda: train_own_bert(cfg, ctx, sentences.texts))
    layers, seeds = cfg.own_bert_layers + 1, cfg.probe_seed_list
    return {
        "train": trained,
        "trained": probe_every_layer(cfg, ctx, models, sentences, "own", seeds, layers),
        "twin": probe_every_layer(cfg, ctx, models, sentences, "own-twin", seeds, layers),
    }


def metrics(cfg: BertGeometryConfig, results: dict) -> dict:
    if "minilm" not in results:
        return {}
    summary = results["sentences"]
    best = best_layer(results["minilm"], summary["dev_lengths"])
    return {
        "best_layer": best,
        "test_uuas_best_layer": seed_mean_uuas(results["minilm"][str(best)], summary["test_lengths"]),
        "test_uuas_layer0": seed_mean_uuas(results["minilm"]["0"], summary["test_lengths"]),
        "chain_uuas": sum(summary["chain_hits"]) / sum(n - 1 for n in summary["test_lengths"]),
    }
