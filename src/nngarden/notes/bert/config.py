"""The bert note's config: BERT-Tiny's shape at character level, the masking recipe, the evaluation."""

from __future__ import annotations

from dataclasses import dataclass

from ...config import Config, ConfigError, nested, option
from ...data.text_config import TextDataConfig
from ...train.config import TrainConfig
from ..base import NoteConfig

EVAL_RATES = (0.05, 0.15, 0.3, 0.45, 0.6, 0.8)  # masking rates the trained models are probed at
DISTANCE_RATE = 0.45  # masking rate of the distance-to-context probe


@dataclass
class ModelSection(Config):
    """Model shape, shared by the BERT and the GPT it is compared with."""

    n_layer: int = option(2, "transformer blocks", low=1, high=512)
    n_head: int = option(2, "attention heads per block", low=1, high=512)
    n_embd: int = option(128, "model width, divisible by n_head", low=1, high=65536)
    block_size: int = option(64, "sequence length in tokens", low=4, high=65536)
    dropout: float = option(0.0, "dropout probability", low=0.0, high=0.99)
    bias: bool = option(True, "biases in Linear and LayerNorm layers")
    positions: str = option(
        "learned",
        "BERT's position encoding (the GPT always learns its positions)",
        choices=("learned", "sinusoidal"),
    )
    causal: bool = option(
        False,
        "a causal attention mask for the masked model: the left-only control (the note trains it beside "
        "BERT; false is BERT)",
    )

    def validate(self) -> None:
        if self.n_embd % self.n_head:
            raise ConfigError(f"n_embd: {self.n_embd} is not divisible by n_head={self.n_head}")


@dataclass
class MaskingSection(Config):
    """BERT's corruption recipe and the higher rate it is compared with."""

    rate: float = option(
        0.15, "fraction of positions chosen for prediction", low=0.0, low_open=True, high=1.0
    )
    mask_frac: float = option(
        0.8, "of the chosen positions, the fraction replaced by [MASK]", low=0.0, high=1.0
    )
    random_frac: float = option(
        0.1, "of the chosen positions, the fraction replaced by a random token", low=0.0, high=1.0
    )
    compare_rate: float = option(
        0.4,
        "the much higher masking rate trained for the mask-rate claim (0 skips that model)",
        low=0.0,
        high=1.0,
    )

    def validate(self) -> None:
        if self.mask_frac + self.random_frac > 1.0:
            raise ConfigError(f"mask_frac: {self.mask_frac} + random_frac {self.random_frac} exceeds 1")


@dataclass
class EvalSection(Config):
    """Held-out evaluation."""

    windows: int = option(
        6000,
        "held-out windows for the accuracies (one hidden character each for the both-sides claim)",
        low=10,
    )
    batch_size: int = option(250, "windows per evaluation batch", low=1)


@dataclass
class BertNoteConfig(NoteConfig):
    model: ModelSection = nested(ModelSection)
    data: TextDataConfig = nested(TextDataConfig)
    train: TrainConfig = nested(TrainConfig)
    masking: MaskingSection = nested(MaskingSection)
    eval: EvalSection = nested(EvalSection)

    def training_seed(self) -> int:
        return self.seed if self.train.seed is None else self.train.seed

    def trained_models(self) -> dict[str, dict]:
        """The models this config trains, by name (and folder in the run): ``kind`` (bert or gpt),
        ``rate`` (a masked model's masking rate), ``causal`` (the left-only masked model) and ``steps``.

        Beside BERT: the same masked model under a causal attention mask (left side only, the same
        recipe); a GPT of the same shape with the same steps (it predicts every position, BERT the
        ``rate`` chosen ones, so it sees 1 / rate times the predicted tokens); and a GPT whose steps are
        cut so that it predicts as many tokens as BERT (the same schedule, compressed)."""
        rate, steps = self.masking.rate, self.train.max_steps
        models = {
            "bert": {"kind": "bert", "rate": rate, "causal": False, "steps": steps},
            "bert-left": {"kind": "bert", "rate": rate, "causal": True, "steps": steps},
            "gpt": {"kind": "gpt", "rate": None, "causal": True, "steps": steps},
            "gpt-tokens": {"kind": "gpt", "rate": None, "causal": True, "steps": self.equal_token_steps()},
        }
        if self.masking.compare_rate > 0:
            models[self.higher_rate_model()] = {
                "kind": "bert",
                "rate": self.masking.compare_rate,
                "causal": False,
                "steps": steps,
            }
        return models

    def higher_rate_model(self) -> str:
        """The name of the BERT trained at ``masking.compare_rate``."""
        return f"bert-{self.masking.compare_rate:g}"

    def equal_token_steps(self) -> int:
        """Steps at which a GPT has predicted as many tokens as BERT in its max_steps (rate of them)."""
        return max(1, round(self.masking.rate * self.train.max_steps))

    def model_config(self, name: str) -> BertNoteConfig:
        """This config as the model ``name`` trains it: the causal mask for the left-only control; for the
        equal-token GPT, max_steps, warmup and decay scaled by the masking rate."""
        plan = self.trained_models()[name]
        if plan["kind"] == "bert":
            return self.with_overrides([f"model.causal={str(plan['causal']).lower()}"])
        if plan["steps"] == self.train.max_steps:
            return self
        scale = plan["steps"] / self.train.max_steps
        return self.with_overrides(
            [
                f"train.max_steps={plan['steps']}",
                f"train.warmup_steps={round(scale * self.train.warmup_steps)}",
                f"train.lr_decay_steps={max(1, round(scale * self.train.decay_steps))}",
            ]
        )

    @classmethod
    def full(cls) -> BertNoteConfig:
        """BERT-Tiny's shape at character level (2 layers, width 128, 2 heads), 3000 steps of 32 windows,
        6000 held-out windows."""
        return cls(
            train=TrainConfig(
                batch_size=32, max_steps=3000, warmup_steps=100, eval_interval=250, checkpoint_interval=500
            )
        )

    @classmethod
    def quick(cls) -> BertNoteConfig:
        """The same width and depth on windows of 32 characters, 1000 steps, 3000 held-out windows, no
        higher-rate model (about 2.5 minutes of one core: BERT, the left-only control and the GPT about
        40 s each, the equal-token GPT 6 s). Short windows get BERT past its early plateau (where it
        predicts character frequencies only) sooner."""
        return cls(
            model=ModelSection(block_size=32),
            train=TrainConfig(
                batch_size=32,
                max_steps=1000,
                warmup_steps=50,
                eval_interval=250,
                eval_batches=10,
                checkpoint_interval=250,
            ),
            masking=MaskingSection(compare_rate=0.0),
            eval=EvalSection(windows=3000),
        )

    @classmethod
    def tiny(cls) -> BertNoteConfig:
        return cls(
            model=ModelSection(n_layer=1, n_embd=32, block_size=16),
            train=TrainConfig(
                batch_size=8,
                max_steps=20,
                warmup_steps=2,
                eval_interval=10,
                eval_batches=2,
                checkpoint_interval=10,
            ),
            masking=MaskingSection(compare_rate=0.4),
            eval=EvalSection(windows=40, batch_size=20),
        )
