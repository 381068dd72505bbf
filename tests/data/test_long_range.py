import torch

from nngarden.data.long_range import (
    BLANK,
    DELIMITER,
    adding_batch,
    copy_memory_batch,
    recall_accuracy,
    recall_positions,
)


def test_copy_memory_follows_bai_et_al_layout():
    T = 30
    x, y = copy_memory_batch(64, T, seed=0, step=0)
    assert x.shape == y.shape == (64, T + 20) and x.dtype == y.dtype == torch.int64
    symbols = x[:, :10]
    assert ((symbols >= 1) & (symbols <= 8)).all()
    assert (x[:, 10 : 10 + T - 1] == BLANK).all()
    assert (x[:, T + 9 :] == DELIMITER).all() and x[:, T + 9 :].shape[1] == 11
    assert (y[:, : T + 10] == BLANK).all()
    assert torch.equal(y[:, recall_positions(T)], symbols)
    for i in range(10):  # a symbol and its recall are T + 10 apart
        assert torch.equal(y[:, i + T + 10], x[:, i])


def test_batches_are_keyed_by_seed_split_and_step():
    a, _ = copy_memory_batch(8, 20, seed=1, step=5)
    b, _ = copy_memory_batch(8, 20, seed=1, step=5)
    c, _ = copy_memory_batch(8, 20, seed=1, step=6)
    d, _ = copy_memory_batch(8, 20, seed=1, step=5, split="test")
    assert torch.equal(a, b) and not torch.equal(a, c) and not torch.equal(a, d)


def test_recall_accuracy_counts_only_the_last_ten_positions():
    T = 12
    x, y = copy_memory_batch(4, T, seed=0, step=0)
    perfect = torch.nn.functional.one_hot(y, 10).float()
    assert torch.equal(recall_accuracy(perfect, y, T), torch.ones(4))
    blank = torch.nn.functional.one_hot(torch.zeros_like(y), 10).float()
    assert torch.equal(recall_accuracy(blank, y, T), torch.zeros(4))


def test_adding_problem_marks_one_value_in_each_half_and_sums_them():
    T = 50
    x, y = adding_batch(128, T, seed=0, step=0)
    assert x.shape == (128, T, 2) and y.shape == (128,)
    markers = x[..., 1]
    assert torch.equal(markers.sum(1), torch.full((128,), 2.0))
    assert (markers[:, : T // 2].sum(1) == 1).all() and (markers[:, T // 2 :].sum(1) == 1).all()
    assert torch.allclose((x[..., 0] * markers).sum(1), y)
    assert abs(((y - 1.0) ** 2).mean().item() - 1 / 6) < 0.05  # the constant predictor's error
