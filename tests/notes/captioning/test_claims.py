"""Each captioning judge on made-up results (holds, fails, inconclusive), without training; the intervals."""

import math

import pytest

from nngarden.notes.captioning import NOTE
from nngarden.notes.captioning.claims import (
    SHAPE_TASKS,
    clustered_ratio,
    paired_difference,
    t_interval,
    wilson,
)
from nngarden.notes.captioning.config import CaptioningConfig

CFG = CaptioningConfig(max_objects=5)


def _items(n, right):
    return [1] * right + [0] * (n - right)


def _shapes(right=995, n=1000, max_change=0.0, first_change=2.0, lengths_ok=True):
    out = {task: {"correct": _items(n, right), "params": 100} for task in SHAPE_TASKS}
    out["many-to-many-in-step"]["check"] = {"max_change_before": max_change}
    out["many-to-many-out-of-step"]["check"] = {
        "lengths_ok": lengths_ok,
        "first_output_change": first_change,
        "n_probes": 100,
    }
    return out


def _captioner(k1=495, k5=400, n=500, params=50_000, hits=None, words=None):
    by_k = {
        str(k): {"exact": _items(n, k1 if k == 1 else k5), "found": [k] * n, "bleu": [0.9] * n}
        for k in range(1, 6)
    }
    out = {"params": params, "by_k": by_k}
    if hits is not None:
        out["align"] = {"hits": hits, "words": words}
    return out


def _results(shapes=None, vector=None, mean=None, attention=None, ratios=None):
    attention = attention or _captioner(k5=400, params=50_000, hits=[2] * 500, words=[2] * 500)
    captioners = {
        "vector": vector or _captioner(k5=100, params=60_000),
        "mean": mean or _captioner(k5=50, params=45_000),
        "attention": attention,
    }
    swap = {"ratios": ratios or [0.8] * 500, "differs": [1] * 500, "skipped": 0}
    return {
        "seeds": [0],
        "shapes": [shapes or _shapes()],
        "captioners": [captioners],
        "bleu_swap": {"5": swap},
    }


def _claims(results, cfg=CFG):
    return {claim.id: claim for claim in NOTE.judge(cfg, results)}


def test_every_claim_holds_on_a_clean_run_with_named_intervals():
    claims = _claims(_results())
    assert {cid: c.verdict for cid, c in claims.items()} == dict.fromkeys(claims, "holds")
    assert {c.kind for cid, c in claims.items() if cid.endswith("check") or cid == "bleu-blind-spot"} == {
        "check"
    }
    bottleneck = claims["bottleneck"]
    assert bottleneck.evidence["n_items"] == 500
    for name in ("exact_k1_vector", "exact_gain_k5"):
        assert (
            bottleneck.evidence[f"{name}_low"]
            <= bottleneck.evidence[name]
            <= bottleneck.evidence[f"{name}_high"]
        )
    assert "Newcombe" in bottleneck.criterion and "0.2" in bottleneck.criterion
    assert "clustered by scene" in claims["looks-where-it-says"].criterion
    assert claims["five-shapes"].evidence["one_to_many_exact_low"] >= 0.95
    assert "Wilson" in claims["five-shapes"].criterion


def test_five_shapes_fails_when_one_task_straddles_the_bound():
    shapes = _shapes()
    shapes["many-to-one"]["correct"] = _items(1000, 960)  # 0.96, but the lower bound is under 0.95
    claim = _claims(_results(shapes=shapes))["five-shapes"]
    assert (
        claim.verdict == "fails"
        and claim.evidence["many_to_one_exact_low"] < 0.95 < claim.evidence["many_to_one_exact"]
    )


def test_five_shapes_check_fails_on_a_leak_or_a_deaf_first_output():
    assert _claims(_results(shapes=_shapes(max_change=1e-3)))["five-shapes-check"].verdict == "fails"
    assert _claims(_results(shapes=_shapes(first_change=0.0)))["five-shapes-check"].verdict == "fails"
    assert _claims(_results(shapes=_shapes(lengths_ok=False)))["five-shapes-check"].verdict == "fails"


