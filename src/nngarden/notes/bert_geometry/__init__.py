"""BERT's geometry: parse trees and word senses inside a real pretrained BERT-architecture model.

Hewitt and Manning (2019), "A Structural Probe for Finding Syntax in Word Representations": a linear map
B makes ||B(h_i - h_j)||^2 approximate the distance of words i and j in the parse tree. Coenen, Reif,
Yuan et al. (2019), "Visualizing and Measuring the Geometry of BERT": any tree embeds exactly when
distances are squared (the Pythagorean embedding), and the contexts of an ambiguous word separate by sense.

Measured offline on all-MiniLM-L6-v2 (6 layers, width 384; ``nngarden data fetch`` caches it, hash-checked),
a distilled sentence encoder fine-tuned contrastively, not the masked-LM BERT the papers probed: compare
relative gaps, not absolute numbers. Sentences come from a hand-written grammar with gold dependency
trees (data/grammar.py); word vectors are averaged over word pieces at every hidden state 0-6.
"""

from nngarden.findings import ClaimSpec, Requirement
from nngarden.notes.base import Note

from .config import BertGeometryConfig

_ITEMS = Requirement(
    met=lambda cfg: cfg.test_sentences >= 200,
    reason="this preset tests fewer than 200 sentences (run --quick)",
)
_SEEDS = Requirement(
    met=lambda cfg: cfg.probe_seeds >= 3, reason="this preset trains fewer than 3 probe seeds"
)
_TWINS = Requirement(
    met=lambda cfg: cfg.twin_seeds >= 3, reason="this preset probes fewer than 3 random twins"
)
_PAIRED = (
    "paired over {n_items} test sentences of 5-25 words, each sentence's edges averaged over {n_seeds} "
    "probe-training seeds of a rank-{rank} distance probe, 95% normal intervals of the ratio estimator "
    "over sentences; "
)

