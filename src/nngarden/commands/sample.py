"""``nngarden sample``: generate text from a GPT checkpoint (config and tokenizer travel with it)."""

from __future__ import annotations

import sys

from ..config import ConfigError, Failure


def cmd_sample(args) -> int:
    from ..nn.gpt import NonFiniteLogits
    from ..runs import resolve_device
    from ..train.checkpoint import locate_checkpoint
    from ..train.language_model import GPT_CLASS, continue_text, load_gpt

    if args.tokens < 0:
        raise ConfigError(f"--tokens: got {args.tokens}, must be >= 0")
    if not args.temperature > 0:
        raise ConfigError(f"--temperature: got {args.temperature}, must be > 0")
    if args.top_k is not None and args.top_k < 1:
        raise ConfigError(f"--top-k: got {args.top_k}, must be >= 1")
    if args.seed < 0:
        raise ConfigError(f"--seed: got {args.seed}, must be >= 0")
    device = resolve_device(args.device)
    folder, chosen = locate_checkpoint(args.checkpoint, GPT_CLASS)
    if chosen:
        print(chosen, file=sys.stderr, flush=True)
    model, tokenizer, _ = load_gpt(folder, device=device)
    try:
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
    except NonFiniteLogits as err:
        raise Failure(
            f"checkpoint {folder}: {err}, so no text can be sampled; its training diverged "
            "(use an earlier checkpoint)"
        ) from None
    sys.stdout.write(args.prompt + text + "\n")
    sys.stdout.flush()
    return 0
