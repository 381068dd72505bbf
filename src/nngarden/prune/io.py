"""Save and load a masked model: tensors in safetensors, the list of masked layers in its metadata.

Loading needs a model of the same architecture: the masked layers get their pruning hooks back
before the state dict goes in, so the loaded model computes exactly what the saved one did.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch.nn as nn
from torch.nn.utils import prune

from ..config import ConfigError
from .masks import is_masked


def save_pruned(model: nn.Module, path: str | Path) -> None:
    from safetensors.torch import save_file

    masked = [name for name, m in model.named_modules() if is_masked(m)]
    # clone: safetensors refuses tensors that share memory (tied embeddings); loading re-ties them
    tensors = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    save_file(tensors, str(path), metadata={"masked_layers": json.dumps(masked)})


def load_pruned(model: nn.Module, path: str | Path) -> nn.Module:
    """Load a file written by :func:`save_pruned` into ``model`` (same architecture) in place."""
    from safetensors import safe_open
    from safetensors.torch import load_file

    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"path: {path} does not exist")
    with safe_open(str(path), framework="pt") as fh:
        masked = json.loads((fh.metadata() or {}).get("masked_layers", "[]"))
    modules = dict(model.named_modules())
    for name in masked:
        if name not in modules:
            raise ConfigError(f"path: {path} masks layer {name!r}, which this model lacks")
        if not is_masked(modules[name]):
            prune.identity(modules[name], "weight")
    state = load_file(str(path))
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as err:
        raise ConfigError(f"path: {path} does not fit this model: {err}") from None
    for name in masked:  # refresh the cached weight from the loaded weight_orig and mask
        m = modules[name]
        m.weight = m.weight_orig * m.weight_mask
    return model
