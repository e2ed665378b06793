"""``nigran incidents import``: one file, one transaction, every problem listed, nothing half-written.

Speed: new incidents and their sources go in with ORM bulk ``INSERT … RETURNING`` in chunks (the guard checks
role and clearance of every row); the audit trail gets one :class:`ImportBatch` row per import instead of one
entry per row, and each written row points back to that batch. Changed rows (a newer dataset version) are
loaded and changed as objects, so those changes are audited field by field.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from nigran.access.classification import Classification
from nigran.access.errors import AccessDenied
from nigran.access.guard import principal_of
from nigran.incidents import bulk, cube
from nigran.incidents import mappings as mp
from nigran.incidents.actors import ActorMatcher
from nigran.incidents.cube import CubeDelta
from nigran.incidents.models import CASUALTY_FIELDS, ImportBatch, Incident, IncidentSource
from nigran.incidents.places import PlaceResolver
from nigran.incidents.readers import DATASET, FORMATS, PARSERS, ucdp_version_from_name
from nigran.incidents.rows import Parsed, RowError, iter_rows
from nigran.policy.problems import InvalidInput, Problem

INCIDENT_COLS = (
    "date",
    "date_end",
    "date_precision",
    "year",
    "month",
    "province",
    "district",
    "place",
    "lat",
    "lon",
    "geo_precision",
    "event_type",
    "actor",
    "claimed",
    "target_type",
    *CASUALTY_FIELDS,
    "notes",
)
CHUNK = 5000


@dataclass
class ImportResult:
    dataset: str
    dataset_version: str | None
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    rejected: int = 0
    batch_id: int | None = None
    problems: list[Problem] = field(default_factory=list)


@dataclass
class _Run:
    session: Session
    path: Path
    dataset: str
    version: str | None
    sha256: str
    level: Classification
    result: ImportResult
    existing: dict[str, tuple[int, int, str]]
    batch: ImportBatch | None = None
    cube: CubeDelta = field(default_factory=CubeDelta)
    actor_codes: dict[int, str] = field(default_factory=dict)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def import_file(
    session: Session,
    path: Path,
    fmt: str,
    *,
    overrides: dict[str, Any] | None = None,
    skip_invalid: bool = False,
    rejects_path: Path | None = None,
    classification: Classification = Classification.PUBLIC,
    dataset_version: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Import ``path``; raises :class:`InvalidInput` listing every bad row unless ``skip_invalid``."""
    if fmt not in FORMATS:
        raise InvalidInput([Problem(0, f"unknown format {fmt!r} (one of {', '.join(FORMATS)})", str(path))])
    principal = principal_of(session)
    if not principal.is_system and principal.role not in Incident.__write_roles__:
        raise AccessDenied(f"{principal.username} ({principal.role}) may not import incidents")
    if classification > principal.clearance:
        raise AccessDenied(f"{principal.username} may not write {classification.name} incidents")
    overrides = overrides or {}
    tables: dict[str, Any] = {
        **mp.merged_tables(overrides),
        "columns": overrides.get("columns") or {},
        "event_types": overrides.get("event_types") or {},
    }
    dataset = DATASET[fmt] if fmt != "csv" else str(overrides.get("dataset") or f"csv:{path.stem}")[:20]
    version = dataset_version or (ucdp_version_from_name(path) if fmt == "ucdp-ged" else None)
    existing = {
        sid: (pk, iid, h)
        for sid, pk, iid, h in session.execute(
            select(
                IncidentSource.source_id,
                IncidentSource.id,
                IncidentSource.incident_id,
                IncidentSource.row_hash,
            ).where(IncidentSource.dataset == dataset)
        )
    }
    run = _Run(
        session,
        path,
        dataset,
        version,
        file_sha256(path),
        classification,
        ImportResult(dataset, version),
        existing,
    )
    actors, places = ActorMatcher.from_session(session), PlaceResolver(session)
    run.actor_codes = {aid: code for aid, code in actors.by_key.values()}
    actor_cache: dict[str | None, tuple[int, str] | None] = {}
    if session.get_bind().dialect.name == "sqlite":
        # a big page cache keeps the indexes of a million-row import in memory (default is 2 MB)
        session.connection().exec_driver_sql("PRAGMA cache_size=-262144")
    parse = PARSERS[fmt]
    # not the version: a row a new release leaves unchanged stays as it is (its source keeps the old version)
    fingerprint = json.dumps([fmt, int(classification), overrides], sort_keys=True, default=str)
    seen: dict[str, int] = {}
    new: list[Parsed] = []
    changed: list[Parsed] = []
    rejects: list[tuple[Parsed, list[Problem]]] = []
    res = run.result
    header: tuple[str, ...] | None = None
    for line, raw in iter_rows(path):
        if header is None:  # the columns belong to how a row was read: hash them once, with the settings
            header = tuple(raw)
            fingerprint += "\x1d" + "\x1f".join(header)
        res.rows_read += 1
        row = parse(line, raw, tables)
        if row.classification is not None and row.classification > principal.clearance:
            row.errors.append(RowError("classification", row.classification.name, "above your clearance"))
        if row.source_id in seen:
            row.errors.append(
                RowError("id", row.source_id, f"duplicate id, first on line {seen[row.source_id]}")
            )
        elif row.source_id:
            seen[row.source_id] = line
        if row.errors:
            found = [
                Problem(line, f"column {e.column!r} value {str(e.value)[:80]!r}: {e.why}", str(path))
                for e in row.errors
            ]
            res.problems += found
            rejects.append((row, found))
            continue
        if row.skip:
            res.skipped += 1
            continue
        _locate(row, places)
        name = row.fields.get("actor")
        if name not in actor_cache:
            actor_cache[name] = actors.match(name)
        match = actor_cache[name]
        row.fields["actor_id"] = match[0] if match else None
        row.source["row_hash"] = _row_hash(row, fingerprint)
        known = existing.get(row.source_id)
        if known is None:
            new.append(row)
        elif known[2] != row.source["row_hash"]:
            changed.append(row)
        else:
            res.unchanged += 1
        writing = skip_invalid or not res.problems
        if len(new) >= CHUNK:
            if writing:
                _insert(run, new)
            new = []
        if len(changed) >= CHUNK:
            if writing:
                _update(run, changed)
            changed = []
        if progress and res.rows_read % 1000 == 0:
            progress(1000)
    if res.problems and not skip_invalid:
        raise InvalidInput(res.problems)
    _insert(run, new)
    _update(run, changed)
    res.rejected = len(rejects)
    if run.batch is not None:
        if res.inserted:
            cube.add_batch(session, run.batch.id)
        run.cube.flush(session)
        b = run.batch
        b.rows_read, b.inserted, b.updated, b.unchanged = (
            res.rows_read,
            res.inserted,
            res.updated,
            res.unchanged,
        )
        b.skipped, b.rejected = res.skipped, res.rejected
        session.flush()
        res.batch_id = b.id
    if rejects_path is not None and rejects:
        _write_rejects(rejects_path, rejects)
    return res


