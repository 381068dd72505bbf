"""A one-claim note for the CLI's tests: its single stage counts how often it really runs."""

from nngarden.findings import ClaimSpec
from nngarden.notes.base import Note

from .config import CountingConfig

CLAIMS = (
    ClaimSpec(
        id="doubles",
        statement="doubling works",
        kind="check",
        criterion="value == {factor:g} * steps",
        thresholds={"factor": 2},
    ),
)

NOTE = Note(slug="fake", title="A fake note", claims=CLAIMS, config_cls=CountingConfig, package=__name__)
