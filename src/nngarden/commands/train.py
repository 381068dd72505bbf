"""``nngarden train SLUG``: a note's language model (gpt, bert) as a long, resumable, checkpointed run."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from ..config import ConfigError, Failure
from .notes import resolve_config


def cmd_train(args) -> int:
    from ..notes import all_notes, get_note
    from ..runs import resolve_device

    note = get_note(args.slug)
    if note.train is None:
        trainable = ", ".join(slug for slug, n in all_notes().items() if n.train is not None)
        raise ConfigError(f"train: note {args.slug!r} has no training command; allowed: {trainable}")
    config = resolve_config(note, args.preset, args.overrides, args.seed, getattr(args, "recipe", None))
    if args.threads is not None and args.threads < 1:
        raise ConfigError(f"--threads: got {args.threads}, must be >= 1")
    return run_training_command(
        note.slug,
        config,
        args.out,
        note.train,
        device=resolve_device(args.device),
        threads=args.threads,
        compile=args.compile,
        bf16=args.bf16,
    )


def run_training_command(
    slug: str,
    config,
    out_dir: Path,
    train_fn: Callable,
    *,
    device: str = "cpu",
    threads: int | None = None,
    compile: bool = False,
    bf16: bool = False,
) -> int:
    """Train with checkpoints under ``out_dir`` (resuming when run again); return the CLI's exit code.

    ``train_fn(config, out_dir, device=, threads=, compile=, bf16=, dist=, verbose=, progress=)`` returns
    ``(TrainResult, tokenizer, TextData, ...)`` (``nngarden.train.language_model.train_gpt`` and
    ``train_bert`` do). Under torchrun every rank trains; only rank 0 writes and reports. ``out_dir`` is
    locked while training (rank 0 holds it): a second command on it is refused naming this process.
    """
    from ..runs import atomic_write_text, lock_run_dir
    from ..train.distributed import session
    from ..train.fit import NonFiniteLoss

    out_dir = Path(out_dir)
    with session(device) as (dist, device), ExitStack() as held:
        refused = None
        if dist.is_main:  # one process writes the folder: rank 0 holds it for all ranks
            try:
                held.enter_context(lock_run_dir(out_dir, f"train {slug}"))
            except Failure as err:
                refused = err
        if dist.any([refused is not None], device)[0]:
            if refused is not None:
                raise refused
            return 1
        if dist.is_main:
            out_dir.mkdir(parents=True, exist_ok=True)
            atomic_write_text(
                out_dir / "config.json", json.dumps({"note": slug, "config": config.to_dict()}, indent=2)
            )
        try:
            result, tokenizer, data = train_fn(
                config,
                out_dir,
                device=device,
                threads=threads,
                compile=compile,
                bf16=bf16,
                dist=dist,
                verbose=True,
                progress=True,
            )[:3]
        except NonFiniteLoss as err:
            if dist.is_main:
                print(f"nngarden: error: {err}", file=sys.stderr, flush=True)
            return 1
    if not dist.is_main:
        return 0
    if result.stopped_by:
        print(
            f"stopped by {result.stopped_by} at step {result.step}; run the same command again to resume "
            f"from {result.checkpoint}",
            flush=True,
        )
        return 130 if result.stopped_by == "SIGINT" else 143
    print(_finished_line(result, tokenizer, data), flush=True)
    return 0


def _finished_line(result, tokenizer, data) -> str:
    last = result.evals[-1] if result.evals else {}
    timing = (
        f"; {result.ms_per_step:.0f} ms/step wall, {1000 * result.cpu_seconds / result.steps_run:.0f} ms "
        f"CPU, {result.threads} thread(s)"
        if result.steps_run
        else ""
    )
    return (
        f"finished at step {result.step}: val loss {last.get('val_loss', float('nan')):.4f} "
        f"(vocabulary {tokenizer.vocab_size}, {data.n_chars} characters){timing}; "
        f"checkpoint {result.checkpoint}"
    )
