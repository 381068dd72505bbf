"""BERT as a denoising auto-encoder, set against GPT's one-way prediction (Devlin et al. 2019).

A character-level BERT is trained on Shakespeare with BERT's masking recipe, and a GPT of the same size
and training budget on the same text. Measured on held-out text: how often hidden characters are
recovered against the most frequent character; on the same hidden positions, BERT with both sides
against the GPT (left side only) and against BERT shown only the left side; and how much a much higher
masking rate at the same budget changes the result.

``nngarden train bert`` trains the BERT alone as a long, resumable run (checkpoints, DDP under
torchrun); ``nngarden fill`` fills [MASK] tokens with a trained checkpoint.
"""

from ...findings import ClaimSpec, Requirement
from ...train.language_model import load_bert, train_bert  # re-exported for older importers
from ..base import Note
from .config import BertNoteConfig

CLAIMS = (
    ClaimSpec(
        id="denoises",
        statement="A masked language model denoises: it recovers hidden characters of held-out text far "
        "more often than the best trivial predictor (always the most frequent character).",
        kind="finding",
        criterion="on {windows} held-out windows with {rate} of the characters hidden behind [MASK]: "
        "accuracy at the hidden positions >= max({min_ratio:g} x, +{min_gain:g} over) the accuracy of "
        "always predicting the training split's most frequent character",
        thresholds={"min_ratio": 2, "min_gain": 0.2},
    ),
    ClaimSpec(
        id="both-sides",
        statement="Both sides matter: on the same held-out positions BERT, seeing both sides, predicts a "
        "hidden character better than a GPT of the same size and budget that sees only the left side, "
        "and hiding the right context from BERT brings its accuracy down towards the GPT's.",
        kind="finding",
        criterion="one hidden character per held-out window (the middle of {block_size}), the same "
        "positions for all three readers: BERT with both sides beats the GPT and beats itself shown the "
        "left side only, each by a paired (McNemar) z >= {min_z:g}, and hiding the right side costs BERT "
        "at least {min_drop_share:.0%} of its lead over the GPT",
        thresholds={"min_z": 3, "min_drop_share": 0.5},
    ),
    ClaimSpec(
        id="mask-rate",
        statement="The masking recipe matters less than the task: a much higher masking rate at the same "
        "budget moves held-out accuracy far less than the task moves it above the trivial predictor.",
        kind="finding",
        criterion="both models probed on the same held-out windows, with the standard rate of characters "
        "hidden: |accuracy difference| <= {max_share_of_task:g} x the smaller gain over the trivial "
        "predictor",
        thresholds={"max_share_of_task": 0.25},
        requires=(
            Requirement(
                lambda cfg: cfg.masking.compare_rate > 0,
                "this preset trains no higher-rate model (masking.compare_rate=0); the full preset "
                "compares 15% with 40%",
            ),
        ),
    ),
)

NOTE = Note(
    slug="bert",
    title="BERT: a masked language model as a denoising auto-encoder",
    claims=CLAIMS,
    config_cls=BertNoteConfig,
    package=__name__,
    summary=(
        "GPT predicts the next token from the left; BERT hides some tokens and predicts them from both "
        "sides, a denoising auto-encoder. A character-level BERT (BERT-Tiny's shape) and a GPT of the "
        "same size and budget are trained on Shakespeare; on held-out text the note measures how often "
        "hidden characters are recovered against the most frequent character, the three-way contrast "
        "both sides / BERT left only / GPT on the same positions, and what a much higher masking rate "
        "changes."
    ),
    links=("gpt", "transformers"),
    quick_decides=("denoises", "both-sides"),
    packages=("tokenizers", "safetensors"),
    train=train_bert,
)

__all__ = ["CLAIMS", "NOTE", "BertNoteConfig", "load_bert", "train_bert"]
