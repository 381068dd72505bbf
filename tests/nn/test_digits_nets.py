import torch

from nngarden.nn.digits_nets import DigitsCNN, DigitsCNNConfig, DigitsMLP


def test_shapes_and_sizes():
    x = torch.rand(5, 1, 8, 8)
    mlp = DigitsMLP()
    assert mlp(x).shape == (5, 10)
    assert sum(p.numel() for p in mlp.parameters()) == 65 * 300 + 301 * 100 + 101 * 10
    cnn = DigitsCNN(DigitsCNNConfig(channels=(4, 6), hidden=12))
    assert cnn(x).shape == (5, 10)
