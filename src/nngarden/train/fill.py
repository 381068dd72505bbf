"""``nngarden fill``: fill each [MASK] of a text with a BERT checkpoint's top predictions."""

from __future__ import annotations

import sys

from ..config import ConfigError

MASK_TOKEN = "[MASK]"


def encode_with_masks(text: str, tokenizer, mask_id: int) -> tuple[list[int], list[int]]:
    """Token ids of ``text`` with every literal [MASK] as ``mask_id``; and the masks' positions."""
    ids: list[int] = []
    positions: list[int] = []
    pieces = text.split(MASK_TOKEN)
    for i, piece in enumerate(pieces):
        if piece:
            try:
                ids.extend(tokenizer.encode(piece))
            except ValueError as err:
                raise ConfigError(f"--text: {err}") from None
        if i < len(pieces) - 1:
            positions.append(len(ids))
            ids.append(mask_id)
    return ids, positions


def fill_masks(model, tokenizer, mask_id: int, text: str, top: int = 5):
    """[(position, [(token text, probability), ...]), ...] and the text with each mask's best guess."""
    import torch

    ids, positions = encode_with_masks(text, tokenizer, mask_id)
    if not positions:
        raise ConfigError(f"--text: contains no {MASK_TOKEN}; put {MASK_TOKEN} where a token is to be filled")
    if len(ids) > model.config.block_size:
        raise ConfigError(f"--text: {len(ids)} tokens, the model reads at most {model.config.block_size}")
    with torch.no_grad():
        logits, _ = model(torch.tensor([ids]))
    logits[..., mask_id] = float("-inf")  # [MASK] is never an answer
    probs = torch.softmax(logits[0], dim=-1)
    out, filled = [], list(ids)
    for pos in positions:
        p, idx = probs[pos].topk(min(top, probs.size(-1) - 1))
        out.append((pos, [(tokenizer.decode([int(i)]), float(q)) for q, i in zip(p, idx)]))
        filled[pos] = int(idx[0])
    return out, tokenizer.decode(filled)


def fill_command(args) -> int:
    from ..notes.bert import load_bert

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
