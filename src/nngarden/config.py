"""Typed, validated configuration dataclasses and `--set key=value` overrides.

Every config in nngarden is a dataclass that derives from :class:`Config`. Fields are declared with
:func:`option`, which records a help text and the allowed values (``choices``, ``low``/``high``
bounds). Validation runs on creation, so a config object that exists is a valid one, and every error
names the field and what is allowed. Nested dataclasses give dotted keys (``model.n_layer``).
"""

from __future__ import annotations

import dataclasses
import json
import math
import types
import typing
from dataclasses import MISSING, field, fields, is_dataclass
from pathlib import Path
from typing import Any


class ConfigError(ValueError):
    """A bad config value or key. The CLI prints it as one line and exits with code 2."""


class Failure(RuntimeError):
    """A command that cannot complete for a reason other than a bad input: a run directory another
    process holds, a full disk, a model whose numbers are not finite. The CLI prints it as one line and
    exits with code 1."""


def option(
    default: Any = MISSING,
    help: str = "",
    *,
    choices: tuple | None = None,
    low: float | None = None,
    high: float | None = None,
    default_factory: Any = MISSING,
    low_open: bool = False,
):
    """A config field with its help text and allowed values.

    ``low``/``high`` are inclusive bounds unless ``low_open`` (then ``value > low``).
    """
    meta = {"help": help, "choices": choices, "low": low, "high": high, "low_open": low_open}
    if default_factory is not MISSING:
        return field(default_factory=default_factory, metadata=meta)
    return field(default=default, metadata=meta)


def nested(cls: type) -> Any:
    """A nested config section (``model``, ``train``, ...) defaulting to ``cls()``."""
    return field(default_factory=cls, metadata={"help": (cls.__doc__ or "").strip().split("\n")[0]})


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _describe_type(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe_type(a) for a in typing.get_args(tp))
    if origin is tuple:
        args = typing.get_args(tp)
        inner = _describe_type(args[0]) if args else "value"
        return f"a comma-separated list of {inner}"
    if origin is typing.Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(tp))
    if tp is type(None):
        return "none"
    return {int: "an integer", float: "a number", str: "a string", bool: "true or false"}.get(
        tp, getattr(tp, "__name__", str(tp))
    )


