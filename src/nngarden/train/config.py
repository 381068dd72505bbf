"""The training section of a config (nanoGPT's names), with the CPU "baby" recipe as defaults."""

from __future__ import annotations

from dataclasses import dataclass

from ..config import Config, ConfigError, option
from .schedule import SCHEDULES


@dataclass
class TrainConfig(Config):
    """Training loop: batch, schedule, optimizer, evaluation and checkpoints."""

    batch_size: int = option(
        12,
        "sequences per optimizer step, the global batch (split over grad_accum "
        "micro-steps and over DDP ranks)",
        low=1,
    )
    max_steps: int = option(2000, "optimizer steps to train for (the run stops here)", low=1)
    lr: float = option(
        1e-3, "peak learning rate (AdamW's), reached after warmup_steps", low=0.0, low_open=True
    )
    min_lr: float = option(1e-4, "learning rate at the end of the decay", low=0.0)
    warmup_steps: int = option(100, "linear warmup steps (0: start at the peak rate)", low=0)
    schedule: str = option(
        "cosine",
        "after warmup: cosine decay to min_lr (nanoGPT's); or wsd, warmup-stable-decay: the peak held, "
        "then a linear decay over the last `cooldown` of the steps (Hu et al. 2024, MiniCPM; Hägele et "
        "al. 2024)",
        choices=SCHEDULES,
    )
    cooldown: float = option(
        0.2, "with schedule=wsd: the fraction of the decay steps spent decaying", low=0.0, high=1.0
    )
    lr_decay_steps: int = option(
        0,
        "step where the decay reaches min_lr (nanoGPT's lr_decay_iters); "
        "0 means max_steps. Set it above max_steps to stop early on a longer "
        "schedule",
        low=0,
    )
    weight_decay: float = option(
        0.1, "AdamW weight decay for matrices and embeddings (not biases or norms)", low=0.0
    )
    grad_clip: float = option(1.0, "clip the global gradient norm to this (0 disables clipping)", low=0.0)
    betas: tuple[float, float] = option((0.9, 0.99), "AdamW betas (beta1,beta2)", low=0.0, high=0.999999)
    optimizer: str = option(
        "adamw",
        "adamw: AdamW for every parameter; muon: Muon for the hidden matrices (Jordan et al. 2024, an "
        "orthogonalised Nesterov momentum, float32 Newton-Schulz) and AdamW for embeddings, head, gains "
        "and biases",
        choices=("adamw", "muon"),
    )
    muon_lr: float = option(
        0.02, "with optimizer=muon: the hidden matrices' peak learning rate (scheduled as lr is)", low=0.0
    )
    muon_momentum: float = option(0.95, "with optimizer=muon: Muon's Nesterov momentum", low=0.0, high=0.999)
    ns_steps: int = option(5, "with optimizer=muon: Newton-Schulz iterations per update", low=1, high=20)
    grad_accum: int = option(1, "micro-steps whose gradients are summed into one optimizer step", low=1)
    eval_interval: int = option(
        250,
        "evaluate train and validation loss every this many steps (and always at step 0 and the final step)",
        low=1,
    )
    eval_batches: int = option(
        20,
        "batches per loss estimate (nanoGPT's eval_iters); 0: the whole validation split in consecutive "
        "windows of the context length, and no training-split estimate",
        low=0,
    )
    target_val_loss: float | None = option(
        None, "stop at the first evaluation whose validation loss is at or below this (none: never)", low=0.0
    )
    checkpoint_interval: int = option(
        250, "write a checkpoint every this many steps (and at the final step)", low=1
    )
    keep_checkpoints: int = option(3, "how many of the newest checkpoints to keep", low=1)
    threads: int = option(
        1, "torch threads for training (the train command's --threads overrides it)", low=1, high=256
    )
    seed: int | None = option(
        None, "seed for initialisation, batches and dropout (none: the run's seed, --seed)", low=0
    )

    def validate(self) -> None:
        if self.min_lr > self.lr:
            raise ConfigError(f"min_lr: {self.min_lr:g} is above lr={self.lr:g}; it must be <= lr")
        if self.batch_size % self.grad_accum:
            raise ConfigError(
                f"batch_size: {self.batch_size} is not divisible by grad_accum={self.grad_accum}"
            )

    @property
    def decay_steps(self) -> int:
        return self.lr_decay_steps or self.max_steps
