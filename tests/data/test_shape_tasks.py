"""The five shapes' tasks: number names and folds, digit sequences, shifted digit images."""

import numpy as np
import pytest
import torch

from nngarden.config import ConfigError
from nngarden.data import shape_tasks as tasks


def test_number_names_inputs_and_targets():
    assert tasks.number_name(42) == "forty-two" and tasks.number_name(13) == "thirteen"
    x = tasks.number_inputs([42, 7])
    assert x.shape == (2, 20) and x[0, 4] == 1 and x[0, 12] == 1 and x.sum() == 4
    tgt_in, tgt_out = tasks.number_targets([42, 7])
    assert tgt_in[0, 0] == tasks.BOS and tgt_out[0, len("forty-two")] == tasks.EOS
    assert "".join(tasks.LETTER_VOCAB[i] for i in tgt_out[0, :9].tolist()) == "forty-two"
    assert tgt_out[1, len("seven") + 1 :].eq(tasks.PAD).all()
    with pytest.raises(ConfigError):
        tasks.number_name(100)


def test_folds_hold_out_each_composed_number_once_and_keep_every_word_seen():
    folds = tasks.number_folds(seed=5, n_folds=3)
    held = sorted(n for fold in folds for n in fold)
    assert held == sorted(tasks.COMPOSED) and len(held) == 72
    assert all(n % 10 and n > 20 for n in held)
    for fold in folds:
        seen = [n for n in tasks.COMPOSED if n not in fold]
        assert {n // 10 for n in fold} <= {n // 10 for n in seen}
        assert {n % 10 for n in fold} <= {n % 10 for n in seen}
    assert folds != tasks.number_folds(seed=6, n_folds=3)
    with pytest.raises(ConfigError, match="folds"):
        tasks.number_folds(0, 2)


def test_sum_running_sum_and_reversal_targets():
    digits = np.array([[3, 9, 8], [0, 0, 1]])
    x, y = tasks.sum_batch(digits)
    assert x.tolist() == [[6, 12, 11], [3, 3, 4]] and y.tolist() == [0, 1]
    _, running = tasks.running_sum_batch(digits)
    assert running.tolist() == [[3, 2, 0], [0, 0, 1]]
    src, tgt_in, tgt_out = tasks.reverse_batch(digits)
    assert tgt_in[0].tolist() == [tasks.BOS, 11, 12, 6] and tgt_out[0].tolist() == [11, 12, 6, tasks.EOS]


def test_shifted_digits_move_by_at_most_one_pixel():
    rng = np.random.default_rng(0)
    x = torch.zeros(50, 1, 8, 8)
    x[:, 0, 3:5, 3:5] = 1.0  # a centred block survives any one-pixel shift whole
    shifted = tasks.shift_images(x, rng)
    assert torch.equal(shifted.sum(dim=(1, 2, 3)), x.sum(dim=(1, 2, 3)))
    moved = {(int(s[0].nonzero()[:, 0].min()) - 3, int(s[0].nonzero()[:, 1].min()) - 3) for s in shifted}
    assert moved <= {(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)} and len(moved) > 3
