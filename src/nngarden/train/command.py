"""The body of ``nngarden train SLUG``, shared by the notes that train a language model (gpt, bert)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

from ..config import ConfigError


def flat_keys(d: dict, prefix: str = "") -> dict:
    """{"model": {"n_layer": 4}} -> {"model.n_layer": 4}."""
    out = {}
    for key, value in d.items():
        if isinstance(value, dict):
            out.update(flat_keys(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def resume_tokenizer(
    config, out_dir: Path, fixed: tuple[str, ...] = ("model.", "data."), verbose: bool = False
) -> str | None:
    """The tokenizer of the newest checkpoint under ``out_dir`` (None when there is none to resume).

    Refuses to resume when a key under one of the ``fixed`` prefixes, or the seed, differs from the
    config the checkpoints were written with: the weights would not belong to this run. ``train.*``
    keys may change (more steps, another eval interval).
    """
    from . import checkpoint as ckpt

    latest = ckpt.latest_checkpoint(Path(out_dir) / "checkpoints")
    if latest is None:
        return None
    now, then = flat_keys(config.to_dict()), flat_keys(ckpt.read_state(latest).get("config", {}))
    differ = sorted(k for k in set(now) | set(then) if now.get(k) != then.get(k))
    frozen = [k for k in differ if k.startswith(fixed) or k in ("seed", "train.seed")]
    if frozen:
        raise ConfigError(
            f"{frozen[0]}: {now.get(frozen[0])!r} differs from {then.get(frozen[0])!r} in the "
            f"checkpoints under {out_dir}, which cannot resume with another "
            f"{', '.join(frozen)}; use another --out"
        )
    changed = [k for k in differ if k.startswith("train.")]
    if changed and verbose:
        print(f"resuming with changed {', '.join(changed)}", flush=True)
    return ckpt.read_tokenizer_json(latest)


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
    ``(TrainResult, tokenizer, TextData, ...)``. Under torchrun every rank trains; only rank 0 writes.
    """
    from ..runs import atomic_write_text
    from .distributed import session
    from .loop import NonFiniteLoss

    out_dir = Path(out_dir)
    with session(device) as (dist, device):
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
    last = result.evals[-1] if result.evals else {}
    timing = (
        f"; {result.ms_per_step:.0f} ms/step wall, {1000 * result.cpu_seconds / result.steps_run:.0f} ms "
        f"CPU, {result.threads} thread(s)"
        if result.steps_run
        else ""
    )
    print(
        f"finished at step {result.step}: val loss {last.get('val_loss', float('nan')):.4f} "
        f"(vocabulary {tokenizer.vocab_size}, {data.n_chars} characters){timing}; checkpoint {result.checkpoint}",
        flush=True,
    )
    return 0
