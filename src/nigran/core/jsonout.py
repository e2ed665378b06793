"""JSON output that is valid JSON: no ``NaN`` or ``Infinity`` (which Python's json writes by default)."""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_clean(v) for v in value]
    if isinstance(value, Decimal):
        return _clean(float(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def dumps(value: Any, *, indent: int | None = 1) -> str:
    """JSON text; a non-finite float becomes ``null`` (unknown), dates ISO 8601, enums their value."""
    return json.dumps(_clean(value), ensure_ascii=False, indent=indent, allow_nan=False)
