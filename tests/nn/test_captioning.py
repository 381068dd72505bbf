"""Captioners: attention rows sum to 1 over the grid, beam width 1 is greedy, step decoding matches teacher
forcing, the doubly stochastic penalty, the grid encoder's cells."""

import pytest
import torch

from nngarden.data import scenes as sc
from nngarden.nn.captioning import (
    GridEncoder,
    ShowAttendTell,
    ShowTell,
    count_parameters,
    doubly_stochastic_penalty,
)
from nngarden.nn.seq2seq import BOS, beam_search, greedy_decode

V = len(sc.VOCAB)


def _models():
    torch.manual_seed(0)
    return {
        "vector": ShowTell(V, 16, 8, (4, 8, 8)),
        "mean": ShowTell(V, 16, 8, (4, 8, 8), pooling="mean"),
        "attention": ShowAttendTell(V, 16, 8, 8, (4, 8, 8)),
    }


def _batch(n=6, k=3):
    images, tgt_in, tgt_out, _ = sc.Scenes(0, "test").batch(range(n), k)
    return images, tgt_in, tgt_out


def test_the_encoder_gives_one_feature_vector_per_cell():
    encoder = GridEncoder((4, 8, 12)).eval()  # batch statistics would mix the whole image in
    assert encoder(torch.randn(2, 3, 24, 24)).shape == (2, 9, 12) and encoder.grid_cells(24) == 9
    # the top-left grid vector only sees the image's top-left region
    image = torch.zeros(1, 3, 24, 24)
    other = image.clone()
    other[:, :, 20:, 20:] = 1.0
    torch.testing.assert_close(encoder(image)[:, 0], encoder(other)[:, 0])


def test_attention_rows_sum_to_one_over_the_grid():
    model = _models()["attention"]
    images, tgt_in, _ = _batch()
    _, weights = model(images, tgt_in)
    assert weights.shape == (6, tgt_in.size(1), 9) and (weights >= 0).all()
    torch.testing.assert_close(weights.sum(dim=-1), torch.ones(6, tgt_in.size(1)))
    _, decoded = greedy_decode(model, images, None, max_len=8)
    torch.testing.assert_close(decoded.sum(dim=-1), torch.ones(6, decoded.size(1)))


@pytest.mark.parametrize("name", ["vector", "mean", "attention"])
def test_beam_width_one_is_greedy_and_steps_match_teacher_forcing(name):
    model = _models()[name].eval()
    images, tgt_in, _ = _batch()
    greedy, _ = greedy_decode(model, images, None, max_len=10)
    beam, _ = beam_search(model, images, None, beam=1, max_len=10)
    width = min(greedy.size(1), beam.size(1))
    assert torch.equal(greedy[:, :width], beam[:, :width])
    forced, _ = model(images, tgt_in)
    memory = model.encode(images)
    state = model.init_state(memory)
    for t in range(tgt_in.size(1)):
        logits, state, _ = model.step(memory, state, tgt_in[:, t])
        torch.testing.assert_close(logits, forced[:, t], rtol=1e-4, atol=1e-5)
    assert tgt_in[0, 0] == BOS


def test_doubly_stochastic_penalty_counts_only_the_caption_words():
    weights = torch.zeros(1, 3, 9)
    weights[0, :, 0] = 1.0  # every word looks at cell 0
    mask = torch.tensor([[True, True, False]])
    # cell 0 gets 2 (the padded word is not counted), the other eight cells 0: (1-2)^2 + 8 (1-0)^2
    assert doubly_stochastic_penalty(weights, mask).item() == pytest.approx(9.0)
    assert doubly_stochastic_penalty(weights, mask, tau=0.0).item() == pytest.approx(4.0)


def test_the_note_widths_give_attention_no_more_parameters_than_the_vector_model():
    vector, attention = ShowTell(V, 64, 32, (8, 16, 32)), ShowAttendTell(V, 64, 32, 32, (8, 16, 32))
    assert count_parameters(attention) <= count_parameters(vector)
    with pytest.raises(ValueError, match="pooling"):
        ShowTell(V, 8, 8, pooling="max")
