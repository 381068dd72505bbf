import pytest

from nngarden.config import ConfigError
from nngarden.notes.pruning import NOTE, PruningConfig, judge_claims, summarise


def test_presets_and_validation():
    assert PruningConfig.quick().seeds >= 3
    assert PruningConfig.full().iterative_rounds > 0
    assert PruningConfig.quick().ratios == (2.0, 4.0, 8.0, 16.0, 32.0)
    with pytest.raises(ConfigError, match="strategies"):
        PruningConfig(strategies=("magic",))
    with pytest.raises(ConfigError, match="rewind_epoch"):
        PruningConfig(epochs=2, rewind_epoch=2)
    assert set(NOTE.quick_decides) == set(NOTE.claims) - {"iterative"}


def _fake_seed(dense, rows):
    return {"dense_accuracy": dense, "runs": rows}


def _row(strategy, ratio, before, after, achieved=None, densities=None):
    r = dict(
        strategy=strategy,
        ratio=ratio,
        seed=0,
        before=before,
        after=after,
        achieved=achieved if achieved is not None else ratio,
    )
    if strategy != "structured-neurons":
        r["densities"] = densities or {"hidden.0": 0.2, "hidden.1": 0.1}
    return r


def test_verdicts_follow_the_measurements():
    cfg = PruningConfig(
        ratios=(4.0, 8.0, 16.0),
        strategies=("global-magnitude", "layer-magnitude", "global-magnitude-floor", "random"),
    )
    rows = []
    for s in cfg.strategies:
        for r in cfg.ratios:
            acc = {"random": 80.0}.get(s, 97.5)
            dens = {"hidden.0": 0.2, "hidden.1": 0.0 if s == "global-magnitude" else 0.05}
            rows.append(_row(s, r, acc - 10, acc, r * 1.001, dens))
    table = summarise([_fake_seed(98.0, rows)])
    speed = {
        "rows": [
            dict(arch="mlp", kind="structured", ratio=2.0, theoretical=2.0, measured=1.9),
            dict(arch="mlp", kind="masked", ratio=2.0, theoretical=2.0, measured=1.0),
        ],
        "load_average": 1.0,
        "threads": 1,
        "batch": 256,
        "clock": "thread_cpu",
    }
    verdicts = {c.id: c.verdict for c in judge_claims(cfg, NOTE.claims, 98.0, table, speed)}
    assert verdicts == {
        "keeps-accuracy": "holds",
        "fine-tuning-recovers": "holds",
        "scores-matter": "holds",
        "layer-collapse": "holds",
        "iterative": "inconclusive",
        "real-speedup": "holds",
        "exact-compression": "holds",
    }
    speed["rows"][0]["measured"] = 1.2  # 0.6 of theory
    rows[0]["achieved"] = 4.2
    table = summarise([_fake_seed(98.0, rows)])
    verdicts = {c.id: c.verdict for c in judge_claims(cfg, NOTE.claims, 99.5, table, speed)}
    assert verdicts["real-speedup"] == "fails"
    assert verdicts["exact-compression"] == "fails"
    assert verdicts["keeps-accuracy"] == "fails"
