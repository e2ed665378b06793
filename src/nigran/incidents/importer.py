"""Incident import: one file, one transaction, every problem listed, nothing half-written.

The service takes a binary stream (or bytes) and a display name, never a path, so the CLI, the API sync and
a web upload share it; :func:`import_file` is the convenience for a file on disk. A file that cannot be read
(its encoding, a damaged workbook, a runaway field, the wrong layout) is one ``FILE:LINE`` problem and
nothing is written, whatever ``skip_invalid`` says.

Speed: :mod:`nigran.incidents.plan` reads and sorts the rows; with ``parallel=True`` (the CLI's choice, never
a web server's: it forks) big CSV files on SQLite are planned in a second process. This module writes them:
new incidents and their sources with driver ``executemany`` in chunks (:mod:`nigran.incidents.bulk` makes
the guard's role and clearance checks first); the audit trail gets one :class:`ImportBatch` row per import
instead of one entry per row, and each written row points back to that batch. The batch is classified at
least as high as the highest row it wrote: its counts, file name and hash say that those rows exist.
Changed rows (a newer dataset version) are loaded and changed as objects, so those changes are audited
field by field."""

from __future__ import annotations

import hashlib
import io
import json
import tempfile
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from nigran.access.classification import Classification
from nigran.access.errors import AccessDenied
from nigran.access.guard import principal_of
from nigran.core.cells import csv_writer
from nigran.core.outputs import check_target, open_output
from nigran.core.problems import InvalidInput, Problem
from nigran.incidents import bulk
from nigran.incidents import mappings as mp
from nigran.incidents.actors import ActorMatcher
from nigran.incidents.cube import YEAR, CubeDelta
from nigran.incidents.fields import CASUALTY_FIELDS, INCIDENT_FIELDS, RESOLVED_FIELDS
from nigran.incidents.models import MEASURES, ImportBatch, Incident, IncidentSource
from nigran.incidents.places import PlaceResolver
from nigran.incidents.plan import Planner, plans, should_fork
from nigran.incidents.readers import DATASET, FORMATS, PARSERS, required_columns, ucdp_version_from_name
from nigran.incidents.rows import Parsed, is_excel

INCIDENT_COLS = INCIDENT_FIELDS
#: The fields of a planned row, in the order of its incident values (then classification, import line).
ROW_COLS = (*INCIDENT_COLS, *RESOLVED_FIELDS)
INCIDENT_INSERT = ("import_batch_id", *ROW_COLS, "classification", "import_line")
SOURCE_COLS = (
    "incident_id",
    "import_batch_id",
    "dataset",
    "source_id",
    "dataset_version",
    "url",
    "title",
    "raw",
    "row_hash",
    *CASUALTY_FIELDS,
    "classification",
)


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
    name: str
    dataset: str
    version: str | None
    sha256: str
    level: Classification
    result: ImportResult
    existing: dict[str, tuple[int, int, str]]
    batch: ImportBatch | None = None
    #: the highest classification of a row this import wrote (the batch is at least as high)
    top: Classification = Classification.PUBLIC
    cube: CubeDelta = field(default_factory=CubeDelta)
    actor_codes: dict[int, str] = field(default_factory=dict)
    #: month-grain cube cells of the inserted rows: (dim, year, month, province, key, level) → counts
    month_cells: dict[tuple[str, int, int, str, str, int], list[int]] = field(default_factory=dict)


def stream_sha256(stream: BinaryIO) -> str:
    """The hash of the whole stream, which is left at its start."""
    digest = hashlib.sha256()
    for chunk in iter(lambda: stream.read(1 << 20), b""):
        digest.update(chunk)
    stream.seek(0)
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return stream_sha256(fh)


def import_file(session: Session, path: Path, fmt: str, **options: Any) -> ImportResult:
    """Import a file on disk (problems name it as given); the options are :func:`import_stream`'s."""
    with path.open("rb") as fh:
        return import_stream(session, fh, str(path), fmt, **options)