def test_bottleneck_fails_on_a_weak_one_object_caption_a_small_gain_or_more_parameters():
    weak_mean = _captioner(k1=450, k5=50, params=45_000)  # 0.90 at k = 1: lower bound under 0.9
    assert _claims(_results(mean=weak_mean))["bottleneck"].verdict == "fails"
    close = _captioner(k5=320, params=60_000)  # gain 0.16
    assert _claims(_results(vector=close))["bottleneck"].verdict == "fails"
    big = _captioner(k5=400, params=70_000, hits=[2] * 500, words=[2] * 500)
    claim = _claims(_results(attention=big))["bottleneck"]
    assert claim.verdict == "fails" and claim.evidence["params_attention"] > claim.evidence["params_vector"]


def test_bottleneck_and_bleu_are_inconclusive_without_five_objects():
    claims = _claims(_results(), CaptioningConfig(max_objects=4))
    assert (
        claims["bottleneck"].verdict == "inconclusive" and claims["bleu-blind-spot"].verdict == "inconclusive"
    )
    assert "5 objects" in claims["bottleneck"].criterion


def test_looks_where_it_says_fails_below_the_bound_and_is_inconclusive_with_no_word():
    low = _captioner(hits=[1] * 250 + [2] * 250, words=[2] * 500)  # 0.75, lower bound above 0.7
    assert _claims(_results(attention=low))["looks-where-it-says"].verdict == "holds"
    lower = _captioner(hits=[1] * 400 + [2] * 100, words=[2] * 500)  # 0.6
    assert _claims(_results(attention=lower))["looks-where-it-says"].verdict == "fails"
    none = _captioner(hits=[0] * 500, words=[0] * 500)
    assert _claims(_results(attention=none))["looks-where-it-says"].verdict == "inconclusive"


def test_bleu_blind_spot_fails_when_a_swap_costs_half_the_bleu():
    claim = _claims(_results(ratios=[0.8] * 499 + [0.4]))["bleu-blind-spot"]
    assert claim.verdict == "fails" and claim.evidence["swapped_over_perfect_min"] == 0.4


def test_with_three_seeds_findings_use_a_t_interval_over_seeds():
    results = _results()
    results["seeds"] = [0, 1, 2]
    results["shapes"] = [_shapes(), _shapes(990), _shapes(1000)]
    results["captioners"] = results["captioners"] * 3
    claims = _claims(results, CaptioningConfig(seeds=3, max_objects=5))
    assert "t interval over 3 seeds (2 df)" in claims["five-shapes"].criterion
    assert claims["five-shapes"].evidence["n_seeds"] == 3 and claims["five-shapes"].verdict == "holds"
    assert claims["bottleneck"].verdict == "holds" and claims["bottleneck"].evidence["n_seeds"] == 3


def test_intervals_on_known_values():
    p, low, high = wilson(81, 263)  # Newcombe (1998), example (a): 0.2553 to 0.3662
    assert (round(low, 4), round(high, 4)) == (0.2553, 0.3662) and p == pytest.approx(81 / 263)
    mean, low, high = t_interval([1.0, 2.0, 3.0])  # sd 1, t(0.975, 2 df) = 4.3027
    assert mean == 2.0 and high - mean == pytest.approx(4.302653 / math.sqrt(3), rel=1e-5)
    a, b = [1] * 60 + [0] * 40, [1] * 30 + [0] * 70
    diff, low, high = paired_difference(a, b)
    assert diff == pytest.approx(0.3) and low < 0.3 < high
    flipped = paired_difference(b, a)
    assert flipped == pytest.approx((-0.3, -high, -low))
    assert paired_difference(a, a)[1] <= 0.0 <= paired_difference(a, a)[2]
    # Fagerland, Lydersen and Laake (2017), chapter 8, Cavo et al.'s (2012) table: -0.1186 to -0.0046
    table = [(1, 1)] * 59 + [(1, 0)] * 6 + [(0, 1)] * 16 + [(0, 0)] * 80
    diff, low, high = paired_difference([x for x, _ in table], [y for _, y in table])
    assert (round(diff, 4), round(low, 4), round(high, 4)) == (-0.0621, -0.1186, -0.0046)
    # equal cluster sizes: the ratio interval is the normal interval of the per-scene shares
    r, low, high = clustered_ratio([1, 2, 1, 0], [2, 2, 2, 2])
    shares = [0.5, 1.0, 0.5, 0.0]
    sd = math.sqrt(sum((s - 0.5) ** 2 for s in shares) / 3)
    assert (
        r == 0.5
        and high - r == pytest.approx(1.959964 * sd / 2, rel=1e-5)
        and r - low == pytest.approx(high - r)
    )
