"""How the garden writes numbers, durations and configs for a reader (pure functions, easy to test).

Every function here takes whatever a run directory holds and never raises on it: an integer of
hundreds of digits, a list nested hundreds deep, a string of a megabyte are shortened, not shown whole.
"""

from __future__ import annotations

import json
import math
import reprlib
from typing import Any

SIGNIFICANT = 4  # enough to compare a loss of 1.881 with 1.928, not so many that noise reads as signal
LONG_INT = 40  # digits beyond which an integer is shown by its first digits and its length
VALUE_CHARS = 200  # characters of a config value shown in a table cell
FLATTEN_DEPTH = 12  # levels of nested config sections spelled out as dotted keys; deeper ones are values

_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother = 3, 60, 60


def clip(text: str, limit: int = VALUE_CHARS) -> str:
    """``text`` cut to ``limit`` characters, marked with an ellipsis where it was cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _digits(value: int) -> int:
    """Decimal digits of an integer, without converting it to a string (limited to 4300 digits)."""
    magnitude = abs(value)
    estimate = max(1, int(magnitude.bit_length() * math.log10(2)))
    return estimate + (magnitude >= 10**estimate)


def _long_int(value: int) -> str | None:
    """A long integer shown by its first digits and its length; None when it is short enough."""
    if _digits(value) <= LONG_INT:
        return None
    digits = _digits(value)
    leading = value // 10 ** (digits - 12) if value > 0 else -(-value // 10 ** (digits - 12))
    return f"{leading}… (an integer of {digits} digits)"


def short_repr(value: Any) -> str:
    """A value named in a message: short whatever it is (nesting, length, a 400-digit integer)."""
    if isinstance(value, int) and not isinstance(value, bool) and _long_int(value) is not None:
        return _long_int(value)
    try:
        return clip(_REPR.repr(value), 80)
    except (ValueError, RecursionError):
        return f"a {type(value).__name__}"


def format_number(value: Any, digits: int = SIGNIFICANT) -> str:
    """A measured number for a table cell: significant digits, integers with thousands separators.

    ``2.2461937`` -> ``2.246``, ``124439808.0`` -> ``124,439,808``, ``3.2e-07`` -> ``3.2e-7``,
    ``0.5`` -> ``0.5``. Anything that is not a number is shown as it is.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if not isinstance(value, (int, float)):
        return short_repr(value) if not isinstance(value, str) else clip(value)
    try:
        number = float(value)
    except OverflowError:  # an integer of more than 308 digits
        return _long_int(value) or str(value)
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
    if isinstance(value, int) and not isinstance(value, bool):
        return _long_int(value) or str(value)
    return short_repr(value)


def format_seconds(value: Any) -> str:
    """A duration: ``0.42 s``, ``12.3 s``, ``3 min 05 s``, ``1 h 02 min``."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return short_repr(value)
    try:
        seconds = float(value)
    except OverflowError:  # an integer of hundreds of digits
        return short_repr(value)
    if not math.isfinite(seconds):
        return str(seconds)
    if seconds < 1:
        return f"{seconds:.2g} s"
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        minutes, rest = divmod(round(seconds), 60)
        return f"{minutes} min {rest:02d} s"
    hours, rest = divmod(round(seconds), 3600)
    return f"{hours} h {rest // 60:02d} min"


def flatten(mapping: Any, prefix: str = "", depth: int = FLATTEN_DEPTH) -> list[tuple[str, Any]]:
    """Nested config sections as dotted keys (``train.lr``), in the order they were written.

    Sections deeper than ``depth`` levels stay whole, as one value (shown shortened).
    """
    rows: list[tuple[str, Any]] = []
    if not isinstance(mapping, dict):
        return [(prefix.rstrip(".") or "value", mapping)]
    for key, value in mapping.items():
        if isinstance(value, dict) and value and depth > 1:
            rows.extend(flatten(value, f"{prefix}{key}.", depth - 1))
        else:
            rows.append((f"{prefix}{key}", value))
    return rows


def format_value(value: Any) -> str:
    """A config value: numbers exactly as typed, strings bare, the rest as JSON; long ones shortened."""
    if isinstance(value, str):
        return clip(value)
    if value is None:
        return "none"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return _long_int(value) or str(value)
    if isinstance(value, float):
        # a config value is typed by a person: show it exactly (1e-4, not 0.0001000)
        return repr(value)
    try:
        return clip(json.dumps(value))
    except (TypeError, ValueError, RecursionError):  # nested too deeply to write out whole
        return short_repr(value)