def _seekable(data: BinaryIO | bytes) -> tuple[BinaryIO, Callable[[], None]]:
    """A seekable binary stream over ``data`` (a pipe or upload is spooled first) and how to close it."""
    if isinstance(data, bytes | bytearray | memoryview):
        return io.BytesIO(bytes(data)), lambda: None
    if data.seekable():
        data.seek(0)
        return data, lambda: None
    spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=64 << 20)  # noqa: SIM115 - closed by caller
    for chunk in iter(lambda: data.read(1 << 20), b""):
        spool.write(chunk)
    spool.seek(0)
    return spool, spool.close  # type: ignore[return-value]


def import_stream(
    session: Session,
    data: BinaryIO | bytes,
    name: str,
    fmt: str,
    *,
    overrides: dict[str, Any] | None = None,
    skip_invalid: bool = False,
    rejects_path: Path | None = None,
    force: bool = False,
    classification: Classification = Classification.PUBLIC,
    dataset_version: str | None = None,
    encoding: str | None = None,
    parallel: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Import the file ``data`` (binary; ``name`` is what problems call it); raises :class:`InvalidInput`
    listing every bad row unless ``skip_invalid``, and for a file that cannot be read at all.

    ``encoding``: the text encoding when the file has no byte-order mark (default UTF-8, checked).
    ``parallel``: the caller allows planning big CSV files in a forked second process (a command line may;
    a web server must not fork inside a request). ``rejects_path`` (with ``force`` to replace it) receives
    the rejected rows of a ``skip_invalid`` import."""
    if fmt not in FORMATS:
        raise InvalidInput([Problem(0, f"unknown format {fmt!r} (one of {', '.join(FORMATS)})", name)])
    principal = principal_of(session)
    if not principal.is_system and principal.role not in Incident.__write_roles__:
        raise AccessDenied(f"{principal.username} ({principal.role}) may not import incidents")
    if classification > principal.clearance:
        raise AccessDenied(f"{principal.username} may not write {classification.name} incidents")
    if rejects_path is not None:
        check_target(rejects_path, force=force)  # before the work, not after it
    stream, close = _seekable(data)
    try:
        return _import(
            session, stream, name, fmt, overrides or {}, skip_invalid, rejects_path, force,
            classification, dataset_version, encoding, parallel, progress,
        )  # fmt: skip
    finally:
        close()


def _import(
    session: Session,
    stream: BinaryIO,
    name: str,
    fmt: str,
    overrides: dict[str, Any],
    skip_invalid: bool,
    rejects_path: Path | None,
    force: bool,
    classification: Classification,
    dataset_version: str | None,
    encoding: str | None,
    parallel: bool,
    progress: Callable[[int], None] | None,
) -> ImportResult:
    principal = principal_of(session)
    tables: dict[str, Any] = {
        **mp.merged_tables(overrides),
        "columns": overrides.get("columns") or {},
        "event_types": overrides.get("event_types") or {},
    }
    stem = Path(name).stem
    dataset = DATASET[fmt] if fmt != "csv" else str(overrides.get("dataset") or f"csv:{stem}")[:20]
    version = dataset_version or (ucdp_version_from_name(name) if fmt == "ucdp-ged" else None)
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
    sha256 = stream_sha256(stream)
    size = stream.seek(0, io.SEEK_END)
    stream.seek(0)
    run = _Run(
        session, name, dataset, version, sha256, classification, ImportResult(dataset, version), existing
    )
    actors, places = ActorMatcher.from_session(session), PlaceResolver(session)
    run.actor_codes = {aid: code for aid, code in actors.by_key.values()}
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        # a big page cache keeps the indexes of a million-row import in memory (default is 2 MB)
        session.connection().exec_driver_sql("PRAGMA cache_size=-262144")
    planner = Planner(
        stream=stream,
        name=name,
        encoding=encoding,
        required=required_columns(fmt, tables["columns"]),
        parse=PARSERS[fmt],
        tables=tables,
        # not the version: a row a new release leaves unchanged stays as it is (its source keeps the old one)
        fingerprint=json.dumps([fmt, int(classification), overrides], sort_keys=True, default=str),
        clearance=int(principal.clearance),
        level=int(classification),
        dataset=dataset,
        version=version,
        existing=existing,
        places=places,
        actors=actors,
        skip_invalid=skip_invalid,
        incident_cols=ROW_COLS,
        incident_procs=[*bulk.processors(session, Incident, ROW_COLS), None, None],
        source_procs=[*bulk.processors(session, IncidentSource, SOURCE_COLS[2:-1]), None],
    )
    rejects: list[tuple[Parsed, list[Problem]]] = []
    res = run.result
    fork = parallel and should_fork(size, is_excel(stream, name), dialect)
    fatal = False
    # closing: an error here stops the planning process at once
    with closing(plans(planner, parallel=fork)) as chunks:
        for plan in chunks:
            res.rows_read += plan.rows_read
            res.skipped += plan.skipped
            res.unchanged += plan.unchanged
            res.problems += plan.problems
            rejects += plan.rejects
            fatal = fatal or plan.fatal
            if (skip_invalid or not res.problems) and not fatal:
                _insert(run, plan.new)
                _update(run, plan.changed)
            if progress:
                progress(plan.rows_read)
    if fatal or (res.problems and not skip_invalid):
        raise InvalidInput(res.problems)
    res.rejected = len(rejects)
    if run.batch is not None:
        for (dim, year, month, province, key, level), counts in run.month_cells.items():
            for grain in (month, YEAR):
                cell = run.cube.cells[(dim, year, grain, province, key, level)]
                cell[:] = [a + b for a, b in zip(cell, counts, strict=True)]
        run.cube.flush(session)
        b = run.batch
        b.rows_read, b.inserted, b.updated, b.unchanged = (
            res.rows_read,
            res.inserted,
            res.updated,
            res.unchanged,
        )
        b.skipped, b.rejected = res.skipped, res.rejected
        if run.top > Classification.parse(b.classification):
            b.classification = run.top  # a later chunk held more classified rows than the first
        session.flush()
        res.batch_id = b.id
    if rejects_path is not None and rejects:
        _write_rejects(rejects_path, rejects, force=force)
    return res


def _batch(run: _Run) -> ImportBatch:
    if run.batch is None:
        principal = principal_of(run.session)
        run.batch = ImportBatch(
            dataset=run.dataset,
            dataset_version=run.version,
            file_name=Path(run.name).name[:400],
            file_sha256=run.sha256,
            imported_by=principal.username,
            classification=max(run.level, run.top),
        )
        run.session.add(run.batch)
        run.session.flush()
    return run.batch


def _insert(run: _Run, rows: list[tuple[int, tuple[Any, ...], tuple[Any, ...]]]) -> None:
    """New rows as the planner prepared them: (line, incident values, source values)."""
    if not rows:
        return
    levels = {inc[-2] for _, inc, _ in rows}
    run.top = max(run.top, Classification(max(levels)))
    batch_id = _batch(run).id
    head = (batch_id,)
    try:
        session = run.session
        if session.get_bind().dialect.name == "sqlite":
            # the transaction holds SQLite's write lock from BEGIN IMMEDIATE, so the next ids are ours
            last = session.connection().exec_driver_sql("SELECT coalesce(max(id), 0) FROM incident").scalar()
            ids = list(range(last + 1, last + 1 + len(rows)))
            bulk.insert_values(
                session,
                Incident,
                ("id", *INCIDENT_INSERT),
                [(iid, batch_id, *inc) for iid, (_, inc, _) in zip(ids, rows, strict=True)],
                levels,
            )
        else:
            # Plain executemany, then read the generated ids back by (batch, line): RETURNING makes
            # SQLAlchemy send multi-row VALUES statements, and elsewhere the sequence hands out the ids.
            bulk.insert_values(session, Incident, INCIDENT_INSERT, [head + inc for _, inc, _ in rows], levels)
            lines = select(Incident.import_line, Incident.id).where(
                Incident.import_batch_id == batch_id, Incident.import_line.between(rows[0][0], rows[-1][0])
            )
            by_line = {line: iid for line, iid in session.execute(lines)}
            ids = [by_line[line] for line, _, _ in rows]
        bulk.insert_values(
            session,
            IncidentSource,
            SOURCE_COLS,
            [(iid, batch_id, *src) for iid, (_, _, src) in zip(ids, rows, strict=True)],
            levels,
        )
    except IntegrityError:
        raise InvalidInput(
            [
                Problem(
                    0,
                    f"some {run.dataset} ids in this file already exist as incidents you may "
                    "not see (above your clearance); ask someone cleared to import it",
                    run.name,
                )
            ]
        ) from None
    run.result.inserted += len(rows)
    _count(run, rows)


_AT = {c: i for i, c in enumerate(ROW_COLS)}
_YEAR, _MONTH, _PROVINCE, _TYPE, _DISTRICT, _ACTOR = (
    _AT[c] for c in ("year", "month", "province_code", "event_type", "district_code", "actor_id")
)
_MEASURES = [_AT[m] for m in MEASURES]


def _count(run: _Run, rows: list[tuple[int, tuple[Any, ...], tuple[Any, ...]]]) -> None:
    """The cube's cells of inserted rows, summed here (in the process that writes, while the other plans)
    rather than by GROUP BYs over a million written rows; three cells a row, so the adding is unrolled."""
    cube, codes = run.month_cells, run.actor_codes
    for _, inc, _ in rows:
        m0, m1, m2, m3, m4, m5, m6 = [inc[i] or 0 for i in _MEASURES]
        known = [0 if inc[i] is None else 1 for i in _MEASURES]  # unknown is not zero (cube.COUNTERS)
        year, month, province, level = inc[_YEAR], inc[_MONTH], inc[_PROVINCE] or "", inc[-2]
        for key in (
            ("type", year, month, province, inc[_TYPE] or "", level),
            ("district", year, month, province, inc[_DISTRICT] or "", level),
            ("actor", year, month, province, codes.get(inc[_ACTOR]) or "", level),
        ):
            cell = cube.get(key)
            if cell is None:
                cube[key] = [1, m0, m1, m2, m3, m4, m5, m6, *known]
            else:
                for i, k in enumerate(known, 8):
                    cell[i] += k
                cell[0] += 1
                cell[1] += m0
                cell[2] += m1
                cell[3] += m2
                cell[4] += m3
                cell[5] += m4
                cell[6] += m5
                cell[7] += m6


def _update(run: _Run, rows: list[Parsed]) -> None:
    """A newer version of rows already held: change the objects, so each change is audited."""
    if not rows:
        return
    run.top = max(run.top, *(row.classification or run.level for row in rows))
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
        run.top = max(run.top, new_level)
        inc.classification = new_level  # import_batch_id stays the batch that created it (provenance)
        for src in inc.sources:
            if src.dataset == run.dataset and src.source_id == row.source_id:
                src.raw, src.row_hash, src.import_batch_id = row.raw, row.source["row_hash"], batch_id
                src.dataset_version = row.source.get("dataset_version") or run.version
                src.title, src.url = row.source.get("title"), row.source.get("url")
                for figure in CASUALTY_FIELDS:
                    setattr(src, figure, row.fields.get(figure))
                src.classification = max(Classification.parse(src.classification), new_level)
        now = {
            c: getattr(inc, c) for c in (*INCIDENT_COLS, "province_code", "district_code", "duplicate_of_id")
        }
        run.cube.add(now, int(new_level), run.actor_codes.get(inc.actor_id))
        run.result.updated += 1
    run.session.flush()


def _write_rejects(path: Path, rejects: list[tuple[Parsed, list[Problem]]], *, force: bool) -> None:
    """The rejected rows as read, with their problems; every cell formula-safe (the values are foreign)."""
    columns: list[str] = []
    for row, _ in rejects:
        columns += [c for c in row.raw if c not in columns]
    with open_output(path, "w", force=force, newline="") as fh:
        writer = csv_writer(fh)
        writer.writerow(["line", "problems", *columns])
        for row, problems in rejects:
            writer.writerow(
                [row.line, "; ".join(p.message for p in problems), *(row.raw.get(c, "") for c in columns)]
            )
