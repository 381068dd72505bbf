"""The note contract: slug, title, claims declared as data, a Config with presets, and the package
that measures, judges and draws.

A note package defines ``NOTE = Note(...)`` in its ``__init__``; the registry in ``nngarden.notes``
finds it by itself, so adding a note means adding one package (see docs/adding-a-note.md).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..config import Config, option
from ..findings import Claim, ClaimSpec, Findings, judge_claims
from ..runs import RunContext


@dataclass
class NoteConfig(Config):
    """Base of every note's config: the presets are classmethods, ``seed`` is always there."""

    seed: int = option(0, "random seed for data, initialisation and sampling", low=0)

    @classmethod
    def tiny(cls) -> NoteConfig:
        """Seconds: for the smoke test that keeps every note runnable."""
        raise NotImplementedError

    @classmethod
    def quick(cls) -> NoteConfig:
        """At most a few minutes on 2 CPU cores: the size ``make garden`` runs."""
        raise NotImplementedError

    @classmethod
    def full(cls) -> NoteConfig:
        """The size whose numbers the README and the closing notes report."""
        raise NotImplementedError

    @classmethod
    def preset(cls, name: str) -> NoteConfig:
        if name not in ("tiny", "quick", "full"):
            from ..config import ConfigError

            raise ConfigError(f"preset: got {name!r}, allowed: tiny, quick, full")
        return getattr(cls, name)()


@dataclass
class Note:
    """A note: its page (slug, title, claims declared as data, summary) and the package that measures it.

    A note is a package ``notes/<slug with '-' as '_'>/`` with, in reading order: ``__init__.py`` (this
    ``Note`` and its claim specs), ``config.py`` (presets), ``experiment.py`` (``measure(cfg, ctx)``:
    stages that return plain JSON-able results, the only code that trains, and optionally
    ``metrics(cfg, results)``), ``claims.py`` (``JUDGES``: one judge function per claim id, taking the
    results, the claim's thresholds and the config) and ``figures.py`` (``draw(cfg, results, ctx)``,
    returning the figure paths). The modules are imported when the note runs, not when it is listed,
    so ``nngarden list`` stays cheap.
    """

    slug: str
    title: str
    claims: tuple[ClaimSpec, ...]
    config_cls: type[NoteConfig]
    package: str = ""  # the note package's module name (``__name__`` of its __init__)
    summary: str = ""  # a paragraph for the garden page
    links: tuple[str, ...] = ()  # slugs of related notes
    quick_decides: tuple[str, ...] = ()  # claim ids the quick preset must decide
    packages: tuple[str, ...] = ()  # extra packages whose versions go into provenance
    train: Callable | None = field(default=None, repr=False)  # `nngarden train SLUG`, when the note has one
    # `nngarden train SLUG --recipe NAME`: named sets of field values applied over the preset
    recipes: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not all(isinstance(spec, ClaimSpec) for spec in self.claims):
            raise TypeError(f"note {self.slug}: claims must be a tuple of ClaimSpec")
        ids = [spec.id for spec in self.claims]
        if len(set(ids)) != len(ids):
            raise ValueError(f"note {self.slug}: duplicate claim ids {ids}")

    # --- the page -----------------------------------------------------------------------------
    @property
    def claim_ids(self) -> list[str]:
        return list(self.statements)

    @property
    def statements(self) -> dict[str, str]:
        """claim id -> one-sentence statement."""
        return {spec.id: spec.statement for spec in self.claims}

    def kind(self, claim_id: str) -> str:
        """``finding`` or ``check``."""
        return next(spec.kind for spec in self.claims if spec.id == claim_id)

    # --- measure -> judge -> draw ---------------------------------------------------------------
    def module(self, name: str):
        return importlib.import_module(f"{self.package}.{name}")

    def measure(self, config: NoteConfig, ctx: RunContext) -> dict[str, Any]:
        return self.module("experiment").measure(config, ctx)

    def judge(self, config: NoteConfig, results: dict[str, Any]) -> list[Claim]:
        return judge_claims(self.claims, self.module("claims").JUDGES, results, config)

    def draw(self, config: NoteConfig, results: dict[str, Any], ctx: RunContext) -> list[str]:
        return self.module("figures").draw(config, results, ctx)

    def metrics(self, config: NoteConfig, results: dict[str, Any]) -> dict[str, float]:
        experiment = self.module("experiment")
        return dict(experiment.metrics(config, results)) if hasattr(experiment, "metrics") else {}

    def findings(self, config: NoteConfig, ctx: RunContext) -> Findings:
        """Measure (stages cached in the run directory), judge every claim, draw the figures."""
        results = self.measure(config, ctx)
        claims = self.judge(config, results)
        figures = self.draw(config, results, ctx)
        return Findings(claims=claims, metrics=self.metrics(config, results), figures=figures)
