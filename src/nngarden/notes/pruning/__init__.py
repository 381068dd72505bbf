"""Network pruning: train, score, prune, fine-tune, measured the way Blalock et al. (2020) ask.

Blalock, Gonzalez Ortiz, Frankle and Guttag (2020) "What is the State of Neural Network Pruning?"
asked for curves over several compression ratios, several seeds, simple baselines, and both
compression and speedup. This note prunes LeNet-300-100 (64-300-100-10) on scikit-learn's digits with
six unstructured strategies and one structured one, every strategy starting from the same dense model
per seed; then measures latency (structured cuts against masks), and prunes a small character GPT to
read perplexity against sparsity.
"""

from nngarden.findings import ClaimSpec, Requirement
from nngarden.notes.base import Note

from .config import DETERMINISTIC, MAGNITUDE, PruningConfig

# Thresholds are declared once here; the requirements below read the ratios from them.
KEEPS_ACCURACY = {"ratio": 4.0, "max_gap_points": 1.0}
FINE_TUNING = {"ratio": 8.0}
SCORES = {"ratio": 8.0, "min_gap_points": 5.0}
ITERATIVE = {"min_ratio": 16.0}
SPEEDUP = {"low_ratio": 2.0, "high_ratio": 4.0, "min_measured_fraction": 0.8, "max_masked_speedup": 1.2}
EXACT = {"max_relative_error": 0.01}


def _runs(*strategies: str, reason: str) -> Requirement:
    return Requirement(lambda cfg: any(s in cfg.strategies for s in strategies), reason)


def _ratio(ratio: float) -> Requirement:
    return Requirement(lambda cfg: ratio in cfg.ratios, f"needs ratio {ratio:g}")


