"""Maintains ``incident_cube``, the pre-aggregated figures the dashboards read.

Every change to incidents is applied as a delta (``+1 incident, +5 killed`` or its negative on update), with
an insert that adds on conflict. That keeps the cube right without deleting rows, which the guard reserves to
object-by-object changes, and lets de-duplication call :func:`apply` with a merge's removed incidents.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nigran.access.classification import Classification
from nigran.incidents.models import KNOWN_COUNTS, MEASURES, Incident, IncidentCube

#: The cube's counters in the order a cell holds them: incidents, the measures' sums, then for each measure
#: the number of incidents that give it (so a sum over incidents without the figure reads as unknown).
COUNTERS = ("incidents", *MEASURES, *KNOWN_COUNTS)
DIMS = ("type", "district", "actor")
#: ``month`` of the year-grain cells: every incident is counted once per month and once more per year, so
#: questions about whole years read twelve times fewer cells. Queries pick one grain, never both.
YEAR = 0
Key = tuple[str, int, int, str, str, int]


class CubeDelta:
    """Accumulates signed contributions in memory; :meth:`flush` writes them in one statement."""

    def __init__(self) -> None:
        self.cells: dict[Key, list[int]] = defaultdict(lambda: [0] * len(COUNTERS))

    def add(self, row: Mapping[str, Any], classification: int, actor_code: str | None, sign: int = 1) -> None:
        if row.get("duplicate_of_id"):
            return  # merged duplicates are counted through their survivor
        values = cell_values([row.get(m) for m in MEASURES], sign)
        keys = {
            "type": row.get("event_type") or "",
            "district": row.get("district_code") or "",
            "actor": actor_code or "",
        }
        province = row.get("province_code") or ""
        for month in (row["month"], YEAR):
            for dim in DIMS:
                cell = self.cells[(dim, row["year"], month, province, keys[dim], classification)]
                for i, value in enumerate(values):
                    cell[i] += value

    def flush(self, session: Session) -> int:
        rows = [
            {
                "dim": k[0],
                "year": k[1],
                "month": k[2],
                "province_code": k[3],
                "key": k[4],
                "classification": Classification(k[5]),
                **dict(zip(COUNTERS, v, strict=True)),
            }
            for k, v in self.cells.items()
            if any(v)
        ]
        if rows:
            _upsert(session, rows)
        self.cells.clear()
        return len(rows)


def _upsert(session: Session, rows: list[dict[str, Any]]) -> None:
    table = IncidentCube.__table__
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    stmt = insert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=["dim", "year", "month", "province_code", "key", "classification"],
        set_={c: table.c[c] + stmt.excluded[c] for c in COUNTERS},
    )
    for start in range(0, len(rows), 20_000):
        session.execute(stmt, rows[start : start + 20_000])


def cell_values(measures: list[Any] | tuple[Any, ...], sign: int = 1) -> list[int]:
    """One incident's contribution to a cell, in :data:`COUNTERS` order, from its measures (None: unknown)."""
    return [sign] + [sign * (v or 0) for v in measures] + [0 if v is None else sign for v in measures]


def apply(session: Session, removed: Iterable[Incident] = (), added: Iterable[Incident] = ()) -> None:
    """For services that change incidents object by object (de-duplication, edits): keep the cube right.

    Pass each changed incident's state before the change in ``removed`` and after it in ``added``.
    """
    delta = CubeDelta()
    codes = _actor_codes(session)
    for sign, incidents in ((-1, removed), (1, added)):
        for inc in incidents:
            row = {
                c: getattr(inc, c)
                for c in (
                    "event_type",
                    "district_code",
                    "province_code",
                    "year",
                    "month",
                    "duplicate_of_id",
                    *MEASURES,
                )
            }
            delta.add(row, int(Classification.parse(inc.classification)), codes.get(inc.actor_id), sign)
    delta.flush(session)


def _actor_codes(session: Session) -> dict[int | None, str]:
    from nigran.incidents.models import Actor

    return {a.id: a.code for a in session.scalars(select(Actor))}


