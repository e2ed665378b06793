"""A database for the web's access tests: canaries at PUBLIC, RESTRICTED and SECRET in every domain, and one
user per role the access matrix walks.

What is planted (each classified record carries a string that appears nowhere else):

- frameworks: the leak-test framework of ``tests/reports_canary.py`` (classified sections, objectives,
  indicators, milestones, entities ``CNRYR``/``CNRYS``, cycles 2024/2025 with verified and returned
  submissions whose evidence, notes and comments are canaries), the canary framework of
  ``tests/helpers.py`` (``CANARY-FW``), and two whole frameworks at RESTRICTED and SECRET;
- submissions that await review, one per focal person's entity, whose evidence names the entity
  (``CANARY-ENTITY-KP`` / ``CANARY-ENTITY-MOI``): the other entity's focal person must never see them;
- incidents: ``tests/fixtures/incidents/synthetic.csv`` with its SECRET and RESTRICTED rows;
- users: an account whose display name only the user administrators and audit readers may read.

The users carry the demo's names and passwords (so ``tests.web_support.client_for`` signs them in), but the
reviewer is cleared to RESTRICTED only: SECRET material must then reach the administrator alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import make_url
from tests import reports_canary
from tests.helpers import load_fixture

from nigran.access.classification import Classification
from nigran.access.principal import Principal, Role
from nigran.demo import DEMO_PASSWORDS
from nigran.storage.db import Database

INCIDENTS = Path(__file__).parent / "fixtures" / "incidents" / "synthetic.csv"

#: (username, role, clearance, entity): who the matrix walks as; ``None`` is the anonymous public.
USERS: list[tuple[str, Role, Classification, str | None]] = [
    ("admin", Role.ADMINISTRATOR, Classification.SECRET, None),
    ("analyst", Role.ANALYST, Classification.RESTRICTED, None),
    ("reviewer", Role.REVIEWER, Classification.RESTRICTED, None),
    ("focal-kp", Role.FOCAL_PERSON, Classification.RESTRICTED, "KP"),
    ("focal-moi", Role.FOCAL_PERSON, Classification.RESTRICTED, "MOI"),
    ("reader", Role.PUBLIC_READER, Classification.PUBLIC, None),
]
CLEARANCE: dict[str | None, Classification] = {None: Classification.PUBLIC} | {
    name: level for name, _, level, _ in USERS
}
ROLE: dict[str | None, Role] = {None: Role.PUBLIC_READER} | {name: role for name, role, _, _ in USERS}

#: Strings only records of that level hold (compared case-insensitively with every response body).
LEVEL_CANARIES: dict[Classification, tuple[str, ...]] = {
    Classification.RESTRICTED: (
        "CANARY-RESTRICTED",
        "QX7R",
        "CNRYR",
        "987654",
        "987000.5",
        "123456.789",
        "CANARY-EVIDENCE",
        "CANARY-NOTE",
    ),
    Classification.SECRET: ("CANARY-SECRET", "QX9S", "CNRYS", "424242"),
}
#: Evidence of the submissions awaiting review, by entity: their entity's focal person, analysts,
#: reviewers and administrators may read it; the other entity's focal person and the public may not.
ENTITY_CANARIES = {"KP": "CANARY-ENTITY-KP", "MOI": "CANARY-ENTITY-MOI"}
#: A display name of an account: user administrators and audit readers only.
USER_CANARY = "CANARY-USERDIR"
USER_CANARY_READERS = {Role.ADMINISTRATOR, Role.REVIEWER}
#: Roles that may read every entity's pending submissions (within their clearance).
ALL_ENTITY_READERS = {Role.ADMINISTRATOR, Role.REVIEWER, Role.ANALYST}

SECRET_FW, RESTRICTED_FW = "QX9S-FW", "QX7R-FW"


def _whole_framework(code: str, level: str) -> dict[str, Any]:
    tag = f"CANARY-{level}"
    return {
        "framework": {
            "code": code,
            "title": f"{tag}-FRAMEWORK title",
            "classification": level,
            "period": {"start": date(2022, 1, 1), "end": date(2026, 12, 31)},
            "sections": [
                {
                    "code": f"{code}.S1",
                    "title": f"{tag}-FW-SECTION",
                    "objectives": [
                        {
                            "code": f"{code}.S1.O1",
                            "title": f"{tag}-FW-OBJECTIVE",
                            "indicators": [
                                {
                                    "code": f"{code}.S1.O1.I1",
                                    "name": f"{tag}-FW-INDICATOR",
                                    "unit": "count",
                                    "direction": "increase",
                                    "baseline": {"value": 1, "date": date(2021, 12, 31)},
                                    "targets": {2025: 2},
                                    "responsible": [{"entity": "MOI", "role": "lead"}],
                                }
                            ],
                        }
                    ],
                }
            ],
        }
    }


@dataclass
class Planted:
    """The planted database and the keys of its records, by kind: ``(value, level)`` pairs that fill a
    route's path parameters (the level says who may see the record behind the value)."""

    db: Database
    backend: str
    keys: dict[str, list[tuple[str, Classification]]] = field(default_factory=dict)

    def principal(self, username: str) -> Principal:
        from nigran.access.service import principal_for

        with self.db.session(Principal.system(), readonly=True) as s:
            return principal_for(s, username)


