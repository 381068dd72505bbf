"""How the garden writes numbers, durations and configs for a reader (pure functions, easy to test)."""

from __future__ import annotations

import json
import math
from typing import Any

SIGNIFICANT = 4  # enough to compare a loss of 1.881 with 1.928, not so many that noise reads as signal


def format_number(value: Any, digits: int = SIGNIFICANT) -> str:
    """A measured number for a table cell: significant digits, integers with thousands separators.

    ``2.2461937`` -> ``2.246``, ``124439808.0`` -> ``124,439,808``, ``3.2e-07`` -> ``3.2e-7``,
    ``0.5`` -> ``0.5``. Anything that is not a number is shown as it is.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if not isinstance(value, (int, float)):
        return str(value)
    number = float(value)
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "∞" if number > 0 else "−∞"
    if number == 0:
        return "0"
    magnitude = abs(number)
    if number.is_integer() and magnitude < 1e15:
        return f"{int(number):,}"
    if magnitude >= 10**digits:
        # a large non-integer: its fraction is below the precision we show anyway
        return f"{round(number):,}" if magnitude < 1e15 else _scientific(number, digits)
    if magnitude < 1e-4:
        return _scientific(number, digits)
    return f"{number:.{digits}g}"


def _scientific(number: float, digits: int) -> str:
    mantissa, exponent = f"{number:.{digits - 1}e}".split("e")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}"


def exact_number(value: Any) -> str:
    """The full-precision value, for a tooltip next to the rounded one."""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def format_seconds(value: Any) -> str:
    """A duration: ``0.42 s``, ``12.3 s``, ``3 min 05 s``, ``1 h 02 min``."""
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        return str(value)
    seconds = float(value)
    if seconds < 1:
        return f"{seconds:.2g} s"
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        minutes, rest = divmod(round(seconds), 60)
        return f"{minutes} min {rest:02d} s"
    hours, rest = divmod(round(seconds), 3600)
    return f"{hours} h {rest // 60:02d} min"


def flatten(mapping: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Nested config sections as dotted keys (``train.lr``), in the order they were written."""
    rows: list[tuple[str, Any]] = []
    if not isinstance(mapping, dict):
        return [(prefix.rstrip(".") or "value", mapping)]
    for key, value in mapping.items():
        if isinstance(value, dict) and value:
            rows.extend(flatten(value, f"{prefix}{key}."))
        else:
            rows.append((f"{prefix}{key}", value))
    return rows


def format_value(value: Any) -> str:
    """A config value: numbers as measured numbers would be, strings bare, the rest as JSON."""
    if isinstance(value, str):
        return value
    if value is None:
        return "none"
    if isinstance(value, (bool, int)):
        return str(value).lower() if isinstance(value, bool) else str(value)
    if isinstance(value, float):
        # a config value is typed by a person: show it exactly (1e-4, not 0.0001000)
        return repr(value)
    return json.dumps(value)
