"""Checkpoints: atomic, self-contained folders that are never unpickled.

A checkpoint is a folder ``step-00001234/`` holding

- ``model.safetensors``      the model's tensors (tied tensors stored once, their aliases in state.json)
- ``optimizer.safetensors``  the optimizer's per-parameter state tensors
- ``tokenizer.json``         when the model has one
- ``state.json``             everything else: step, RNG states, data position, config, model spec,
                             optimizer hyper-parameters, versions
- ``manifest.json``          written last: format version and each file's size and SHA-256

It is written into a hidden temporary folder and renamed into place once the manifest is on disk, so a
folder named ``step-*`` without a manifest cannot exist, and a write killed half-way leaves only a
temporary folder that the next run deletes. Loading verifies sizes and hashes, reads tensors with
safetensors (which cannot execute code, unlike pickle), and checks every shape against the model.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import platform
import re
import shutil
import time
from pathlib import Path
from typing import Any

import torch

from ..config import ConfigError, Failure
from . import hooks

FORMAT = "nngarden.checkpoint"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
_STEP_DIR = re.compile(r"^step-(\d{8,})$")


class CheckpointError(ConfigError):
    """A checkpoint that is missing, incomplete, corrupted or does not fit the model."""


class NonFiniteWeights(Failure):
    """A checkpoint whose weights hold NaN or infinite values: nothing can be computed with it."""


class CheckpointWriteError(Failure):
    """A checkpoint could not be written (a full disk, no permission); nothing of it is left behind."""


# --- names and discovery --------------------------------------------------------------------------


def step_dir_name(step: int) -> str:
    return f"step-{step:08d}"


def complete_checkpoints(root: Path) -> list[tuple[int, Path]]:
    """(step, folder) of every complete checkpoint under ``root``, oldest first.

    Complete means named ``step-N`` with a manifest: temporary folders and a folder whose manifest is
    missing do not count (the manifest is the last thing written).
    """
    root = Path(root)
    if not root.is_dir():
        return []
    found = []
    for child in root.iterdir():
        match = _STEP_DIR.match(child.name)
        if match and child.is_dir() and (child / MANIFEST).is_file():
            found.append((int(match.group(1)), child))
    return sorted(found)


def latest_checkpoint(root: Path) -> Path | None:
    found = complete_checkpoints(root)
    return found[-1][1] if found else None


def checkpoint_step(folder: Path) -> int | None:
    """The step of a folder named ``step-N`` (None for another name)."""
    match = _STEP_DIR.match(Path(folder).name)
    return int(match.group(1)) if match else None


def resolve_checkpoint(path: Path, expected: str | None = None) -> Path:
    """A checkpoint folder, or a training folder / checkpoints folder -> its newest checkpoint.

    A run directory whose checkpoints are in sub-folders (the bert note's ``bert/`` and ``gpt/``) gives
    the newest checkpoint of its one sub-folder holding an ``expected`` model (a key of MODEL_CLASSES;
    any model when None): see :func:`locate_checkpoint`.
    """
    return locate_checkpoint(path, expected)[0]


def locate_checkpoint(path: Path, expected: str | None = None) -> tuple[Path, str | None]:
    """(checkpoint folder, None), or (checkpoint folder, a line saying which sub-folder was chosen).

    ``path`` is a checkpoint folder, a training folder or its ``checkpoints/`` (their newest checkpoint),
    or a run directory whose sub-folders hold training folders: where exactly one sub-folder holds an
    ``expected`` model, its newest checkpoint; where several or none do, a CheckpointError naming them.
    """
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"checkpoint: {str(path)!r} does not exist")
    if path.is_file():
        raise CheckpointError(
            f"checkpoint: {str(path)!r} is a file; an nngarden checkpoint is a folder holding {MANIFEST}, "
            "model.safetensors and state.json (pickled .pt/.pth files are never loaded)"
        )
    if (path / MANIFEST).exists() or _STEP_DIR.match(path.name):
        return path, None
    for root in (path / "checkpoints", path):
        latest = latest_checkpoint(root)
        if latest is not None:
            return latest, None
    found = _sub_folder_checkpoints(path)
    if not found:
        raise CheckpointError(
            f"checkpoint: {str(path)!r} holds no complete checkpoint (a folder step-N "
            f"with {MANIFEST}, directly, under checkpoints/ or in a sub-folder's checkpoints/)"
        )
    kind = _short(expected) if expected else "model"
    fitting = [(name, latest) for name, (latest, cls) in found.items() if expected is None or cls == expected]
    if len(fitting) == 1:
        name, latest = fitting[0]
        return latest, f"using {latest}: the only {kind} checkpoint under {path} is in {name}/"
    listing = ", ".join(f"{name}/ ({_short(cls)})" for name, (_, cls) in found.items())
    if not fitting:
        raise CheckpointError(
            f"checkpoint: {str(path)!r} holds no {kind} checkpoint; its sub-folders hold {listing}"
        )
    raise CheckpointError(
        f"checkpoint: {str(path)!r} holds {len(fitting)} {kind} checkpoints, in "
        f"{', '.join(name + '/' for name, _ in fitting)}: name one of them (e.g. {path / fitting[0][0]})"
    )


def _sub_folder_checkpoints(path: Path) -> dict[str, tuple[Path, str | None]]:
    """{sub-folder name: (its newest checkpoint, the model class its state names)}, by name."""
    found = {}
    for child in sorted(c for c in path.iterdir() if c.is_dir()):
        latest = latest_checkpoint(child / "checkpoints") or latest_checkpoint(child)
        if latest is not None:
            try:  # only to choose: the chosen checkpoint is verified when it is loaded
                cls = (json.loads((latest / "state.json").read_text(encoding="utf-8")).get("model") or {})[
                    "class"
                ]
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                cls = None
            found[child.name] = (latest, cls)
    return found


def _short(cls: str | None) -> str:
    return cls.rsplit(".", 1)[-1] if isinstance(cls, str) else "unknown model"


def clean_temporary(root: Path) -> None:
    """Delete what an interrupted write or prune left behind (hidden ``.tmp-``/``.trash-`` folders)."""
    root = Path(root)
    if root.is_dir():
        for child in root.iterdir():
            if child.name.startswith((".tmp-", ".trash-")):
                shutil.rmtree(child, ignore_errors=True)


# --- writing --------------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_json(path: Path, data: Any) -> None:
    with open(path, "w") as fh:
        json.dump(data, fh, indent=1, allow_nan=False)
        fh.flush()
        os.fsync(fh.fileno())


def _save_tensors(path: Path, tensors: dict[str, torch.Tensor]) -> None:
    from safetensors import SafetensorError
    from safetensors.torch import save_file

    try:
        save_file({k: v.detach().to("cpu").contiguous() for k, v in tensors.items()}, str(path))
    except SafetensorError as err:  # safetensors reports a failed write as "... (os error 28)"
        code = re.search(r"os error (\d+)", str(err))
        if code is None:
            raise
        raise OSError(int(code.group(1)), os.strerror(int(code.group(1))), str(path)) from None
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def split_shared(state: dict[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """Store tensors that share memory (tied embeddings) once; return (tensors, alias -> stored name)."""
    stored: dict[str, torch.Tensor] = {}
    aliases: dict[str, str] = {}
    seen: dict[tuple, str] = {}
    for name, tensor in state.items():
        key = (
            tensor.untyped_storage().data_ptr(),
            tensor.storage_offset(),
            tuple(tensor.shape),
            tuple(tensor.stride()),
            tensor.dtype,
        )
        if tensor.numel() and key in seen:
            aliases[name] = seen[key]
        else:
            seen[key] = name
            stored[name] = tensor
    return stored, aliases


def optimizer_tensors(optimizer: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Split an optimizer state dict into tensors (``state.<param>.<name>``) and JSON-able rest."""
    sd = optimizer.state_dict()
    tensors, scalars = {}, {}
    for index, entry in sd["state"].items():
        for name, value in entry.items():
            if isinstance(value, torch.Tensor):
                tensors[f"state.{index}.{name}"] = value
            else:
                scalars[f"{index}.{name}"] = value
    groups = [{k: (list(v) if isinstance(v, tuple) else v) for k, v in g.items()} for g in sd["param_groups"]]
    return tensors, {"param_groups": groups, "scalars": scalars}


def versions() -> dict[str, str]:
    from .. import __version__

    return {"nngarden": __version__, "torch": torch.__version__, "python": platform.python_version()}


def save_checkpoint(
    root: Path,
    step: int,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer | None,
    state: dict[str, Any],
    tokenizer_json: str | None = None,
    keep: int | None = None,
) -> Path:
    """Write checkpoint ``step`` under ``root`` atomically and keep the newest ``keep``; return its folder."""
    root = Path(root)
    final = root / step_dir_name(step)
    tmp = root / f".tmp-{step_dir_name(step)}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        root.mkdir(parents=True, exist_ok=True)
        tmp.mkdir()
        tensors, aliases = split_shared(model.state_dict())
        _save_tensors(tmp / "model.safetensors", tensors)
        files = ["model.safetensors"]
        body = dict(state)
        body.update(step=int(step), aliases=aliases, versions=versions())
        if optimizer is not None:
            opt_tensors, opt_rest = optimizer_tensors(optimizer)
            _save_tensors(tmp / "optimizer.safetensors", opt_tensors)
            files.append("optimizer.safetensors")
            body["optimizer"] = opt_rest
        if tokenizer_json is not None:
            (tmp / "tokenizer.json").write_text(tokenizer_json, encoding="utf-8")
            files.append("tokenizer.json")
        _write_json(tmp / "state.json", body)
        files.append("state.json")
        hooks.pause_in_checkpoint(step, tmp)  # tests: kill -9 here, before the manifest
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "step": int(step),
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "versions": versions(),
            "files": {
                name: {"bytes": (tmp / name).stat().st_size, "sha256": _sha256(tmp / name)} for name in files
            },
        }
        _write_json(tmp / MANIFEST, manifest)
        _fsync_dir(tmp)
        if final.exists():  # the same step written again (a re-run)
            trash = root / f".trash-{final.name}-{os.getpid()}"
            os.replace(final, trash)
            shutil.rmtree(trash, ignore_errors=True)
        os.replace(tmp, final)
        _fsync_dir(root)
    except BaseException as err:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(err, OSError):
            raise _write_failed(root, final, err) from None
        raise
    if keep is not None:
        prune(root, keep)
    return final


