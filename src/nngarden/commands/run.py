"""``nngarden run``: one note in this process, or ``--all`` notes each in its own process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from ..cli import DEFAULT_RUNS
from ..config import ConfigError
from .notes import resolve_config


def cmd_run(args) -> int:
    from ..notes import all_notes, get_note
    from ..runs import new_run_dir, resolve_device, run_note

    preset = args.preset or "quick"
    if args.threads < 1:
        raise ConfigError(f"--threads: got {args.threads}, must be >= 1")
    if args.all:
        if args.slug:
            raise ConfigError("run: give a slug or --all, not both")
        return _run_all(list(all_notes()), args, preset)
    if not args.slug:
        raise ConfigError("run: name a note (see `nngarden list`) or use --all")
    note = get_note(args.slug)
    config = resolve_config(note, preset, args.overrides, args.seed)
    device = resolve_device(args.device)
    run_dir = args.out if args.out is not None else new_run_dir(DEFAULT_RUNS, note.slug)
    t0 = time.perf_counter()
    findings, reused = run_note(
        note,
        config,
        run_dir,
        preset=preset,
        device=device,
        threads=args.threads,
        force=args.force,
        progress=sys.stderr.isatty(),
    )
    verb = "already finished, reused" if reused else f"finished in {time.perf_counter() - t0:.1f}s"
    print(f"{note.slug}: {verb} -> {Path(run_dir) / 'findings.json'}")
    for claim in findings["claims"]:
        print(f"    {claim['verdict']:>12}  {claim['id']}")
    return 0


def _run_all(slugs: list[str], args, preset: str) -> int:
    """Each note in its own process with ``--threads`` threads, ``--jobs`` of them side by side."""
    from ..runs import new_run_dir

    if args.jobs < 1:
        raise ConfigError(f"--jobs: got {args.jobs}, must be >= 1")
    pending = list(slugs)
    running: list[tuple[str, subprocess.Popen, float, Path, object]] = []
    results: dict[str, tuple[int, float, Path]] = {}
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), MKL_NUM_THREADS=str(args.threads))
    logs = (args.out or DEFAULT_RUNS) / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    while pending or running:
        while pending and len(running) < args.jobs:
            slug = pending.pop(0)
            out = (args.out / slug) if args.out is not None else new_run_dir(DEFAULT_RUNS, slug)
            cmd = [
                sys.executable,
                "-m",
                "nngarden",
                "run",
                slug,
                "--preset",
                preset,
                "--out",
                str(out),
                "--threads",
                str(args.threads),
                "--device",
                args.device,
            ]
            for item in args.overrides:
                cmd += ["--set", item]
            if args.seed is not None:
                cmd += ["--seed", str(args.seed)]
            if args.force:
                cmd.append("--force")
            log = open(logs / f"{slug}.log", "w")
            print(f"started {slug} -> {out}", flush=True)
            running.append(
                (
                    slug,
                    subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT),
                    time.perf_counter(),
                    out,
                    log,
                )
            )
        time.sleep(0.2)
        for item in list(running):
            slug, proc, start, out, log = item
            if proc.poll() is not None:
                running.remove(item)
                log.close()
                results[slug] = (proc.returncode, time.perf_counter() - start, out)
                state = (
                    "ok"
                    if proc.returncode == 0
                    else f"FAILED (exit {proc.returncode}, log {logs / slug}.log)"
                )
                print(f"finished {slug} in {results[slug][1]:.1f}s: {state}", flush=True)
    failed = [s for s, (rc, _, _) in results.items() if rc != 0]
    print(f"{len(results) - len(failed)} of {len(results)} notes completed")
    return 1 if failed else 0
