"""Note: the fixed-length context vector is a bottleneck, and attention removes it.

An RNN encoder that hands the decoder one vector must squeeze the whole source into it; attention lets
every decoding step read all encoder states. Measured the way Bahdanau, Cho and Bengio (2014) showed
it: accuracy against source length, for fixed-vector models of several widths and for an attention
model with fewer parameters, on copy (and reverse for alignment), plus a length-changing, reordering
translation (dates in words to ISO) scored with chrF and BLEU, and optionally real English-Spanish
verses when the Debian SWORD modules are installed.
"""

from ...findings import ClaimSpec, Requirement
from ..base import Note
from .config import Seq2SeqNoteConfig

CLAIMS = (
    ClaimSpec(
        id="bottleneck",
        statement="A fixed-vector decoder's exact-sequence accuracy collapses as the source grows, "
        "and widening it moves the knee without removing it.",
        kind="finding",
        criterion="narrowest fixed model: exact accuracy >= {min_exact_shortest:g} at the shortest length "
        "and <= {max_exact_longest_narrowest:g} at the longest; widest: its knee (length where exact "
        "accuracy crosses {knee_level:g}) lies beyond the narrowest's, yet its exact accuracy at the "
        "longest length is <= {max_exact_longest_widest:g}",
        thresholds={
            "min_exact_shortest": 0.8,
            "max_exact_longest_narrowest": 0.05,
            "knee_level": 0.5,
            "max_exact_longest_widest": 0.1,
        },
        requires=(
            Requirement(
                lambda cfg: len(cfg.fixed_widths) >= 2 and cfg.fixed_widths[-1] > cfg.fixed_widths[0],
                "needs at least two fixed-vector widths, the last wider than the first",
            ),
        ),
    ),
    ClaimSpec(
        id="attention-holds",
        statement="An attention model with fewer parameters keeps token accuracy at or above 0.95 "
        "up to the longest length.",
        kind="finding",
        criterion="attention model's greedy token accuracy >= {min_token_accuracy:g} at every evaluated "
        "length up to max_len ({max_len}), with fewer parameters than the widest fixed-vector model",
        thresholds={"min_token_accuracy": 0.95},
    ),
    ClaimSpec(
        id="alignment",
        statement="The argmax of the attention weights lands on the aligned source position (the same one "
        "on copy, the mirrored one on reverse) for at least 90% of target tokens.",
        kind="finding",
        criterion="teacher-forced attention argmax equals source position i (copy) / L-1-i (reverse) for "
        ">= {min_aligned_fraction:.0%} of target tokens over all evaluated lengths",
        thresholds={"min_aligned_fraction": 0.9},
    ),
    ClaimSpec(
        id="translation",
        statement="On a reordering translation whose source and target lengths differ, the attention "
        "model reaches a chrF of at least 90 (of 100).",
        kind="finding",
        criterion="attention model's greedy corpus chrF >= {min_chrf:g} on fresh dates, on a task where "
        "most sources and targets (more than {min_fraction_lengths_differ:.0%}) differ in length (and "
        "the year moves from last to first)",
        thresholds={"min_chrf": 90.0, "min_fraction_lengths_differ": 0.5},
        requires=(
            Requirement(
                lambda cfg: cfg.dates_steps > 0,
                "this preset trains no translation model (dates_steps=0); run --full",
            ),
        ),
    ),
)

NOTE = Note(
    slug="seq2seq-attention",
    title="Seq2seq: the fixed context vector as a bottleneck, and attention as its cure",
    claims=CLAIMS,
    config_cls=Seq2SeqNoteConfig,
    package=__name__,
    summary=(
        "An RNN encoder-decoder that passes one fixed-length vector must compress the whole source "
        "into it; attention (Bahdanau, Cho and Bengio 2014) instead reads every encoder state through "
        "a learned convex combination at each step. Measured: exact and token accuracy against source "
        "length on copy for fixed-vector models of two widths, an attention model with fewer "
        "parameters and a transformer; where attention looks (argmax alignment on copy and reverse, "
        "heat maps); and chrF/BLEU against source length on a reordering translation whose lengths "
        "differ (dates in words to ISO), plus English-Spanish verses when Debian's SWORD Bibles are "
        "installed."
    ),
    links=("transformers",),
    quick_decides=("bottleneck", "attention-holds", "alignment"),
    packages=("sacrebleu", "num2words"),
)
