"""A test framework with canaries planted in RESTRICTED and SECRET records, for the report leak tests.

Every classified record carries a distinctive string (``CANARY-…``) and, where it has numbers, a value no
public record has (987654.321 …). The SECRET section and objectives also change the counts: if any
aggregate in a public output were computed over them, the public totals would differ from the totals of
the PUBLIC records, which the tests compute independently from the document below.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from nigran.access.classification import Classification
from nigran.access.principal import Principal
from nigran.policy.models import Entity
from nigran.policy.service import load_document
from nigran.storage.db import Database

CODE = "LEAKTEST-FW"
YEAR = 2025
TODAY = date(2026, 4, 1)  # after the 2025 cycle's deadline: unsent reports are overdue

#: Strings that must never appear in a public output.
CANARY_STRINGS = [
    "CANARY-RESTRICTED",
    "CANARY-SECRET",
    "CNRYR",
    "CNRYS",
    "QX7R",  # inside RESTRICTED codes
    "QX9S",  # inside SECRET codes
    "CANARY-EVIDENCE",
    "CANARY-NOTE",
]
#: Numbers only classified records hold, as they could be printed (with and without grouping).
CANARY_NUMBERS = ["987654.321", "987,654", "987654", "987000.5", "424242", "7.77", "13.13"]


def _ms(code: str, title: str, due: str, status: str, owner: str, done: str | None = None, **kw: Any) -> dict:
    out: dict[str, Any] = {
        "code": code,
        "title": title,
        "due": date.fromisoformat(due),
        "status": status,
        "owner": owner,
        **kw,
    }
    if done:
        out["completed_on"] = date.fromisoformat(done)
    return out


def document() -> dict[str, Any]:
    """The framework: PUBLIC skeleton, classified records planted at every level."""
    public_objectives = [
        {
            "code": "CF.S1.O1",
            "title": "Public objective one",
            "indicators": [
                {
                    "code": "CF.S1.O1.I1",
                    "name": "Public indicator",
                    "unit": "count",
                    "direction": "increase",
                    "baseline": {"value": 10, "date": date(2021, 12, 31)},
                    "targets": {2025: 20},
                    "responsible": [{"entity": "MOI", "role": "lead"}],
                },
                {
                    "code": "CF.S1.O1.QX7R.I2",
                    "name": "CANARY-RESTRICTED-INDICATOR baseline",
                    "unit": "count",
                    "direction": "increase",
                    "baseline": {"value": 987654.321, "date": date(2021, 12, 31)},
                    "targets": {2025: 987000.5},
                    "classification": "RESTRICTED",
                    "weight": 13.13,
                    "responsible": [{"entity": "CNRYR", "role": "lead"}],
                },
            ],
            "actions": [
                {
                    "code": "CF.S1.O1.A1",
                    "title": "Public action",
                    "owner": "MOI",
                    "due": date(2025, 12, 31),
                    "status": "in_progress",
                    "milestones": [
                        _ms(
                            "CF.S1.O1.A1.M1",
                            "Public milestone done",
                            "2023-06-30",
                            "completed",
                            "MOI",
                            "2023-05-01",
                        ),
                        _ms("CF.S1.O1.A1.M2", "Public milestone late", "2025-06-30", "in_progress", "KP"),
                        _ms(
                            "CF.S1.O1.A1.QX7R.M3",
                            "CANARY-RESTRICTED-MILESTONE owned by a restricted entity",
                            "2024-03-31",
                            "not_started",
                            "CNRYR",
                            classification="RESTRICTED",
                        ),
                    ],
                },
            ],
        },
        {
            "code": "CF.S1.O2",
            "title": "Public objective two",
            "actions": [
                {
                    "code": "CF.S1.O2.A1",
                    "title": "Public action two",
                    "owner": "PB",
                    "due": date(2024, 12, 31),
                    "status": "completed",
                    "milestones": [
                        _ms(
                            "CF.S1.O2.A1.M1",
                            "Public milestone two",
                            "2024-12-31",
                            "completed",
                            "PB",
                            "2024-11-30",
                        ),
                    ],
                },
            ],
        },
        {
            "code": "CF.S1.QX9S.O3",
            "title": "CANARY-SECRET-OBJECTIVE in a public section",
            "classification": "SECRET",
            "weight": 7.77,
            "actions": [
                {
                    "code": "CF.S1.QX9S.O3.A1",
                    "title": "CANARY-SECRET-ACTION",
                    "owner": "KP",
                    "due": date(2024, 1, 31),
                    "status": "delayed",
                    "milestones": [
                        _ms(
                            "CF.S1.QX9S.O3.A1.M1",
                            "CANARY-SECRET-MILESTONE overdue in KP",
                            "2024-01-31",
                            "delayed",
                            "KP",
                        ),
                        _ms(
                            "CF.S1.QX9S.O3.A1.M2",
                            "CANARY-SECRET-MILESTONE owned by secret entity",
                            "2023-02-28",
                            "not_started",
                            "CNRYS",
                        ),
                    ],
                },
            ],
        },
    ]
    secret_section = {
        "code": "CF.QX9S.S2",
        "title": "CANARY-SECRET-SECTION that would change every count",
        "title_ur": "CANARY-SECRET-URDU خفیہ",
        "classification": "SECRET",
        "weight": 7.77,
        "objectives": [
            {
                "code": f"CF.QX9S.S2.O{n}",
                "title": f"CANARY-SECRET-SECTION-OBJECTIVE {n}",
                "indicators": [
                    {
                        "code": f"CF.QX9S.S2.O{n}.I1",
                        "name": f"CANARY-SECRET-IND {n}",
                        "unit": "count",
                        "direction": "decrease",
                        "baseline": {"value": 424242, "date": date(2021, 12, 31)},
                        "targets": {2025: 424242 - n},
                        "responsible": [{"entity": "SD", "role": "lead"}],
                    },
                ],
                "actions": [
                    {
                        "code": f"CF.QX9S.S2.O{n}.A1",
                        "title": f"CANARY-SECRET-SECTION-ACTION {n}",
                        "owner": "SD",
                        "due": date(2025, 6, 30),
                        "status": "completed",
                        "milestones": [
                            _ms(
                                f"CF.QX9S.S2.O{n}.A1.M1",
                                f"CANARY-SECRET-SECTION-MS {n}",
                                "2025-06-30",
                                "completed",
                                "SD",
                                "2025-05-30",
                            ),
                        ],
                    }
                ],
            }
            for n in range(1, 5)
        ],
    }
    return {
        "framework": {
            "code": CODE,
            "title": "Leak test framework",
            "title_ur": "آزمائشی فریم ورک",
            "period": {"start": date(2022, 1, 1), "end": date(2026, 12, 31)},
            "sections": [
                {
                    "code": "CF.S1",
                    "title": "Public section",
                    "title_ur": "عوامی حصہ",
                    "objectives": public_objectives,
                },
                secret_section,
            ],
        }
    }


def public_only(doc: dict[str, Any]) -> dict[str, Any]:
    """The same document with every non-PUBLIC item removed: what a public reader's figures must equal."""

    def keep(node: Any) -> bool:
        return not isinstance(node, dict) or Classification.parse(node.get("classification", "PUBLIC")) == 0

    def prune(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: prune(v) for k, v in node.items()}
        if isinstance(node, list):
            return [prune(x) for x in node if keep(x)]
        return node

    return prune(doc)


