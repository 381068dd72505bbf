"""Sizes of the gradient-flow note's measurements: horizons, ODE and Euler runs, Lessard, the MLP."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ...config import ConfigError, option
from ..base import NoteConfig


@dataclass
class GradientFlowConfig(NoteConfig):
    """Sizes of the gradient-flow note's measurements."""

    horizons: tuple[int, ...] = option(
        (10, 20, 50, 100, 200, 500, 1000), "horizons N for the per-N worst-case instances", low=2
    )
    L: float = option(1.0, "smoothness constant L of the worst-case problems", low=0, low_open=True)
    C: float = option(
        0.25, "constant C of the Bregman-Lagrangian ODE (1/4: Su-Boyd-Candes)", low=0, low_open=True
    )
    naive_p3_eps: float = option(
        1e-4, "eps of the naive p=3 discretization on the worst-case family", low=0, low_open=True
    )
    adam_lrs: tuple[float, ...] = option(
        (1e-3, 3e-3, 1e-2, 3e-2, 1e-1),
        "Adam step sizes tried at each horizon (the best is kept)",
        low=0,
        low_open=True,
    )
    logistic_samples: int = option(200, "samples of the generated logistic regression", low=2)
    logistic_dim: int = option(20, "features of the generated logistic regression", low=1)
    logistic_iters: int = option(1000, "iterations of every method on logistic regression", low=2)
    ode_problem_n: int = option(10, "horizon N of the worst-case quadratic the ODEs run on (dim 2N+1)", low=1)
    ode_horizon: float = option(
        50.0, "end time s of the p=2 solution; p runs to s^(2/p)", low=0, low_open=True
    )
    ode_powers: tuple[int, ...] = option((2, 3, 4), "powers p compared on one path (must include 2)", low=2)
    ode_rtol: float = option(1e-12, "relative tolerance of solve_ivp", low=0, low_open=True)
    ode_atol: float = option(1e-14, "absolute tolerance of solve_ivp", low=0, low_open=True)
    euler_powers: tuple[int, ...] = option((3, 4), "powers p > 2 whose Euler discretization is tested", low=3)
    euler_steps: tuple[float, ...] = option(
        (0.2, 0.1, 0.05, 0.025), "step sizes h of the Euler runs", low=0, low_open=True
    )
    euler_p2_step: float = option(
        0.5, "step h of the p=2 Euler run (stable when h sqrt(4CL) < 2)", low=0, low_open=True
    )
    euler_p2_horizon: float = option(2000.0, "time the p=2 Euler run must survive", low=0, low_open=True)
    lessard_starts: tuple[float, ...] = option(
        (3.2, 3.3, 3.4),
        "starting points on Lessard's function: the published 3.3 and its neighbours (the instances)",
    )
    lessard_iters: int = option(300, "iterations on Lessard's function", low=10)
    reddi_steps: int = option(
        10_000_000, "steps T of Reddi, Kale and Kumar's stochastic problem (alpha/sqrt(t) steps)", low=10
    )
    reddi_seeds: int = option(5, "independent gradient sequences of the stochastic problem", low=1)
    # Near x = -1 the projected walk's spread is Var g / (2 E g) = 25750 times the step per unit gradient
    # at T; both alphas make that step about 1e-6 at T = 1e7 (spread about 0.025) while E g times the
    # summed steps covers the distance about twice over. AMSGrad's step per unit gradient is
    # alpha / sqrt(max v), and sqrt(max v) is about 220 on this problem.
    reddi_alpha: float = option(0.6, "alpha of Adam and AMSGrad", low=0, low_open=True)
    reddi_sgd_alpha: float = option(0.003, "alpha of SGD (in x per unit gradient)", low=0, low_open=True)
    mlp_samples: int = option(2000, "MNIST-1D samples generated (80% train, 20% test)", low=100)
    mlp_hidden: int = option(64, "width of the MLP's two hidden layers", low=1)
    mlp_steps: int = option(300, "full-batch steps per MLP run", low=1)
    mlp_seeds: int = option(1, "seeds of the MLP comparison (mean and spread reported)", low=1)
    mlp_lrs_gd: tuple[float, ...] = option(
        (0.1, 0.3, 1.0), "gradient-descent step sizes tried on the MLP", low=0, low_open=True
    )
    mlp_lrs_nesterov: tuple[float, ...] = option(
        (0.03, 0.1, 0.3), "Nesterov step sizes tried on the MLP", low=0, low_open=True
    )
    mlp_lrs_adam: tuple[float, ...] = option(
        (1e-3, 3e-3, 1e-2), "Adam step sizes tried on the MLP", low=0, low_open=True
    )

    def validate(self) -> None:
        if len(self.horizons) < 3 or list(self.horizons) != sorted(set(self.horizons)):
            raise ConfigError(
                f"horizons: got {self.horizons!r}, expected at least 3 increasing distinct integers"
            )
        if 2 not in self.ode_powers or len(self.ode_powers) < 2:
            raise ConfigError(f"ode_powers: got {self.ode_powers!r}, expected 2 and at least one other power")
        if len(self.euler_steps) < 2:
            raise ConfigError(
                f"euler_steps: got {self.euler_steps!r}, expected at least 2 step sizes for the slope"
            )
        if self.euler_p2_step * math.sqrt(4 * self.C * self.L) >= 2:
            raise ConfigError(
                f"euler_p2_step: got {self.euler_p2_step!r}; the p=2 check needs "
                f"h sqrt(4 C L) < 2, i.e. h < {2 / math.sqrt(4 * self.C * self.L):g}"
            )

    @classmethod
    def tiny(cls) -> GradientFlowConfig:
        return cls(
            horizons=(10, 30, 100),
            adam_lrs=(1e-2, 1e-1),
            logistic_iters=50,
            ode_horizon=10.0,
            ode_problem_n=4,
            ode_rtol=1e-10,
            ode_atol=1e-12,
            euler_steps=(0.2, 0.1),
            euler_powers=(4,),
            euler_p2_horizon=100.0,
            lessard_iters=150,
            reddi_steps=20_000,
            reddi_seeds=3,
            mlp_samples=300,
            mlp_hidden=16,
            mlp_steps=10,
            mlp_lrs_gd=(0.3,),
            mlp_lrs_nesterov=(0.1,),
            mlp_lrs_adam=(1e-2,),
        )

    @classmethod
    def quick(cls) -> GradientFlowConfig:
        return cls()

    @classmethod
    def full(cls) -> GradientFlowConfig:
        return cls(
            horizons=(10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000),
            adam_lrs=(3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1),
            logistic_iters=3000,
            ode_horizon=200.0,
            euler_steps=(0.2, 0.1, 0.05, 0.025, 0.0125),
            euler_powers=(3, 4, 5),
            euler_p2_horizon=20000.0,
            lessard_iters=1000,
            reddi_seeds=10,
            mlp_samples=5000,
            mlp_hidden=100,
            mlp_steps=1500,
            mlp_seeds=3,
            mlp_lrs_gd=(0.1, 0.3, 1.0, 3.0),
            mlp_lrs_nesterov=(0.01, 0.03, 0.1, 0.3, 1.0),
            mlp_lrs_adam=(1e-3, 3e-3, 1e-2, 3e-2),
        )
