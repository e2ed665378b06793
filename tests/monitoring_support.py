"""Shared set-up for the monitoring tests: the MON-T fixture framework, its cycles, and acting principals."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select
from tests.helpers import ANALYST, REVIEWER, focal, load_fixture

from nigran.access.classification import Classification
from nigran.access.principal import Principal, Role
from nigran.monitoring import service
from nigran.monitoring.models import Submission
from nigran.storage.db import Database

FW = "MON-T"
I1, I2 = "MON-T.S1.O1.I1", "MON-T.S1.O1.I2"  # KP increase 40→60 (2024); MOI decrease 1000→800 (2024)
BAND, NOTARGET = "MON-T.S1.O2.I1", "MON-T.S1.O2.I2"  # NSD maintain 2..4; NSD no target
M1, M2 = "MON-T.S1.O1.A1.M1", "MON-T.S1.O1.A1.M2"  # KP, due 2024-06-30 and 2025-06-30
SECRETISH = "MON-T.S2.O1.I1"  # RESTRICTED, MOI, increase 0→10 (2024)
SYSTEM = Principal.system()
SECOND_REVIEWER = Principal("reviewer2", Role.REVIEWER, Classification.SECRET)


def setup_cycles(db: Database, codes: tuple[str, ...] = ("2023", "2024")) -> None:
    load_fixture(db, "monitoring-framework.yaml")
    with db.session(ANALYST) as s:
        for code in codes:
            cycle = service.create_cycle(s, FW, code)
            service.generate_obligations(s, cycle.framework, cycle)


def stamp(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def report(
    db: Database,
    entity: str,
    code: str,
    *,
    value: float | None = None,
    status: str | None = None,
    cycle: str = "2024",
    on: date | None = None,
    verify: bool = True,
    evidence: str = "ref-1",
    note: str | None = None,
    as_: Principal | None = None,
) -> int:
    """Submit (and verify) one value; ``on`` back-dates both steps, which only the system may do."""
    who = SYSTEM if on else (as_ or focal(db, entity))
    with db.session(who) as s:
        cyc = service.get_cycle(s, FW, cycle)
        data = service.ValueInput(code, value, status, evidence=evidence, note=note)
        sub = service.submit(s, cyc, entity, data, at=stamp(on) if on else None)
        sub_id = sub.id
    if verify:
        with db.session(SYSTEM if on else REVIEWER) as s:
            service.verify(s, sub_id) if not on else service.transition(s, sub_id, "verify", at=stamp(on))
    return sub_id


def count_submissions(db: Database) -> int:
    with db.session(SYSTEM) as s:
        return len(s.scalars(select(Submission.id)).all())
