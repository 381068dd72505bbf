"""Models that leave the garden: nngarden's GPT to and from Hugging Face's GPT-2, and to ONNX.

nngarden's GPT is GPT-2's architecture (Radford et al. 2019): pre-LN blocks, learned positions, tied
embeddings. Two things differ in storage, and :data:`PARAMETER_TABLE` says both, in one place:

- GPT-2's ``Conv1D`` keeps its weight as (in, out), the transpose of ``nn.Linear``'s (out, in);
- GPT-2 always has biases; a model trained without them exports zeros (an exact equivalent).

What GPT-2 cannot hold is refused with a :class:`~nngarden.config.ConfigError` naming the option,
never approximated: a head width times heads other than the width (a structurally pruned GPT), another
MLP width or activation, rotary positions, QK normalisation, logit soft-capping. Loading never
unpickles: weights come from ``model.safetensors`` only.

The ONNX graph has no KV cache: ``input_ids`` (int64, [batch, sequence], both dynamic) to ``logits``
([batch, sequence, vocabulary]); each call recomputes the whole prefix.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from .config import ConfigError

ONNX_OPSET = 18

# Activations: nngarden's name <-> GPT-2's ``activation_function``. Exact GELU is "gelu"; GPT-2's own
# default, the tanh approximation, is "gelu_new" (also spelled "gelu_pytorch_tanh").
TO_HF_ACTIVATION = {"gelu": "gelu", "gelu_tanh": "gelu_new"}
FROM_HF_ACTIVATION = {"gelu": "gelu", "gelu_new": "gelu_tanh", "gelu_pytorch_tanh": "gelu_tanh"}

# nngarden parameter -> GPT-2 parameter, and whether GPT-2 stores it transposed (Conv1D). "{i}" is the
# layer. Biases that nngarden may lack (bias=False) are exported as zeros and must be zero to import.
LAYER_TABLE = (
    ("transformer.h.{i}.ln_1.weight", "transformer.h.{i}.ln_1.weight", False),
    ("transformer.h.{i}.ln_1.bias", "transformer.h.{i}.ln_1.bias", False),
    ("transformer.h.{i}.attn.c_attn.weight", "transformer.h.{i}.attn.c_attn.weight", True),
    ("transformer.h.{i}.attn.c_attn.bias", "transformer.h.{i}.attn.c_attn.bias", False),
    ("transformer.h.{i}.attn.c_proj.weight", "transformer.h.{i}.attn.c_proj.weight", True),
    ("transformer.h.{i}.attn.c_proj.bias", "transformer.h.{i}.attn.c_proj.bias", False),
    ("transformer.h.{i}.ln_2.weight", "transformer.h.{i}.ln_2.weight", False),
    ("transformer.h.{i}.ln_2.bias", "transformer.h.{i}.ln_2.bias", False),
    ("transformer.h.{i}.mlp.c_fc.weight", "transformer.h.{i}.mlp.c_fc.weight", True),
    ("transformer.h.{i}.mlp.c_fc.bias", "transformer.h.{i}.mlp.c_fc.bias", False),
    ("transformer.h.{i}.mlp.c_proj.weight", "transformer.h.{i}.mlp.c_proj.weight", True),
    ("transformer.h.{i}.mlp.c_proj.bias", "transformer.h.{i}.mlp.c_proj.bias", False),
)
MODEL_TABLE = (
    ("transformer.wte.weight", "transformer.wte.weight", False),
    ("transformer.wpe.weight", "transformer.wpe.weight", False),
    ("transformer.ln_f.weight", "transformer.ln_f.weight", False),
    ("transformer.ln_f.bias", "transformer.ln_f.bias", False),
)


def parameter_table(n_layer: int) -> list[tuple[str, str, bool]]:
    """Every (nngarden name, GPT-2 name, transposed) of a GPT with ``n_layer`` blocks."""
    rows = list(MODEL_TABLE)
    for i in range(n_layer):
        rows += [(ours.format(i=i), theirs.format(i=i), t) for ours, theirs, t in LAYER_TABLE]
    return rows


def _require(package: str, extra: str):
    import importlib

    try:
        return importlib.import_module(package)
    except ImportError:
        raise ConfigError(
            f"export: the {package!r} package is not installed; install the extra: "
            f"pip install 'nngarden[{extra}]'"
        ) from None


# --- nngarden -> Hugging Face ---------------------------------------------------------------------------


def check_exportable(config) -> None:
    """Refuse, naming the option, a GPT that GPT-2's architecture cannot hold exactly."""
    head_dim = getattr(config, "head_dim", None)
    if head_dim is not None and head_dim * config.n_head != config.n_embd:
        raise ConfigError(
            f"export: head_dim {head_dim} x n_head {config.n_head} != n_embd {config.n_embd} (a structurally "
            "pruned GPT); GPT-2 needs heads that tile the width"
        )
    activation = getattr(config, "activation", "gelu")
    if activation not in TO_HF_ACTIVATION:
        raise ConfigError(
            f"export: activation {activation!r} has no GPT-2 equivalent; allowed: gelu, gelu_tanh"
        )
    for option, off in (
        ("position", "learned"),
        ("qk_norm", False),
        ("logit_softcap", 0.0),
        ("tie_embeddings", True),
        ("mlp_ratio", 4),
    ):
        value = getattr(config, option, off)
        if value not in (off, None):
            raise ConfigError(f"export: {option}={value!r} has no GPT-2 equivalent (GPT-2 needs {off!r})")


