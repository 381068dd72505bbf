"""Each pruning judge on made-up results: holds, fails and inconclusive, without training."""

import copy

from nngarden.notes.pruning import NOTE
from nngarden.notes.pruning.claims import summarise
from nngarden.notes.pruning.config import PruningConfig

STRATEGIES = ("global-magnitude", "layer-magnitude", "global-magnitude-floor", "random", "structured-neurons")
RATIOS = (2.0, 4.0, 8.0, 16.0)


def _row(strategy, ratio, before, after, achieved=None, densities=None):
    row = dict(strategy=strategy, ratio=ratio, seed=0, before=before, after=after)
    row["achieved"] = ratio * 1.001 if achieved is None else achieved
    if strategy != "structured-neurons":
        row["densities"] = densities or {"hidden.0": 0.2, "hidden.1": 0.05}
    return row


def _results(dense=98.0, iterative=None):
    """Magnitude strategies at 97.5% after fine-tuning (87.5% before), random at 80%; global magnitude
    empties hidden.1; masks at most 1.0x, structured cuts at 0.95 of theory."""
    rows = []
    for s in STRATEGIES:
        for r in RATIOS:
            acc = {"random": 80.0}.get(s, 97.5)
            dens = {"hidden.0": 0.2, "hidden.1": 0.0 if s == "global-magnitude" else 0.05}
            rows.append(_row(s, r, acc - 10, acc, densities=dens))
    for s, acc in (iterative or {}).items():
        rows += [dict(strategy=s, ratio=r, seed=0, after=acc, achieved=r) for r in RATIOS]
    speed_rows = [
        dict(arch=a, kind=k, ratio=r, theoretical=r, measured=0.95 * r if k == "structured" else 1.0)
        for a in ("mlp", "cnn")
        for k in ("structured", "masked")
        for r in RATIOS
    ]
    speed = {"rows": speed_rows, "load_average": 1.0, "threads": 1, "batch": 256, "clock": "thread_cpu"}
    return {"seeds": [{"dense_accuracy": dense, "runs": rows}], "speed": speed, "gpt": None}


def _verdicts(results, **changes):
    cfg = PruningConfig(**{"seeds": 1, "ratios": RATIOS, "strategies": STRATEGIES, **changes})
    return {c.id: c for c in NOTE.judge(cfg, results)}


def test_every_claim_can_hold():
    claims = _verdicts(_results(iterative={"iterative": 98.0, "lottery-rewind": 96.0}), iterative_rounds=2)
    assert {i: c.verdict for i, c in claims.items()} == dict.fromkeys(claims, "holds")
    assert claims["keeps-accuracy"].evidence["best_magnitude_accuracy_4x"] == 97.5
    assert claims["keeps-accuracy"].criterion.startswith("best magnitude strategy (layer-magnitude)")
    assert "within 1 point of the dense mean" in claims["keeps-accuracy"].criterion
    assert claims["scores-matter"].evidence["gap_points"] == 17.5
    assert claims["exact-compression"].kind == "check" and claims["iterative"].kind == "finding"
    assert "within 1% of the target" in claims["exact-compression"].criterion
    assert (
        ">= 0.8 x theoretical" in claims["real-speedup"].criterion
        and "below 1.2x" in claims["real-speedup"].criterion
    )


def test_each_claim_can_fail():
    results = _results(dense=99.5, iterative={"iterative": 90.0, "lottery-rewind": 96.0})
    runs = results["seeds"][0]["runs"]
    for row in runs:
        if row["ratio"] == 8.0 and row["strategy"] == "layer-magnitude":
            row["before"] = 99.0  # fine-tuning lost accuracy
        if row["strategy"] == "random":
            row["after"] = 95.0  # 2.5 points below magnitude: < 5
        if row["strategy"] == "global-magnitude-floor":
            row["densities"] = {"hidden.0": 0.2, "hidden.1": 0.0}  # the floor failed to guard
    runs[0]["achieved"] = runs[0]["ratio"] * 1.02  # 2% off the target
    results["speed"]["rows"][0]["measured"] = 0.5 * results["speed"]["rows"][0]["theoretical"]
    claims = _verdicts(results, iterative_rounds=2)
    assert {i: c.verdict for i, c in claims.items()} == dict.fromkeys(claims, "fails")
    assert claims["keeps-accuracy"].evidence["gap_points"] == 2.0


def test_masks_that_speed_up_fail_real_speedup():
    results = _results()
    for row in results["speed"]["rows"]:
        if row["kind"] == "masked" and row["ratio"] == 16.0:
            row["measured"] = 1.3
    assert _verdicts(results)["real-speedup"].verdict == "fails"


def test_a_preset_that_lacks_what_a_claim_needs_leaves_it_inconclusive():
    results = _results()
    only = dict(strategies=("random", "structured-neurons"), ratios=(8.0, 16.0), finetune_epochs=0)
    claims = _verdicts(results, **only)
    assert {i: c.verdict for i, c in claims.items()} == dict.fromkeys(claims, "inconclusive")
    assert "iterative_rounds=0" in claims["iterative"].criterion
    assert "no deterministic strategy ran" in claims["exact-compression"].criterion


def test_measurements_that_cannot_decide_leave_claims_inconclusive():
    results = _results()
    results["speed"]["rows"] = [r for r in results["speed"]["rows"] if r["kind"] == "structured"]
    assert _verdicts(results)["real-speedup"].verdict == "inconclusive"
    results = _results()
    results["speed"]["load_average"] = float("nan")  # getloadavg missing: evidence not measurable
    assert _verdicts(results)["real-speedup"].verdict == "inconclusive"
    no_eight = copy.deepcopy(_results())
    no_eight["seeds"][0]["runs"] = [r for r in no_eight["seeds"][0]["runs"] if r["ratio"] != 8.0]
    claims = _verdicts(no_eight)
    assert claims["fine-tuning-recovers"].verdict == "inconclusive"
    assert claims["scores-matter"].verdict == "inconclusive"  # no accuracy at 8x: nan evidence


def test_summarise_averages_over_seeds():
    seeds = [
        {
            "dense_accuracy": 98.0,
            "runs": [_row("global-magnitude", 4.0, 80.0, 96.0, 4.0, {"a": 0.2, "b": 0.1})],
        },
        {
            "dense_accuracy": 97.0,
            "runs": [_row("global-magnitude", 4.0, 90.0, 98.0, 4.1, {"a": 0.4, "b": 0.0})],
        },
    ]
    entry = summarise(seeds)[("global-magnitude", 4.0)]
    assert entry["before"] == (85.0, 5.0) and entry["after"] == (97.0, 1.0)
    assert entry["achieved"] == [4.0, 4.1]
    assert entry["densities"] == {"a": 0.30000000000000004, "b": 0.05} and entry["min_density"] == 0.0
