import math

import pytest

from nngarden.garden.formatting import flatten, format_number, format_seconds, format_value


@pytest.mark.parametrize(
    "value, text",
    [
        (2.2461937, "2.246"),
        (0.98765432, "0.9877"),
        (124439808.0, "124,439,808"),
        (174_600_000_000, "174,600,000,000"),
        (12345.678, "12,346"),
        (3.2e-07, "3.2e-7"),
        (-2.384185791015625e-07, "-2.384e-7"),
        (0.5, "0.5"),
        (1.0, "1"),
        (0.0, "0"),
        (-0.0, "0"),
        (0.001234567, "0.001235"),
        (1e20, "1e20"),
        (True, "true"),
        (math.inf, "∞"),
        ("text", "text"),
    ],
)
def test_numbers_get_significant_digits(value, text):
    assert format_number(value) == text


@pytest.mark.parametrize(
    "seconds, text", [(0.42, "0.42 s"), (12.46, "12.5 s"), (185, "3 min 05 s"), (3725, "1 h 02 min")]
)
def test_durations_read_like_durations(seconds, text):
    assert format_seconds(seconds) == text


def test_nested_config_is_flattened_to_dotted_keys_in_order():
    config = {
        "seed": 0,
        "model": {"n_layer": 4, "sub": {"x": 1}},
        "train": {"betas": [0.9, 0.99]},
        "empty": {},
    }
    assert flatten(config) == [
        ("seed", 0),
        ("model.n_layer", 4),
        ("model.sub.x", 1),
        ("train.betas", [0.9, 0.99]),
        ("empty", {}),
    ]


def test_config_values_are_shown_exactly():
    assert format_value(1e-4) == "0.0001"
    assert format_value(3e-7) == "3e-07"
    assert format_value(False) == "false"
    assert format_value(None) == "none"
    assert format_value("char") == "char"
    assert format_value([0.9, 0.99]) == "[0.9, 0.99]"
