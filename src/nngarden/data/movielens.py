"""MovieLens-100K ratings from the files the `recbole` package installs, when it is installed.

Optional real data for matrix completion: 943 users x 1682 movies, 100,000 ratings from 1 to 5.
`pip install --no-deps recbole` ships them as `recbole/dataset_example/ml-100k/ml-100k.inter`, an
"atomic" tab-separated file whose header names each column with its type (``user_id:token``). Their
licence forbids redistribution, so nngarden never copies or commits them; it reads them in place, and a
caller without recbole gets :class:`MovieLensUnavailable` with the install line.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np

INSTALL_HINT = "pip install --no-deps recbole  (nngarden reads its ml-100k files in place)"


class MovieLensUnavailable(FileNotFoundError):
    """The optional MovieLens-100K files are not installed here."""


def locate_movielens_100k() -> Path:
    """Path of recbole's ``ml-100k.inter`` without importing recbole (its import needs many packages)."""
    spec = importlib.util.find_spec("recbole")
    if spec is None or not spec.submodule_search_locations:
        raise MovieLensUnavailable(f"MovieLens-100K needs the recbole package: {INSTALL_HINT}")
    for root in spec.submodule_search_locations:
        path = Path(root) / "dataset_example" / "ml-100k" / "ml-100k.inter"
        if path.is_file():
            return path
    raise MovieLensUnavailable(
        f"recbole is installed but ships no dataset_example/ml-100k/ml-100k.inter; {INSTALL_HINT}"
    )


@dataclass
class Ratings:
    """Ratings as a dense matrix with a mask of the rated entries (users x items)."""

    matrix: np.ndarray  # (n_users, n_items), 0 where unrated
    mask: np.ndarray  # (n_users, n_items) bool
    user_ids: list[str]  # row -> the file's user token
    item_ids: list[str]  # column -> the file's item token

    @property
    def count(self) -> int:
        return int(self.mask.sum())


def read_atomic_inter(path: str | Path) -> Ratings:
    """Read a recbole atomic ``.inter`` file (``user_id:token``, ``item_id:token``, ``rating:float``...)."""
    path = Path(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines:
        raise ValueError(
            f"{path}: empty file, expected a header such as user_id:token<TAB>item_id:token<TAB>rating:float"
        )
    header = [h.split(":")[0] for h in lines[0].split("\t")]
    missing = [c for c in ("user_id", "item_id", "rating") if c not in header]
    if missing:
        raise ValueError(f"{path}: header lacks {', '.join(missing)}; it has {', '.join(header)}")
    iu, ii, ir = header.index("user_id"), header.index("item_id"), header.index("rating")
    users, items, values = [], [], []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        parts = line.split("\t")
        try:
            users.append(parts[iu])
            items.append(parts[ii])
            values.append(float(parts[ir]))
        except (IndexError, ValueError):
            raise ValueError(f"{path}:{number}: cannot read a rating from {line!r}") from None
    user_ids = sorted(set(users), key=_natural)
    item_ids = sorted(set(items), key=_natural)
    row = {u: i for i, u in enumerate(user_ids)}
    col = {t: j for j, t in enumerate(item_ids)}
    matrix = np.zeros((len(user_ids), len(item_ids)))
    mask = np.zeros_like(matrix, dtype=bool)
    for u, t, v in zip(users, items, values):
        matrix[row[u], col[t]] = v  # a repeated (user, item) pair keeps its last rating
        mask[row[u], col[t]] = True
    return Ratings(matrix, mask, user_ids, item_ids)


def _natural(token: str):
    return (0, int(token), "") if token.isdigit() else (1, 0, token)


def load_movielens_100k() -> Ratings:
    """MovieLens-100K from recbole's installed files; raises MovieLensUnavailable when absent."""
    return read_atomic_inter(locate_movielens_100k())


def split_observed(
    ratings: Ratings, test_fraction: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Split the rated entries into (train mask, test mask), uniformly at random."""
    if not 0.0 < test_fraction < 1.0:
        from ..config import ConfigError

        raise ConfigError(f"test_fraction: got {test_fraction}, must be between 0 and 1 (exclusive)")
    rows, cols = np.nonzero(ratings.mask)
    pick = rng.random(rows.size) < test_fraction
    test = np.zeros_like(ratings.mask)
    test[rows[pick], cols[pick]] = True
    return ratings.mask & ~test, test
