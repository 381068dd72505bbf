"""``nngarden fill``: fill each [MASK] of a text with a BERT checkpoint's top predictions."""

from __future__ import annotations

import sys

from ..config import ConfigError


def cmd_fill(args) -> int:
    from ..train.language_model import fill_masks, load_bert

    if args.top < 1:
        raise ConfigError(f"--top: got {args.top}, must be >= 1")
    model, tokenizer, state = load_bert(args.checkpoint)
    predictions, filled = fill_masks(model, tokenizer, state["mask_id"], args.text, args.top)
    for n, (pos, options) in enumerate(predictions, 1):
        shown = ", ".join(f"{tok!r} {p:.2f}" for tok, p in options)
        print(f"[MASK] {n} (token {pos}): {shown}")
    print(f"filled: {filled}")
    sys.stdout.flush()
    return 0
