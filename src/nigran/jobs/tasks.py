"""What each kind of job does: the registry ``TASKS = {kind: TaskSpec}`` that later issues extend.

A task is two functions over the services the CLI calls: ``check`` at submission (the parameters, cleaned,
and the level the job is classified at; what the user may not do is refused here, before anything waits
in a queue) and ``run`` in the consumer, as the submitting user, which returns an :class:`Outcome`.

Exactly once in effect: a task that writes (``writes=True``) runs inside the same transaction that marks
the job succeeded, so its changes and the job's completion commit together or not at all; a task that only
reads produces bytes that are stored with the completion. A second delivery of the same job finds it
already claimed and does nothing (see :mod:`nigran.jobs.runner`), and a re-run after a crash starts from
nothing committed. Tasks added later must keep to this: write only through the session they are given.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session, undefer

from nigran.access.classification import Classification
from nigran.access.principal import Principal
from nigran.core.errors import AccessDenied
from nigran.core.problems import InvalidInput, Problem

if TYPE_CHECKING:
    from nigran.storage.db import Database


@dataclass(frozen=True)
class Upload:
    """A file given to a job (an upload) or made by one."""

    name: str
    content: bytes
    media_type: str = "application/octet-stream"

    @property
    def safe_name(self) -> str:
        """The name without folders or characters a download header or file system would choke on."""
        base = re.split(r"[\\/]", self.name)[-1]
        cleaned = re.sub(r"[^\w.\- ]", "_", base).strip(" .")
        return (cleaned or "file")[:200]


@dataclass(frozen=True)
class Outcome:
    """What a finished task reports: a line for the user, a small summary, files, and the level its
    output holds (the job is raised to it if higher)."""

    message: str
    summary: dict[str, Any] = field(default_factory=dict)
    outputs: tuple[Upload, ...] = ()
    level: Classification = Classification.PUBLIC


@dataclass
class JobContext:
    """What a running task may use: who it acts for, its parameters and files, and a progress reporter."""

    job_id: int
    kind: str
    params: dict[str, Any]
    principal: Principal
    db: Database
    report: Callable[[int, str], None]

    def progress(self, percent: int, message: str = "") -> None:
        self.report(percent, message)

    def input(self, session: Session) -> Upload:
        """The job's (first) uploaded file, read through the task's session."""
        from nigran.jobs.models import ArtifactRole, JobArtifact

        found = session.scalar(
            select(JobArtifact)
            .where(JobArtifact.job_id == self.job_id, JobArtifact.role == ArtifactRole.INPUT.value)
            .options(undefer(JobArtifact.content))
            .order_by(JobArtifact.id)
            .limit(1)
        )
        if found is None:
            raise InvalidInput([Problem(0, "the job's input file is missing", "file")])
        return Upload(found.name, found.content, found.media_type)


@dataclass(frozen=True)
class TaskSpec:
    check: Callable[[Session, dict[str, Any], Principal], tuple[dict[str, Any], Classification]]
    run: Callable[[JobContext, Session], Outcome]
    writes: bool = False
    inputs: int = 0
    title: str = ""


def _problems(*found: tuple[str, str]) -> InvalidInput:
    return InvalidInput([Problem(0, message, name) for name, message in found])


def _choice(params: dict[str, Any], name: str, allowed: tuple[str, ...], default: str | None = None) -> str:
    value = params.get(name, default)
    text = str(value).strip().lower() if value is not None else ""
    if text not in allowed:
        raise _problems((name, f"{value!r} is not one of {', '.join(allowed)}"))
    return text


def _level(params: dict[str, Any], principal: Principal) -> Classification:
    try:
        level = Classification.parse(params.get("classification") or "PUBLIC")
    except ValueError as exc:
        raise _problems(("classification", str(exc))) from None
    if level > principal.clearance:
        raise AccessDenied(f"{principal.username} may not write {level.name} records")
    return level


def _flag(params: dict[str, Any], name: str) -> bool:
    value = params.get(name, False)
    if isinstance(value, bool):
        return value
    if str(value).strip().lower() in ("1", "true", "yes", "on"):
        return True
    if str(value).strip().lower() in ("", "0", "false", "no", "off"):
        return False
    raise _problems((name, f"{value!r} is not yes or no"))


def _text(params: dict[str, Any], name: str, limit: int = 100) -> str | None:
    value = params.get(name)
    if value is None or str(value).strip() == "":
        return None
    text = str(value).strip()
    if len(text) > limit:
        raise _problems((name, f"longer than {limit} characters"))
    return text


# ---- incidents.import -----------------------------------------------------------------------------------


def _import_check(
    session: Session, params: dict[str, Any], principal: Principal
) -> tuple[dict[str, Any], Classification]:
    from nigran.incidents.models import Incident
    from nigran.incidents.readers import FORMATS

    if principal.role not in Incident.__write_roles__:
        raise AccessDenied(f"{principal.username} ({principal.role}) may not import incidents")
    level = _level(params, principal)
    clean = {
        "format": _choice(params, "format", tuple(FORMATS)),
        "classification": level.name,
        "skip_invalid": _flag(params, "skip_invalid"),
        "dataset_version": _text(params, "dataset_version", 40),
        "encoding": _text(params, "encoding", 40),
    }
    return clean, level


def _import_run(ctx: JobContext, session: Session) -> Outcome:
    from nigran.incidents.importer import import_stream
    from nigran.incidents.rows import count_lines

    upload = ctx.input(session)
    import io

    total = count_lines(io.BytesIO(upload.content), upload.name)
    done = 0

    def advance(rows: int) -> None:
        nonlocal done
        done += rows
        share = min(99, done * 100 // total) if total else 0
        ctx.progress(share, f"{done} rows read" + (f" of about {total}" if total else ""))

    ctx.progress(0, "reading the file")
    params = ctx.params
    result = import_stream(
        session,
        upload.content,
        upload.name,
        params["format"],
        skip_invalid=bool(params.get("skip_invalid")),
        classification=Classification.parse(params["classification"]),
        dataset_version=params.get("dataset_version"),
        encoding=params.get("encoding"),
        parallel=False,  # a consumer thread never forks
        progress=advance,
    )
    summary = {
        "dataset": result.dataset,
        "dataset_version": result.dataset_version,
        "rows_read": result.rows_read,
        "inserted": result.inserted,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "skipped": result.skipped,
        "rejected": result.rejected,
        "batch_id": result.batch_id,
        "problems": [str(p) for p in result.problems[:200]],
    }
    message = (
        f"{result.rows_read} rows read: {result.inserted} new, {result.updated} changed, "
        f"{result.unchanged} unchanged, {result.rejected} rejected"
    )
    level = Classification.parse(params["classification"])
    if result.batch_id is not None:  # rows may carry a higher level of their own; the batch has the highest
        from nigran.incidents.models import ImportBatch

        batch = session.get(ImportBatch, result.batch_id)
        level = max(level, Classification.parse(batch.classification)) if batch is not None else level
    return Outcome(message, summary, level=level)


# ---- incidents.export -----------------------------------------------------------------------------------

_MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "yaml": "application/yaml",
}
_FILTER_KEYS = ("from", "to", "province", "district", "event_types", "actor")


def _export_check(
    session: Session, params: dict[str, Any], principal: Principal
) -> tuple[dict[str, Any], Classification]:
    from nigran.incidents.export import FORMATS
    from nigran.incidents.filters import from_query

    fmt = _choice(params, "format", tuple(FORMATS))
    filters = params.get("filters") or {}
    if not isinstance(filters, dict):
        raise _problems(("filters", "must be a mapping of from, to, province, district, event_types, actor"))
    unknown = sorted(set(filters) - set(_FILTER_KEYS))
    if unknown:
        raise _problems(
            ("filters", f"unknown filter(s) {', '.join(unknown)} (allowed: {', '.join(_FILTER_KEYS)})")
        )
    from_query(session, filters, source="")  # every unknown name is refused now, with its suggestions
    clean = {"format": fmt, "filters": {k: v for k, v in filters.items() if v not in (None, "", [])}}
    return clean, principal.clearance  # the file may hold anything the submitter can see


def _export_run(ctx: JobContext, session: Session) -> Outcome:
    from nigran.incidents.export import export_bytes
    from nigran.incidents.filters import from_query

    fmt = ctx.params["format"]
    ctx.progress(5, "selecting incidents")
    content, n = export_bytes(session, fmt, from_query(session, ctx.params.get("filters") or {}, source=""))
    name = f"incidents.{fmt}"
    return Outcome(
        f"{n} incidents exported",
        {"incidents": n, "file": name},
        (Upload(name, content, _MEDIA[fmt]),),
        ctx.principal.clearance,
    )


# ---- framework.export -----------------------------------------------------------------------------------


def _framework_check(
    session: Session, params: dict[str, Any], principal: Principal
) -> tuple[dict[str, Any], Classification]:
    from nigran.policy.service import FRAMEWORK_FORMATS, get_framework

    code = _text(params, "framework", 80)
    if code is None:
        raise _problems(("framework", "required: the framework's code"))
    code = get_framework(session, code).code  # an unknown (or hidden) framework is refused now
    return {
        "framework": code,
        "format": _choice(params, "format", FRAMEWORK_FORMATS, "yaml"),
    }, principal.clearance


def _framework_run(ctx: JobContext, session: Session) -> Outcome:
    from nigran.policy.service import export_framework

    fmt, code = ctx.params["format"], ctx.params["framework"]
    ctx.progress(10, f"exporting {code}")
    content = export_framework(session, code, fmt)
    name = Upload(f"{code}.{fmt}", b"").safe_name
    return Outcome(
        f"{code} exported as {fmt}",
        {"framework": code, "file": name},
        (Upload(name, content, _MEDIA[fmt]),),
        ctx.principal.clearance,
    )


# ---- reports.annual -------------------------------------------------------------------------------------


def _annual_check(
    session: Session, params: dict[str, Any], principal: Principal
) -> tuple[dict[str, Any], Classification]:
    from nigran.reports.model import Edition
    from nigran.reports.service import ReportFormat, edition_principal

    problems: list[tuple[str, str]] = []
    code = _text(params, "framework", 80)
    if code is None:
        problems.append(("framework", "required: the framework's code"))
    try:
        year = int(str(params.get("year", "")).strip())
        if not 1990 <= year <= 2100:
            problems.append(("year", f"{year} is not a plausible year"))
    except ValueError:
        year = 0
        problems.append(("year", f"{params.get('year')!r} is not a year"))
    if problems:
        raise _problems(*problems)
    edition = Edition.parse(str(params.get("edition") or "public"))
    fmt = _choice(params, "format", tuple(f.value for f in ReportFormat), "pdf")
    edition_principal(edition, principal)  # a classified edition needs SECRET clearance: refused now
    from nigran.policy.service import get_framework

    code = get_framework(session, str(code)).code
    level = Classification.PUBLIC if edition is Edition.PUBLIC else Classification.SECRET
    return {"framework": code, "year": year, "edition": edition.value, "format": fmt}, level


def _annual_run(ctx: JobContext, session: Session) -> Outcome:
    from nigran.reports.model import Edition
    from nigran.reports.service import ReportFormat, render_annual

    p = ctx.params
    ctx.progress(10, "gathering the figures")
    rendered = render_annual(ctx.db, ctx.principal, p["framework"], int(p["year"]), Edition(p["edition"]),
                             ReportFormat(p["format"]))  # fmt: skip
    level = Classification.PUBLIC if p["edition"] == Edition.PUBLIC.value else Classification.SECRET
    return Outcome(
        f"annual review {p['year']} ({p['edition']} edition) ready",
        {"file": rendered.filename},
        (Upload(rendered.filename, rendered.content, rendered.media_type),),
        level,
    )


TASKS: dict[str, TaskSpec] = {
    "incidents.import": TaskSpec(_import_check, _import_run, writes=True, inputs=1, title="Incident import"),
    "incidents.export": TaskSpec(_export_check, _export_run, title="Incident export"),
    "framework.export": TaskSpec(_framework_check, _framework_run, title="Framework export"),
    "reports.annual": TaskSpec(_annual_check, _annual_run, title="Annual review"),
}

#: Domains that add kinds of job: each module adds its ``TaskSpec`` entries to ``TASKS`` when imported.
DOMAIN_TASKS = ("nigran.news.tasks", "nigran.extract.tasks", "nigran.risk.tasks", "nigran.alerts.tasks")


def _load_domain_tasks() -> None:
    from nigran.core.modules import optional_import

    for name in DOMAIN_TASKS:
        optional_import(name)


_load_domain_tasks()
