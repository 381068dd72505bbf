"""Every judge on made-up results: holds, fails (a straddle included) and inconclusive, without training."""

from nngarden.findings import Thresholds, judge_claims
from nngarden.notes.feature_engineering import CLAIMS, claims
from nngarden.notes.feature_engineering.config import FeatureEngineeringConfig

SPECS = {spec.id: spec for spec in CLAIMS}
QUICK = FeatureEngineeringConfig.quick()
PAPER = {"tweets": 0.881, "movies": 0.451, "amazon": 0.565, "nyt": 0.492}
SIZES = {"tweets": 4200, "movies": 10605, "amazon": 3708, "nyt": 5190}


def verdict(claim_id, results, cfg=QUICK):
    spec = SPECS[claim_id]
    outcome = claims.JUDGES[claim_id](results, Thresholds(spec.thresholds), cfg)
    return spec.decide(outcome)


def vader(rs):
    return {"sources": {s: {"r": r, "n": SIZES[s]} for s, r in rs.items()}}


def folds(tfidf, hand, vader_acc=0.62, cnn=None):
    out = []
    for k, (t, h) in enumerate(zip(tfidf, hand)):
        accuracy = {"tfidf": t, "hand": h, "hand-lr": h, "hand-hgb": h - 0.01, "vader": vader_acc + 0.002 * k}
        out.append({"n_train": 8454, "n_test": 2114, "accuracy": accuracy})
    cnn = cnn or [0.78] * len(out)
    return {"movies": {"sklearn": {"folds": out}, "cnn": [{"accuracy": c, "best_epoch": 3} for c in cnn]}}


def test_vader_reproduced_holds_within_the_band_and_fails_outside():
    good = verdict("vader-reproduced", {"vader": vader({"tweets": 0.872, "movies": 0.427, "amazon": 0.59,
                                                         "nyt": 0.503})})  # fmt: skip
    assert good.verdict == "holds" and good.kind == "check" and good.revised
    assert abs(good.evidence["max_gap"] - 0.025) < 1e-9
    bad = verdict("vader-reproduced", {"vader": vader({**PAPER, "movies": 0.40})})
    assert bad.verdict == "fails"


def test_vader_ordering_needs_every_adjacent_pair_separated():
    held = verdict(
        "vader-ordering", {"vader": vader({"tweets": 0.87, "movies": 0.43, "amazon": 0.59, "nyt": 0.5})}
    )
    assert held.verdict == "holds" and held.evidence["z_nyt_minus_movies_low"] > 0
    close = verdict(
        "vader-ordering", {"vader": vader({"tweets": 0.87, "movies": 0.49, "amazon": 0.59, "nyt": 0.5})}
    )
    assert close.verdict == "fails" and close.evidence["z_nyt_minus_movies_low"] < 0 < close.evidence[
        "z_nyt_minus_movies_high"]  # fmt: skip


def test_learned_in_domain_decides_on_the_corrected_interval():
    held = verdict("learned-in-domain", {"in_domain": folds([0.79, 0.80, 0.78, 0.79, 0.80], [0.66] * 5)})
    assert held.verdict == "holds" and held.evidence["n_folds"] == 5
    assert "corrected resampled t interval (Nadeau and Bengio 2003, 4 df)" in held.criterion
    # the mean gain is above 0.10 but the folds scatter: the lower end falls below it
    noisy = verdict("learned-in-domain", {"in_domain": folds([0.70, 0.85, 0.68, 0.86, 0.71], [0.66] * 5)})
    assert noisy.verdict == "fails" and noisy.evidence["tfidf_minus_vader"] > 0.1 > noisy.evidence[
        "tfidf_minus_vader_low"]  # fmt: skip
    # hand features no better than VADER: not "between"
    flat = verdict(
        "learned-in-domain", {"in_domain": folds([0.79] * 4 + [0.8], [0.62, 0.63, 0.62, 0.63, 0.62])}
    )
    assert flat.verdict == "fails"


