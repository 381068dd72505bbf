"""Registry of notes: every module in this package that defines ``NOTE`` is a note."""

from __future__ import annotations

import importlib
import pkgutil

from .base import Note, NoteConfig

_REGISTRY: dict[str, Note] | None = None


def all_notes() -> dict[str, Note]:
    """slug -> Note for every note module, in a stable order (as listed in ``ORDER``, then by name)."""
    global _REGISTRY
    if _REGISTRY is None:
        found: dict[str, Note] = {}
        for info in pkgutil.iter_modules(__path__):
            if info.name.startswith("_") or info.name == "base":
                continue
            module = importlib.import_module(f"{__name__}.{info.name}")
            note = getattr(module, "NOTE", None)
            if isinstance(note, Note):
                found[note.slug] = note
        order = {slug: i for i, slug in enumerate(ORDER)}
        _REGISTRY = dict(sorted(found.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])))
    return _REGISTRY


ORDER = (
    "transformers",
    "gpt",
    "bert",
    "bert-geometry",
    "seq2seq-attention",
    "gradient-flow",
    "inductive-bias",
    "pruning",
    "matrix-completion",
    "sequence-models",
    "captioning",
    "feature-engineering",
    "bert-geometry",
)


def get_note(slug: str) -> Note:
    notes = all_notes()
    if slug not in notes:
        from ..config import ConfigError

        raise ConfigError(f"note: unknown slug {slug!r}; allowed: {', '.join(notes)}")
    return notes[slug]


__all__ = ["Note", "NoteConfig", "all_notes", "get_note"]