def plant(db: Database, backend: str) -> Planted:
    """Plant every canary and the users into ``db`` (a migrated database with the reference data)."""
    from nigran.access.service import add_user, set_password
    from nigran.incidents.importer import import_file
    from nigran.monitoring import service as mon
    from nigran.policy.service import load_document

    reports_canary.plant(db)
    load_fixture(db)  # CANARY-FW
    with db.session(Principal.system()) as s:
        for code, level in ((SECRET_FW, "SECRET"), (RESTRICTED_FW, "RESTRICTED")):
            load_document(s, _whole_framework(code, level), "web-canaries")
        for name, role, level, entity in USERS:
            add_user(s, name, role=role, clearance=level, entity_code=entity, display_name=f"Test {name}")
            set_password(s, name, DEMO_PASSWORDS[name])
        add_user(s, "canary-user", role=Role.ANALYST, clearance="PUBLIC", display_name=USER_CANARY + " name")
    with db.session(Principal("ana", Role.ANALYST, Classification.SECRET)) as s:
        import_file(s, INCIDENTS, "csv")
    planted = Planted(db, backend)
    pending = {"MOI": ("CANARY-FW.S1.O1.I1", 25.0, None), "KP": ("CANARY-FW.S1.O1.A1.M1", None, "completed")}
    with db.session(Principal.system()) as s:
        cycle = mon.create_cycle(s, "CANARY-FW", "2024")
        mon.generate_obligations(s, cycle.framework, cycle)
    submissions: list[tuple[str, Classification]] = []
    for entity, (item, value, status) in pending.items():
        with db.session(planted.principal(f"focal-{entity.lower()}")) as s:
            cycle = mon.get_cycle(s, "CANARY-FW", "2024")
            data = mon.ValueInput(
                item, value=value, milestone_status=status, evidence=f"{ENTITY_CANARIES[entity]}-EVIDENCE"
            )
            submissions.append((str(mon.submit(s, cycle, None, data).id), Classification.PUBLIC))
    planted.keys = _keys(db) | {"pending_submission": submissions}
    return planted


def _keys(db: Database) -> dict[str, list[tuple[str, Classification]]]:
    """Ids and codes of one record per level of every kind (the highest id of each level)."""
    from nigran.incidents.models import Incident
    from nigran.monitoring.models import ReportingCycle, Submission
    from nigran.policy.models import Action, Entity, Framework, Indicator, Milestone, Objective, Section

    out: dict[str, list[tuple[str, Classification]]] = {}
    with db.session(Principal.system(), readonly=True) as s:
        for kind, model, column in (
            ("framework", Framework, Framework.code),
            ("section", Section, Section.code),
            ("objective", Objective, Objective.code),
            ("indicator", Indicator, Indicator.code),
            ("action", Action, Action.code),
            ("milestone", Milestone, Milestone.code),
            ("entity", Entity, Entity.code),
            ("incident", Incident, Incident.id),
            ("submission", Submission, Submission.id),
            ("cycle", ReportingCycle, ReportingCycle.id),
        ):
            seen: dict[Classification, str] = {}
            for value, level in s.execute(select(column, model.classification).order_by(column)):
                seen.setdefault(Classification(level), str(value))
            out[kind] = sorted(((v, lv) for lv, v in seen.items()), key=lambda p: p[1])
    out["framework"] = [
        ("CANARY-FW", Classification.PUBLIC),  # first: the other kinds' first values are its records
        ("LEAKTEST-FW", Classification.PUBLIC),
        (RESTRICTED_FW, Classification.RESTRICTED),
        (SECRET_FW, Classification.SECRET),
    ]
    return out


@contextmanager
def planted_database(templates: Any, backend: str, folder: Path) -> Iterator[Planted]:
    """A copy of the reference template with everything planted; dropped afterwards. Files without a home
    of their own (the job queue of a PostgreSQL database) go to ``folder``, not the current folder."""
    import pytest

    url = templates.copy(backend, "reference", folder)
    db = Database(url)
    try:
        with pytest.MonkeyPatch.context() as env:
            env.setenv("NIGRAN_DATA_DIR", str(folder))
            yield plant(db, backend)
    finally:
        db.dispose()
        if backend == "postgresql":
            templates.pg_drop(make_url(url).database or "")


def visible_canaries(user: str | None) -> set[str]:
    """Canary strings ``user`` (None: anonymous) may be shown."""
    role, level = ROLE[user], CLEARANCE[user]
    out = {c for lv, strings in LEVEL_CANARIES.items() if lv <= level for c in strings}
    if role in USER_CANARY_READERS:
        out.add(USER_CANARY)
    for entity, canary in ENTITY_CANARIES.items():
        if role in ALL_ENTITY_READERS or user == f"focal-{entity.lower()}":
            out.add(canary)
    return out


ALL_CANARIES = {c for strings in LEVEL_CANARIES.values() for c in strings} | {USER_CANARY}
ALL_CANARIES |= set(ENTITY_CANARIES.values())


def leaked(user: str | None, body: str, echoed: tuple[str, ...] = ()) -> list[str]:
    """Canaries in ``body`` that ``user`` must not see. ``echoed`` are values the request itself sent
    (an error message may repeat them back: that tells the user nothing they did not know)."""
    text = body
    for value in echoed:
        text = re.sub(re.escape(value), "", text, flags=re.IGNORECASE)
    text = text.lower()
    return sorted(c for c in ALL_CANARIES - visible_canaries(user) if c.lower() in text)
