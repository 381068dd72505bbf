"""The inductive-bias note's sizes and presets (tiny / quick / full)."""

from __future__ import annotations

from dataclasses import dataclass

from ...config import ConfigError, option
from ..base import NoteConfig

PUBLISHED = {  # Greydanus and Kobak (2020), test accuracy %, (plain, positions shuffled)
    "logistic": (32.0, 32.0),
    "mlp": (68.0, 68.0),
    "cnn": (94.0, 56.0),
    "gru": (91.0, 57.0),
}


@dataclass
class InductiveBiasConfig(NoteConfig):
    """Sizes of the three measurements (invariances, MNIST-1D, relational generalization)."""

    # (a) invariances
    invariance_graphs: int = option(16, "random graphs per invariance check", low=1)
    # (b) MNIST-1D
    mnist_samples: int = option(5000, "MNIST-1D samples generated (80% train, 20% test)", low=20)
    models: tuple[str, ...] = option(
        ("logistic", "mlp", "cnn"), "classifiers trained on MNIST-1D, from: logistic, mlp, cnn, gru"
    )
    steps: int = option(6000, "Adam steps for logistic regression and the MLP (the paper: 6000)", low=1)
    cnn_steps: int = option(6000, "Adam steps for the CNN (the paper: 6000)", low=1)
    gru_steps: int = option(6000, "Adam steps for the GRU (slow on CPU: 40 sequential steps)", low=1)
    average_last: int = option(
        1000,
        "final accuracy = mean test accuracy of the evaluations in the last "
        "this many steps (smooths the constant-learning-rate noise; 0: the last evaluation alone)",
        low=0,
    )
    seeds: int = option(
        3, "seeds per classifier and condition (logistic, CNN); findings need >= 3 (t interval)", low=1
    )
    mlp_seeds: int = option(
        8, "seeds for the MLP (its shuffled - plain gap is an equivalence within +-2 points)", low=1
    )
    gru_seeds: int = option(3, "seeds for the GRU", low=1)
    lr: float = option(1e-2, "Adam learning rate (the paper: 1e-2)", low=0.0, low_open=True)
    batch_size: int = option(100, "batch size (the paper: 100)", low=1)
    eval_every: int = option(250, "steps between test-accuracy evaluations", low=1)
    shuffle_seed: int = option(0, "seed of the one fixed permutation of the 40 positions", low=0)
    # (c) relational generalization
    relational_steps: int = option(0, "Adam steps for the sort / shortest-path models (0 = skip (c))", low=0)
    train_sizes: tuple[int, int] = option((8, 16), "list / graph sizes seen in training (min, max)", low=3)
    near_sizes: tuple[int, int] = option(
        (17, 24), "longer sizes of the generalization test, all above training (min, max)", low=3
    )
    far_sizes: tuple[int, int] = option(
        (25, 32),
        "the longest sizes of the test, above near_sizes (min, max); the MLP is padded to max",
        low=3,
    )
    graph_batch: int = option(32, "graphs per training batch (graph_nets demo: 32)", low=1)
    processing_steps: int = option(10, "times the shared core is applied (graph_nets demo: 10)", low=1)
    latent: int = option(16, "latent width of the graph network (graph_nets demo: 16)", low=1)
    graph_lr: float = option(
        1e-3, "Adam learning rate for (c) (graph_nets demo: 1e-3)", low=0.0, low_open=True
    )
    mlp_hidden: tuple[int, ...] = option(
        (256, 256), "hidden sizes of the MLP baseline on padded lists", low=1
    )
    eval_graphs: int = option(200, "lists / graphs per evaluation set (each size band; >= 200 decide)", low=1)
    size_step: int = option(4, "spacing of the sizes in the solved-fraction-against-size curve", low=1)
    shortest_path: bool = option(True, "also train the shortest-path task (second task of (c))")

    def validate(self) -> None:
        for m in self.models:
            if m not in PUBLISHED:
                raise ConfigError(f"models: got {m!r}, allowed: {', '.join(PUBLISHED)}")
        for name in ("train_sizes", "near_sizes", "far_sizes"):
            lo, hi = getattr(self, name)
            if not 3 <= lo <= hi:
                raise ConfigError(f"{name}: need 3 <= min <= max, got {lo}, {hi}")
        if self.near_sizes[0] <= self.train_sizes[1] or self.far_sizes[0] <= self.near_sizes[1]:
            raise ConfigError(
                f"near_sizes, far_sizes: each test band must lie strictly above the one before, got "
                f"train {self.train_sizes}, near {self.near_sizes}, far {self.far_sizes}"
            )

    def seeds_of(self, model: str) -> range:
        """The seeds a classifier is trained with (the MLP and the GRU have their own counts)."""
        count = {"mlp": self.mlp_seeds, "gru": self.gru_seeds}.get(model, self.seeds)
        return range(self.seed, self.seed + count)

    def steps_of(self, model: str) -> int:
        """Adam steps of a classifier (the CNN and the GRU have their own budgets)."""
        return {"gru": self.gru_steps, "cnn": self.cnn_steps}.get(model, self.steps)

    @classmethod
    def tiny(cls) -> InductiveBiasConfig:
        return cls(
            invariance_graphs=3,
            mnist_samples=200,
            steps=30,
            cnn_steps=20,
            gru_steps=5,
            seeds=1,
            mlp_seeds=1,
            gru_seeds=1,
            models=("logistic", "mlp", "cnn", "gru"),
            eval_every=10,
            relational_steps=3,
            near_sizes=(17, 18),
            far_sizes=(19, 20),
            graph_batch=4,
            processing_steps=2,
            eval_graphs=4,
            size_step=4,
            mlp_hidden=(16,),
        )

    @classmethod
    def quick(cls) -> InductiveBiasConfig:
        # The paper's 6000 steps for logistic regression and the MLP; the CNN passes the claim's plain
        # threshold by about 1500 steps and stays above 90% from 2000, so 3000 steps keep it clear of it
        # at half the cost. Three seeds each, the MLP 8 (its gap is an equivalence within +-2 points);
        # the seeds and conditions of a classifier train as one stack (nn.stacked), which pays for them.
        # No GRU and no (c): too slow.
        return cls(cnn_steps=3000, seeds=3, mlp_seeds=8)

    @classmethod
    def full(cls) -> InductiveBiasConfig:
        return cls(
            models=("logistic", "mlp", "cnn", "gru"),
            seeds=3,
            mlp_seeds=10,
            gru_seeds=3,
            relational_steps=3000,
            eval_graphs=200,
        )
