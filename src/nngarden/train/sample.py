"""``nngarden sample``: generate text from a GPT checkpoint (config and tokenizer travel with it)."""

from __future__ import annotations

import sys

from ..config import ConfigError


def sample_command(args) -> int:
    import torch

    from ..notes.gpt import load_gpt
    from ..runs import resolve_device

    if args.tokens < 0:
        raise ConfigError(f"--tokens: got {args.tokens}, must be >= 0")
    if not args.temperature > 0:
        raise ConfigError(f"--temperature: got {args.temperature}, must be > 0")
    if args.top_k is not None and args.top_k < 1:
        raise ConfigError(f"--top-k: got {args.top_k}, must be >= 1")
    if args.seed < 0:
        raise ConfigError(f"--seed: got {args.seed}, must be >= 0")
    device = resolve_device(args.device)
    model, tokenizer, state = load_gpt(args.checkpoint, device=device)
    try:
        prompt = tokenizer.encode(args.prompt)
    except ValueError as err:
        raise ConfigError(f"--prompt: {err}") from None
    if not prompt:
        raise ConfigError("--prompt: encodes to no tokens; give at least one character")
    block = model.config.block_size
    idx = torch.tensor([prompt[-block:]], dtype=torch.long, device=device)
    generator = torch.Generator(device=device).manual_seed(args.seed)
    out = model.generate(
        idx, args.tokens, temperature=args.temperature, top_k=args.top_k, generator=generator
    )
    sys.stdout.write(args.prompt + tokenizer.decode(out[0, idx.size(1) :].tolist()) + "\n")
    sys.stdout.flush()
    return 0
