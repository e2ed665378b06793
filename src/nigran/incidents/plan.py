"""What an import file comes to, row by row, before anything is written: the CPU half of an import.

:class:`Planner` reads and validates every row, geocodes it, matches its actor, hashes it and sorts it into
new, changed, unchanged, skipped or rejected; new rows leave as driver-ready tuples. It never touches the
database, so a large CSV import runs it in a forked second process (:func:`plans`) while the importer's
process only writes: on a 2-core machine reading and writing then overlap. A problem still names the
file, line and column, and the importer still sees every problem before it decides anything.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import pickle
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from nigran.core.problems import Problem
from nigran.incidents.actors import ActorMatcher
from nigran.incidents.fields import CASUALTY_FIELDS
from nigran.incidents.places import PlaceResolver
from nigran.incidents.rows import FileError, Parsed, RowError, iter_rows

CHUNK = 5000
#: CSV files at least this large are planned in a second process (about 50,000 rows of a typical export).
PARALLEL_MIN_BYTES = 4_000_000

_Processors = list[Callable[[Any], Any] | None]


@dataclass
class Plan:
    """One chunk of the file: counts, driver-ready new rows and the rows that need the ORM."""

    rows_read: int = 0
    skipped: int = 0
    unchanged: int = 0
    #: (line, incident values, source values) for new rows, without ids and batch (see importer columns)
    new: list[tuple[int, tuple[Any, ...], tuple[Any, ...]]] = field(default_factory=list)
    changed: list[Parsed] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    rejects: list[tuple[Parsed, list[Problem]]] = field(default_factory=list)
    #: the file itself could not be read on (see :class:`FileError`): the import is refused
    fatal: bool = False


@dataclass
class Planner:
    stream: BinaryIO  # binary, seekable, at its start
    name: str  # what problems call the file
    encoding: str | None  # None: a byte-order mark, else UTF-8
    required: tuple[str, ...]  # columns the layout cannot do without
    parse: Callable[[int, dict[str, str], dict[str, Any]], Parsed]
    tables: dict[str, Any]
    fingerprint: str
    clearance: int
    level: int  # the classification of rows that do not give their own
    dataset: str
    version: str | None
    existing: dict[str, tuple[int, int, str]]
    places: PlaceResolver
    actors: ActorMatcher
    skip_invalid: bool
    incident_cols: tuple[str, ...]  # the fields of a row, in the order of the incident values
    incident_procs: _Processors  # type conversions of the incident values (None: none needed)
    source_procs: _Processors  # of the source values (SOURCE_COLS without the ids)

    def chunks(self) -> Iterator[Plan]:
        """Plans of up to CHUNK new rows each; once a problem is found without ``skip_invalid`` nothing more
        is prepared for writing (the import will be refused), but every row is still validated."""
        seen: dict[str, int] = {}
        plan = Plan()
        actor_cache: dict[str | None, tuple[int, str] | None] = {}
        place_cache: dict[tuple[Any, ...], tuple[str | None, str | None]] = {}
        fingerprint: str | None = None
        writing = True
        get_place = place_cache.get
        cols = self.incident_cols
        inc_conv = [(i, p) for i, p in enumerate(self.incident_procs) if p is not None]
        src_conv = [(i, p) for i, p in enumerate(self.source_procs) if p is not None]
        existing, path, parse, tables = self.existing, self.name, self.parse, self.tables
        sha256 = hashlib.sha256
        rows = iter_rows(self.stream, self.name, self.encoding, self._check_header)
        while True:
            try:
                line, raw = next(rows)
            except StopIteration:
                break
            except FileError as exc:
                plan.problems.append(Problem(exc.line, exc.message, path))
                plan.fatal = True
                break
            if fingerprint is None:  # the columns belong to how a row was read: hash them once
                fingerprint = self.fingerprint + "\x1d" + "\x1f".join(raw) + "\x1e"
            plan.rows_read += 1
            row = parse(line, raw, tables)
            if row.classification is not None and row.classification > self.clearance:
                row.errors.append(RowError("classification", row.classification.name, "above your clearance"))
            sid = row.source_id
            if sid in seen:
                row.errors.append(RowError("id", sid, f"duplicate id, first on line {seen[sid]}"))
            elif sid:
                seen[sid] = line
            if row.errors:
                found = [
                    Problem(line, f"column {e.column!r} value {str(e.value)[:80]!r}: {e.why}", path)
                    for e in row.errors
                ]
                plan.problems += found
                plan.rejects.append((row, found))
                writing = self.skip_invalid
                continue
            if row.skip:
                plan.skipped += 1
                continue
            f = row.fields
            key = (f.get("province"), f.get("district") or f.get("place"), f.get("lat"), f.get("lon"))
            codes = get_place(key)
            if codes is None:  # the resolver caches too, by rounded point: this skips its rounding
                place = self.places.resolve(*key)
                codes = (place.province_code, place.district_code)
                if len(place_cache) < 200_000:
                    place_cache[key] = codes
            f["province_code"], f["district_code"] = codes
            name = f.get("actor")
            if name not in actor_cache:
                actor_cache[name] = self.actors.match(name)
            actor = actor_cache[name]
            f["actor_id"] = actor[0] if actor else None
            # the header is part of the fingerprint, so the values alone identify the row
            payload = fingerprint + "\x1f".join(map(str, raw.values()))
            row_hash = row.source["row_hash"] = sha256(payload.encode()).hexdigest()
            known = existing.get(sid)
            if known is not None:
                if known[2] != row_hash:
                    if writing:
                        plan.changed.append(row)
                else:
                    plan.unchanged += 1
            elif writing:
                level = int(row.classification or self.level)
                inc = [f.get(c) for c in cols]
                inc += (level, line)
                for i, proc in inc_conv:
                    if inc[i] is not None:
                        inc[i] = proc(inc[i])
                src = row.source
                values = [
                    self.dataset,
                    sid,
                    src.get("dataset_version") or self.version,
                    src.get("url"),
                    src.get("title"),
                    raw,
                    row_hash,
                    *[f.get(c) for c in CASUALTY_FIELDS],  # the source keeps its own figures
                    level,
                ]
                for i, proc in src_conv:
                    if values[i] is not None:
                        values[i] = proc(values[i])
                plan.new.append((line, tuple(inc), tuple(values)))
            if len(plan.new) >= CHUNK or len(plan.changed) >= CHUNK or plan.rows_read >= 4 * CHUNK:
                yield plan
                plan = Plan()
        yield plan

    def _check_header(self, header: list[str]) -> None:
        missing = [c for c in self.required if c not in header]
        if missing:
            names = ", ".join(repr(c) for c in missing)
            raise FileError(1, f"no column {names} in the header: is the format right?")


def plans(planner: Planner, parallel: bool) -> Iterator[Plan]:
    """The planner's chunks, from a forked second process when ``parallel`` (the caller keeps writing)."""
    if not parallel:
        yield from planner.chunks()
        return
    receiving, sending = multiprocessing.get_context("fork").Pipe(duplex=False)
    worker = multiprocessing.get_context("fork").Process(target=_work, args=(planner, sending), daemon=True)
    worker.start()
    sending.close()
    try:
        while True:
            kind, payload = receiving.recv()
            if kind == "plan":
                yield payload
            elif kind == "error":
                raise payload
            else:
                return
    finally:
        receiving.close()
        if worker.is_alive():
            worker.terminate()
        worker.join()


def should_fork(size: int, excel: bool, dialect: str) -> bool:
    """Only for big CSV files on SQLite with a core to spare: forking costs more than it saves on small
    files, and the values the planner prepares are SQLite's (other drivers wrap some in objects)."""
    return dialect == "sqlite" and not excel and (os.cpu_count() or 1) > 1 and size >= PARALLEL_MIN_BYTES


def _work(planner: Planner, conn: Any) -> None:  # pragma: no cover - runs in the forked process
    try:
        for plan in planner.chunks():
            conn.send(("plan", plan))
        conn.send(("done", None))
    except BaseException as exc:  # every failure goes back to the importer, which raises it
        try:
            pickle.loads(pickle.dumps(exc))
        except Exception:  # an exception that cannot travel as it is
            exc = RuntimeError(f"import worker failed: {exc!r}")
        conn.send(("error", exc))
    finally:
        conn.close()
