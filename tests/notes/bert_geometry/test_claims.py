"""Every judge of the bert-geometry note on made-up results: holds, fails, inconclusive (no training)."""

import numpy as np
import pytest

from nngarden.findings import judge_claims
from nngarden.notes.bert_geometry import CLAIMS
from nngarden.notes.bert_geometry.claims import JUDGES, best_layer
from nngarden.notes.bert_geometry.config import BertGeometryConfig

QUICK = BertGeometryConfig.quick()
FINDINGS = ("syntax-is-there", "not-the-probe", "middle-layers", "senses")
QUICK_DECIDES = ("pythagorean",) + FINDINGS


def verdicts(results, cfg=QUICK):
    return {claim.id: claim for claim in judge_claims(CLAIMS, JUDGES, results, cfg)}


def _runs(rng, share: float, seeds: int, sentences: int, edges: int, dev: int, spearman: float = 0.8):
    """Runs whose sentences recover about ``share`` of their ``edges`` gold edges."""
    return [
        {
            "dev_hits": rng.binomial(edges, share, dev).tolist(),
            "test_hits": rng.binomial(edges, share, sentences).tolist(),
            "test_spearman": np.clip(rng.normal(spearman, 0.05, sentences), -1, 1).tolist(),
            "example_edges": [[0, 1]],
        }
        for _ in range(seeds)
    ]


def _senses(accuracy: float, layer0: float, silhouette: float, best: int = 3) -> dict:
    rng = np.random.default_rng(1)
    layers = []
    for layer in range(7):
        share = accuracy if layer == best else (layer0 if layer == 0 else 0.7)
        layers.append(
            {
                "dev_right": int(240 * share),
                "dev_margin": 0.1,
                "test_right": (rng.random(240) < share).astype(int).tolist(),
                "test_silhouette": rng.normal(silhouette if layer == best else 0.05, 0.1, 240).tolist(),
            }
        )
    return {"layers": layers, "layer": best, "dev_uses": 240, "test_uses": 240, "width": 384}


def made_up(
    best_share=0.85, layer0=0.35, chain=0.45, twins=0.35, last=0.6, roots=0.95, senses=None, others=0.7
):
    """Results shaped like measure()'s: 250 test sentences of 10 words, the best layer 3."""
    rng = np.random.default_rng(0)
    n, dev, edges = 250, 125, 9
    shares = {0: layer0, 1: others, 2: others, 3: best_share, 4: others, 5: others, 6: last}
    minilm = {str(layer): _runs(rng, share, 3, n, edges, dev) for layer, share in shares.items()}
    return {
        "pythagorean": {
            "max_error": 4e-16,
            "star_smallest_eigenvalue": -0.25,
            "star_sqrt_smallest_eigenvalue": 0.0,
            "control_hits": 99,
            "control_edges": 100,
        },
        "model": {"available": True, "reason": "", "layers": 7, "width": 384},
        "sentences": {
            "dev_lengths": [edges + 1] * dev,
            "test_lengths": [edges + 1] * n,
            "chain_hits": rng.binomial(edges, chain, n).tolist(),
            "example": {"index": 0, "words": ["a"] * 10, "heads": [1, -1] + [1] * 8},
        },
        "minilm": minilm,
        "twins": {str(layer): _runs(rng, twins, 3, n, edges, dev, 0.3) for layer in range(7)},
        "control": _runs(rng, 0.7, 3, n, edges, dev),
        "depth": [{"test_root_correct": (rng.random(n) < roots).tolist()} for _ in range(3)],
        "senses": senses or _senses(0.98, 0.5, 0.35),
        "ranks": {},
    }


def test_every_claim_holds_on_results_that_clear_every_threshold():
    claims = verdicts(made_up())
    assert {c: claims[c].verdict for c in QUICK_DECIDES} == dict.fromkeys(QUICK_DECIDES, "holds")
    syntax = claims["syntax-is-there"].evidence
    assert syntax["layer"] == 3 and syntax["n_items"] == 250 and syntax["n_seeds"] == 3
    assert syntax["gap_to_chain_low"] < syntax["gap_to_chain"] < syntax["gap_to_chain_high"]
    assert (
        "(3)" in claims["syntax-is-there"].criterion
        and "250 test sentences" in claims["syntax-is-there"].criterion
    )
    assert claims["own-bert"].verdict == "inconclusive"  # the quick preset does not train it


