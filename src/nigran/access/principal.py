"""Who is acting: a user's role, clearance and entity, or the system itself for bootstrap work."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from nigran.access.classification import Classification


class Role(StrEnum):
    PUBLIC_READER = "public_reader"
    ANALYST = "analyst"
    FOCAL_PERSON = "focal_person"
    REVIEWER = "reviewer"
    ADMINISTRATOR = "administrator"

    @classmethod
    def parse(cls, value: str) -> Role:
        text = value.strip().lower().replace("-", "_").replace(" ", "_")
        try:
            return cls(text)
        except ValueError:
            allowed = ", ".join(r.value for r in cls)
            raise ValueError(f"unknown role {value!r} (allowed: {allowed})") from None


@dataclass(frozen=True)
class Principal:
    """The identity every session carries; the access guard reads nothing else.

    ``system`` is for migrations, bundled-data loading and audit verification: work done by the program
    itself, not on behalf of a person. It is never handed to a request or a CLI user.
    """

    username: str
    role: Role
    clearance: Classification
    entity_id: int | None = None
    user_id: int | None = None
    is_system: bool = field(default=False)

    @classmethod
    def system(cls) -> Principal:
        return cls("system", Role.ADMINISTRATOR, Classification.SECRET, is_system=True)

    @classmethod
    def anonymous(cls) -> Principal:
        """The public reader: what a citizen on the public portal may see."""
        return cls("anonymous", Role.PUBLIC_READER, Classification.PUBLIC)

    def may_read(self, level: Classification) -> bool:
        return level <= self.clearance
