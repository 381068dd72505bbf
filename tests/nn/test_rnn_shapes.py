"""The five wirings of one GRU core: shapes, the in-step model causal, free output length out of step."""

import torch

from nngarden.nn import rnn_shapes
from nngarden.nn.seq2seq import BOS, beam_search, greedy_decode


def test_each_shape_maps_its_inputs_to_its_outputs():
    torch.manual_seed(0)
    assert rnn_shapes.OneToOne(64, 8, 10)(torch.randn(4, 64)).shape == (4, 10)
    for feed_input in (True, False):  # the input at every step, or only in the first state
        one_to_many = rnn_shapes.OneToMany(20, 12, 8, 4, feed_input=feed_input)
        assert one_to_many(torch.randn(4, 20), torch.randint(3, 12, (4, 6))).shape == (4, 6, 12)
    assert rnn_shapes.ManyToOne(13, 8, 4, 10)(torch.randint(3, 13, (4, 7))).shape == (4, 10)
    assert rnn_shapes.ManyToManyInStep(13, 8, 4, 10)(torch.randint(3, 13, (4, 7))).shape == (4, 7, 10)
    logits, weights = rnn_shapes.ManyToManyOutOfStep(13, 13, 8, 4)(
        torch.randint(3, 13, (4, 7)), None, torch.randint(3, 13, (4, 5))
    )
    assert logits.shape == (4, 5, 13) and weights.shape == (4, 5, 7)
    torch.testing.assert_close(weights.sum(dim=-1), torch.ones(4, 5))


def test_the_in_step_model_is_causal():
    torch.manual_seed(1)
    model = rnn_shapes.ManyToManyInStep(13, 16, 8, 10)
    x = torch.randint(3, 13, (5, 12))
    base = model(x)
    for t in range(11):
        other = x.clone()
        other[:, t + 1 :] = torch.randint(3, 13, (5, 11 - t))
        assert torch.equal(model(other)[:, : t + 1], base[:, : t + 1])
        assert not torch.equal(model(other)[:, t + 1 :], base[:, t + 1 :])


def test_many_to_one_answers_from_each_rows_last_real_input():
    torch.manual_seed(2)
    model = rnn_shapes.ManyToOne(13, 16, 8, 10)
    x = torch.randint(3, 13, (3, 9))
    lengths = torch.tensor([9, 5, 2])
    padded = x.clone()
    for row, n in enumerate(lengths.tolist()):
        padded[row, n:] = 0
    together = model(padded, lengths)
    for row, n in enumerate(lengths.tolist()):
        torch.testing.assert_close(together[row], model(x[row : row + 1, :n])[0])


def test_the_out_of_step_model_writes_any_length_and_beam_one_is_greedy():
    torch.manual_seed(3)
    for attention in (True, False):
        model = rnn_shapes.ManyToManyOutOfStep(13, 13, 16, 8, attention=attention).eval()
        src = torch.randint(3, 13, (6, 7))
        memory = model.encode(src)
        state, token = model.init_state(memory), torch.full((6,), BOS)
        for _ in range(11):  # more outputs than inputs: the decoder runs on its own state
            logits, state, weights = model.step(memory, state, token)
            token = logits.argmax(dim=-1)
        assert (weights is None) != attention
        greedy, _ = greedy_decode(model, src, None, max_len=9)
        beam, _ = beam_search(model, src, None, beam=1, max_len=9)
        assert torch.equal(greedy[:, : beam.size(1)], beam[:, : greedy.size(1)])


def test_step_by_step_decoding_matches_teacher_forcing():
    torch.manual_seed(4)
    for model in (rnn_shapes.OneToMany(20, 12, 8, 4), rnn_shapes.ManyToManyOutOfStep(13, 13, 8, 4)):
        src = torch.randn(2, 20) if isinstance(model, rnn_shapes.OneToMany) else torch.randint(3, 13, (2, 5))
        tgt_in = torch.cat([torch.full((2, 1), BOS), torch.randint(3, 12, (2, 4))], dim=1)
        forced = (
            model(src, tgt_in) if isinstance(model, rnn_shapes.OneToMany) else model(src, None, tgt_in)[0]
        )
        memory = model.encode(src)
        state = model.init_state(memory)
        for t in range(tgt_in.size(1)):
            logits, state, _ = model.step(memory, state, tgt_in[:, t])
            torch.testing.assert_close(logits, forced[:, t])
