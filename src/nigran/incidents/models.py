"""Tables of the incident database: incidents, their sources, actors, import batches and the analytic cube.

An incident is one event as Nigran holds it; every dataset row or article that reported it stays attached as
an :class:`IncidentSource`, so figures can always be traced back to UCDP, ACLED, GTD or a news report.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nigran.access.classification import Classification
from nigran.access.guard import Classified
from nigran.incidents.fields import CASUALTY_FIELDS
from nigran.storage.base import Base, Timestamped

#: Measures stored on an incident and summed by the analytics: the casualty figures (defined once, in
#: :mod:`nigran.incidents.fields`); ``killed`` is all deaths, attackers included.
MEASURES = CASUALTY_FIELDS

#: Per measure, how many incidents of a cube cell give that figure: a sum over incidents that do not record
#: a figure is not zero but unknown, and these counts let every total say for how many incidents it is known.
KNOWN_COUNTS = tuple(f"{m}_known" for m in MEASURES)


class Actor(Classified, Timestamped, Base):
    """An organisation (never a person) as the registry names it, with every alias sources use for it."""

    __tablename__ = "actor"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(
        String(20)
    )  # militant | separatist | sectarian | state | foreign_state …
    parent_code: Mapped[str | None] = mapped_column(String(40), nullable=True)
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)


class ImportBatch(Classified, Timestamped, Base):
    """One run of ``nigran incidents import``: the audit trail's record of a bulk write.

    Incident and source rows of a bulk import are inserted with Core ``executemany`` for speed and so are not
    audited row by row; this ORM row is (counts, file hash, who), and every row it wrote points back to it.
    """

    __tablename__ = "import_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset: Mapped[str] = mapped_column(String(20))
    dataset_version: Mapped[str | None] = mapped_column(String(40), nullable=True)
    file_name: Mapped[str] = mapped_column(String(400))
    file_sha256: Mapped[str] = mapped_column(String(64), index=True)
    imported_by: Mapped[str] = mapped_column(String(120))
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    inserted: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)


class Incident(Classified, Timestamped, Base):
    """One security incident. Counts are ``None`` when the sources do not give them (unknown is not zero)."""

    __tablename__ = "incident"
    # Few indexes on purpose: each one slows a million-row import, and dashboards read the cube instead.
    __table_args__ = (
        Index("ix_incident_province_year", "province_code", "year"),
        Index("ix_incident_batch_line", "import_batch_id", "import_line"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    date: Mapped[date] = mapped_column(Date, index=True)
    date_end: Mapped[date | None] = mapped_column(Date, nullable=True)
    date_precision: Mapped[str] = mapped_column(String(8), default="day")  # day | week | month | year
    year: Mapped[int] = mapped_column(Integer)
    month: Mapped[int] = mapped_column(Integer)
    province_code: Mapped[str | None] = mapped_column(String(20), nullable=True)
    province: Mapped[str | None] = mapped_column(String(200), nullable=True)  # as the source wrote it
    district_code: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    district: Mapped[str | None] = mapped_column(String(200), nullable=True)  # as the source wrote it
    place: Mapped[str | None] = mapped_column(String(300), nullable=True)
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    geo_precision: Mapped[str | None] = mapped_column(String(12), nullable=True)
    event_type: Mapped[str] = mapped_column(String(30))
    actor: Mapped[str | None] = mapped_column(String(300), nullable=True)  # as the source wrote it
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("actor.id"), nullable=True, index=True)
    claimed: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    target_type: Mapped[str | None] = mapped_column(String(120), nullable=True)
    killed: Mapped[int | None] = mapped_column(Integer, nullable=True)
    victims_killed: Mapped[int | None] = mapped_column(Integer, nullable=True)
    civilians_killed: Mapped[int | None] = mapped_column(Integer, nullable=True)
    security_killed: Mapped[int | None] = mapped_column(Integer, nullable=True)
    militants_killed: Mapped[int | None] = mapped_column(Integer, nullable=True)
    injured: Mapped[int | None] = mapped_column(Integer, nullable=True)
    hostages: Mapped[int | None] = mapped_column(Integer, nullable=True)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: Set by de-duplication when this record was merged into another; analytics count only the survivor.
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id"), nullable=True, index=True)
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"), nullable=True)
    #: The line of the batch's file this incident was first read from (provenance, and how bulk inserts
    #: match generated ids back to their rows).
    import_line: Mapped[int | None] = mapped_column(Integer, nullable=True)

    actor_ref: Mapped[Actor | None] = relationship()
    sources: Mapped[list[IncidentSource]] = relationship(
        back_populates="incident", cascade="all, delete-orphan", order_by="IncidentSource.id"
    )


class IncidentSource(Classified, Base):
    """A dataset row or article that reports an incident; ``raw`` keeps the row exactly as it was read."""

    __tablename__ = "incident_source"
    __table_args__ = (UniqueConstraint("dataset", "source_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"), index=True)
    dataset: Mapped[str] = mapped_column(String(20))  # ucdp-ged | acled | gtd | csv:<name> | article
    source_id: Mapped[str] = mapped_column(String(120))
    dataset_version: Mapped[str | None] = mapped_column(String(40), nullable=True)
    url: Mapped[str | None] = mapped_column(Text, nullable=True)
    title: Mapped[str | None] = mapped_column(Text, nullable=True)
    published: Mapped[date | None] = mapped_column(Date, nullable=True)
    raw: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    row_hash: Mapped[str] = mapped_column(String(64))
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"), nullable=True)
    # The figures this source gives (CASUALTY_FIELDS; migration 0007): a merge reconciles the incident's
    # figures from its sources' and never loses one, and an unmerge gives each incident its own back.
    killed: Mapped[int | None] = mapped_column(Integer, nullable=True)
    victims_killed: Mapped[int | None] = mapped_column(Integer, nullable=True)
    civilians_killed: Mapped[int | None] = mapped_column(Integer, nullable=True)
    security_killed: Mapped[int | None] = mapped_column(Integer, nullable=True)
    militants_killed: Mapped[int | None] = mapped_column(Integer, nullable=True)
    injured: Mapped[int | None] = mapped_column(Integer, nullable=True)
    hostages: Mapped[int | None] = mapped_column(Integer, nullable=True)

    incident: Mapped[Incident] = relationship(back_populates="sources")

    def classification_floor(self) -> Classification:
        inc = self.incident
        return Classification.parse(inc.classification) if inc is not None else Classification.PUBLIC


class IncidentCube(Classified, Base):
    """Pre-aggregated figures per month × province × one dimension (type, district or actor) × classification.

    A derived cache maintained additively on every import (``ON CONFLICT … DO UPDATE SET n = n + delta``), so
    dashboards read thousands of rows instead of millions. Clearance applies like everywhere else: the guard
    filters ``classification <= clearance`` on this mapped class, and a cell never mixes levels.
    """

    __tablename__ = "incident_cube"
    __table_args__ = (
        UniqueConstraint(
            "dim", "year", "month", "province_code", "key", "classification", name="uq_incident_cube_cell"
        ),
        Index("ix_incident_cube_dim_province", "dim", "province_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dim: Mapped[str] = mapped_column(String(8))  # type | district | actor
    year: Mapped[int] = mapped_column(Integer)
    month: Mapped[int] = mapped_column(Integer)
    province_code: Mapped[str] = mapped_column(String(20))  # '' when unknown
    key: Mapped[str] = mapped_column(String(40))  # event type, district code or actor id; '' when unknown
    incidents: Mapped[int] = mapped_column(Integer, default=0)
    killed: Mapped[int] = mapped_column(Integer, default=0)
    victims_killed: Mapped[int] = mapped_column(Integer, default=0)
    civilians_killed: Mapped[int] = mapped_column(Integer, default=0)
    security_killed: Mapped[int] = mapped_column(Integer, default=0)
    militants_killed: Mapped[int] = mapped_column(Integer, default=0)
    injured: Mapped[int] = mapped_column(Integer, default=0)
    hostages: Mapped[int] = mapped_column(Integer, default=0)
    # incidents of the cell that give each figure (migration 0006); a figure with 0 here is unknown, not 0
    killed_known: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    victims_killed_known: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    civilians_killed_known: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    security_killed_known: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    militants_killed_known: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    injured_known: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    hostages_known: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


def source_ids(incident: Incident) -> Iterable[str]:
    return (f"{s.dataset}:{s.source_id}" for s in incident.sources)
