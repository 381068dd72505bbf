"""Run directories written by hand, and a small registry of fake notes, for the garden's tests."""

from __future__ import annotations

import json
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest

from nngarden.findings import ClaimSpec, Findings, judge
from nngarden.notes.base import Note, NoteConfig

MAGENTA = (255, 0, 255)  # a colour no part of the garden's stylesheet uses: seen on screen = image loaded
EVIL = "<script>alert('x')</script>"


def png_bytes(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A valid one-colour RGB PNG, written without any imaging library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" + bytes(rgb) * width
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


@dataclass
class FakeConfig(NoteConfig):
    @classmethod
    def tiny(cls):
        return cls()

    quick = full = tiny


def _claims(statements: dict[str, str]) -> tuple[ClaimSpec, ...]:
    """Claim specs for fake notes that the report must never run (no package to measure with)."""
    return tuple(ClaimSpec(cid, text, "finding", "as measured") for cid, text in statements.items())


def fake_notes() -> dict[str, Note]:
    """alpha links to beta; gamma is registered but never run."""
    alpha = Note(
        "alpha",
        "Alpha note",
        _claims({"first": "Alpha's first claim.", "second": "Alpha's second claim."}),
        FakeConfig,
        summary="Alpha measures two things about attention.",
        links=("beta", "nowhere"),
    )
    beta = Note(
        "beta",
        "Beta note",
        _claims({"only": "Beta's only claim."}),
        FakeConfig,
        summary="Beta is linked from alpha.",
    )
    gamma = Note(
        "gamma",
        "Gamma note",
        _claims({"pending": "Gamma's claim, not measured yet."}),
        FakeConfig,
        summary="Gamma has no run.",
    )
    return {"alpha": alpha, "beta": beta, "gamma": gamma}


def write_run(
    run_dir: Path,
    slug: str,
    claims: list[dict],
    *,
    title: str = "",
    finished: str | None = None,
    metrics: dict | None = None,
    figures: dict[str, bytes | str] | None = None,
    config: dict | None = None,
    seed: int = 0,
) -> Path:
    """A run directory as `nngarden run` leaves it: findings.json, config.json, figures/."""
    run_dir.mkdir(parents=True, exist_ok=True)
    names = []
    for name, content in (figures or {}).items():
        path = run_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
        names.append(name)
    provenance = {
        "preset": "quick",
        "seed": seed,
        "threads": 1,
        "device": "cpu",
        "seconds": 12.5,
        "cpu_seconds": 11.75,
        "load_average": [1.5, 2.25, 3.0],
        "commit": "abc123def456",
        "versions": {"python": "3.11.2", "torch": "2.13.0"},
    }
    if finished is not None:
        provenance["finished"] = finished
    findings = {
        "note": slug,
        "title": title or slug.title(),
        "claims": claims,
        "metrics": metrics if metrics is not None else {},
        "figures": names,
        "provenance": provenance,
    }
    (run_dir / "findings.json").write_text(json.dumps(findings, indent=2))
    (run_dir / "config.json").write_text(
        json.dumps(
            {"note": slug, "preset": "quick", "config": config if config is not None else {"seed": seed}}
        )
    )
    return run_dir


def claim(
    cid: str,
    verdict: str,
    statement: str = "",
    evidence: dict | None = None,
    criterion: str = "a stated criterion",
) -> dict:
    return {
        "id": cid,
        "statement": statement or f"statement of {cid}",
        "verdict": verdict,
        "evidence": evidence if evidence is not None else {"x": 1.0},
        "criterion": criterion,
    }


@pytest.fixture
def notes() -> dict[str, Note]:
    return fake_notes()


@pytest.fixture
def runs(tmp_path) -> Path:
    return make_runs(tmp_path / "runs")


def make_runs(root: Path) -> Path:
    """A runs folder: two alpha runs (the newer one should win), one beta run, one broken run."""
    write_run(
        root / "alpha" / "old",
        "alpha",
        [claim("first", "fails", "OLD alpha run"), claim("second", "fails")],
        finished="2026-01-01T10:00:00",
        metrics={"accuracy": 0.25},
    )
    write_run(
        root / "alpha" / "new",
        "alpha",
        [
            claim(
                "first",
                "holds",
                f"Attention is a convex combination {EVIL}",
                evidence={"max_row_sum_error": 2.384185791015625e-07, "min_weight": 0.0, f"odd{EVIL}": 3.0},
                criterion=f"error < 1e-5 {EVIL}",
            ),
            claim(
                "second",
                "inconclusive",
                "Quick preset cannot decide this.",
                evidence={},
                criterion="undecided at the quick preset: needs 2000 steps",
            ),
        ],
        finished="2026-03-01T10:00:00",
        metrics={
            "accuracy": 0.98765432,
            "n_params": 124439808.0,
            "val_loss": 1.88123,
            "wall_seconds": 12.5,
            "cpu_seconds": 11.75,
        },
        figures={
            "figures/solid.png": png_bytes(320, 200, MAGENTA),
            "figures/samples.txt": f"KING: to be {EVIL}\n& so on\n",
        },
        config={
            "seed": 0,
            "model": {"n_layer": 4, "dropout": 0.0},
            "train": {"lr": 1e-3, "betas": [0.9, 0.99]},
        },
    )
    write_run(
        root / "nested" / "deeper" / "beta-run",
        "beta",
        [claim("only", "fails", "Beta fails.")],
        finished="2026-02-01T09:00:00",
        metrics={"loss": 2.5},
    )
    broken = root / "alpha" / "broken-newest"
    write_run(
        broken, "alpha", [claim("first", "holds"), claim("second", "holds")], finished="2027-01-01T00:00:00"
    )
    data = json.loads((broken / "findings.json").read_text())
    data["claims"][0]["evidence"] = {"x": "not a number"}
    (broken / "findings.json").write_text(json.dumps(data))
    return root


def make_judged_findings() -> Findings:
    """Findings through the real judge(): what a note's run returns."""
    return Findings([judge("only", "Beta's only claim.", True, {"gap": 0.5}, "gap > 0.1")], {"gap": 0.5})