def plant(db: Database, doc: dict[str, Any] | None = None) -> None:
    """Add the classified canary entities and load the framework, as the system."""
    with db.session(Principal.system()) as s:
        moi = s.query(Entity).filter_by(code="MOI").one()
        s.add(
            Entity(
                code="CNRYR",
                name="CANARY-RESTRICTED-ENTITY",
                kind="agency",
                parent_id=moi.id,
                classification=Classification.RESTRICTED,
            )
        )
        s.add(
            Entity(
                code="CNRYS", name="CANARY-SECRET-ENTITY", kind="agency", classification=Classification.SECRET
            )
        )
        s.flush()
        load_document(s, doc or document(), "canary")
    report(db, CODE)


def load(db: Database, doc: dict[str, Any]) -> None:
    with db.session(Principal.system()) as s:
        load_document(s, doc, "canary")
    report(db, str(doc["framework"]["code"]))


#: (cycle, entity, item, value or milestone status, final step, return comment): the reporting history.
#: Classified items' values, evidence and comments are canaries too.
SUBMISSIONS: list[tuple[str, str, str, float | str, str, str | None]] = [
    ("2024", "MOI", "CF.S1.O1.I1", 14.0, "verify", None),
    ("2024", "MOI", "CF.S1.O1.A1.M1", "completed", "verify", None),
    ("2025", "MOI", "CF.S1.O1.I1", 18.0, "verify", None),
    ("2025", "KP", "CF.S1.O1.A1.M2", "in_progress", "verify", None),
    ("2025", "PB", "CF.S1.O2.A1.M1", "completed", "return", "Public comment: attach the notification"),
    ("2024", "CNRYR", "CF.S1.O1.QX7R.I2", 987654.321, "verify", None),
    ("2025", "CNRYR", "CF.S1.O1.QX7R.I2", 987000.5, "verify", None),
    ("2025", "CNRYR", "CF.S1.O1.A1.QX7R.M3", "not_started", "return", "CANARY-RESTRICTED-RETURN-COMMENT"),
    ("2025", "KP", "CF.S1.QX9S.O3.A1.M1", "delayed", "return", "CANARY-SECRET-RETURN-COMMENT"),
    *[("2025", "SD", f"CF.QX9S.S2.O{n}.I1", float(424242 - n), "verify", None) for n in range(1, 5)],
    *[("2025", "SD", f"CF.QX9S.S2.O{n}.A1.M1", "completed", "verify", None) for n in range(1, 5)],
]


def report(db: Database, code: str) -> None:
    """Cycles, obligations and the submissions above for framework ``code`` (items it lacks are skipped)."""
    from nigran.monitoring import service as mon
    from nigran.policy.service import NotFound, get_framework

    with db.session(Principal.system()) as s:
        fw = get_framework(s, code)
        cycles = {}
        for year in ("2024", "2025"):
            cycles[year] = mon.create_cycle(s, code, year)
            mon.generate_obligations(s, fw, cycles[year])
        for cycle, entity, item, value, step, comment in SUBMISSIONS:
            secret = "QX" in item
            data = mon.ValueInput(
                item,
                value=value if isinstance(value, float) else None,
                milestone_status=value if isinstance(value, str) else None,
                evidence="CANARY-EVIDENCE-REF" if secret else "Gazette notification",
                note="CANARY-NOTE" if secret else None,
            )
            at = datetime(int(cycle) + 1, 1, 20, tzinfo=UTC)
            try:
                sub = mon.submit(s, cycles[cycle], entity, data, at=at)
            except NotFound:
                continue  # the public-only twin lacks this item
            if step == "verify":
                mon.transition(s, sub.id, "verify", at=at)
            else:
                mon.transition(s, sub.id, "return", comment=comment, at=at)
