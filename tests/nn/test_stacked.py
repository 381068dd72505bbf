"""StackedDense: M dense networks side by side give each network's outputs, gradients and Adam steps."""

import pytest
import torch
import torch.nn.functional as F

from nngarden.config import ConfigError
from nngarden.nn.classifiers import MLP, CNN1d, CNN1dConfig, LogisticRegression
from nngarden.nn.stacked import StackedCNN1d, StackedDense, stack


def _nets(make, count=3):
    nets = []
    for seed in range(count):
        torch.manual_seed(seed)
        nets.append(make())
    return nets


@pytest.mark.parametrize("make", [lambda: MLP((40, 100, 100, 10)), lambda: LogisticRegression(40, 10)])
def test_each_member_computes_its_own_network(make):
    nets = _nets(make)
    stacked = StackedDense(nets)
    x = torch.randn(3, 7, 40)
    expected = torch.stack([net(x[i]) for i, net in enumerate(nets)])
    assert torch.allclose(stacked(x), expected, atol=1e-6)


def test_gradients_of_a_summed_loss_are_each_members_own():
    nets = _nets(lambda: MLP((12, 16, 5)))
    stacked = StackedDense(nets)
    x, y = torch.randn(3, 8, 12), torch.randint(0, 5, (3, 8))
    out = stacked(x)
    sum(F.cross_entropy(out[i], y[i]) for i in range(3)).backward()
    for i, net in enumerate(nets):
        F.cross_entropy(net(x[i]), y[i]).backward()
        for lin, w, b in zip(net.layers(), stacked.weights, stacked.biases):
            assert torch.allclose(w.grad[i], lin.weight.grad.T, atol=1e-6)
            assert torch.allclose(b.grad[i, 0], lin.bias.grad, atol=1e-6)


def test_adam_trains_each_member_as_it_would_train_alone():
    nets = _nets(lambda: MLP((12, 16, 5)))
    stacked = StackedDense(nets)
    x, y = torch.randn(3, 32, 12), torch.randint(0, 5, (3, 32))
    optimizer = torch.optim.Adam(stacked.parameters(), lr=1e-2)
    for _ in range(20):
        out = stacked(x)
        loss = sum(F.cross_entropy(out[i], y[i]) for i in range(3))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    alone = _nets(lambda: MLP((12, 16, 5)))
    for i, net in enumerate(alone):
        opt = torch.optim.Adam(net.parameters(), lr=1e-2)
        for _ in range(20):
            opt.zero_grad()
            F.cross_entropy(net(x[i]), y[i]).backward()
            opt.step()
    trained = _nets(lambda: MLP((12, 16, 5)))
    stacked.write_back(trained)
    for a, b in zip(trained, alone):
        for p, q in zip(a.parameters(), b.parameters()):
            assert torch.allclose(p, q, atol=1e-5)


def test_only_dense_networks_of_one_shape_stack():
    with pytest.raises(ConfigError, match="one shape"):
        StackedDense([MLP((4, 8, 2)), MLP((4, 6, 2))])
    with pytest.raises(ConfigError, match="Linear"):
        StackedDense([MLP((4, 8, 2), activation="tanh")])
    with pytest.raises(ConfigError, match="Linear"):
        StackedDense([MLP((4, 8, 2), layer_norm=True)])
    with pytest.raises(ValueError, match="members=2"):
        StackedDense(_nets(lambda: MLP((4, 8, 2)), 2))(torch.randn(3, 1, 4))


def test_a_stack_of_cnns_computes_each_cnn_with_its_gradients():
    nets = _nets(lambda: CNN1d(CNN1dConfig()))
    stacked = stack(nets)
    assert isinstance(stacked, StackedCNN1d)
    x, y = torch.randn(3, 9, 40), torch.randint(0, 10, (3, 9))
    out = stacked(x)
    assert torch.allclose(out, torch.stack([net(x[i]) for i, net in enumerate(nets)]), atol=1e-5)
    sum(F.cross_entropy(out[i], y[i]) for i in range(3)).backward()
    for i, net in enumerate(nets):
        F.cross_entropy(net(x[i]), y[i]).backward()
        for conv, w, b in zip(net.convs, stacked.weights, stacked.biases):
            assert torch.allclose(w.grad[i].T.reshape(conv.weight.shape), conv.weight.grad, atol=1e-5)
            assert torch.allclose(b.grad[i, 0], conv.bias.grad, atol=1e-5)
        assert torch.allclose(stacked.head_weight.grad[i].T, net.head.weight.grad, atol=1e-5)
    copies = _nets(lambda: CNN1d(CNN1dConfig()))
    with torch.no_grad():
        for p in stacked.parameters():
            p.mul_(2)
    stacked.write_back(copies)
    assert torch.allclose(copies[1](x[1]), stacked(x)[1], atol=1e-5)


def test_only_cnns_of_one_config_with_zero_padding_stack():
    with pytest.raises(ConfigError, match="one config"):
        StackedCNN1d([CNN1d(CNN1dConfig()), CNN1d(CNN1dConfig(channels=(8, 8, 8)))])
    circular = CNN1dConfig(kernel_sizes=(3, 3, 3), strides=(1, 1, 1), padding_mode="circular")
    with pytest.raises(ConfigError, match="zero padding"):
        StackedCNN1d([CNN1d(circular)])
