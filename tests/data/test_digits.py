import pytest
import torch

from nngarden.config import ConfigError
from nngarden.data.digits import load_digits_split


def test_split_is_stratified_scaled_and_seeded():
    a = load_digits_split(seed=0)
    assert a.x_train.shape[1:] == (1, 8, 8) and len(a.y_train) + len(a.y_test) == 1797
    assert 0.0 <= float(a.x_train.min()) and float(a.x_train.max()) <= 1.0
    counts = torch.bincount(a.y_test, minlength=10)
    assert int(counts.min()) >= 35 and int(counts.max()) <= 37  # 20% of ~180 per class
    b = load_digits_split(seed=0)
    c = load_digits_split(seed=1)
    assert torch.equal(a.y_test, b.y_test)
    assert not torch.equal(a.y_test, c.y_test)


def test_n_train_and_bad_input():
    assert len(load_digits_split(n_train=100).y_train) == 100
    with pytest.raises(ConfigError, match="n_train"):
        load_digits_split(n_train=3)
    with pytest.raises(ConfigError, match="test_fraction"):
        load_digits_split(test_fraction=1.5)
