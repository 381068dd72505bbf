import math

import pytest

from nngarden.garden.formatting import (
    exact_number,
    flatten,
    format_number,
    format_seconds,
    format_value,
    short_repr,
)


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


def test_nothing_a_run_can_hold_makes_a_formatter_raise():
    huge, deep = 10**400, []
    for _ in range(5000):
        deep = [deep]
    assert format_number(huge) == "100000000000… (an integer of 401 digits)"  # the first 12 digits
    assert format_number(-huge).startswith("-100000000000…") and "401 digits" in format_number(-huge)
    assert "401 digits" in format_value(huge) and "401 digits" in format_seconds(huge)
    assert exact_number(huge) == format_number(huge) and exact_number(10**39) == str(10**39)
    assert format_value(10**39) == str(10**39) and "41 digits" in format_value(10**40)
    assert len(format_value(deep)) < 100 and len(format_seconds(deep)) < 100
    assert len(format_value("x" * 10**6)) == 200 and format_value("x" * 10**6).endswith("…")
    nested: dict = {"leaf": 1}
    for _ in range(5000):
        nested = {"a": nested}
    rows = flatten({"top": nested})
    assert len(rows) == 1 and rows[0][0] == "top" + ".a" * 11 and len(format_value(rows[0][1])) <= 200


def test_short_repr_names_a_value_briefly():
    assert short_repr("abc") == "'abc'" and short_repr(1.5) == "1.5"
    assert "401 digits" in short_repr(10**400) and len(short_repr(list(range(10**5)))) <= 80
