"""The administrative-unit gazetteer, shared by the policy register and the incident database."""

from __future__ import annotations

from sqlalchemy import JSON, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nigran.access.principal import Role
from nigran.storage.base import Base


class AdminUnit(Base):
    """Public reference data (not classified): a country, province/region, division or district."""

    __tablename__ = "admin_unit"
    __write_roles__ = frozenset({Role.ADMINISTRATOR})

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    name_ur: Mapped[str | None] = mapped_column(String(200), nullable=True)
    level: Mapped[str] = mapped_column(String(20))  # country | province | division | district
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("admin_unit.id"), nullable=True)
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    former_names: Mapped[list[str]] = mapped_column(JSON, default=list)
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    population: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    notes: Mapped[str | None] = mapped_column(String(500), nullable=True)

    parent: Mapped[AdminUnit | None] = relationship(remote_side=[id])
