"""Bundled reference data: entities and administrative units, for ``nigran demo`` and ``nigran db seed``.

Both loads upsert by code, so running them twice changes nothing and a newer bundle updates rows in place.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from nigran.access.classification import Classification
from nigran.core.paths import data_path
from nigran.core.problems import InvalidInput, Problem
from nigran.core.yamldoc import LineDict, load_yaml_file
from nigran.geo.models import AdminUnit
from nigran.policy.enums import EntityKind
from nigran.policy.models import Entity


def bundled_frameworks() -> list[Path]:
    return sorted(data_path("frameworks").glob("*.yaml"))


def bundled_framework_codes() -> set[str]:
    """The codes of the bundled frameworks, read from their headers (each file names exactly one)."""
    codes = set()
    for path in bundled_frameworks():
        doc = load_yaml_file(path)
        framework = doc.get("framework") if isinstance(doc, dict) else None
        if isinstance(framework, dict) and framework.get("code"):
            codes.add(str(framework["code"]))
    return codes


def _rows(path: Path, key: str) -> list[LineDict]:
    doc = load_yaml_file(path)
    if not isinstance(doc, dict) or not isinstance(doc.get(key), list):
        raise InvalidInput([Problem(1, f"expected a top-level '{key}:' list", str(path))])
    return doc[key]


def bundled_entity_codes() -> set[str]:
    return {str(row["code"]) for row in _rows(data_path("entities.yaml"), "entities")}


def load_entities(session: Session, path: Path | None = None) -> int:
    """Upsert entities by code; parents may be defined later in the file."""
    path = path or data_path("entities.yaml")
    rows = _rows(path, "entities")
    problems: list[Problem] = []
    kinds = {k.value for k in EntityKind}
    codes = {str(r.get("code")) for r in rows}
    existing = {e.code: e for e in session.scalars(select(Entity))}
    for row in rows:
        line = getattr(row, "line", 1)
        for field in ("code", "name", "kind"):
            if not row.get(field):
                problems.append(Problem(line, f"entity: {field!r} is required", str(path)))
        if row.get("kind") and row["kind"] not in kinds:
            problems.append(
                Problem(line, f"entity {row.get('code')}: unknown kind {row['kind']!r}", str(path))
            )
        parent = row.get("parent")
        if parent and str(parent) not in codes and str(parent) not in existing:
            problems.append(Problem(line, f"entity {row.get('code')}: unknown parent {parent!r}", str(path)))
    if problems:
        raise InvalidInput(problems)
    for row in rows:
        entity = existing.get(str(row["code"])) or Entity(code=str(row["code"]))
        entity.name = str(row["name"])
        entity.name_ur = row.get("name_ur")
        entity.kind = str(row["kind"])
        entity.admin_unit_code = row.get("admin_unit")
        entity.aliases = list(row.get("aliases") or [])
        entity.classification = Classification.parse(row.get("classification") or "PUBLIC")
        existing[entity.code] = entity
        session.add(entity)
    for row in rows:
        parent = row.get("parent")
        existing[str(row["code"])].parent = existing[str(parent)] if parent else None
    session.flush()
    return len(rows)


def load_admin_units(session: Session, path: Path | None = None) -> int:
    path = path or data_path("admin_units.yaml")
    rows = _rows(path, "units")
    existing = {u.code: u for u in session.scalars(select(AdminUnit))}
    codes = {str(r.get("code")) for r in rows}
    problems = [
        Problem(getattr(r, "line", 1), f"unit {r.get('code')}: unknown parent {r.get('parent')!r}", str(path))
        for r in rows
        if r.get("parent") and str(r["parent"]) not in codes and str(r["parent"]) not in existing
    ]
    problems += [
        Problem(getattr(r, "line", 1), f"unit: {f!r} is required", str(path))
        for r in rows
        for f in ("code", "name", "level")
        if not r.get(f)
    ]
    if problems:
        raise InvalidInput(problems)
    fields = ("name", "name_ur", "level", "lat", "lon", "population", "created_year", "notes")
    for row in rows:
        unit = existing.get(str(row["code"])) or AdminUnit(code=str(row["code"]))
        for field in fields:
            setattr(unit, field, row.get(field))
        unit.aliases = list(row.get("aliases") or [])
        unit.former_names = list(row.get("former_names") or [])
        existing[unit.code] = unit
        session.add(unit)
    for row in rows:
        parent = row.get("parent")
        existing[str(row["code"])].parent = existing[str(parent)] if parent else None
    session.flush()
    return len(rows)