def hf_config(config, generation: dict[str, Any] | None = None) -> dict[str, Any]:
    """GPT-2's config.json for an nngarden GPTConfig."""
    check_exportable(config)
    return {
        "architectures": ["GPT2LMHeadModel"],
        "model_type": "gpt2",
        "vocab_size": config.vocab_size,
        "n_positions": config.block_size,
        "n_embd": config.n_embd,
        "n_layer": config.n_layer,
        "n_head": config.n_head,
        "n_inner": None,  # 4 x n_embd, as nngarden
        "activation_function": TO_HF_ACTIVATION[getattr(config, "activation", "gelu")],
        "resid_pdrop": config.dropout,
        "embd_pdrop": config.dropout,
        "attn_pdrop": config.dropout,
        "layer_norm_epsilon": 1e-5,
        "initializer_range": 0.02,
        "scale_attn_weights": True,
        "scale_attn_by_inverse_layer_idx": False,
        "reorder_and_upcast_attn": False,
        "tie_word_embeddings": True,
        "use_cache": True,
        "bos_token_id": None,
        "eos_token_id": None,
        "torch_dtype": "float32",
    }


def hf_state_dict(model) -> dict[str, Any]:
    """GPT-2's tensors for an nngarden GPT: Conv1D weights transposed, absent biases as zeros."""
    import torch

    ours = model.state_dict()
    out = {}
    for name, theirs, transposed in parameter_table(model.config.n_layer):
        if name in ours:
            tensor = ours[name].detach().to("cpu", torch.float32)
        elif name.endswith(".bias"):  # trained without biases: zeros are the exact equivalent
            tensor = torch.zeros_like(ours[name[: -len("bias")] + "weight"].detach().to("cpu", torch.float32))
            tensor = tensor if tensor.dim() == 1 else tensor[:, 0]
        else:
            raise ConfigError(f"export: the model has no parameter {name!r}; is it an nngarden GPT?")
        out[theirs] = (tensor.t() if transposed else tensor).contiguous()
    return out


def hf_tokenizer(tokenizer):
    """A ``PreTrainedTokenizerFast`` whose ``input_ids`` equal nngarden's encoding (no special tokens)."""
    transformers = _require("transformers", "hf")
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers

    if getattr(tokenizer, "kind", None) == "bpe":
        fast = Tokenizer.from_str(tokenizer.to_json())
    elif getattr(tokenizer, "kind", None) == "char":
        # one token per character, in nngarden's order; no unknown token: a character outside the
        # vocabulary is an error in both libraries
        fast = Tokenizer(models.WordLevel({c: i for i, c in enumerate(tokenizer.chars)}, unk_token=None))
        fast.pre_tokenizer = pre_tokenizers.Split(Regex(r"[\s\S]"), behavior="isolated")
        fast.decoder = decoders.Fuse()
    else:
        raise ConfigError(
            f"export: unknown tokenizer kind {getattr(tokenizer, 'kind', None)!r}; allowed: char, bpe"
        )
    return transformers.PreTrainedTokenizerFast(tokenizer_object=fast, clean_up_tokenization_spaces=False)