def transfer(vader_right, tfidf_right, n=400):
    hand = [1] * (n * 3 // 4) + [0] * (n - n * 3 // 4)
    correct = {"vader": [1] * vader_right + [0] * (n - vader_right),
               "tfidf": [1] * tfidf_right + [0] * (n - tfidf_right), "hand": hand}  # fmt: skip
    return {"tweets-non-neutral": {"n": n, "correct": correct}}


def test_hand_built_travels_on_paired_tweets():
    results = {"in_domain": folds([0.79] * 5, [0.66] * 5)}
    held = verdict("hand-built-travels", {**results, "transfer": transfer(380, 250)})
    assert held.verdict == "holds" and held.evidence["n_items"] == 400
    assert (
        abs(held.evidence["hand_drop"] - (0.66 - 0.75)) < 1e-9 and "on the 400 non-neutral" in held.criterion
    )
    near = verdict("hand-built-travels", {**results, "transfer": transfer(380, 345)})
    assert near.verdict == "fails" and near.evidence["vader_minus_tfidf_low"] < 0.1


def test_architecture_is_not_enough_needs_both_ends_within_the_band():
    steady = folds([0.79] * 5, [0.66] * 5, cnn=[0.79, 0.785, 0.795, 0.79, 0.79])
    held = verdict("architecture-is-not-enough", {"in_domain": steady})
    assert held.verdict == "holds"
    worse = verdict(
        "architecture-is-not-enough", {"in_domain": folds([0.79] * 5, [0.66] * 5, cnn=[0.68] * 5)}
    )
    assert worse.verdict == "fails" and worse.evidence["cnn_minus_tfidf_high"] < -0.03
    scattered = folds([0.79] * 5, [0.66] * 5, cnn=[0.74, 0.84, 0.76, 0.82, 0.79])
    wide = verdict("architecture-is-not-enough", {"in_domain": scattered})
    assert wide.verdict == "fails" and wide.evidence["cnn_minus_tfidf_low"] < -0.03  # a straddle fails


def sweep(pretrained_gain_300=0.08, minilm=0.80):
    counts = {}
    for count, n, scratch in (
        ("100", 100, 0.55),
        ("300", 300, 0.58),
        ("1000", 1000, 0.64),
        ("0", 8454, 0.74),
    ):
        gain = {"100": 0.06, "300": pretrained_gain_300, "1000": 0.05, "0": 0.01}[count]
        counts[count] = [
            {
                "n_labels": n,
                "bert-scratch": scratch + 0.01 * s,
                "bert-pretrained": scratch + gain + 0.012 * s,
                "cnn": scratch,
                "tfidf": scratch + 0.02,
                "minilm": minilm + 0.005 * s,
            }  # fmt: skip
            for s in range(3)
        ]
    return {"counts": counts}


def test_pretraining_pays_on_a_made_up_sweep():
    full = FeatureEngineeringConfig.full()
    base = {"in_domain": {}, "vader": {}}
    held = verdict("pretraining-pays", {**base, "sweep": sweep()}, full)
    assert (
        held.verdict == "holds" and held.evidence["n_seeds"] == 3 and held.evidence["largest_labels"] == 8454
    )
    small = verdict("pretraining-pays", {**base, "sweep": sweep(pretrained_gain_300=0.03)}, full)
    assert small.verdict == "fails"  # the lower end is above 0 but the estimate is under 0.05
    weak = verdict("pretraining-pays", {**base, "sweep": sweep(minilm=0.60)}, full)
    assert weak.verdict == "fails"  # MiniLM does not beat TF-IDF at 1000 labels
    absent = verdict(
        "pretraining-pays", {**base, "sweep": {"minilm_missing": "run `nngarden data fetch`"}}, full
    )
    assert absent.verdict == "inconclusive" and "nngarden data fetch" in absent.criterion


def test_every_claim_is_inconclusive_without_the_data_and_the_quick_preset_cannot_sweep():
    reason = "vader is not in the data cache; run `nngarden data fetch` once"
    decided = judge_claims(CLAIMS, claims.JUDGES, {"data_missing": reason}, QUICK)
    assert {c.verdict for c in decided} == {"inconclusive"}
    assert all("nngarden data fetch" in c.criterion for c in decided if c.id != "pretraining-pays")
    sweep_claim = next(c for c in decided if c.id == "pretraining-pays")
    assert "run --full" in sweep_claim.criterion
