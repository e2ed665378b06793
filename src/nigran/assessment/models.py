"""The monitors' published figures (PIPS, PICSS, CRSS …), kept as reference series beside Nigran's own.

A figure is one number a monitor published for one period (a month ``YYYY-MM`` or a year ``YYYY``) and
one measure, with the counting definition it corresponds to, the scope it covers (the definition's
counted total, or its attacks or operations only) and the citation it came from.
"""

from __future__ import annotations

from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from nigran.access.guard import Classified
from nigran.storage.base import Base, Timestamped


class MonitorFigure(Classified, Timestamped, Base):
    __tablename__ = "monitor_figure"
    __table_args__ = (
        UniqueConstraint("monitor", "period", "measure", "scope", "definition", name="uq_monitor_figure"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    monitor: Mapped[str] = mapped_column(String(40), index=True)  # PIPS | PICSS | CRSS | …
    period: Mapped[str] = mapped_column(String(7), index=True)  # YYYY-MM or YYYY
    measure: Mapped[str] = mapped_column(String(30))  # incidents | killed | injured | civilians_killed …
    scope: Mapped[str] = mapped_column(String(12), default="counted")  # counted | attacks | operations
    value: Mapped[int] = mapped_column(Integer)
    definition: Mapped[str] = mapped_column(String(20))  # pips | picss | crss
    source: Mapped[str] = mapped_column(Text)  # the citation: who published it, where, when
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
