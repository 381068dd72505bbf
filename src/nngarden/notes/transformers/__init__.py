"""Transformers: attention is a convex combination of values; sinusoidal encodings make relative
position linear; without position information self-attention cannot see order.

Vaswani et al. (2017), "Attention Is All You Need". Three measurements:

(a) attention weights from random queries and keys (sharpened, with causal and padding masks, one
    padding-only sequence): their signs, row sums and the per-coordinate hull of each output;
(b) the sinusoidal table: for each offset k, the error of the rotation M_k and of one least-squares
    matrix mapping PE(p) to PE(p + k) for every p, and the spread of PE(p) . PE(p + k) over p;
(c) a small non-causal transformer encoder with mean pooling trained to say "is the sequence sorted?"
    without, with sinusoidal and with learned encodings, where each negative is a permutation of a
    positive (half of them one adjacent swap away): held-out accuracy on (sorted, permuted) pairs whose
    multisets the training stream never shows, over 3 seeds with encodings, and the
    permutation-equivariance error of the encoder.
"""

from nngarden.findings import ClaimSpec, Requirement
from nngarden.notes.base import Note

from .config import TransformersConfig

_SORTEDNESS_SETUP = (
    "after {steps} steps, on {test_pairs} held-out (sorted, permuted) pairs of length {seq_len} per seed, "
    "whose multisets (and the validation pairs') never occur in the training stream: "
)

CLAIMS = (
    ClaimSpec(
        id="convex-combination",
        statement="Attention output is a convex combination of the values: the weights are non-negative "
        "and every row sums to 1.",
        kind="check",
        criterion="over {rows} masked query rows of sharpened random attention (causal + padding, "
        "{empty_rows} fully masked rows): every weight >= 0, |row sum - 1| <= {tolerance:g}, fully masked "
        "rows sum to exactly 0, each output lies within the per-coordinate range of the values it may "
        "attend to (violation <= {tolerance:g}), and the fused SDPA path agrees with the explicit one "
        "within {tolerance:g}",
        thresholds={"tolerance": 1e-5},  # float32 row sums and hull bounds
    ),
    ClaimSpec(
        id="relative-position",
        statement="With sinusoidal encodings relative position is linear: one fixed matrix M_k maps "
        "PE(p) to PE(p+k) for every p, and PE(p)·PE(p+k) depends on k alone.",
        kind="check",
        criterion="for every offset k = 1..{max_offset} over {positions} positions (width {width}, float32 "
        "table): the rotation M_k maps PE(p) to PE(p+k) with max error <= {tolerance:g}; the one matrix "
        "fitted by least squares to all pairs (PE(p), PE(p+k)) leaves a max residual <= {tolerance:g}; "
        "and max_p - min_p of PE(p).PE(p+k) is <= {tolerance:g} (entries have norm {norm:.2f})",
        thresholds={"tolerance": 1e-4},  # float32 table entries are exact to ~1e-7; norms are sqrt(d/2)
    ),
    ClaimSpec(
        id="needs-position",
        statement="Position encodings make an order-dependent task learnable: with sinusoidal and with "
        "learned encodings a non-causal encoder with mean pooling learns whether a sequence is sorted.",
        kind="finding",
        criterion=_SORTEDNESS_SETUP
        + "over {seeds} seeds, the lower end of the 95% {method} of the test accuracy is at least "
        "{min_accuracy:g} with sinusoidal and with learned encodings (without encodings the same encoder "
        "is held at 1/2: needs-position-check)",
        thresholds={"min_accuracy": 0.9},
        requires=(
            Requirement(met=lambda cfg: cfg.n_seeds >= 3, reason="this preset trains fewer than 3 seeds"),
        ),
        revised="2026-11-30: the mean test accuracy over 1 seed at quick -> the lower 95% t bound over 3 "
        "seeds, quick steps 1000 -> 600 (budget), held-out multisets excluded from the training stream",
    ),
    ClaimSpec(
        id="needs-position-check",
        statement="Without position information self-attention is permutation-equivariant, so a "
        "non-causal encoder with mean pooling scores exactly chance on an order-dependent task "
        "(is the sequence sorted?) whose negatives are permutations of its positives.",
        kind="check",
        criterion=_SORTEDNESS_SETUP
        + "over {control_seeds} seed(s), the encoder without encodings is permutation-equivariant "
        "(max |f(x[pi]) - f(x)[pi]| <= "
        "{max_equivariance_error:g}) and its test accuracy is within {chance_margin:g} of 1/2",
        thresholds={"max_equivariance_error": 1e-4, "chance_margin": 0.05},
        revised="2026-11-30: quick steps 1000 -> 600 (budget), held-out multisets excluded from training",
    ),
)

NOTE = Note(
    slug="transformers",
    title="Transformers: attention, position encodings, and why order needs them",
    claims=CLAIMS,
    config_cls=TransformersConfig,
    package=__name__,
    summary=(
        "Attention mixes values with softmax weights, so each output is a convex combination of the values "
        "it may see; sinusoidal encodings turn a shift by k positions into one fixed rotation; and without "
        "any position signal a non-causal transformer is permutation-equivariant, so with mean pooling it "
        "cannot tell a sorted sequence from a shuffled one. Each is measured: weight signs, row sums and "
        "hull bounds under causal and padding masks; shift-matrix and dot-product errors over all offsets; "
        "held-out accuracies of the same encoder trained with and without encodings on sorted-versus-"
        "permuted pairs, and its permutation-equivariance error."
    ),
    links=("gpt", "seq2seq-attention", "bert", "inductive-bias"),
    quick_decides=("convex-combination", "relative-position", "needs-position", "needs-position-check"),
)
