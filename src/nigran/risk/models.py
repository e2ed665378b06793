"""Stored forecasts: one :class:`ForecastRun` per production (month, trigger) and its :class:`Forecast` rows.

Kept forever, so that a forecast made at the time can be scored later against what happened
(``nigran forecast score``). A run is built from the incidents visible at one classification level and
carries that level: a reader sees only runs at or below their clearance, so a forecast never reveals an
incident the reader may not see.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nigran.access.classification import Classification
from nigran.access.guard import Classified
from nigran.storage.base import Base, Timestamped, utcnow


class ForecastRun(Classified, Timestamped, Base):
    """One production of forecasts for every district and province, with the backtest that chose the model."""

    __tablename__ = "forecast_run"
    __table_args__ = (Index("ix_forecast_run_through", "data_through"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    made_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    data_through: Mapped[str] = mapped_column(String(7))  # YYYY-MM: the last month of data used
    chosen_model: Mapped[str] = mapped_column(String(20))
    trigger: Mapped[str] = mapped_column(String(20), default="cli")  # cli | schedule | import | job
    made_by: Mapped[str] = mapped_column(String(120))
    incidents_used: Mapped[int] = mapped_column(Integer, default=0)
    #: What the run was made from (incidents, their latest change, the level): a repeat with the same key
    #: (the monthly schedule, a re-import of the same file) makes no second run.
    data_key: Mapped[str] = mapped_column(String(120), default="")
    #: The backtest summary (``BacktestResult.as_dict()``) that chose ``chosen_model``.
    backtest: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    forecasts: Mapped[list[Forecast]] = relationship(back_populates="run", cascade="all, delete-orphan")


class Forecast(Classified, Base):
    """One unit's forecast of one measure for one target month by one model."""

    __tablename__ = "forecast"
    __table_args__ = (Index("ix_forecast_run_unit", "run_id", "unit_kind", "unit_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("forecast_run.id", ondelete="CASCADE"))
    unit_kind: Mapped[str] = mapped_column(String(10))  # district | province
    unit_code: Mapped[str] = mapped_column(String(40))
    target_month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    horizon: Mapped[int] = mapped_column(Integer)
    measure: Mapped[str] = mapped_column(String(12))  # incidents | fatalities
    model: Mapped[str] = mapped_column(String(20))
    mean: Mapped[float | None] = mapped_column(Float, nullable=True)
    #: {"0.05": …, "0.1": …, "0.25": …, "0.5": …, "0.75": …, "0.9": …, "0.95": …}
    quantiles: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    p_fatal: Mapped[float | None] = mapped_column(Float, nullable=True)  # P(≥1 fatal attack); fatalities rows
    p_ge10: Mapped[float | None] = mapped_column(Float, nullable=True)  # P(≥10 fatalities); fatalities rows
    #: For the learned model: each feature group's contribution to the mean (see ``risk/model.py``).
    explanation: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)

    run: Mapped[ForecastRun] = relationship(back_populates="forecasts")

    def classification_floor(self) -> Classification:
        run = self.run
        return Classification.parse(run.classification) if run is not None else Classification.PUBLIC