def _locate(row: Parsed, places: PlaceResolver) -> None:
    f = row.fields
    place = places.resolve(f.get("province"), f.get("district") or f.get("place"), f.get("lat"), f.get("lon"))
    f["province_code"], f["district_code"] = place.province_code, place.district_code


def _row_hash(row: Parsed, fingerprint: str) -> str:
    """The row as read plus how it was read (format, mapping, level): a new mapping updates rows."""
    # the header is part of the fingerprint, so the values alone identify the row
    payload = fingerprint + "\x1e" + "\x1f".join(map(str, row.raw.values()))
    return hashlib.sha256(payload.encode()).hexdigest()


def _batch(run: _Run) -> ImportBatch:
    if run.batch is None:
        principal = principal_of(run.session)
        run.batch = ImportBatch(
            dataset=run.dataset,
            dataset_version=run.version,
            file_name=run.path.name[:400],
            file_sha256=run.sha256,
            imported_by=principal.username,
            classification=run.level,
        )
        run.session.add(run.batch)
        run.session.flush()
    return run.batch


def _insert(run: _Run, rows: list[Parsed]) -> None:
    if not rows:
        return
    batch_id = _batch(run).id
    levels = [row.classification or run.level for row in rows]
    incidents = [
        {
            **{c: row.fields.get(c) for c in INCIDENT_COLS},
            "province_code": row.fields.get("province_code"),
            "district_code": row.fields.get("district_code"),
            "actor_id": row.fields.get("actor_id"),
            "classification": level,
            "import_batch_id": batch_id,
            "import_line": row.line,
        }
        for row, level in zip(rows, levels, strict=True)
    ]
    try:
        # Plain executemany, then read the generated ids back by (batch, line): RETURNING makes SQLAlchemy
        # build multi-row VALUES statements per chunk, which is slower on SQLite.
        bulk.insert_rows(run.session, Incident, incidents, Incident.__write_roles__)
        lines = select(Incident.import_line, Incident.id).where(
            Incident.import_batch_id == batch_id, Incident.import_line.between(rows[0].line, rows[-1].line)
        )
        by_line = {line: iid for line, iid in run.session.execute(lines)}
        ids = [by_line[row.line] for row in rows]
        bulk.insert_rows(
            run.session,
            IncidentSource,
            [
                {
                    "incident_id": iid,
                    "dataset": run.dataset,
                    "source_id": row.source_id,
                    "dataset_version": row.source.get("dataset_version") or run.version,
                    "url": row.source.get("url"),
                    "title": row.source.get("title"),
                    "raw": row.raw,
                    "row_hash": row.source["row_hash"],
                    "classification": level,
                    "import_batch_id": batch_id,
                }
                for iid, row, level in zip(ids, rows, levels, strict=True)
            ],
            IncidentSource.__write_roles__,
        )
    except IntegrityError:
        raise InvalidInput(
            [
                Problem(
                    0,
                    f"some {run.dataset} ids in this file already exist as incidents you may "
                    "not see (above your clearance); ask someone cleared to import it",
                    str(run.path),
                )
            ]
        ) from None
    run.result.inserted += len(rows)