def test_the_best_layer_is_chosen_on_development_not_on_test():
    results = made_up()
    for run in results["minilm"]["5"]:  # layer 5: best on development, poor on test
        run["dev_hits"] = [9] * 125
    assert best_layer(results["minilm"], results["sentences"]["dev_lengths"]) == 5
    assert verdicts(results)["syntax-is-there"].evidence["layer"] == 5


def test_findings_fail_when_an_interval_reaches_across_the_threshold():
    claims = verdicts(
        made_up(best_share=0.62, layer0=0.5, chain=0.5, twins=0.5, last=0.6, roots=0.8, others=0.5)
    )
    for claim_id in ("syntax-is-there", "not-the-probe", "middle-layers"):
        assert claims[claim_id].verdict == "fails", claim_id
    # exactly at the threshold is not enough: the lower bound must clear it
    close = verdicts(made_up(senses=_senses(0.9, 0.5, 0.35)))["senses"]
    assert close.verdict == "fails" and close.evidence["accuracy_low"] < 0.9 < close.evidence["accuracy_high"]


def test_middle_layers_fails_when_the_last_layer_is_best():
    results = made_up(last=0.9)
    for run in results["minilm"]["6"]:
        run["dev_hits"] = [9] * 125
    claim = verdicts(results)["middle-layers"]
    assert claim.verdict == "fails" and claim.evidence["layer"] == 6


def test_senses_fail_when_the_embedding_layer_already_tells_the_sense():
    claim = verdicts(made_up(senses=_senses(0.98, 0.7, 0.35)))["senses"]
    assert claim.verdict == "fails" and claim.evidence["layer0_accuracy_high"] >= 0.65


def test_without_the_model_every_finding_is_inconclusive_and_names_the_command():
    results = {
        "pythagorean": made_up()["pythagorean"],
        "model": {
            "available": False,
            "reason": "all-MiniLM-L6-v2 is missing; run `nngarden data fetch` once",
        },
    }
    claims = verdicts(results)
    assert claims["pythagorean"].verdict == "holds"
    for claim_id in FINDINGS:
        assert claims[claim_id].verdict == "inconclusive"
        assert "nngarden data fetch" in claims[claim_id].criterion


def test_a_preset_without_enough_items_or_seeds_is_inconclusive():
    claims = verdicts(made_up(), BertGeometryConfig.tiny())
    for claim_id in ("syntax-is-there", "not-the-probe", "middle-layers"):
        assert claims[claim_id].verdict == "inconclusive"
        assert "fewer than 200" in claims[claim_id].criterion


@pytest.mark.parametrize(
    "broken",
    [{"max_error": 1e-6}, {"star_smallest_eigenvalue": 0.0}, {"control_hits": 80}],
)
def test_the_pythagorean_check_fails_on_a_broken_embedding_or_probe(broken):
    results = made_up()
    results["pythagorean"].update(broken)
    assert verdicts(results)["pythagorean"].verdict == "fails"


def test_a_non_finite_measurement_is_inconclusive():
    results = made_up()
    results["pythagorean"]["max_error"] = float("nan")
    assert verdicts(results)["pythagorean"].verdict == "inconclusive"


def _own_bert(trained: float, twin: float) -> dict:
    rng = np.random.default_rng(2)
    return {
        "train": {"train_loss": 1.5},
        "trained": {
            str(layer): _runs(rng, trained if layer == 2 else 0.5, 3, 250, 9, 125) for layer in range(5)
        },
        "twin": {str(layer): _runs(rng, twin, 3, 250, 9, 125) for layer in range(5)},
    }


def test_own_bert_is_judged_against_its_untrained_twin_where_the_preset_trains_it():
    full = BertGeometryConfig.full()
    results = made_up()
    results["own_bert"] = _own_bert(0.9, 0.5)
    claim = verdicts(results, full)["own-bert"]
    assert (
        claim.verdict == "holds" and claim.evidence["layer"] == 2 and claim.evidence["gap_to_twin_low"] > 0.15
    )
    results["own_bert"] = _own_bert(0.6, 0.5)
    assert verdicts(results, full)["own-bert"].verdict == "fails"