def to_hf(model, tokenizer, out_dir: str | Path, generation: dict[str, Any] | None = None) -> Path:
    """Write a folder that ``GPT2LMHeadModel.from_pretrained`` and ``AutoTokenizer.from_pretrained`` load.

    ``tokenizer`` may be None (weights and config only); ``generation`` holds the sampling defaults
    written to ``generation_config.json`` (default: nngarden sample's, temperature 0.8, all tokens).
    """
    from safetensors.torch import save_file

    out_dir = Path(out_dir)
    if tokenizer is not None and tokenizer.vocab_size != model.config.vocab_size:
        raise ConfigError(
            f"export: the tokenizer has {tokenizer.vocab_size} tokens but the model's vocabulary is "
            f"{model.config.vocab_size}"
        )
    config = hf_config(model.config)
    tensors = hf_state_dict(model)
    out_dir.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(out_dir / "model.safetensors"), metadata={"format": "pt"})
    (out_dir / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    generation = {
        "do_sample": True,
        "temperature": 0.8,
        "top_k": 0,
        "max_new_tokens": 200,
        **(generation or {}),
    }
    (out_dir / "generation_config.json").write_text(json.dumps(generation, indent=2) + "\n")
    if tokenizer is not None:
        hf_tokenizer(tokenizer).save_pretrained(str(out_dir))
    return out_dir


# --- Hugging Face -> nngarden ---------------------------------------------------------------------------


def _check_importable(cfg: dict[str, Any]) -> str:
    """The nngarden activation of a GPT-2 config, or a ConfigError naming what cannot be reproduced."""
    if cfg.get("model_type") != "gpt2":
        raise ConfigError(f"from_hf: model_type {cfg.get('model_type')!r} is not gpt2")
    n_inner = cfg.get("n_inner")
    if n_inner not in (None, 4 * cfg["n_embd"]):
        raise ConfigError(f"from_hf: n_inner {n_inner} is not 4 x n_embd = {4 * cfg['n_embd']}")
    for option, allowed in (
        ("scale_attn_by_inverse_layer_idx", False),
        ("reorder_and_upcast_attn", False),
        ("scale_attn_weights", True),
        ("add_cross_attention", False),
        ("tie_word_embeddings", True),
    ):
        if cfg.get(option, allowed) != allowed:
            raise ConfigError(f"from_hf: {option}={cfg.get(option)!r} is not supported (needs {allowed!r})")
    epsilon = cfg.get("layer_norm_epsilon", 1e-5)
    if not math.isclose(epsilon, 1e-5, rel_tol=0, abs_tol=1e-12):
        raise ConfigError(f"from_hf: layer_norm_epsilon {epsilon} is not nngarden's 1e-5")
    activation = cfg.get("activation_function", "gelu_new")
    if activation not in FROM_HF_ACTIVATION:
        raise ConfigError(
            f"from_hf: activation_function {activation!r} is not supported; allowed: "
            + ", ".join(FROM_HF_ACTIVATION)
        )
    return FROM_HF_ACTIVATION[activation]


def _read_tokenizer(folder: Path):
    """nngarden's tokenizer for ``folder/tokenizer.json`` (a character WordLevel becomes CharTokenizer)."""
    path = folder / "tokenizer.json"
    if not path.exists():
        return None
    from .data.text import BPETokenizer, CharTokenizer

    data = json.loads(path.read_text(encoding="utf-8"))
    model = data.get("model", {})
    if model.get("type") == "WordLevel":
        vocab = model.get("vocab", {})
        chars = sorted(vocab, key=vocab.get)
        if all(len(c) == 1 for c in chars) and [vocab[c] for c in chars] == list(range(len(chars))):
            return CharTokenizer(chars)
    from tokenizers import Tokenizer

    return BPETokenizer(Tokenizer.from_str(path.read_text(encoding="utf-8")))


def from_hf(path: str | Path, device: str = "cpu"):
    """(GPT, tokenizer or None) from a local ``GPT2LMHeadModel`` folder; no network, no pickle."""
    import torch
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    from .nn.gpt import GPT, GPTConfig

    folder = Path(path)
    config_path, weights_path = folder / "config.json", folder / "model.safetensors"
    if not config_path.is_file():
        raise ConfigError(f"from_hf: {folder} has no config.json; is it a Hugging Face model folder?")
    if not weights_path.is_file():
        found = sorted(p.name for p in folder.glob("*.bin")) if folder.is_dir() else []
        why = f" ({', '.join(found)} would need unpickling, which nngarden never does)" if found else ""
        raise ConfigError(f"from_hf: {folder} has no model.safetensors{why}")
    try:
        cfg = json.loads(config_path.read_text())
    except (OSError, ValueError) as err:
        raise ConfigError(f"from_hf: {config_path} is not readable JSON: {err}") from None
    activation = _check_importable(cfg)
    kwargs = dict(
        vocab_size=cfg["vocab_size"],
        block_size=cfg["n_positions"],
        n_layer=cfg["n_layer"],
        n_head=cfg["n_head"],
        n_embd=cfg["n_embd"],
        dropout=0.0,
        bias=True,
        activation=activation,
    )
    try:
        tensors = load_file(str(weights_path))
    except (SafetensorError, OSError) as err:
        raise ConfigError(f"from_hf: {weights_path} is not a readable safetensors file: {err}") from None
    tensors = {k.removeprefix("model."): v for k, v in tensors.items()}  # some writers prefix "model."
    model = GPT(GPTConfig(**kwargs))
    state = {}
    for ours, theirs, transposed in parameter_table(cfg["n_layer"]):
        if theirs not in tensors:
            raise ConfigError(f"from_hf: {weights_path} lacks {theirs}")
        tensor = tensors[theirs].to(torch.float32)
        state[ours] = tensor.t().contiguous() if transposed else tensor
    if "lm_head.weight" in tensors and not torch.equal(
        tensors["lm_head.weight"], tensors["transformer.wte.weight"]
    ):
        raise ConfigError("from_hf: lm_head.weight differs from transformer.wte.weight (untied heads)")
    state["lm_head.weight"] = state["transformer.wte.weight"]
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise ConfigError(f"from_hf: parameters do not match: missing {missing}, unexpected {unexpected}")
    tokenizer = _read_tokenizer(folder)
    if tokenizer is not None and tokenizer.vocab_size > model.config.vocab_size:
        raise ConfigError(
            f"from_hf: the tokenizer has {tokenizer.vocab_size} tokens but the model's vocabulary is "
            f"{model.config.vocab_size}"
        )
    return model.to(device).eval(), tokenizer


# --- ONNX ------------------------------------------------------------------------------------------------


def to_onnx(model, path: str | Path, opset: int = ONNX_OPSET) -> Path:
    """Export ``model`` as ONNX: ``input_ids`` (int64 [batch, sequence]) -> ``logits``; no KV cache."""
    import torch

    _require("onnx", "onnx")
    _require("onnxscript", "onnx")

    class LogitsOnly(torch.nn.Module):
        def __init__(self, gpt):
            super().__init__()
            self.gpt = gpt

        def forward(self, input_ids):
            return self.gpt(input_ids)[0]

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wrapper = LogitsOnly(model).eval().to("cpu")
    example = torch.zeros(2, min(8, model.config.block_size), dtype=torch.long)
    batch = torch.export.Dim("batch", min=1, max=1024)
    sequence = torch.export.Dim("sequence", min=1, max=model.config.block_size)
    with torch.no_grad():
        program = torch.onnx.export(
            wrapper,
            (example,),
            dynamo=True,
            opset_version=opset,
            input_names=["input_ids"],
            output_names=["logits"],
            dynamic_shapes={"input_ids": {0: batch, 1: sequence}},
            verbose=False,
        )
    program.save(str(path))
    return path
