"""Findings: what a note measured, its claims' verdicts, and where the run came from.

A verdict is never typed in: :func:`judge` turns a computed boolean (or ``None`` when the measurement
could not decide) into ``holds`` / ``fails`` / ``inconclusive``. Evidence values must be finite
numbers; a non-finite value is dropped and the claim becomes ``inconclusive``.
"""

from __future__ import annotations

import json
import math
import numbers
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

VERDICTS = ("holds", "fails", "inconclusive")


@dataclass
class Claim:
    id: str
    statement: str
    verdict: str
    evidence: dict[str, float]
    criterion: str

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"claim {self.id}: verdict must be one of {VERDICTS}, got {self.verdict!r}")


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
        except (TypeError, ValueError):
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
            if not isinstance(value, (int, float)) or not math.isfinite(value):
                problems.append(f"claim {claim.get('id')}: evidence {name}={value!r} is not a finite number")
        if not claim.get("criterion"):
            problems.append(f"claim {claim.get('id')}: empty criterion")
    for key in ("preset", "seed", "threads", "seconds", "commit", "versions"):
        if key not in data["provenance"]:
            problems.append(f"provenance lacks {key}")
    return problems
