"""MNIST-1D is generated offline, deterministically, cached, and never downloaded."""

import mnist1d.data
import numpy as np
import pytest

from nngarden.config import ConfigError
from nngarden.data.mnist1d import load_mnist1d, shuffle_positions


@pytest.fixture(autouse=True)
def no_download(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("get_dataset downloads; it must never be called")

    monkeypatch.setattr(mnist1d.data, "get_dataset", refuse)


def test_generates_the_split_and_caches_it(tmp_path, monkeypatch):
    state = np.random.get_state()
    data = load_mnist1d(num_samples=200, cache_dir=tmp_path)
    assert data["x"].shape == (160, 40) and data["x_test"].shape == (40, 40)
    assert data["x"].dtype == np.float32 and data["y"].dtype == np.int64
    assert set(np.unique(data["y"])) <= set(range(10)) and len(np.unique(data["y"])) == 10
    assert np.array_equal(np.random.get_state()[1], state[1])  # the caller's RNG is left alone
    assert len(list(tmp_path.glob("*.npz"))) == 1

    def fail(*args, **kwargs):
        raise AssertionError("regenerated although the cache holds it")

    monkeypatch.setattr(mnist1d.data, "make_dataset", fail)
    again = load_mnist1d(num_samples=200, cache_dir=tmp_path)
    for key in data:
        assert np.array_equal(data[key], again[key])


def test_seed_fixes_the_data(tmp_path):
    a = load_mnist1d(num_samples=100, seed=1, cache_dir=tmp_path / "a")
    b = load_mnist1d(num_samples=100, seed=1, cache_dir=tmp_path / "b")
    c = load_mnist1d(num_samples=100, seed=2, cache_dir=tmp_path / "a")
    assert np.array_equal(a["x"], b["x"]) and not np.array_equal(a["x"], c["x"])


def test_env_var_picks_the_cache_and_bad_sizes_are_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("NNGARDEN_CACHE", str(tmp_path))
    load_mnist1d(num_samples=50)
    assert list(tmp_path.glob("mnist1d_n50_*.npz"))
    with pytest.raises(ConfigError, match="num_samples"):
        load_mnist1d(num_samples=5)


def test_shuffle_positions_applies_one_permutation_to_train_and_test(tmp_path):
    data = load_mnist1d(num_samples=100, cache_dir=tmp_path)
    shuffled, perm = shuffle_positions(data, seed=3)
    assert sorted(perm.tolist()) == list(range(40)) and not np.array_equal(perm, np.arange(40))
    assert np.array_equal(shuffled["x"], data["x"][:, perm])
    assert np.array_equal(shuffled["x_test"], data["x_test"][:, perm])
    assert np.array_equal(shuffled["y"], data["y"])