CLAIMS = (
    ClaimSpec(
        id="keeps-accuracy",
        statement="Pruning then fine-tuning keeps accuracy: the best magnitude strategy stays within "
        "1 point of the dense model at 4x compression.",
        kind="finding",
        criterion="best magnitude strategy ({best}) after fine-tuning at {ratio:g}x, mean over {seeds} "
        "seeds, within {max_gap_points:g} point of the dense mean",
        thresholds=KEEPS_ACCURACY,
        requires=(_ratio(KEEPS_ACCURACY["ratio"]), _runs(*MAGNITUDE, reason="needs a magnitude strategy")),
    ),
    ClaimSpec(
        id="fine-tuning-recovers",
        statement="Accuracy after fine-tuning exceeds accuracy right after pruning for every strategy at 8x.",
        kind="finding",
        criterion="mean accuracy after {finetune_epochs} fine-tuning epochs exceeds the mean right after "
        "pruning, for every strategy at {ratio:g}x ({strategies} strategies)",
        thresholds=FINE_TUNING,
        requires=(
            _ratio(FINE_TUNING["ratio"]),
            Requirement(lambda cfg: cfg.finetune_epochs > 0, "needs fine-tuning epochs > 0"),
        ),
    ),
    ClaimSpec(
        id="scores-matter",
        statement="Scores matter: random pruning is at least 5 points below the best magnitude strategy "
        "at 8x.",
        kind="finding",
        criterion="random (per layer) at least {min_gap_points:g} points below the best magnitude strategy "
        "({best}) at {ratio:g}x after fine-tuning, means over seeds",
        thresholds=SCORES,
        requires=(
            _ratio(SCORES["ratio"]),
            _runs("random", reason="needs the random strategy"),
            _runs(*MAGNITUDE, reason="needs a magnitude strategy"),
        ),
    ),
    ClaimSpec(
        id="layer-collapse",
        statement="One global threshold can starve a layer; with a per-layer floor (or LAMP) no layer "
        "reaches zero density.",
        kind="finding",
        criterion="with the per-layer floor ({floor} of a layer's uniform share) and with LAMP, no "
        "prunable layer reaches zero density at any ratio up to {top}x for any seed; the smallest "
        "layer densities of unguarded global magnitude and gradient ranking are reported alongside",
        requires=(
            _runs("global-magnitude", reason="needs global-magnitude (one unguarded threshold)"),
            _runs(
                "global-magnitude-floor",
                "lamp-magnitude",
                reason="needs global-magnitude-floor or lamp-magnitude",
            ),
        ),
    ),
    ClaimSpec(
        id="iterative",
        statement="Iterative pruning (prune a fraction, fine-tune, repeat) beats one-shot pruning at high "
        "compression (16x and above).",
        kind="finding",
        criterion="per-layer magnitude: iterative ({rounds} rounds of {finetune_epochs} fine-tuning epochs "
        "each, so {rounds}x the fine-tuning of one-shot) has a higher mean accuracy than one-shot at "
        "every ratio >= {min_ratio:g} ({ratios})",
        thresholds=ITERATIVE,
        requires=(
            Requirement(
                lambda cfg: cfg.iterative_rounds > 0,
                "iterative schedules run in the full preset (iterative_rounds=0 here)",
            ),
            Requirement(
                lambda cfg: any(r >= ITERATIVE["min_ratio"] for r in cfg.ratios),
                f"needs a ratio >= {ITERATIVE['min_ratio']:g}",
            ),
            _runs("layer-magnitude", reason="needs layer-magnitude (the one-shot baseline)"),
        ),
    ),
    ClaimSpec(
        id="real-speedup",
        statement="Speedup is real only when structure goes: structured pruning at 2x and 4x measures at "
        "least 0.8 of its theoretical speedup, while unstructured masks give none.",
        kind="finding",
        criterion="structured MLP and CNN at {low_ratio:g}x and {high_ratio:g}x: measured speedup >= "
        "{min_measured_fraction:g} x theoretical (batch {batch}, {threads} thread, torch.utils.benchmark "
        "on the {clock} clock, fastest median of {repeats} alternating rounds); masks folded into dense "
        "weights measure below {max_masked_speedup:g}x at every ratio",
        thresholds=SPEEDUP,
        requires=(
            Requirement(
                lambda cfg: SPEEDUP["low_ratio"] in cfg.ratios or SPEEDUP["high_ratio"] in cfg.ratios,
                f"needs ratios {SPEEDUP['low_ratio']:g} or {SPEEDUP['high_ratio']:g}",
            ),
        ),
    ),
    ClaimSpec(
        id="exact-compression",
        statement="Achieved compression is within 1% of the target for deterministic strategies.",
        kind="check",
        criterion="achieved compression (all parameters / non-zeros, measured after fine-tuning) within "
        "{max_relative_error:.0%} of the target for every deterministic unstructured strategy, ratio "
        "and seed",
        thresholds=EXACT,
        requires=(_runs(*DETERMINISTIC, reason="no deterministic strategy ran"),),
    ),
)

NOTE = Note(
    slug="pruning",
    title="Network pruning: accuracy against compression, and speedups that are real",
    claims=CLAIMS,
    config_cls=PruningConfig,
    package=__name__,
    summary=(
        "Pruning is train, score, prune, fine-tune, repeat. Following Blalock et al. (2020), every strategy "
        "starts from the same dense LeNet-300-100 (64-300-100-10 on scikit-learn's 8x8 digits) per seed, and "
        "is measured at compression ratios 2 to 32 (parameters / non-zeros), before and after fine-tuning, "
        "as mean and spread over seeds: global and per-layer magnitude, global magnitude with a per-layer "
        "floor, LAMP, gradient x weight, random, and structured neuron removal. Per-layer densities show "
        "how one global threshold starves the 300x100 layer. Theoretical speedups (multiply-adds) are set "
        "against latency measured with torch.utils.benchmark on one thread: do masks buy anything, and how "
        "much of their theory do physically smaller layers deliver? A small character GPT on Shakespeare "
        "is pruned by magnitude and by removing heads and MLP neurons, and its perplexity read against "
        "sparsity."
    ),
    links=("gpt", "inductive-bias"),
    quick_decides=(
        "keeps-accuracy",
        "fine-tuning-recovers",
        "scores-matter",
        "layer-collapse",
        "real-speedup",
        "exact-compression",
    ),
)
