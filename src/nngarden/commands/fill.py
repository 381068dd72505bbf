"""``nngarden fill``: fill each [MASK] of a text with a BERT checkpoint's top predictions."""

from __future__ import annotations

import sys

from ..config import ConfigError, Failure


def cmd_fill(args) -> int:
    from ..nn.gpt import NonFiniteLogits
    from ..train.checkpoint import locate_checkpoint
    from ..train.language_model import BERT_CLASS, fill_masks, load_bert

    if args.top < 1:
        raise ConfigError(f"--top: got {args.top}, must be >= 1")
    folder, chosen = locate_checkpoint(args.checkpoint, BERT_CLASS)
    if chosen:
        print(chosen, file=sys.stderr, flush=True)
    model, tokenizer, state = load_bert(folder)
    try:
        predictions, filled = fill_masks(model, tokenizer, state["mask_id"], args.text, args.top)
    except NonFiniteLogits as err:
        raise Failure(f"checkpoint {folder}: {err}; its training diverged") from None
    for n, (pos, options) in enumerate(predictions, 1):
        shown = ", ".join(f"{tok!r} {p:.2f}" for tok, p in options)
        print(f"[MASK] {n} (token {pos}): {shown}")
    print(f"filled: {filled}")
    sys.stdout.flush()
    return 0
