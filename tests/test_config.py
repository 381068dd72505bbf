from dataclasses import dataclass

import pytest

from nngarden.config import Config, ConfigError, nested, option, parse_assignments


@dataclass
class Inner(Config):
    """Inner section."""

    width: int = option(8, "width", low=1)
    kind: str = option("a", "kind", choices=("a", "b"))


@dataclass
class Outer(Config):
    inner: Inner = nested(Inner)
    lr: float = option(1e-3, "learning rate", low=0.0, low_open=True)
    betas: tuple[float, float] = option((0.9, 0.99), "Adam betas", low=0.0, high=1.0)
    flag: bool = option(False, "a flag")
    limit: int | None = option(None, "optional limit", low=1)


def test_defaults_and_dotted_overrides():
    cfg = Outer().with_overrides(["inner.width=32", "lr=0.5", "betas=0.8,0.9", "flag=true", "limit=3"])
    assert (cfg.inner.width, cfg.lr, cfg.betas, cfg.flag, cfg.limit) == (32, 0.5, (0.8, 0.9), True, 3)
    assert Outer().with_overrides({"limit": "none"}).limit is None


@pytest.mark.parametrize(
    "item, words",
    [
        ("inner.widht=3", ["unknown config key", "inner.width"]),
        ("nope=1", ["unknown config key", "inner", "lr"]),
        ("inner.width=0", ["width", ">= 1"]),
        ("inner.width=abc", ["width", "integer"]),
        ("inner.kind=c", ["kind", "allowed: a, b"]),
        ("lr=0", ["lr", "> 0"]),
        ("lr=nan", ["lr", "finite"]),
        ("betas=0.9", ["betas", "expected 2"]),
        ("betas=0.9,1.5", ["betas", "<= 1"]),
        ("inner=3", ["section"]),
    ],
)
def test_bad_values_name_the_field(item, words):
    with pytest.raises(ConfigError) as err:
        Outer().with_overrides([item])
    for word in words:
        assert word in str(err.value)


def test_round_trip_through_dict_and_unknown_json_key():
    cfg = Outer().with_overrides(["inner.kind=b"])
    assert Outer.from_dict(cfg.to_dict()) == cfg
    data = cfg.to_dict()
    data["inner"]["extra"] = 1
    with pytest.raises(ConfigError, match="inner.extra"):
        Outer.from_dict(data)


def test_validation_on_creation_and_describe():
    with pytest.raises(ConfigError, match="width"):
        Inner(width=-1)
    rows = {key: (default, text) for key, default, text in Outer.describe()}
    assert rows["inner.width"][0] == "8" and "width" in rows["inner.width"][1]
    assert "one of a, b" in rows["inner.kind"][1]


def test_parse_assignments_rejects_missing_equals():
    with pytest.raises(ConfigError, match="key=value"):
        parse_assignments(["model.n_layer"])
