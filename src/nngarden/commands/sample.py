"""``nngarden sample``: generate text from a GPT checkpoint (config and tokenizer travel with it)."""

from __future__ import annotations

import sys

from ..config import ConfigError


def cmd_sample(args) -> int:
    from ..runs import resolve_device
    from ..train.language_model import continue_text, load_gpt

    if args.tokens < 0:
        raise ConfigError(f"--tokens: got {args.tokens}, must be >= 0")
    if not args.temperature > 0:
        raise ConfigError(f"--temperature: got {args.temperature}, must be > 0")
    if args.top_k is not None and args.top_k < 1:
        raise ConfigError(f"--top-k: got {args.top_k}, must be >= 1")
    if args.seed < 0:
        raise ConfigError(f"--seed: got {args.seed}, must be >= 0")
    device = resolve_device(args.device)
    model, tokenizer, _ = load_gpt(args.checkpoint, device=device)
    text = continue_text(
        model,
        tokenizer,
        args.prompt,
        args.tokens,
        temperature=args.temperature,
        top_k=args.top_k,
        seed=args.seed,
        device=device,
    )
    sys.stdout.write(args.prompt + text + "\n")
    sys.stdout.flush()
    return 0
