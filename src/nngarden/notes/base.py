"""The note contract: slug, title, claims, a Config with presets, and ``run(config, ctx) -> Findings``.

A note module defines ``NOTE = Note(...)``; the registry in ``nngarden.notes`` finds it by itself, so
adding a note means adding one module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..config import Config, option
from ..findings import Findings
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
    slug: str
    title: str
    claims: dict[str, str]  # claim id -> one-sentence statement
    config_cls: type[NoteConfig]
    run: Callable[[NoteConfig, RunContext], Findings]
    summary: str = ""  # a paragraph for the garden page
    links: tuple[str, ...] = ()  # slugs of related notes
    quick_decides: tuple[str, ...] = ()  # claim ids the quick preset must decide
    packages: tuple[str, ...] = ()  # extra packages whose versions go into provenance
    train: Callable | None = field(default=None, repr=False)  # `nngarden train SLUG`, when the note has one
