"""``nngarden export``: a trained GPT as a Hugging Face GPT-2 folder or an ONNX graph."""

from __future__ import annotations

import time
from pathlib import Path

from ..config import ConfigError


def cmd_export(args) -> int:
    from ..interop import to_hf, to_onnx
    from ..runs import lock_run_dir
    from ..train.checkpoint import read_state, resolve_checkpoint
    from ..train.language_model import load_gpt

    folder = resolve_checkpoint(Path(args.checkpoint))
    kind = (read_state(folder).get("model") or {}).get("class", "")
    if kind.endswith(".BERT"):
        raise ConfigError(
            f"export: {folder} holds a BERT; nngarden's pre-LN BERT has no exact Hugging Face class "
            "(BertModel is post-LN), so it is not exported"
        )
    model, tokenizer, _ = load_gpt(folder)
    out = Path(args.out)
    t0 = time.perf_counter()
    with lock_run_dir(out, f"export --format {args.format}"):  # one writer per folder, as train and run
        if args.format == "hf":
            to_hf(model, tokenizer, out)
        else:
            to_onnx(model, out / "model.onnx")
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(
        f"exported {folder} as {args.format} to {out} ({size / 1e6:.1f} MB, {time.perf_counter() - t0:.1f} s)"
    )
    return 0
