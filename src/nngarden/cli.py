"""The ``nngarden`` command: list | run | rejudge | report | serve | train | sample | fill.

Exit codes: 0 when the command completed (whatever the verdicts), 2 for bad input (one clear line, no
traceback), 1 for any other error.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from .config import ConfigError, parse_assignments

DEFAULT_RUNS = Path("runs")
DEFAULT_SITE = Path("garden")


# --- help text ------------------------------------------------------------------------------------
def _fields_table(cls, preset: str | None = None) -> str:
    instance = cls.preset(preset) if preset else cls()
    rows = cls.describe(instance)
    width = max(len(key) for key, _, _ in rows)
    return "\n".join(f"  {key:<{width}}  (default {default}) {text}" for key, default, text in rows)


def _notes_epilog(slugs: list[str] | None = None, preset: str = "quick") -> str:
    from .notes import all_notes

    parts = []
    for slug, note in all_notes().items():
        if slugs is not None and slug not in slugs:
            continue
        parts.append(
            f"config fields of '{slug}' (defaults of the {preset} preset; set with --set key=value):\n"
            + _fields_table(note.config_cls, preset)
        )
    return "\n\n".join(parts)


def _wants_help(argv: list[str]) -> bool:
    return "-h" in argv or "--help" in argv


# --- parser ---------------------------------------------------------------------------------------
def build_parser(argv: list[str]) -> argparse.ArgumentParser:
    helping = _wants_help(argv)
    fmt = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="nngarden",
        formatter_class=fmt,
        description="A researcher's notebook on neural networks: a library and a garden of measured notes.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    sub.add_parser(
        "list",
        help="slug, title and claims of every registered note",
        formatter_class=fmt,
        description="List every registered note with its claims.",
    )

    run = sub.add_parser(
        "run",
        help="run a note (or --all) and write its findings",
        formatter_class=fmt,
        description="Run a note's experiment and write config.json, metrics.jsonl, "
        "findings.json and figures/ into its run directory.",
        epilog=_notes_epilog() if helping and "run" in argv else None,
    )
    run.add_argument("slug", nargs="?", help="the note to run (see `nngarden list`)")
    run.add_argument("--all", action="store_true", help="run every registered note, each in its own process")
    group = run.add_mutually_exclusive_group()
    group.add_argument(
        "--quick",
        dest="preset",
        action="store_const",
        const="quick",
        help="the quick preset: minutes on 2 CPU cores (default)",
    )
    group.add_argument(
        "--full",
        dest="preset",
        action="store_const",
        const="full",
        help="the full preset: the size whose numbers the README reports",
    )
    group.add_argument(
        "--preset",
        dest="preset",
        choices=("tiny", "quick", "full"),
        help="name the preset; tiny is the seconds-long size the smoke tests use",
    )
    run.add_argument(
        "--out",
        type=Path,
        default=None,
        help="the run directory itself (default: a new runs/SLUG/<run-id>/); "
        "with --all, a folder that gets one subfolder per note",
    )
    run.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config field (repeatable), e.g. --set train.max_steps=100",
    )
    run.add_argument(
        "--device",
        default="auto",
        choices=("auto", "cpu", "cuda", "mps"),
        help="device for models (default auto: CUDA, then MPS, then CPU)",
    )
    run.add_argument("--seed", type=int, default=None, help="random seed (default: the preset's seed, 0)")
    run.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch threads per process (default 1: the efficient setting on a small machine)",
    )
    run.add_argument("--jobs", type=int, default=1, help="with --all: notes run side by side (default 1)")
    run.add_argument("--force", action="store_true", help="redo a finished run in the same directory")

    report = sub.add_parser(
        "report",
        help="build the HTML garden from run directories",
        formatter_class=fmt,
        description="Build a static HTML site from every run directory (one holding "
        "findings.json) under --runs, the newest per note.",
    )
    report.add_argument(
        "--runs", type=Path, default=DEFAULT_RUNS, help="folder searched for runs (default runs/)"
    )
    report.add_argument(
        "--out", type=Path, default=DEFAULT_SITE, help="where the site is written (default garden/)"
    )

    rejudge = sub.add_parser(
        "rejudge",
        help="recompute a run's verdicts and figures from its cached stages, without training",
        formatter_class=fmt,
        description="Recompute findings.json and figures/ of a run directory from its cached stages "
        "(nothing is trained; a checkpoint may be loaded for inference). The provenance records which "
        "commit judged.",
    )
    rejudge.add_argument("run_dir", type=Path, help="a run directory (stages/, config.json)")

    serve = sub.add_parser("serve", help="serve the built garden on 127.0.0.1", formatter_class=fmt)
    serve.add_argument(
        "--port", type=int, default=8000, help="port on 127.0.0.1 (default 8000; 0 picks a free port)"
    )
    serve.add_argument("--dir", type=Path, default=DEFAULT_SITE, help="the built site (default garden/)")

    train = sub.add_parser(
        "train",
        help="a note's training alone, as a long resumable run",
        formatter_class=fmt,
        description="Train the model of a note (gpt, bert) with checkpoints; the same "
        "command again resumes from the latest complete checkpoint.",
        epilog=_notes_epilog(["gpt", "bert"], "full") if helping and "train" in argv else None,
    )
    train.add_argument("slug", help="the note whose model to train (gpt or bert)")
    train.add_argument("--out", type=Path, required=True, help="output directory (checkpoints, metrics)")
    train.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config field (repeatable)",
    )
    train.add_argument(
        "--preset",
        choices=("tiny", "quick", "full"),
        default="full",
        help="which preset the config starts from (default full: the note's recipe)",
    )
    train.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda", "mps"), help="device")
    train.add_argument("--seed", type=int, default=None, help="random seed")
    train.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch threads per process (default: the config's train.threads, 1)",
    )
    train.add_argument("--compile", action="store_true", help="torch.compile the model (useful on CUDA)")
    train.add_argument("--bf16", action="store_true", help="bf16 autocast (CUDA)")

    sample = sub.add_parser("sample", help="generate text from a GPT checkpoint", formatter_class=fmt)
    sample.add_argument(
        "--checkpoint", type=Path, required=True, help="a checkpoint folder or a training --out folder"
    )
    sample.add_argument("--prompt", default="\n", help="text to continue (default a newline)")
    sample.add_argument("--tokens", type=int, default=200, help="new tokens to generate (default 200)")
    sample.add_argument(
        "--temperature", type=float, default=0.8, help="softmax temperature, > 0 (default 0.8)"
    )
    sample.add_argument("--top-k", type=int, default=None, help="keep the k most likely tokens (default all)")
    sample.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    sample.add_argument("--device", default="cpu", choices=("auto", "cpu", "cuda", "mps"), help="device")

    fill = sub.add_parser("fill", help="fill [MASK] tokens with a BERT checkpoint", formatter_class=fmt)
    fill.add_argument("--checkpoint", type=Path, required=True, help="a BERT checkpoint folder")
    fill.add_argument("--text", required=True, help="text with one or more [MASK] tokens")
    fill.add_argument("--top", type=int, default=5, help="predictions shown per mask (default 5)")
    return parser


# --- commands -------------------------------------------------------------------------------------
def cmd_list(args) -> int:
    from .notes import all_notes

    for slug, note in all_notes().items():
        print(f"{slug}: {note.title}")
        for cid, statement in note.statements.items():
            print(f"    {cid}: {statement}")
    return 0


def _resolve_config(note, preset: str, overrides: list[str], seed: int | None):
    config = note.config_cls.preset(preset)
    assignments = parse_assignments(overrides)
    if seed is not None:
        if seed < 0:
            raise ConfigError(f"--seed: got {seed}, must be >= 0")
        assignments["seed"] = str(seed)
    return config.with_overrides(assignments) if assignments else config


def cmd_run(args) -> int:
    from .notes import all_notes, get_note
    from .runs import new_run_dir, resolve_device, run_note

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
    config = _resolve_config(note, preset, args.overrides, args.seed)
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
    from .runs import new_run_dir

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


def cmd_report(args) -> int:
    from .garden.report import build_garden

    index = build_garden(args.runs, args.out)
    print(index.resolve())
    return 0


def cmd_rejudge(args) -> int:
    import json

    from .notes import get_note
    from .runs import rejudge_run

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


def cmd_serve(args) -> int:
    from .garden.serve import serve

    return serve(args.dir, args.port)


def cmd_train(args) -> int:
    from .notes import get_note
    from .runs import resolve_device

    note = get_note(args.slug)
    if note.train is None:
        raise ConfigError(f"train: note {args.slug!r} has no training command; allowed: gpt, bert")
    config = _resolve_config(note, args.preset, args.overrides, args.seed)
    if args.threads is not None and args.threads < 1:
        raise ConfigError(f"--threads: got {args.threads}, must be >= 1")
    return (
        note.train(
            config,
            args.out,
            device=resolve_device(args.device),
            threads=args.threads,
            compile=args.compile,
            bf16=args.bf16,
        )
        or 0
    )


def cmd_sample(args) -> int:
    from .train.sample import sample_command

    return sample_command(args)


def cmd_fill(args) -> int:
    from .train.fill import fill_command

    return fill_command(args)


COMMANDS = {
    "list": cmd_list,
    "run": cmd_run,
    "report": cmd_report,
    "rejudge": cmd_rejudge,
    "serve": cmd_serve,
    "train": cmd_train,
    "sample": cmd_sample,
    "fill": cmd_fill,
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except ConfigError as err:
        print(f"nngarden: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("nngarden: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
