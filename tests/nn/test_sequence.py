import pytest
import torch

from nngarden.nn.sequence import TCN, CausalAttention, Recurrent, parameter_count


def models(n_tokens=10, width=16):
    return {
        "tcn": TCN(n_tokens, width, 9, levels=3, kernel=2),
        "lstm": Recurrent(n_tokens, width, 9, cell="lstm"),
        "gru": Recurrent(n_tokens, width, 9, layers=2, cell="gru"),
        "attention": CausalAttention(n_tokens, width, 9, layers=2, heads=2),
    }


@pytest.mark.parametrize("name", ["tcn", "lstm", "gru", "attention"])
def test_every_model_is_causal_and_maps_ids_to_per_position_outputs(name):
    torch.manual_seed(0)
    model = models()[name].eval()
    x = torch.randint(10, (3, 20))
    with torch.no_grad():
        out = model(x)
        assert out.shape == (3, 20, 9)
        for t in (0, 7, 18):
            changed = x.clone()
            changed[:, t + 1 :] = torch.randint(10, (3, 19 - t))
            moved = model(changed)
            assert torch.equal(moved[:, : t + 1], out[:, : t + 1])
            assert not torch.allclose(moved[:, t + 1 :], out[:, t + 1 :])


def test_the_tcn_receptive_field_is_exact_and_inputs_beyond_it_get_zero_gradient():
    torch.manual_seed(0)
    for levels, kernel in ((3, 2), (2, 3), (4, 2)):
        model = TCN(10, 32, 9, levels=levels, kernel=kernel)
        r = model.receptive_field()
        assert r == 1 + 2 * (kernel - 1) * (2**levels - 1)
        T = r + 10
        e = model.embed(torch.randint(10, (16, T))).detach().requires_grad_(True)
        model(None, embedded=e)[:, T - 1].sum().backward()
        grad = e.grad.abs().sum((0, 2))  # (T,)
        assert (grad[: T - r] == 0).all()  # exactly zero beyond the receptive field
        assert grad[T - r] > 0 and grad[T - 1] > 0  # while its oldest and newest inputs matter


def test_sequential_steps_read_from_the_structure():
    m = models()
    assert m["lstm"].sequential_steps(100) == 100
    assert m["gru"].sequential_steps(100) == 101  # two layers: the critical path is n + L - 1
    assert m["tcn"].sequential_steps(100) == m["tcn"].sequential_steps(1000) == 3
    assert m["attention"].sequential_steps(1000) == 2
    assert all(parameter_count(model) > 0 for model in m.values())
