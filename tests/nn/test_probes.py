import numpy as np
import torch

from nngarden.nn.probes import (
    DepthProbe,
    DistanceProbe,
    ProbeData,
    depth_loss,
    distance_loss,
    minimum_spanning_edges,
    root_correct,
    sentence_spearman,
    spearman_by_length,
    tree_edges,
    uuas,
)
from nngarden.nn.tree_embedding import (
    depths,
    euclidean_embeddable,
    pythagorean_embedding,
    random_tree,
    tree_distances,
)
from nngarden.train.fit import fit


def test_the_pythagorean_embedding_is_exact_for_200_random_trees():
    rng = np.random.default_rng(0)
    worst = 0.0
    for _ in range(200):
        parents = random_tree(int(rng.integers(2, 41)), rng)
        x = pythagorean_embedding(parents)
        squared = ((x[:, None, :] - x[None, :, :]) ** 2).sum(-1)
        worst = max(worst, float(np.abs(squared - tree_distances(parents)).max()))
    assert worst < 1e-10


def test_a_star_with_three_leaves_has_no_euclidean_embedding_of_plain_distances():
    star = [-1, 0, 0, 0]
    plain = tree_distances(star)
    ok, smallest = euclidean_embeddable(plain)
    assert not ok and smallest < -0.1
    assert euclidean_embeddable(np.sqrt(plain))[0]  # square roots of tree distances: the Pythagorean case
    chain = [-1, 0, 1, 2]  # a path embeds on a line with plain distances
    assert euclidean_embeddable(tree_distances(chain))[0]


def test_tree_distances_and_depths_of_a_small_tree():
    parents = [1, -1, 1, 2]  # 1 is the root; 0 and 2 hang under it; 3 under 2
    assert depths(parents).tolist() == [1, 0, 1, 2]
    assert tree_distances(parents)[0].tolist() == [0, 1, 2, 3]


def test_the_mst_of_gold_distances_is_the_gold_tree_and_spearman_of_gold_is_one():
    rng = np.random.default_rng(1)
    for _ in range(20):
        parents = random_tree(int(rng.integers(3, 25)), rng)
        gold = tree_distances(parents).astype(float)
        assert minimum_spanning_edges(gold) == tree_edges(parents)
        hit, total = uuas(gold, parents)
        assert hit == total == len(parents) - 1
        assert sentence_spearman(gold, gold) > 0.999 or len(parents) < 3
        assert root_correct(depths(parents).astype(float), parents)
    reversed_order = -tree_distances([-1, 0, 1, 2, 3]).astype(float)
    assert sentence_spearman(reversed_order, tree_distances([-1, 0, 1, 2, 3]).astype(float)) < -0.99


def test_spearman_by_length_averages_within_then_across_lengths():
    chain = tree_distances([-1, 0, 1, 2, 3]).astype(float)
    assert spearman_by_length([chain], [chain], low=5) > 0.999
    assert np.isnan(spearman_by_length([chain], [chain], low=6))


def test_probes_trained_on_vectors_that_embed_known_trees_recover_them():
    """Word vectors = a random rotation of the Pythagorean embedding, padded with noise dimensions."""
    rng = np.random.default_rng(2)
    width = 64
    rotation = np.linalg.qr(rng.normal(size=(width, width)))[0]
    vectors, trees = [], []
    for _ in range(120):
        parents = random_tree(int(rng.integers(5, 16)), rng)
        x = np.zeros((len(parents), width))
        emb = pythagorean_embedding(parents)
        x[:, : emb.shape[1]] = emb
        x[:, 32:] = 0.3 * rng.normal(size=(len(parents), 32))
        vectors.append(x @ rotation.T)
        trees.append(parents)
    data = ProbeData.from_sentences(vectors, trees)
    torch.manual_seed(0)
    probe = DistanceProbe(width, rank=32)
    order = torch.Generator().manual_seed(0)

    def batches(step):
        return data.batch(torch.randint(len(vectors), (20,), generator=order))

    def loss(model, batch):
        h, dist, _, lengths = batch
        return distance_loss(model(h), dist, lengths)

    fit(probe, loss, batches, lambda p: torch.optim.Adam(p, lr=0.01), steps=400)
    with torch.no_grad():
        predicted = probe(data.vectors).numpy()
    hits = totals = 0
    for i, parents in enumerate(trees):
        n = len(parents)
        hit, total = uuas(predicted[i, :n, :n], parents)
        hits, totals = hits + hit, totals + total
    assert hits / totals > 0.95
    depth_probe = DepthProbe(width, rank=32)

    def depth_objective(model, batch):
        h, _, dep, lengths = batch
        return depth_loss(model(h), dep, lengths)

    # the Pythagorean embedding puts the root at the origin, so ||B h||^2 can equal the depth
    fit(depth_probe, depth_objective, batches, lambda p: torch.optim.Adam(p, lr=0.01), steps=400)
    with torch.no_grad():
        predicted_depths = depth_probe(data.vectors).numpy()
    roots = [root_correct(predicted_depths[i, : len(p)], p) for i, p in enumerate(trees)]
    assert np.mean(roots) > 0.95


def test_the_distance_probe_equals_the_squared_norm_of_projected_differences():
    torch.manual_seed(3)
    probe = DistanceProbe(12, rank=5)
    h = torch.randn(4, 7, 12, dtype=torch.float64)
    probe.double()
    z = h @ probe.proj.T
    direct = ((z.unsqueeze(2) - z.unsqueeze(1)) ** 2).sum(-1)
    assert torch.allclose(probe(h), direct, atol=1e-12)
    assert probe(h).diagonal(dim1=1, dim2=2).abs().max() < 1e-12  # a word is at distance 0 from itself
