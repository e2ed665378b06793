"""Classification levels, ordered so that clearance checks are plain comparisons in SQL and Python."""

from __future__ import annotations

from enum import IntEnum

from sqlalchemy import SmallInteger
from sqlalchemy.types import TypeDecorator


class Classification(IntEnum):
    PUBLIC = 0
    RESTRICTED = 1
    SECRET = 2

    @classmethod
    def parse(cls, value: object) -> Classification:
        """Read a level from YAML, CSV or a CLI flag; raises ``ValueError`` naming the allowed levels."""
        if isinstance(value, Classification):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return cls(value)
        text = str(value).strip().upper()
        try:
            return cls[text]
        except KeyError:
            allowed = ", ".join(c.name for c in cls)
            raise ValueError(f"unknown classification {value!r} (allowed: {allowed})") from None

    @property
    def label(self) -> str:
        return self.name


class ClassificationType(TypeDecorator[Classification]):
    """Stored as a small integer so ``classification <= :clearance`` works on every backend."""

    impl = SmallInteger
    cache_ok = True

    def process_bind_param(self, value: object, dialect: object) -> int | None:
        if value is None:
            return None
        return int(Classification.parse(value))

    def process_result_value(self, value: int | None, dialect: object) -> Classification | None:
        return None if value is None else Classification(value)
