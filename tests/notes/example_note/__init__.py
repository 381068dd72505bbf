"""A minimal note in the one shape, for the runner's and rejudge's tests: fit a line, judge its slope.

It doubles as the smallest example of a note package (docs/adding-a-note.md walks through a real one).
"""

from nngarden.findings import ClaimSpec, Requirement
from nngarden.notes.base import Note

from .config import ExampleConfig

CLAIMS = (
    ClaimSpec(
        id="slope",
        statement="Gradient descent recovers the slope of a noiseless line.",
        kind="finding",
        criterion="|fitted slope - true slope| < {max_error:g} for every one of {seeds} seeds",
        thresholds={"max_error": 0.05},
    ),
    ClaimSpec(
        id="many-seeds",
        statement="The slope is recovered from every one of at least three seeds.",
        kind="check",
        criterion="at least {min_seeds:g} seeds, each within the slope claim's error",
        thresholds={"min_seeds": 3},
        requires=(Requirement(lambda cfg: cfg.seeds >= 3, "this preset fits fewer than 3 seeds"),),
    ),
)

NOTE = Note(
    slug="example",
    title="Example note",
    claims=CLAIMS,
    config_cls=ExampleConfig,
    package=__name__,
    summary="Fits a line by gradient descent.",
)
