"""The system's own users: the only people Nigran stores anything about."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from nigran.access.classification import Classification, ClassificationType
from nigran.access.principal import Principal, Role
from nigran.storage.base import Base, Timestamped


class User(Timestamped, Base):
    __tablename__ = "user_account"
    __write_roles__ = frozenset({Role.ADMINISTRATOR})

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20))
    clearance: Mapped[Classification] = mapped_column(ClassificationType(), default=Classification.PUBLIC)
    entity_id: Mapped[int | None] = mapped_column(ForeignKey("entity.id"), nullable=True)
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def principal(self) -> Principal:
        return Principal(
            username=self.username,
            role=Role(self.role),
            clearance=Classification.parse(self.clearance),
            entity_id=self.entity_id,
            user_id=self.id,
        )
