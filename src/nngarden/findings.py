"""Findings: what a note measured, its claims' verdicts, and where the run came from.

A claim is declared once, as data: a :class:`ClaimSpec` holds its statement, its kind (``finding``, an
empirical statement that could come out either way, or ``check``, an identity or a property of the code
that can only fail on a bug), its named thresholds, what a preset must contain to decide it, and the
criterion text, which is formatted from the thresholds rather than typed beside them.

A verdict is never typed in: a note's judge function returns an :class:`Outcome` (a computed boolean, or
``None`` when the measurement could not decide, with its evidence), and :meth:`ClaimSpec.decide` turns
it into ``holds`` / ``fails`` / ``inconclusive``. Evidence values must be finite numbers; a non-finite
value is dropped and the claim becomes ``inconclusive``.
"""

from __future__ import annotations

import json
import math
import numbers
import string
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

VERDICTS = ("holds", "fails", "inconclusive")
KINDS = ("finding", "check")


@dataclass
class Claim:
    id: str
    statement: str
    verdict: str
    evidence: dict[str, float]
    criterion: str
    kind: str = ""  # "finding" or "check"; empty in findings written before claims had kinds
    thresholds: dict[str, float] = field(default_factory=dict)
    revised: str = ""  # when the criterion was revised after results were seen: what and when

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"claim {self.id}: verdict must be one of {VERDICTS}, got {self.verdict!r}")
        if self.kind and self.kind not in KINDS:
            raise ValueError(f"claim {self.id}: kind must be one of {KINDS}, got {self.kind!r}")


def judge(
    claim_id: str, statement: str, passed: bool | None, evidence: dict[str, Any], criterion: str
) -> Claim:
    """Build a Claim whose verdict follows from ``passed`` (None: the run could not decide).

    Non-finite or non-numeric evidence is dropped, and then the claim cannot be ``holds``/``fails``:
    it becomes ``inconclusive`` and the criterion says which values were missing.
    """
    clean: dict[str, float] = {}
    missing = []
    for name, value in evidence.items():
        try:
            number = float(value)
        except (TypeError, ValueError, OverflowError):  # OverflowError: an integer beyond float range
            missing.append(name)
            continue
        if math.isfinite(number):
            clean[name] = number
        else:
            missing.append(name)
    if missing:
        verdict = "inconclusive"
        criterion = f"{criterion} [not measurable: {', '.join(missing)}]"
    elif passed is None:
        verdict = "inconclusive"
    else:
        verdict = "holds" if passed else "fails"
    return Claim(claim_id, statement, verdict, clean, criterion)


def undecided(claim_id: str, statement: str, reason: str, evidence: dict[str, Any] | None = None) -> Claim:
    """A claim this preset cannot decide: inconclusive, with the reason in its criterion."""
    return judge(claim_id, statement, None, evidence or {}, reason)


class Thresholds(dict):
    """A claim's named thresholds, readable as attributes: ``t.max_error`` is ``t["max_error"]``."""

    def __getattr__(self, name: str) -> float:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"no threshold named {name!r}; have {', '.join(self) or 'none'}") from None


@dataclass
class Outcome:
    """What a judge function computed: ``passed`` (None: undecided), evidence, and criterion context.

    ``context`` fills the criterion template's fields that are not thresholds (sizes, seeds, measured
    choices); ``reason`` says why a measurement could not decide (appended to the criterion).
    """

    passed: bool | None
    evidence: dict[str, Any]
    context: dict[str, Any] = field(default_factory=dict)
    reason: str = ""

    @classmethod
    def undecided(cls, reason: str, evidence: dict[str, Any] | None = None, **context: Any) -> Outcome:
        return cls(None, evidence or {}, context, reason)


@dataclass(frozen=True)
class Requirement:
    """Something a preset must contain for a claim to be decided; otherwise the claim is inconclusive."""

    met: Callable[[Any], bool]  # config -> whether the preset contains it
    reason: str  # said when it does not, e.g. "this preset runs one seed (run --full)"


class _Placeholder:
    """Stands for a criterion field with no value: formats as ``<name>`` under any format spec."""

    def __init__(self, name: str):
        self.name = name

    def __format__(self, spec: str) -> str:
        return f"<{self.name}>"


