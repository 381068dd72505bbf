"""What torch.optim lacks: accelerated methods, Bregman-Lagrangian discretizations, ODEs, test problems."""

from .accelerated import BregmanNaive, BregmanRateMatching, HeavyBall, NesterovConvex
from .ode import euler_discretization, predicted_divergence_time, solve_bregman_ode
from .problems import LessardFunction, LogisticRegression, Quadratic1D, WorstCaseQuadratic

__all__ = [
    "BregmanNaive",
    "BregmanRateMatching",
    "HeavyBall",
    "NesterovConvex",
    "euler_discretization",
    "predicted_divergence_time",
    "solve_bregman_ode",
    "LessardFunction",
    "LogisticRegression",
    "Quadratic1D",
    "WorstCaseQuadratic",
]
