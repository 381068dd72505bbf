"""The baseline classifiers: shapes, the symmetries each one has or lacks, and that they learn."""

import pytest
import torch
import torch.nn.functional as F

from nngarden.config import ConfigError
from nngarden.nn.classifiers import (
    CLASSIFIERS,
    MLP,
    CNN1d,
    CNN1dConfig,
    GRUClassifier,
    LogisticRegression,
    build_classifier,
    count_parameters,
)


def test_mlp_layer_sizes_are_a_tuple_and_layers_are_addressable():
    mlp = MLP((40, 100, 100, 10))
    assert [(layer.in_features, layer.out_features) for layer in mlp.layers()] == [
        (40, 100),
        (100, 100),
        (100, 10),
    ]
    assert count_parameters(mlp) == 40 * 100 + 100 + 100 * 100 + 100 + 100 * 10 + 10
    assert mlp(torch.randn(5, 40)).shape == (5, 10)
    out = MLP((3, 4), activate_last=True, layer_norm=True)(torch.randn(6, 3))
    assert out.shape == (6, 4)
    torch.testing.assert_close(out.mean(1), torch.zeros(6), atol=1e-5, rtol=0)  # LayerNorm at the end
    assert not any(isinstance(m, torch.nn.ReLU) for m in list(MLP((3, 4, 5)))[-1:])  # logits stay linear


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"sizes": (4,)}, "sizes"),
        ({"sizes": (4, 0, 2)}, "sizes"),
        ({"sizes": (4, 2), "activation": "swish"}, "activation"),
        ({"sizes": (4, 2), "dropout": 1.5}, "dropout"),
    ],
)
def test_mlp_rejects_bad_arguments(kwargs, field):
    with pytest.raises(ConfigError, match=field):
        MLP(**kwargs)


def test_cnn_matches_the_mnist1d_paper_shapes():
    cfg = CNN1dConfig()
    assert cfg.feature_length() == 5  # 40 -> 19 -> 10 -> 5, 25 channels -> 125 features
    cnn = CNN1d(cfg)
    assert cnn.features(torch.randn(3, 40)).shape == (3, 25, 5)
    assert cnn(torch.randn(3, 40)).shape == (3, 10)
    with pytest.raises(ConfigError, match="strides"):
        CNN1dConfig(strides=(2, 2))
    with pytest.raises(ConfigError, match="padding_mode"):
        CNN1dConfig(padding_mode="reflect")


def test_circular_convolution_commutes_with_shifts_but_the_dense_head_does_not():
    # kernel 3 with one wrapped value each side keeps the length 40
    cfg = dict(channels=(6, 6), kernel_sizes=(3, 3), strides=(1, 1), padding=1, padding_mode="circular")
    x = torch.randn(4, 40)
    conv = CNN1d(CNN1dConfig(**cfg, num_classes=0))
    torch.testing.assert_close(conv(torch.roll(x, 3, 1)), torch.roll(conv(x), 3, 2))
    classifier = CNN1d(CNN1dConfig(**cfg, num_classes=10))
    assert (classifier(torch.roll(x, 3, 1)) - classifier(x)).abs().max() > 1e-2
    zero_padded = CNN1d(CNN1dConfig(**{**cfg, "padding_mode": "zeros"}, num_classes=0))
    assert (zero_padded(torch.roll(x, 3, 1)) - torch.roll(zero_padded(x), 3, 2)).abs().max() > 1e-3  # borders


def test_gru_reads_every_step_and_a_bias_free_gru_commutes_with_delays():
    gru = GRUClassifier(length=40, hidden=6, bidirectional=True)
    assert gru(torch.randn(2, 40)).shape == (2, 10)
    assert gru.head.in_features == 40 * 12
    with pytest.raises(ConfigError, match="input length"):
        gru(torch.randn(2, 30))
    plain = GRUClassifier(length=20, bidirectional=False, bias=False)
    x = torch.randn(3, 20)
    delayed = torch.cat([torch.zeros(3, 4), x], 1)
    torch.testing.assert_close(plain.states(delayed)[:, 4:], plain.states(x))
    biased = GRUClassifier(length=20, bidirectional=False, bias=True)
    assert (biased.states(delayed)[:, 4:] - biased.states(x)).abs().max() > 1e-4


def test_build_classifier_knows_the_four_baselines():
    for name in CLASSIFIERS:
        assert build_classifier(name)(torch.randn(2, 40)).shape == (2, 10)
    assert isinstance(build_classifier("logistic"), LogisticRegression)
    with pytest.raises(ConfigError, match="allowed: logistic, mlp, cnn, gru"):
        build_classifier("resnet")


def test_mlp_learns_a_nonlinear_rule_that_logistic_regression_cannot():
    # XOR of the signs of two coordinates: linearly inseparable (logistic stays near chance).
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(512, 2, generator=gen)
    y = ((x[:, 0] > 0) ^ (x[:, 1] > 0)).long()
    accs = {}
    for name, model in (("mlp", MLP((2, 32, 32, 2))), ("logistic", LogisticRegression(2, 2))):
        opt = torch.optim.Adam(model.parameters(), lr=1e-2)
        for _ in range(300):
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        accs[name] = float((model(x).argmax(1) == y).float().mean())
    assert accs["mlp"] > 0.95 and accs["logistic"] < 0.7
