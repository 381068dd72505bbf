"""The MovieLens loader on a small atomic file the test writes; the real files only when installed."""

import numpy as np
import pytest

from nngarden.config import ConfigError
from nngarden.data.movielens import (
    MovieLensUnavailable,
    load_movielens_100k,
    locate_movielens_100k,
    read_atomic_inter,
    split_observed,
)


def _write(tmp_path, text):
    path = tmp_path / "tiny.inter"
    path.write_text(text)
    return path


def test_reads_an_atomic_inter_file(tmp_path):
    path = _write(
        tmp_path,
        "user_id:token\titem_id:token\trating:float\ttimestamp:float\n10\t2\t4\t1\n2\t7\t3\t2\n10\t7\t5\t3\n",
    )
    r = read_atomic_inter(path)
    assert r.user_ids == ["2", "10"] and r.item_ids == ["2", "7"]  # numeric tokens in numeric order
    assert r.count == 3
    assert r.matrix[1, 0] == 4 and r.matrix[0, 1] == 3 and r.matrix[1, 1] == 5
    assert not r.mask[0, 0] and r.matrix[0, 0] == 0


def test_bad_files_name_what_is_wrong(tmp_path):
    with pytest.raises(ValueError, match="rating"):
        read_atomic_inter(_write(tmp_path, "user_id:token\titem_id:token\n1\t2\n"))
    with pytest.raises(ValueError, match=":2"):
        read_atomic_inter(_write(tmp_path, "user_id:token\titem_id:token\trating:float\n1\t2\tfive\n"))


def test_split_keeps_every_rating_once(tmp_path):
    path = _write(
        tmp_path,
        "user_id:token\titem_id:token\trating:float\n"
        + "".join(f"{u}\t{i}\t{(u + i) % 5 + 1}\n" for u in range(20) for i in range(10) if (u * i) % 3),
    )
    r = read_atomic_inter(path)
    train, test = split_observed(r, 0.2, np.random.default_rng(0))
    assert not (train & test).any() and ((train | test) == r.mask).all()
    assert 0.1 < test.sum() / r.count < 0.3
    with pytest.raises(ConfigError, match="test_fraction"):
        split_observed(r, 1.5, np.random.default_rng(0))


def test_real_movielens_when_installed():
    try:
        locate_movielens_100k()
    except MovieLensUnavailable as err:
        pytest.skip(f"MovieLens-100K not installed: {err}")
    r = load_movielens_100k()
    assert r.matrix.shape == (943, 1682) and r.count == 100_000
    assert r.matrix[r.mask].min() >= 1 and r.matrix[r.mask].max() <= 5