def _update(run: _Run, rows: list[Parsed]) -> None:
    """A newer version of rows already held: change the objects, so each change is audited."""
    if not rows:
        return
    batch_id = _batch(run).id
    by_incident = {run.existing[row.source_id][1]: row for row in rows}
    stmt = select(Incident).where(Incident.id.in_(by_incident)).options(selectinload(Incident.sources))
    for inc in run.session.scalars(stmt):
        row = by_incident[inc.id]
        level = Classification.parse(inc.classification)
        old = {
            c: getattr(inc, c) for c in (*INCIDENT_COLS, "province_code", "district_code", "duplicate_of_id")
        }
        run.cube.add(old, int(level), run.actor_codes.get(inc.actor_id), sign=-1)
        for col in (*INCIDENT_COLS, "province_code", "district_code", "actor_id"):
            setattr(inc, col, row.fields.get(col))
        new_level = max(level, row.classification or run.level)  # an import never lowers a classification
        inc.classification = new_level  # import_batch_id stays the batch that created it (see cube.add_batch)
        for src in inc.sources:
            if src.dataset == run.dataset and src.source_id == row.source_id:
                src.raw, src.row_hash, src.import_batch_id = row.raw, row.source["row_hash"], batch_id
                src.dataset_version = row.source.get("dataset_version") or run.version
                src.title, src.url = row.source.get("title"), row.source.get("url")
                src.classification = max(Classification.parse(src.classification), new_level)
        now = {
            c: getattr(inc, c) for c in (*INCIDENT_COLS, "province_code", "district_code", "duplicate_of_id")
        }
        run.cube.add(now, int(new_level), run.actor_codes.get(inc.actor_id))
        run.result.updated += 1
    run.session.flush()


def _write_rejects(path: Path, rejects: list[tuple[Parsed, list[Problem]]]) -> None:
    columns: list[str] = []
    for row, _ in rejects:
        columns += [c for c in row.raw if c not in columns]
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["line", "problems", *columns])
        for row, problems in rejects:
            writer.writerow(
                [row.line, "; ".join(p.message for p in problems), *(row.raw.get(c, "") for c in columns)]
            )
