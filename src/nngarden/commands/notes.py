"""``nngarden list`` and ``nngarden rejudge``, and the config a note runs with."""

from __future__ import annotations

import json
import time

from ..config import ConfigError, parse_assignments


def resolve_config(note, preset: str, overrides: list[str], seed: int | None, recipe: str | None = None):
    """``note``'s ``preset``, then its ``recipe`` (named field values), then the ``--set`` overrides and
    ``--seed``."""
    config = note.config_cls.preset(preset)
    if recipe is not None:
        if recipe not in note.recipes:
            allowed = ", ".join(note.recipes) or f"none (note {note.slug!r} has no recipes)"
            raise ConfigError(f"--recipe: got {recipe!r}, allowed: {allowed}")
        if note.recipes[recipe]:
            config = config.with_overrides(dict(note.recipes[recipe]))
    assignments = parse_assignments(overrides)
    if seed is not None:
        if seed < 0:
            raise ConfigError(f"--seed: got {seed}, must be >= 0")
        assignments["seed"] = str(seed)
    return config.with_overrides(assignments) if assignments else config


def cmd_list(args) -> int:
    from ..notes import all_notes

    for slug, note in all_notes().items():
        print(f"{slug}: {note.title}")
        for cid, statement in note.statements.items():
            print(f"    {cid}: {statement}")
    return 0


def cmd_rejudge(args) -> int:
    from ..notes import get_note
    from ..runs import rejudge_run

    config_path = args.run_dir / "config.json"
    try:
        slug = json.loads(config_path.read_text())["note"]
    except (OSError, ValueError, KeyError, TypeError):
        raise ConfigError(f"{args.run_dir} is not a note's run directory (no readable config.json)") from None
    note = get_note(slug)
    t0 = time.perf_counter()
    findings = rejudge_run(note, args.run_dir)
    print(f"{note.slug}: rejudged in {time.perf_counter() - t0:.1f}s -> {args.run_dir / 'findings.json'}")
    for claim in findings["claims"]:
        print(f"    {claim['verdict']:>12}  {claim['id']}")
    return 0