def rebuild_rows(session: Session) -> list[dict[str, Any]]:
    """What the cube should hold, recomputed from the incidents this session may see (checks, tests)."""
    codes = _actor_codes(session)
    cols = (
        [func.count(Incident.id)]
        + [func.coalesce(func.sum(getattr(Incident, m)), 0) for m in MEASURES]
        + [func.count(getattr(Incident, m)) for m in MEASURES]
    )
    out = []
    for dim, key in (
        ("type", Incident.event_type),
        ("district", Incident.district_code),
        ("actor", Incident.actor_id),
    ):
        stmt = (
            select(Incident.year, Incident.month, Incident.province_code, key, Incident.classification, *cols)
            .where(Incident.duplicate_of_id.is_(None))
            .group_by(Incident.year, Incident.month, Incident.province_code, key, Incident.classification)
        )
        for year, month, prov, k, level, *vals in session.execute(stmt):
            k = codes.get(k, "") if dim == "actor" else (k or "")
            out.append(
                {
                    "dim": dim,
                    "year": year,
                    "month": month,
                    "province_code": prov or "",
                    "key": k,
                    "classification": int(level),
                    **dict(zip(COUNTERS, vals, strict=True)),
                }
            )
    years: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in out:
        key = (row["dim"], row["year"], row["province_code"], row["key"], row["classification"])
        cell = years.setdefault(key, {**row, "month": YEAR, **{c: 0 for c in COUNTERS}})
        for c in COUNTERS:
            cell[c] += row[c]
    return out + list(years.values())


def add_batch(session: Session, batch_id: int) -> None:
    """Add the incidents a bulk import inserted (``import_batch_id``) to the cube, inside the database.

    One ``INSERT … SELECT … GROUP BY … ON CONFLICT DO UPDATE`` per dimension instead of a Python loop over a
    million rows. It runs beneath the ORM (the guard refuses Core reads of classified tables to users),
    which is safe here: nothing is returned to anyone, and each cell keeps its rows' classification in
    its key.
    """
    mark = "?" if session.get_bind().dialect.paramstyle == "qmark" else "%s"
    sql = cube_insert_sql("i.import_batch_id = " + mark)
    for statement in sql:
        session.connection().exec_driver_sql(statement, (batch_id,))


def cube_insert_sql(where: str) -> list[str]:
    """The ``INSERT … SELECT`` statements that add the incidents matching ``where`` (SQL over ``incident i``)
    to the cube, one per dimension and grain; shared by :func:`add_batch` and migration 0006's rebuild."""
    sums = ", ".join(
        ["count(*)"] + [f"coalesce(sum(i.{m}), 0)" for m in MEASURES] + [f"count(i.{m})" for m in MEASURES]
    )
    update = ", ".join(f"{c} = incident_cube.{c} + excluded.{c}" for c in COUNTERS)
    keys = {
        "type": ("coalesce(i.event_type, '')", ""),
        "district": ("coalesce(i.district_code, '')", ""),
        "actor": ("coalesce(a.code, '')", " LEFT JOIN actor a ON a.id = i.actor_id"),
    }
    out = []
    for (dim, (key, join)), month in itertools.product(keys.items(), ("i.month", str(YEAR))):
        out.append(
            "INSERT INTO incident_cube (dim, year, month, province_code, key, classification, "
            f"{', '.join(COUNTERS)}) "
            f"SELECT '{dim}', i.year, {month}, coalesce(i.province_code, ''), {key}, i.classification, "
            f"{sums} "
            f"FROM incident i{join} WHERE {where} AND i.duplicate_of_id IS NULL "
            f"GROUP BY i.year, {'i.month, ' if month == 'i.month' else ''}coalesce(i.province_code, ''), "
            f"{key}, i.classification "
            f"ON CONFLICT (dim, year, month, province_code, key, classification) DO UPDATE SET {update}"
        )
    return out