def _write_failed(root: Path, final: Path, err: OSError) -> CheckpointWriteError:
    """One line: which checkpoint could not be written, why, and which one is intact."""
    why = err.strerror or str(err)
    if err.errno is not None:
        why += f" ({errno.errorcode.get(err.errno, err.errno)})"
    intact = latest_checkpoint(root)
    kept = (
        f"the newest intact checkpoint is step {checkpoint_step(intact)} ({intact})"
        if intact is not None
        else "no earlier checkpoint exists"
    )
    return CheckpointWriteError(
        f"could not write checkpoint {final}: {why}; nothing of it was left behind and {kept}"
    )


def prune(root: Path, keep: int) -> None:
    """Delete all but the newest ``keep`` checkpoints: renamed away first, so none is ever half there."""
    for _, folder in complete_checkpoints(root)[:-keep] if keep > 0 else []:
        trash = folder.with_name(f".trash-{folder.name}-{os.getpid()}")
        os.replace(folder, trash)
        shutil.rmtree(trash, ignore_errors=True)


# --- reading --------------------------------------------------------------------------------------


def read_manifest(folder: Path) -> dict[str, Any]:
    folder = Path(folder)
    path = folder / MANIFEST
    if not path.is_file():
        raise CheckpointError(
            f"checkpoint {folder}: no {MANIFEST}, so it is incomplete (a write was "
            "interrupted) or not an nngarden checkpoint"
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise CheckpointError(f"checkpoint {folder}: {MANIFEST} is corrupted ({err})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise CheckpointError(f"checkpoint {folder}: {MANIFEST} is not an nngarden checkpoint manifest")
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise CheckpointError(
            f"checkpoint {folder}: format version {version!r}, this nngarden reads "
            f"version {FORMAT_VERSION}; use the nngarden version that wrote it "
            f"({manifest.get('versions', {}).get('nngarden', 'unknown')})"
        )
    if not isinstance(manifest.get("files"), dict):
        raise CheckpointError(f"checkpoint {folder}: {MANIFEST} lists no files")
    return manifest


def verify(folder: Path) -> dict[str, Any]:
    """Check every file the manifest lists (present, same size, same SHA-256); return the manifest."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    for name, info in manifest["files"].items():
        path = folder / name
        if not path.is_file():
            raise CheckpointError(f"checkpoint {folder}: {name} is missing")
        size = path.stat().st_size
        if size != info.get("bytes"):
            raise CheckpointError(
                f"checkpoint {folder}: {name} has {size} bytes, the manifest says "
                f"{info.get('bytes')} (truncated or replaced)"
            )
        if _sha256(path) != info.get("sha256"):
            raise CheckpointError(
                f"checkpoint {folder}: {name} does not match its SHA-256 in the manifest "
                "(corrupted or replaced)"
            )
    for required in ("model.safetensors", "state.json"):
        if required not in manifest["files"]:
            raise CheckpointError(f"checkpoint {folder}: the manifest lacks {required}")
    return manifest


def _load_tensors(path: Path) -> dict[str, torch.Tensor]:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        return load_file(str(path))  # safetensors parses a JSON header and raw bytes: no code runs
    except (SafetensorError, OSError, ValueError) as err:
        raise CheckpointError(f"checkpoint: {path} is not a readable safetensors file ({err})") from None


def read_state(folder: Path) -> dict[str, Any]:
    """The verified ``state.json`` of a checkpoint (step, config, model spec, RNG, ...)."""
    folder = Path(folder)
    verify(folder)
    try:
        state = json.loads((folder / "state.json").read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise CheckpointError(f"checkpoint {folder}: state.json is corrupted ({err})") from None
    if not isinstance(state, dict) or "step" not in state:
        raise CheckpointError(f"checkpoint {folder}: state.json has no step")
    return state


def read_tokenizer_json(folder: Path) -> str | None:
    path = Path(folder) / "tokenizer.json"
    return path.read_text(encoding="utf-8") if path.is_file() else None


def load_model_state(folder: Path, model: torch.nn.Module, state: dict[str, Any]) -> None:
    """Load the verified model tensors into ``model`` after checking every name and shape."""
    folder = Path(folder)
    tensors = _load_tensors(folder / "model.safetensors")
    for alias, name in state.get("aliases", {}).items():
        if name not in tensors:
            raise CheckpointError(f"checkpoint {folder}: alias {alias} points to missing tensor {name}")
        tensors[alias] = tensors[name]
    upgrade = getattr(model, "upgrade_state_dict", None)  # a model whose parameter names have changed
    if upgrade is not None:  # maps an older checkpoint's names onto today's
        tensors = upgrade(tensors)
    expected = model.state_dict()
    missing = sorted(set(expected) - set(tensors))
    unexpected = sorted(set(tensors) - set(expected))
    if missing or unexpected:
        raise CheckpointError(
            f"checkpoint {folder} does not fit this model: missing tensors {missing[:5]}, "
            f"unexpected tensors {unexpected[:5]}"
        )
    for name, tensor in expected.items():
        if tuple(tensors[name].shape) != tuple(tensor.shape):
            raise CheckpointError(
                f"checkpoint {folder} does not fit this model: {name} has shape "
                f"{tuple(tensors[name].shape)} in the checkpoint and {tuple(tensor.shape)} "
                "in the model"
            )
        if tensors[name].dtype != tensor.dtype:
            raise CheckpointError(
                f"checkpoint {folder}: {name} is {tensors[name].dtype}, the model wants {tensor.dtype}"
            )
    model.load_state_dict(tensors, strict=True)


def load_optimizer_state(folder: Path, optimizer: torch.optim.Optimizer, state: dict[str, Any]) -> None:
    """Rebuild the optimizer state dict from its tensors and JSON, checking shapes against the params."""
    folder = Path(folder)
    if "optimizer" not in state or not (folder / "optimizer.safetensors").is_file():
        raise CheckpointError(
            f"checkpoint {folder} has no optimizer state, so training cannot resume from it"
        )
    tensors = _load_tensors(folder / "optimizer.safetensors")
    saved = state["optimizer"]
    current = optimizer.state_dict()
    groups = saved.get("param_groups", [])
    if [len(g.get("params", [])) for g in groups] != [len(g["params"]) for g in current["param_groups"]]:
        raise CheckpointError(
            f"checkpoint {folder}: the optimizer's parameter groups do not match this model"
        )
    params = [p for g in optimizer.param_groups for p in g["params"]]
    per_param: dict[int, dict[str, Any]] = {}
    for key, value in tensors.items():
        _, index, name = key.split(".", 2)
        index = int(index)
        if index >= len(params):
            raise CheckpointError(
                f"checkpoint {folder}: optimizer state for parameter {index}, the model has {len(params)}"
            )
        if name != "step" and tuple(value.shape) != tuple(params[index].shape):
            raise CheckpointError(
                f"checkpoint {folder}: optimizer {name} of parameter {index} has shape "
                f"{tuple(value.shape)}, the parameter {tuple(params[index].shape)}"
            )
        per_param.setdefault(index, {})[name] = value
    for key, value in saved.get("scalars", {}).items():
        index, name = key.split(".", 1)
        per_param.setdefault(int(index), {})[name] = value
    restored_groups = []
    for saved_group, live_group in zip(groups, current["param_groups"]):
        group = dict(saved_group)
        if "betas" in group:
            group["betas"] = tuple(group["betas"])
        for flag in ("fused", "foreach", "capturable", "differentiable"):  # how, not what: keep this run's
            if flag in live_group:
                group[flag] = live_group[flag]
        group["params"] = live_group["params"]
        restored_groups.append(group)
    optimizer.load_state_dict({"state": per_param, "param_groups": restored_groups})


# --- random number generators as JSON -------------------------------------------------------------


def rng_state() -> dict[str, Any]:
    """Python, NumPy and torch RNG states as JSON-able lists."""
    import random

    import numpy as np

    version, internal, gauss = random.getstate()
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    out = {
        "python": [version, list(internal), gauss],
        "numpy": [kind, keys.tolist(), int(pos), int(has_gauss), float(cached)],
        "torch": torch.get_rng_state().tolist(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        out["cuda"] = torch.cuda.get_rng_state().tolist()
    return out


def set_rng_state(saved: dict[str, Any]) -> None:
    import random

    import numpy as np

    try:
        version, internal, gauss = saved["python"]
        random.setstate((version, tuple(internal), gauss))
        kind, keys, pos, has_gauss, cached = saved["numpy"]
        np.random.set_state((kind, np.array(keys, dtype=np.uint32), pos, has_gauss, cached))
        torch.set_rng_state(torch.tensor(saved["torch"], dtype=torch.uint8))
        if "cuda" in saved and torch.cuda.is_available():
            torch.cuda.set_rng_state(torch.tensor(saved["cuda"], dtype=torch.uint8))
    except (KeyError, TypeError, ValueError, RuntimeError) as err:
        raise CheckpointError(
            f"checkpoint: the saved random number generator states are malformed ({err})"
        ) from None


# --- whole models ---------------------------------------------------------------------------------

# Model classes a checkpoint may name, and their config classes: nothing else is ever instantiated.
MODEL_CLASSES = {
    "nngarden.nn.gpt.GPT": ("nngarden.nn.gpt", "GPT", "GPTConfig"),
    "nngarden.nn.bert.BERT": ("nngarden.nn.bert", "BERT", "BERTConfig"),
}


def load_language_model(folder: Path, expected: str, device: str = "cpu"):
    """(model in eval mode, tokenizer, state) from a checkpoint folder, or a training folder's newest.

    ``expected`` is the class the caller can use (a key of MODEL_CLASSES); a checkpoint of another
    model, or one without its tokenizer, is refused with a CheckpointError.
    """
    import importlib

    from ..data.text import tokenizer_from_json

    folder = resolve_checkpoint(Path(folder), expected)
    state = read_state(folder)
    spec = state.get("model") or {}
    if spec.get("class") != expected:
        raise CheckpointError(
            f"checkpoint {folder} holds a {spec.get('class', 'unknown')} model, "
            f"not a {expected.rsplit('.', 1)[-1]}"
        )
    tokenizer_json = read_tokenizer_json(folder)
    if tokenizer_json is None:
        raise CheckpointError(f"checkpoint {folder} has no tokenizer.json")
    module, model_name, config_name = MODEL_CLASSES[expected]
    module = importlib.import_module(module)
    model = getattr(module, model_name)(getattr(module, config_name).from_dict(spec["config"]))
    load_model_state(folder, model, state)
    broken = [
        name for name, t in model.state_dict().items() if t.is_floating_point() and not t.isfinite().all()
    ]
    if broken:
        raise NonFiniteWeights(
            f"checkpoint {folder}: {len(broken)} weight tensor(s) hold NaN or infinite values "
            f"({', '.join(broken[:3])}{', ...' if len(broken) > 3 else ''}), so the model cannot be used; "
            "its training diverged before this checkpoint"
        )
    return model.to(device).eval(), tokenizer_from_json(tokenizer_json), state
