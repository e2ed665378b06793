"""Numbers from outside (YAML, CSV, Excel, the command line): finite, unambiguous and plausible, or refused.

``inf``, ``nan`` and overflowing values are refused everywhere; ``"1,45"`` (a decimal comma, or a mistyped
thousands separator) is refused rather than read as 145; ``"1,450"`` and ``"1 450"`` are thousands; a value
beyond ``limit`` in absolute size is refused. Each function raises :class:`NumberError` with a message that
names the value, for the caller to attach a file, line and field.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from typing import Any

PLAUSIBLE_LIMIT = 1e12  # no indicator, casualty count or budget line in Nigran's domain comes near this

_THOUSANDS = re.compile(r"^[+-]?\d{1,3}([, ]\d{3})+(\.\d+)?$")
_PLAIN = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


class NumberError(ValueError):
    pass


def finite(value: float, *, limit: float = PLAUSIBLE_LIMIT) -> float:
    if isinstance(value, float | int) and not isinstance(value, bool):
        f = float(value)
        if math.isnan(f) or math.isinf(f):
            raise NumberError(f"{value!r} is not a finite number")
        if abs(f) > limit:
            raise NumberError(f"{value!r} is beyond any plausible value (limit {limit:g})")
        return f
    raise NumberError(f"{value!r} is not a number")


def parse_number(value: Any, *, limit: float = PLAUSIBLE_LIMIT) -> float:
    """A finite float from a number or text; text must be a plain decimal (thousands separators allowed)."""
    if isinstance(value, bool):
        raise NumberError(f"{value!r} is not a number")
    if isinstance(value, int | float):
        return finite(value, limit=limit)
    if isinstance(value, Decimal):
        try:
            return finite(float(value), limit=limit)
        except (OverflowError, InvalidOperation):
            raise NumberError(f"{value!r} is not a finite number") from None
    if not isinstance(value, str):
        raise NumberError(f"{value!r} is not a number")
    text = value.strip().replace("\u00a0", " ")
    if not text:
        raise NumberError("empty value is not a number")
    if _PLAIN.match(text):
        try:
            return finite(float(text), limit=limit)
        except OverflowError:
            raise NumberError(f"{value!r} is too large") from None
    if _THOUSANDS.match(text):
        return finite(float(text.replace(",", "").replace(" ", "")), limit=limit)
    if "," in text:
        raise NumberError(f"{value!r} is ambiguous: write decimals with a point and no thousands separator")
    raise NumberError(f"{value!r} is not a number")


def parse_count(value: Any, *, limit: float = 1e7) -> int:
    """A non-negative whole number (casualties, incidents)."""
    f = parse_number(value, limit=limit)
    if f < 0 or f != int(f):
        raise NumberError(f"{value!r} is not a whole number of zero or more")
    return int(f)
