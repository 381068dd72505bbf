"""BERT as a denoising auto-encoder, set against GPT's one-way prediction (Devlin et al. 2019).

A character-level BERT is trained on Shakespeare with BERT's masking recipe; beside it the same masked
model under a causal mask (left side only), a GPT of the same size with as many steps, and one with as
many predicted tokens. Measured on held-out text, with paired intervals over held-out items: how often
hidden characters are recovered against the most frequent character; on the same hidden positions,
BERT with both sides against the three left-only readers; and how much a much higher masking rate at
the same budget changes the result.

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
        criterion="on {windows} held-out windows with {rate} of the characters hidden behind [MASK] "
        "({items} hidden characters, the items): the accuracy of BERT minus that of always predicting "
        "the training split's most frequent character, on the same characters, has its lower 95% bound "
        "({method}) >= max({min_gain:g}, ({min_ratio:g} - 1) x the trivial accuracy), i.e. accuracy "
        ">= max({min_ratio:g} x, +{min_gain:g} over) the trivial one",
        thresholds={"min_ratio": 2, "min_gain": 0.2},
        revised="2026-11-30: point accuracies -> the lower 95% bound of the paired difference "
        "(hidden characters as items)",
    ),
    ClaimSpec(
        id="both-sides",
        statement="Both sides matter: on the same held-out positions BERT, seeing both sides, predicts a "
        "hidden character better than the same masked model trained to see only the left side (a "
        "causal attention mask), and better than a GPT of the same size, whether the GPT gets as many "
        "steps or as many predicted tokens.",
        kind="finding",
        criterion="one hidden character per held-out window (the middle of {block_size}; {windows} "
        "windows, the items), the same positions for every reader: BERT's accuracy minus each "
        "left-only reader's has its lower 95% bound ({method}) >= {min_lead:g}. The left-only readers: "
        "the masked model trained with BERT's recipe under a causal mask; a GPT with BERT's {steps} "
        "steps (it predicts every position, BERT {rate} of them); a GPT with {token_steps} steps, "
        "predicting as many tokens as BERT",
        thresholds={"min_lead": 0.02},
        revised="2026-11-30: McNemar z >= 3 against the GPT and against BERT fed the left side only, and a "
        "drop >= 50% of the lead -> each paired difference's lower 95% bound >= 0.02, against a left-only "
        "masked model (causal mask, same recipe) and the GPT at equal steps and at equal predicted "
        "tokens; windows 3000 at quick (as before), 2000 -> 6000 at full",
    ),
    ClaimSpec(
        id="mask-rate",
        statement="The masking recipe matters less than the task: a much higher masking rate at the same "
        "budget moves held-out accuracy far less than the task moves it above the trivial predictor.",
        kind="finding",
        criterion="both models probed on the same held-out characters, with the standard rate of "
        "characters hidden: the 95% interval ({method}) of the accuracy difference lies within "
        "+-{max_share_of_task:g} x the smaller gain over the trivial predictor",
        thresholds={"max_share_of_task": 0.25},
        requires=(
            Requirement(
                lambda cfg: cfg.masking.compare_rate > 0,
                "this preset trains no higher-rate model (masking.compare_rate=0); the full preset "
                "compares 15% with 40%",
            ),
        ),
        revised="2026-11-30: |point difference| <= 0.25 x the gain -> its paired 95% interval inside "
        "+-0.25 x the gain",
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
        "same size are trained on Shakespeare, with a left-only control: the same masked model under a "
        "causal mask. On held-out text the note measures how often hidden characters are recovered "
        "against the most frequent character, BERT against the left-only readers on the same positions "
        "(the GPT at equal steps and at equal predicted tokens, since BERT learns from 15% of the "
        "positions and the GPT from all), and what a much higher masking rate changes."
    ),
    links=("gpt", "transformers"),
    quick_decides=("denoises", "both-sides"),
    packages=("tokenizers", "safetensors"),
    train=train_bert,
)

__all__ = ["CLAIMS", "NOTE", "BertNoteConfig", "load_bert", "train_bert"]