CLAIMS = (
    ClaimSpec(
        id="pythagorean",
        statement="Any tree embeds exactly in Euclidean space when distance is squared (the Pythagorean "
        "embedding), while a star with three leaves has no Euclidean embedding with plain distances; a "
        "distance probe recovers trees from a rotated Pythagorean embedding.",
        kind="check",
        criterion="over {trees} random trees of 2 to {max_nodes} nodes, max |squared Euclidean distance - "
        "tree distance| <= {max_error:g}; the double-centred matrix -1/2 J D^2 J of the three-leaf star's "
        "plain tree distances has an eigenvalue below -{negative_tolerance:g}; and a rank-32 distance "
        "probe trained on a random rotation of the embeddings of {control_trees} random trees (5-25 nodes, "
        "with 32 noise dimensions) recovers the held-out quarter with UUAS >= {min_probe_uuas:g}",
        thresholds={"max_error": 1e-10, "negative_tolerance": 1e-9, "min_probe_uuas": 0.95},
    ),
    ClaimSpec(
        id="syntax-is-there",
        statement="A linear distance probe finds the parse trees in MiniLM's word vectors: on its best "
        "layer it recovers far more of each tree than the right-branching chain or the same probe on the "
        "embedding layer, and its distances rank like tree distances.",
        kind="finding",
        criterion=_PAIRED + "on the best development layer ({layer}), test UUAS minus the right-branching "
        "chain's and minus layer 0's both have lower bounds >= {min_gap:g}, and the distance Spearman "
        "(per word, averaged within sentence lengths, then across lengths; stratified normal interval) has "
        "a lower bound >= {min_spearman:g}",
        thresholds={"min_gap": 0.15, "min_spearman": 0.7},
        requires=(_ITEMS, _SEEDS),
    ),
    ClaimSpec(
        id="not-the-probe",
        statement="The trees are in MiniLM's trained weights, not in the probe: the same probe on randomly "
        "initialised copies of the model recovers far less.",
        kind="finding",
        criterion=_PAIRED + "MiniLM's test UUAS on its best development layer ({layer}) minus the mean "
        "test UUAS of {n_twins} random twins (the config's own initialisation, embeddings included; every "
        "layer probed, compared at the twins' best development layer {twin_layer}) has a lower bound >= "
        "{min_gap:g}; the selectivity against a control task (Hewitt and Liang 2019: trees fixed by word "
        "types) is reported, not judged",
        thresholds={"min_gap": 0.15},
        requires=(_ITEMS, _SEEDS, _TWINS),
    ),
    ClaimSpec(
        id="middle-layers",
        statement="Syntax sits in MiniLM's middle layers: the best development layer lies strictly inside "
        "the stack, beats the last layer on test, and a depth probe there finds the root.",
        kind="finding",
        criterion=_PAIRED + "among hidden states 0-{last}, the best development layer ({layer}) lies in "
        "1-{last_middle}, its test UUAS minus layer {last}'s has a lower bound > {min_gap_to_last:g}, and "
        "a rank-{rank} depth probe on it puts the root at the word of least depth for a share of test "
        "sentences whose Wilson 95% lower bound is >= {min_root_accuracy:g}",
        thresholds={"min_gap_to_last": 0.0, "min_root_accuracy": 0.8},
        requires=(_ITEMS, _SEEDS),
    ),
    ClaimSpec(
        id="senses",
        statement="MiniLM's contextual vectors separate the senses of an ambiguous word: a nearest-centroid "
        "classifier picks the sense on held-out templates, the same classifier on the embedding layer "
        "cannot, and the senses form clusters.",
        kind="finding",
        criterion="on {n_items} test uses of 6 ambiguous words (2 senses each; frames and cue words never "
        "seen in training), a nearest-centroid classifier per word on the best development layer ({layer}, "
        "chosen by leave-one-frame-and-cue-out on the {dev_uses} training uses) is right with a Wilson 95% "
        "lower bound >= {min_accuracy:g}; on layer 0 its Wilson 95% upper bound is < "
        "{max_layer0_accuracy:g}; and the test uses' mean silhouette between the two senses of their word, "
        "in the full {width}-dimensional space, has a normal 95% lower bound >= {min_silhouette:g}",
        thresholds={"min_accuracy": 0.9, "max_layer0_accuracy": 0.65, "min_silhouette": 0.2},
    ),
    ClaimSpec(
        id="own-bert",
        statement="nngarden's own BERT, trained by masked language modelling on the generated language, "
        "writes the trees into its word vectors: the probe recovers far more than on its untrained twin.",
        kind="finding",
        criterion=_PAIRED + "after {steps} masked-LM updates, the test UUAS of nngarden's BERT on its best "
        "development layer ({layer}) minus its untrained twin's (the same initialisation, at the twin's best "
        "development layer {twin_layer}) has a lower bound >= {min_gap:g}",
        thresholds={"min_gap": 0.15},
        requires=(
            Requirement(
                met=lambda cfg: cfg.own_bert_steps > 0, reason="this preset does not train nngarden's BERT"
            ),
            _ITEMS,
            _SEEDS,
        ),
    ),
)

NOTE = Note(
    slug="bert-geometry",
    title="BERT's geometry: syntax trees and word senses inside a pretrained BERT",
    claims=CLAIMS,
    config_cls=BertGeometryConfig,
    package=__name__,
    summary=(
        "A structural probe (Hewitt and Manning 2019) is a linear map whose squared distances between word "
        "vectors should equal distances in the sentence's parse tree; squaring is what lets any tree fit "
        "(Coenen et al. 2019). The note checks that embedding, then trains distance and depth probes on "
        "every hidden state of a real pretrained model, all-MiniLM-L6-v2 (loaded offline, hash-checked), "
        "over sentences of a generated language with gold trees, and compares them with the chain "
        "baseline, the embedding layer, randomly initialised copies of the model and a control task. It "
        "also asks whether the vector of an ambiguous word (bank, bat, bass, crane, pitcher, seal) tells "
        "its sense on templates never seen in training."
    ),
    links=("bert", "transformers"),
    quick_decides=("pythagorean", "syntax-is-there", "not-the-probe", "middle-layers", "senses"),
    packages=("transformers", "tokenizers", "scikit-learn"),
)