@dataclass(frozen=True)
class ClaimSpec:
    """A claim declared once: statement, kind, named thresholds, requirements, criterion template.

    ``criterion`` is a ``str.format`` template over the thresholds (and the outcome's ``context``), so a
    threshold's number is written in exactly one place.
    """

    id: str
    statement: str
    kind: str
    criterion: str
    thresholds: Mapping[str, float] = field(default_factory=dict)
    requires: tuple[Requirement, ...] = ()
    revised: str = ""  # a revision made after results were seen (docs/criteria-log.md): what and when

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"claim {self.id}: kind must be one of {KINDS}, got {self.kind!r}")
        for name, value in self.thresholds.items():
            if not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ValueError(f"claim {self.id}: threshold {name}={value!r} is not a finite number")
        missing = [name for name in self.thresholds if name not in self.criterion_fields()]
        if missing:
            raise ValueError(
                f"claim {self.id}: the criterion does not state threshold(s) {', '.join(missing)}"
            )

    def criterion_fields(self) -> set[str]:
        return {f for _, f, _, _ in string.Formatter().parse(self.criterion) if f}

    def criterion_text(self, context: Mapping[str, Any] | None = None) -> str:
        """The criterion with thresholds and context filled in; a field the context lacks (a claim the
        preset cannot decide) reads as ``<name>``, whatever its format spec."""
        values = {**dict(context or {}), **dict(self.thresholds)}
        absent = self.criterion_fields() - set(values)
        return self.criterion.format(**values, **{name: _Placeholder(name) for name in absent})

    def missing_requirement(self, config: Any) -> str | None:
        """The reason the preset cannot decide this claim, or None when it can."""
        for requirement in self.requires:
            if not requirement.met(config):
                return requirement.reason
        return None

    def decide(self, outcome: Outcome) -> Claim:
        """The verdict of ``outcome`` with this spec's kind, thresholds and formatted criterion."""
        criterion = self.criterion_text(outcome.context)
        if outcome.reason:
            criterion = f"{criterion}; undecided: {outcome.reason}"
        claim = judge(self.id, self.statement, outcome.passed, outcome.evidence, criterion)
        claim.kind, claim.thresholds, claim.revised = self.kind, dict(self.thresholds), self.revised
        return claim

    def undecided(self, reason: str, evidence: dict[str, Any] | None = None) -> Claim:
        return self.decide(Outcome.undecided(reason, evidence))


JudgeFn = Callable[[dict[str, Any], Thresholds, Any], Outcome]


def judge_claims(
    specs: tuple[ClaimSpec, ...], judges: Mapping[str, JudgeFn], results: dict[str, Any], config: Any
) -> list[Claim]:
    """Every claim's verdict: inconclusive when the preset lacks a requirement, else its judge's outcome."""
    claims = []
    for spec in specs:
        reason = spec.missing_requirement(config)
        if reason is not None:
            claims.append(spec.undecided(reason))
            continue
        outcome = judges[spec.id](results, Thresholds(spec.thresholds), config)
        claims.append(spec.decide(outcome))
    return claims


@dataclass
class Findings:
    """What ``run`` returns; the runner fills in note, title and provenance."""

    claims: list[Claim]
    metrics: dict[str, float] = field(default_factory=dict)
    figures: list[str] = field(default_factory=list)
    note: str = ""
    title: str = ""
    provenance: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        metrics = {}
        for name, value in self.metrics.items():  # numpy and torch scalars count as numbers too
            if isinstance(value, numbers.Real) or getattr(value, "ndim", None) == 0:
                number = float(value)
                if math.isfinite(number):
                    metrics[name] = number
        return {
            "note": self.note,
            "title": self.title,
            "claims": [asdict(c) for c in self.claims],
            "metrics": metrics,
            "figures": list(self.figures),
            "provenance": self.provenance,
        }

    def write(self, path: Path) -> None:
        from .runs import atomic_write_text

        atomic_write_text(path, json.dumps(self.to_dict(), indent=2, allow_nan=False))


def _finite_number(value: Any) -> bool:
    """A finite int or float (an integer too large for a float is not: it cannot be shown or compared)."""
    if not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def validate_findings(data: dict[str, Any], claim_ids: list[str] | None = None) -> list[str]:
    """Problems with a findings dict (empty list when it follows the contract)."""
    problems = []
    for key in ("note", "title", "claims", "metrics", "figures", "provenance"):
        if key not in data:
            problems.append(f"missing key {key}")
    if problems:
        return problems
    ids = [c.get("id") for c in data["claims"]]
    if claim_ids is not None and sorted(ids) != sorted(claim_ids):
        problems.append(f"claim ids {ids} differ from the note's {claim_ids}")
    for claim in data["claims"]:
        if claim.get("verdict") not in VERDICTS:
            problems.append(f"claim {claim.get('id')}: bad verdict {claim.get('verdict')!r}")
        for name, value in claim.get("evidence", {}).items():
            if not _finite_number(value):
                problems.append(f"claim {claim.get('id')}: evidence {name}={value!r} is not a finite number")
        if not claim.get("criterion"):
            problems.append(f"claim {claim.get('id')}: empty criterion")
        if claim.get("kind", "") not in KINDS + ("",):
            problems.append(f"claim {claim.get('id')}: bad kind {claim.get('kind')!r}")
    for key in ("preset", "seed", "threads", "seconds", "commit", "versions"):
        if key not in data["provenance"]:
            problems.append(f"provenance lacks {key}")
    return problems
