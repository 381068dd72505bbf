"""Sizes of the completion experiments, the singular value law check and the ratio penalty run."""

from __future__ import annotations

from dataclasses import dataclass

from ...config import ConfigError, option
from ..base import NoteConfig

# The paper's numbers of observed entries (of 100 x 100): few enough that depth matters, and enough for all;
# and the fixed grid on which the full preset finds the fewest observations at which each method recovers.
FEW_OBSERVATIONS, MANY_OBSERVATIONS = 2000, 5000
OBSERVATION_GRID = tuple(range(1000, 5001, 500))


@dataclass
class MatrixCompletionConfig(NoteConfig):
    """Sizes of the completion experiments, the law check and the penalty run."""

    n: int = option(100, "rows and columns of the square target", low=2)
    rank: int = option(5, "rank of the target", low=1)
    observations: tuple[int, ...] = option((2000,), "numbers of observed entries to sweep", low=1)
    depths: tuple[int, ...] = option((1, 2, 3), "depths of the factorisations", low=1)
    seeds: int = option(
        3, "targets and observation sets per setting (seed, seed+1, ...); findings need >= 3", low=1
    )
    init_scale: float = option(1e-3, "std of each factor's entries at initialisation", low=0.0, low_open=True)
    step_scale: float = option(
        1.0,
        "learning rate as a fraction of |Omega| / (N s^(2-2/N)), s the target's top "
        "singular value estimated from the observed entries",
        low=0.0,
        low_open=True,
    )
    tol: float = option(
        1e-8, "stop when the training loss (half the observed MSE) is below this", low=0.0, low_open=True
    )
    max_steps: int = option(
        100_000, "gradient steps at most per run (a run that stops here is not converged)", low=1
    )
    log_every: int = option(250, "steps between logged metrics", low=1)
    solver: str = option("SCS", "cvxpy solver for nuclear-norm minimisation", choices=("SCS", "CLARABEL"))
    solver_eps: float = option(
        1e-7,
        "the solver's tolerance (SCS: eps_abs = eps_rel; Clarabel: gap and feasibility tolerances)",
        low=0.0,
        low_open=True,
    )
    soft_impute: bool = option(True, "also run the Soft-Impute baseline")
    # singular value law, checked on a small problem with balanced initialisation
    law_n: int = option(30, "size of the matrix in the singular value law check", low=2)
    law_rank: int = option(3, "rank of its target", low=1)
    law_observations: int = option(300, "its observed entries", low=1)
    law_steps: int = option(6000, "gradient steps of the law check", low=2)
    law_step_scale: float = option(
        0.02, "its (small, so close to gradient flow) step scale", low=0.0, low_open=True
    )
    law_init_scale: float = option(0.1, "its init scale", low=0.0, low_open=True)
    # the ratio penalty on depth 1
    penalty_run: bool = option(False, "run depth 1 + ratio penalty with Adam (claim `penalty`)")
    penalty_weight: float = option(0.01, "weight of ||W||_*/||W||_F in the loss", low=0.0)
    penalty_lr: float = option(3e-3, "Adam learning rate of the penalty run", low=0.0, low_open=True)
    penalty_steps: int = option(12_000, "Adam steps of the penalty run", low=1)

    @property
    def base_observations(self) -> int:
        """The count most claims are decided at: the paper's few observations when run, else the first."""
        return FEW_OBSERVATIONS if FEW_OBSERVATIONS in self.observations else self.observations[0]

    def validate(self) -> None:
        if self.rank > self.n:
            raise ConfigError(f"rank: got {self.rank}, must be <= n = {self.n}")
        if max(self.observations) > self.n * self.n:
            raise ConfigError(f"observations: got {max(self.observations)}, must be <= n^2 = {self.n**2}")
        if self.law_rank > self.law_n or self.law_observations > self.law_n**2:
            raise ConfigError("law_rank must be <= law_n and law_observations <= law_n^2")

    @classmethod
    def tiny(cls):
        return cls(
            n=20,
            rank=2,
            observations=(150,),
            depths=(1, 2, 3),
            init_scale=1e-2,
            max_steps=3000,
            tol=1e-7,
            log_every=100,
            soft_impute=True,
            law_n=12,
            law_rank=2,
            law_observations=80,
            law_steps=300,
            penalty_run=True,
            penalty_steps=300,
            penalty_lr=1e-2,
        )

    @classmethod
    def quick(cls):
        return cls(observations=(2000, 5000), seeds=3)

    @classmethod
    def full(cls):
        # the fixed grid 1000, 1500, ..., 5000: the fewest observations at which each method recovers
        return cls(observations=OBSERVATION_GRID, depths=(1, 2, 3), seeds=3, penalty_run=True)
