"""Each sequence-models judge on made-up measurements: holds, fails and inconclusive, without training."""

import copy
import dataclasses
import math

import pytest

from nngarden.notes.sequence_models import CLAIMS, NOTE
from nngarden.notes.sequence_models.config import SequenceModelsConfig

CFG = SequenceModelsConfig(rf_ratios=(0.5, 1.3, 2.0), covering_ratio=1.3, n_test=256)
N_ITEMS = 2560
LENGTHS = [64, 128, 256, 512, 1024]


def _profiles(ratio_at, n=100, seeds=3):
    """seeds x n ratio profiles r(D) = ratio_at(D, seed)."""
    return [[ratio_at(d, s) for d in range(n)] for s in range(seeds)]


def _timed(exponent, layers, steps):
    times = [1e-5 * n**exponent * (1 + 0.01 * (i % 2)) for i, n in enumerate(LENGTHS)]
    return {
        "forward": times,
        "train": [3 * t for t in times],
        "forward_quartiles": [[0.9 * t, 1.1 * t] for t in times],
        "train_quartiles": [[2.7 * t, 3.3 * t] for t in times],
        "sequential_steps": [steps(n) for n in LENGTHS],
        "layers": layers,
        "params": 25_000,
    }


def _run(kind, recalled, curve=None, ratio=None, field=None, T=100):
    run = {
        "kind": kind,
        "params": 25_000,
        "n_items": N_ITEMS,
        "recalled": recalled,
        "curve": curve or [[0, 320, 2.3], [50, recalled // 2, 0.5], [100, recalled, 0.1]],
        "train_cpu_seconds": 10.0,
        "trained_profile": [[1.0] + [0.01] * (T + 10)] * 2,
    }
    if kind == "tcn":
        receptive = int(ratio * (T + 11))
        run.update(ratio=ratio, receptive_field=receptive)
        run["field_check"] = field or {"max_beyond": 0.0, "min_inside_sum": 5.0, "max_own_symbol": 0.0}
    return run


def _results():
    """A run in which every claim holds, for ``CFG``."""
    lstm_curve = [[0, 320, 2.3], [50, 330, 0.17], [100, 340, 0.17]]
    return {
        "path_init": {
            "length": 100,
            "models": {
                "lstm": _profiles(lambda d, s: 10 ** (-0.2 * d - 0.1 * s)),
                "gru": _profiles(lambda d, s: 10 ** (-0.15 * d)),
                "tcn": _profiles(lambda d, s: 0.1 if d < 40 else 0.0),
                "attention": _profiles(lambda d, s: 0.01 * (1 + 0.05 * s)),
            },
            "params": {"lstm": 25_000, "gru": 25_000, "tcn": 25_000, "attention": 26_000},
            "tcn_receptive_field": 40,
        },
        "timing": {
            "lengths": LENGTHS,
            "repeats": 7,
            "threads": 1,
            "batch": 8,
            "clock": "process CPU",
            "load_average": [5.0, 6.0],
            "models": {
                "lstm": _timed(1.0, 1, lambda n: n),
                "tcn": _timed(1.0, 4, lambda n: 4),
                "attention": _timed(1.6, 2, lambda n: 2),
            },
        },
        "timing_wide": {},
        "copy": {
            "100": {
                "lstm": _run("lstm", 340, curve=lstm_curve),
                "attention": _run("attention", 2500),
                "tcn-rf0.5": _run("tcn", 300, ratio=0.5),
                "tcn-rf1.3": _run(
                    "tcn", 2550, ratio=1.3, curve=[[0, 320, 2.3], [50, 2400, 0.1], [100, 2550, 0.01]]
                ),
                "tcn-rf2": _run("tcn", 2555, ratio=2.0),
            }
        },
    }


def _claims(results, cfg=CFG):
    return {claim.id: claim for claim in NOTE.judge(cfg, results)}


def _verdicts(results, cfg=CFG):
    return {claim_id: claim.verdict for claim_id, claim in _claims(results, cfg).items()}


def test_every_claim_holds_on_a_clean_run_with_thresholds_in_the_criterion():
    claims = _claims(_results())
    assert {c.verdict for c in claims.values()} == {"holds"}, {i: c.criterion for i, c in claims.items()}
    assert "below 1e-06" in claims["path-length"].criterion and "(2 df)" in claims["path-length"].criterion
    assert "inside [0.8, 1.2]" in claims["sequential-ops"].criterion
    assert (
        "3 df" in claims["sequential-ops"].criterion and "not measured" in claims["sequential-ops"].criterion
    )
    assert "lower bound >= 0.9" in claims["long-range"].criterion and "2560" in claims["long-range"].criterion
    assert [spec.kind for spec in CLAIMS].count("check") == 1


def test_every_interval_is_named_x_low_high_with_its_count():
    for claim in _claims(_results()).values():
        evidence = claim.evidence
        for key in evidence:
            if key.endswith("_low"):
                base = key[: -len("_low")]
                assert base in evidence and f"{base}_high" in evidence, key
                assert evidence[f"{base}_low"] <= evidence[base] <= evidence[f"{base}_high"], key
        if claim.kind == "finding" and claim.id != "sequential-ops":
            assert "n_seeds" in evidence or "n_items" in evidence, claim.id


def test_path_length_fails_when_the_lstm_keeps_its_gradient_or_attention_straddles():
    results = _results()
    results["path_init"]["models"]["lstm"] = _profiles(lambda d, s: 10 ** (-0.05 * d))  # 1e-3.2 at 64
    assert _verdicts(results)["path-length"] == "fails"
    results = _results()  # mean above 1e-4, but the seeds spread so far that the lower bound is below it
    results["path_init"]["models"]["attention"] = _profiles(lambda d, s: 10 ** (-3.5 + 0.5 * s))
    claim = _claims(results)["path-length"]
    assert claim.verdict == "fails"
    assert claim.evidence["attention_ratio"] > 1e-4 > claim.evidence["attention_ratio_low"]


def test_path_length_is_inconclusive_without_three_seeds_or_a_long_enough_sequence():
    assert _verdicts(_results(), dataclasses.replace(CFG, path_seeds=2))["path-length"] == "inconclusive"
    results = _results()
    results["path_init"]["length"] = 50
    assert _verdicts(results)["path-length"] == "inconclusive"


def test_path_length_zero_gradient_for_the_lstm_is_not_finite_so_inconclusive():
    results = _results()
    results["path_init"]["models"]["lstm"] = _profiles(lambda d, s: 0.0 if d > 10 else 1.0)
    assert _verdicts(results)["path-length"] == "inconclusive"


def test_sequential_ops_fails_on_a_linear_attention_a_quadratic_lstm_or_a_miscount():
    results = _results()
    results["timing"]["models"]["attention"] = _timed(1.0, 2, lambda n: 2)
    assert _verdicts(results)["sequential-ops"] == "fails"
    results = _results()
    results["timing"]["models"]["lstm"] = _timed(1.5, 1, lambda n: n)
    assert _verdicts(results)["sequential-ops"] == "fails"
    results = _results()
    results["timing"]["models"]["tcn"]["sequential_steps"] = LENGTHS
    assert _verdicts(results)["sequential-ops"] == "fails"


def test_sequential_ops_is_inconclusive_with_too_few_repeats_or_without_attention_timed():
    assert (
        _verdicts(_results(), dataclasses.replace(CFG, timing_repeats=3))["sequential-ops"] == "inconclusive"
    )
    cfg = dataclasses.replace(CFG, timing_models=("lstm", "tcn"))
    assert _verdicts(_results(), cfg)["sequential-ops"] == "inconclusive"


def test_long_range_fails_when_the_lstm_already_recalls_or_the_tcn_never_gets_there():
    results = _results()
    results["copy"]["100"]["lstm"]["curve"][1][1] = 900  # 0.35 at the TCN's step 50
    assert _verdicts(results)["long-range"] == "fails"
    results = _results()
    run = results["copy"]["100"]["tcn-rf1.3"]
    run["curve"] = [[0, 320, 2.3], [50, 1000, 0.5], [100, 2200, 0.3]]
    run["recalled"] = 2200
    claim = _claims(results)["long-range"]
    assert claim.verdict == "fails" and claim.evidence["tcn_reached_step_T100"] == 100


def test_long_range_fails_on_a_straddle_of_the_attention_model():
    results = _results()
    results["copy"]["100"]["attention"]["recalled"] = 2310  # 0.902: the lower bound is under 0.9
    claim = _claims(results)["long-range"]
    assert claim.verdict == "fails" and claim.evidence["attention_recall_T100_low"] < 0.9 < 0.902


def test_long_range_is_inconclusive_without_the_lstm_or_enough_items():
    cfg = dataclasses.replace(CFG, recurrent_cells=("gru",))
    assert _verdicts(_results(), cfg)["long-range"] == "inconclusive"
    assert _verdicts(_results(), dataclasses.replace(CFG, n_test=10))["long-range"] == "inconclusive"


def test_receptive_field_fails_when_a_covering_tcn_misses_and_is_inconclusive_with_too_few_items():
    results = _results()
    results["copy"]["100"]["tcn-rf2"]["recalled"] = 1000
    assert _verdicts(results)["receptive-field"] == "fails"
    assert _verdicts(_results(), dataclasses.replace(CFG, n_test=10))["receptive-field"] == "inconclusive"


@pytest.mark.parametrize(
    "field",
    [
        {"max_beyond": 1e-9, "min_inside_sum": 5.0, "max_own_symbol": 0.0},
        {"max_beyond": 0.0, "min_inside_sum": 0.0, "max_own_symbol": 0.0},
        {"max_beyond": 0.0, "min_inside_sum": 5.0, "max_own_symbol": 1e-3},
    ],
)
def test_the_receptive_field_check_fails_on_any_leak_or_an_empty_field(field):
    results = _results()
    results["copy"]["100"]["tcn-rf0.5"]["field_check"] = field
    assert _verdicts(results)["receptive-field-check"] == "fails"


def test_the_receptive_field_check_is_inconclusive_without_a_short_tcn():
    cfg = dataclasses.replace(CFG, rf_ratios=(1.3, 2.0))
    results = _results()
    del results["copy"]["100"]["tcn-rf0.5"]
    assert _verdicts(results, cfg)["receptive-field-check"] == "inconclusive"


def test_a_non_finite_measurement_makes_a_claim_inconclusive():
    results = copy.deepcopy(_results())
    results["timing"]["models"]["lstm"]["forward"][2] = math.nan
    assert _verdicts(results)["sequential-ops"] == "inconclusive"