def _coerce(name: str, value: Any, tp: Any) -> Any:
    """Convert ``value`` (a parsed JSON value or a raw CLI string) to type ``tp`` or raise."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None or (isinstance(value, str) and value.lower() in ("none", "null")):
            if type(None) in args:
                return None
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _coerce(name, value, arg)
            except ConfigError:
                continue
        raise ConfigError(f"{name}: got {value!r}, expected {_describe_type(tp)}")
    if origin is tuple:
        args = typing.get_args(tp)
        if isinstance(value, str):
            value = [v for v in value.strip("()[] ").split(",") if v.strip() != ""]
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{name}: got {value!r}, expected {_describe_type(tp)}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_coerce(name, v, args[0]) for v in value)
        if args and len(args) != len(value):
            raise ConfigError(f"{name}: got {len(value)} values, expected {len(args)}")
        return tuple(_coerce(name, v, a) for v, a in zip(value, args or [str] * len(value)))
    if tp is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "1", "yes", "on", "false", "0", "no", "off"):
            return value.lower() in ("true", "1", "yes", "on")
        raise ConfigError(f"{name}: got {value!r}, expected true or false")
    if tp is int:
        if isinstance(value, bool):
            raise ConfigError(f"{name}: got {value!r}, expected an integer")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                try:  # allow 1e3
                    f = float(value)
                    if f.is_integer():
                        return int(f)
                except ValueError:
                    pass
        raise ConfigError(f"{name}: got {value!r}, expected an integer")
    if tp is float:
        if isinstance(value, bool):
            raise ConfigError(f"{name}: got {value!r}, expected a number")
        if isinstance(value, (int, float)):
            out = float(value)
        else:
            try:
                out = float(str(value).strip())
            except ValueError:
                raise ConfigError(f"{name}: got {value!r}, expected a number") from None
        if not math.isfinite(out):
            raise ConfigError(f"{name}: got {value!r}, expected a finite number")
        return out
    if tp is str:
        if isinstance(value, str):
            return value
        raise ConfigError(f"{name}: got {value!r}, expected a string")
    if origin is typing.Literal:
        allowed = typing.get_args(tp)
        if value in allowed:
            return value
        raise ConfigError(f"{name}: got {value!r}, allowed: {', '.join(map(str, allowed))}")
    return value


@dataclasses.dataclass
class Config:
    """Base class: validates every field on creation (types, choices, bounds)."""

    def __post_init__(self) -> None:
        hints = _hints(type(self))
        for f in fields(self):
            value = getattr(self, f.name)
            tp = hints[f.name]
            if is_dataclass(tp):
                if not isinstance(value, tp):
                    raise ConfigError(f"{f.name}: expected a {tp.__name__} section")
                continue
            value = _coerce(f.name, value, tp)
            _check_bounds(f, value)
            object.__setattr__(self, f.name, value)
        self.validate()

    def validate(self) -> None:
        """Cross-field checks; subclasses override and raise ConfigError naming the fields."""

    # --- conversion -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any], prefix: str = ""):
        if not isinstance(data, dict):
            raise ConfigError(f"{prefix.rstrip('.') or 'config'}: expected a mapping, got {data!r}")
        hints = _hints(cls)
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ConfigError(
                f"unknown config key {prefix}{unknown[0]}; allowed keys: "
                + ", ".join(prefix + k for k in known)
            )
        kwargs = {}
        for name, value in data.items():
            tp = hints[name]
            if is_dataclass(tp):
                kwargs[name] = tp.from_dict(value, prefix=f"{prefix}{name}.")
            else:
                kwargs[name] = value
        try:
            return cls(**kwargs)
        except ConfigError as err:
            raise ConfigError(f"{prefix}{err}") from None

    def with_overrides(self, overrides: dict[str, str] | list[str]):
        """Apply ``key=value`` overrides (dotted keys) and return a new, validated config."""
        if isinstance(overrides, list):
            overrides = parse_assignments(overrides)
        data = self.to_dict()
        for key, raw in overrides.items():
            target, hints, cls = data, _hints(type(self)), type(self)
            parts = key.split(".")
            for i, part in enumerate(parts):
                names = [f.name for f in fields(cls)]
                if part not in names:
                    prefix = ".".join(parts[:i])
                    allowed = ", ".join((prefix + "." if prefix else "") + n for n in names)
                    raise ConfigError(f"unknown config key {key!r}; allowed keys here: {allowed}")
                tp = hints[part]
                if i < len(parts) - 1:
                    if not is_dataclass(tp):
                        raise ConfigError(
                            f"unknown config key {key!r}: {'.'.join(parts[: i + 1])} has no fields"
                        )
                    target, cls, hints = target[part], tp, _hints(tp)
                else:
                    if is_dataclass(tp):
                        raise ConfigError(
                            f"{key} is a section; set one of its fields, e.g. {key}.{fields(tp)[0].name}=..."
                        )
                    target[part] = _coerce(key, raw, tp)
        return type(self).from_dict(data)

    # --- help ---------------------------------------------------------------------------------
    @classmethod
    def describe(cls, instance: Config | None = None, prefix: str = "") -> list[tuple[str, str, str]]:
        """(key, default, help) for every field, nested sections flattened with dotted keys."""
        instance = instance if instance is not None else cls()
        rows = []
        hints = _hints(cls)
        for f in fields(cls):
            tp = hints[f.name]
            value = getattr(instance, f.name)
            if is_dataclass(tp):
                rows.extend(tp.describe(value, prefix=f"{prefix}{f.name}."))
                continue
            meta = f.metadata
            extra = []
            if meta.get("choices"):
                extra.append("one of " + ", ".join(map(str, meta["choices"])))
            lo, hi = meta.get("low"), meta.get("high")
            if lo is not None or hi is not None:
                lo_s = "-inf" if lo is None else f"{lo:g}"
                hi_s = "inf" if hi is None else f"{hi:g}"
                extra.append(f"range {'(' if meta.get('low_open') else '['}{lo_s}, {hi_s}]")
            text = meta.get("help", "")
            if extra:
                text = f"{text} ({'; '.join(extra)})" if text else "; ".join(extra)
            default = ",".join(map(str, value)) if isinstance(value, tuple) else str(value)
            rows.append((prefix + f.name, default, text))
        return rows


def _check_bounds(f: dataclasses.Field, value: Any) -> None:
    meta = f.metadata
    choices = meta.get("choices")
    if choices is not None and value not in choices:
        raise ConfigError(f"{f.name}: got {value!r}, allowed: {', '.join(map(str, choices))}")
    lo, hi = meta.get("low"), meta.get("high")
    values = value if isinstance(value, tuple) else (value,)
    for v in values:
        if v is None or not isinstance(v, (int, float)):
            continue
        if lo is not None and (v <= lo if meta.get("low_open") else v < lo):
            bound = f"> {lo:g}" if meta.get("low_open") else f">= {lo:g}"
            raise ConfigError(
                f"{f.name}: got {v!r}, must be {bound}" + (f" and <= {hi:g}" if hi is not None else "")
            )
        if hi is not None and v > hi:
            raise ConfigError(
                f"{f.name}: got {v!r}, must be <= {hi:g}" + (f" and >= {lo:g}" if lo is not None else "")
            )


def parse_assignments(items: list[str]) -> dict[str, str]:
    """``["a.b=1", "c=x"]`` -> ``{"a.b": "1", "c": "x"}``; a malformed item raises ConfigError."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set expects key=value, got {item!r}")
        out[key.strip()] = value.strip()
    return out


def load_json_config(cls: type[Config], path: str | Path) -> Config:
    """Read a saved ``config.json`` back into ``cls`` with the same validation."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except json.JSONDecodeError as err:
        raise ConfigError(f"config file {path} is not valid JSON: {err}") from None
    return cls.from_dict(data)
