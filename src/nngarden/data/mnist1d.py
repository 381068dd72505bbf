"""MNIST-1D (Greydanus and Kobak 2020), generated offline and cached as ``.npz``.

The ``mnist1d`` package can build the dataset from its ten digit templates: ``make_dataset`` with
``get_dataset_args()`` is deterministic (seed 42 by default) and needs no network. Its ``get_dataset``
tries to download a pickle first, so it is never called here. Generating 5,000 samples takes a few
CPU seconds; the arrays are cached under ``cache_dir`` (default ``$NNGARDEN_CACHE`` or
``~/.cache/nngarden``), keyed by the arguments that change them.

Arrays: ``x`` (N_train, 40) float32, ``y`` (N_train,) int64, ``x_test``, ``y_test``; the default
5,000 samples split 4,000 / 1,000 as in the paper.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from ..config import ConfigError

KEYS = ("x", "y", "x_test", "y_test")


def default_cache_dir() -> Path:
    return Path(os.environ.get("NNGARDEN_CACHE") or Path.home() / ".cache" / "nngarden")


def load_mnist1d(
    num_samples: int | None = None, seed: int | None = None, cache_dir: str | Path | None = None
) -> dict[str, np.ndarray]:
    """Return ``{"x", "y", "x_test", "y_test"}`` of MNIST-1D; ``None`` keeps the paper's value.

    ``num_samples`` (default 5000) is split 80/20 into train and test; ``seed`` (default 42) picks the
    random transformations, so the defaults reproduce the published dataset's recipe.
    """
    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
    if num_samples is not None:
        if int(num_samples) < 20:
            raise ConfigError(f"num_samples: got {num_samples}, need at least 20 (two per class per split)")
        args.num_samples = int(num_samples)
    if seed is not None:
        if int(seed) < 0:
            raise ConfigError(f"seed: got {seed}, must be >= 0")
        args.seed = int(seed)
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    path = cache / f"mnist1d_n{args.num_samples}_seed{args.seed}.npz"
    if path.exists():
        try:
            with np.load(path) as data:
                if all(k in data for k in KEYS):
                    return {k: data[k] for k in KEYS}
        except (OSError, ValueError):
            pass  # a damaged cache file is regenerated below
    # make_dataset seeds numpy's global generator; keep the caller's random state as it was.
    state = np.random.get_state()
    try:
        raw = make_dataset(args)
    finally:
        np.random.set_state(state)
    data = {
        "x": raw["x"].astype(np.float32),
        "y": raw["y"].astype(np.int64),
        "x_test": raw["x_test"].astype(np.float32),
        "y_test": raw["y_test"].astype(np.int64),
    }
    _save_atomic(path, data)
    return data


def _save_atomic(path: Path, data: dict[str, np.ndarray]) -> None:
    """Write the npz next to its final name and rename, so parallel runs never read half a file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".mnist1d.", suffix=".npz", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **data)
        os.replace(tmp, path)
    except OSError:
        pass  # an unwritable cache only costs regeneration next time


def shuffle_positions(data: dict[str, np.ndarray], seed: int = 0) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The same dataset with its positions reordered by one fixed random permutation (train and test).

    This removes the spatial structure a CNN or GRU relies on while keeping every value, which is the
    MNIST-1D paper's test of inductive bias. Returns the permuted arrays and the permutation.
    """
    length = data["x"].shape[1]
    perm = np.random.default_rng(seed).permutation(length)
    out = dict(data)
    out["x"], out["x_test"] = data["x"][:, perm], data["x_test"][:, perm]
    return out, perm
