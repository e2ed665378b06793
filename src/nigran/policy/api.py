"""``/api/frameworks…``: the policy register as JSON, a thin adapter over the services the CLI calls.

Frameworks and their items (sections, objectives, indicators with targets and values, actions, milestones),
downloads (YAML/JSON/Excel, the indicator table), scores and scorecards with drill-down, the difference
between two frameworks or two cycles, and uploads (a framework file; an indicator table, with a dry run).
Every read goes through the reader's session, so a record above the reader's clearance is absent, and a
hidden framework or item is not found exactly like a missing one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import PurePath
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Query, UploadFile
from starlette.responses import Response

from nigran.core import jsonout
from nigran.core.problems import InvalidInput, Problem
from nigran.monitoring import queries
from nigran.monitoring.score_output import drill_rows, find, leaves, rows, to_dict
from nigran.monitoring.scorecards import BY, compare_cycles
from nigran.policy import indicators_io, service
from nigran.policy.models import Action, Indicator, Milestone, Objective, Section
from nigran.web.deps import CurrentPrincipal, ReadSession, WriteSession
from nigran.web.exports import XLSX_TYPE, download, export_format, table_response
from nigran.web.pagination import PageParams, page_params, paginate_list, paginate_select

router = APIRouter(tags=["register"])

#: An upload larger than this is refused before it is parsed (a framework of a few thousand items is well
#: under a megabyte; workbooks are larger).
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
FILE_TYPES = {"yaml": "application/yaml", "json": "application/json", "xlsx": XLSX_TYPE}


def read_upload(file: UploadFile, limit: int | None = None) -> tuple[bytes, str]:
    """The uploaded file's bytes and its bare name (no folders: it names the file in every problem);
    refused when larger than ``limit`` (default :data:`MAX_UPLOAD_BYTES`)."""
    limit = limit or MAX_UPLOAD_BYTES
    name = PurePath((file.filename or "upload").replace("\\", "/")).name[:200] or "upload"
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise InvalidInput([Problem(0, f"the file is larger than the limit of {limit:,} bytes", name)])
    if not data:
        raise InvalidInput([Problem(0, "the file is empty", name)])
    return data, name


def json_body(data: Any) -> Response:
    """JSON through :mod:`nigran.core.jsonout` (dates ISO, never NaN)."""
    return Response(jsonout.dumps(data), media_type="application/json")


# -- serialisers -------------------------------------------------------------------------------------
def _entities(rows: list[Any]) -> list[dict[str, str]]:
    return [{"entity": r.entity.code, "role": r.role} for r in rows if r.entity is not None]


def section_dict(s: Section) -> dict[str, Any]:
    return {
        "code": s.code,
        "title": s.title,
        "title_ur": s.title_ur,
        "parent": s.parent.code if s.parent is not None else None,
        "weight": s.weight,
        "classification": s.classification.name,
    }


def objective_dict(o: Objective) -> dict[str, Any]:
    return {
        "code": o.code,
        "title": o.title,
        "title_ur": o.title_ur,
        "section": o.section.code if o.section is not None else None,
        "weight": o.weight,
        "classification": o.classification.name,
    }


def indicator_dict(i: Indicator) -> dict[str, Any]:
    return {
        "code": i.code,
        "name": i.name,
        "name_ur": i.name_ur,
        "objective": i.objective.code if i.objective is not None else None,
        "unit": i.unit,
        "direction": i.direction,
        "aggregation": i.aggregation_rule,
        "frequency": i.frequency,
        "baseline": i.baseline_value,
        "baseline_date": i.baseline_date,
        "band_min": i.band_min,
        "band_max": i.band_max,
        "targets": [{"year": t.year, "value": t.value} for t in i.targets],
        "responsible": _entities(i.responsibilities),
        "data_source": i.data_source,
        "illustrative": i.illustrative,
        "weight": i.weight,
        "classification": i.classification.name,
    }


def action_dict(a: Action) -> dict[str, Any]:
    return {
        "code": a.code,
        "title": a.title,
        "objective": a.objective.code if a.objective is not None else None,
        "owner": a.owner.code if a.owner is not None else None,
        "due": a.due_date,
        "status": a.status,
        "milestones": [m.code for m in a.milestones],
        "responsible": _entities(a.responsibilities),
        "weight": a.weight,
        "classification": a.classification.name,
    }


def milestone_dict(m: Milestone) -> dict[str, Any]:
    return {
        "code": m.code,
        "title": m.title,
        "action": m.action.code if m.action is not None else None,
        "owner": m.owner.code if m.owner is not None else None,
        "due": m.due_date,
        "status": m.status,
        "completed_on": m.completed_on,
        "classification": m.classification.name,
    }


@dataclasses.dataclass(frozen=True)
class Kind:
    kind: str
    serialise: Callable[[Any], dict[str, Any]]
    sortable: Callable[[type], dict[str, Any]]


def _sort_title(model: Any) -> dict[str, Any]:
    title = model.name if hasattr(model, "name") else model.title
    return {"code": model.code, "title": title, "classification": model.classification}


KINDS: dict[str, Kind] = {
    "sections": Kind("section", section_dict, _sort_title),
    "objectives": Kind("objective", objective_dict, _sort_title),
    "indicators": Kind("indicator", indicator_dict, _sort_title),
    "actions": Kind(
        "action", action_dict, lambda m: {**_sort_title(m), "due": m.due_date, "status": m.status}
    ),
    "milestones": Kind(
        "milestone", milestone_dict, lambda m: {**_sort_title(m), "due": m.due_date, "status": m.status}
    ),
}


def _flat(value: Any) -> Any:
    """A cell of a CSV export: lists and mappings as ``a; b`` text."""
    if isinstance(value, list):
        return "; ".join(
            ":".join(str(v) for v in x.values()) if isinstance(x, dict) else str(x) for x in value
        )
    return value


def _table(fmt: str, records: list[dict[str, Any]], stem: str) -> Response:
    header = list(records[0]) if records else ["code"]
    return table_response(fmt, header, [[_flat(r.get(h)) for h in header] for r in records], stem)


# -- frameworks --------------------------------------------------------------------------------------
FRAMEWORK_SORT = {
    "code": lambda f: f.code,
    "title": lambda f: f.title,
    "period": lambda f: f.period,
    "version": lambda f: f.version,
    "objectives": lambda f: f.objectives,
}


@router.get("/frameworks")
def list_frameworks(
    session: ReadSession,
    params: PageParams = Depends(page_params),
    fmt: str | None = Depends(export_format),
) -> Any:
    """The frameworks the reader may see, with counts of the items the reader may see."""
    summaries = service.list_frameworks(session)
    if fmt:
        return _table(fmt, [dataclasses.asdict(s) for s in summaries], "frameworks")
    return paginate_list(summaries, params, sortable=FRAMEWORK_SORT, serialise=dataclasses.asdict)


@router.get("/frameworks/diff")
def diff(
    session: ReadSession,
    a: Annotated[str, Query(max_length=40, description="The earlier framework's code")],
    b: Annotated[str, Query(max_length=40, description="The later framework's code")],
    fmt: str | None = Depends(export_format),
) -> Any:
    """What was added, removed and changed from framework ``a`` to ``b`` (items matched by code)."""
    changes = [
        {
            "kind": c.kind,
            "code": c.code,
            "change": c.change,
            "title": c.title,
            "fields": {k: {"before": v[0], "after": v[1]} for k, v in c.fields.items()},
        }
        for c in service.diff_frameworks(session, a, b)
    ]
    if fmt:
        flat = [{**c, "fields": "; ".join(c["fields"])} for c in changes]
        return _table(fmt, flat, f"diff-{a}-{b}")
    return json_body({"a": a, "b": b, "changes": changes})


@router.post("/frameworks", status_code=201)
def upload_framework(
    session: WriteSession,
    who: CurrentPrincipal,
    file: Annotated[UploadFile, File(description="A framework file: .yaml, .json or .xlsx")],
    dry_run: Annotated[bool, Query(description="Only check the file; write nothing")] = False,
) -> Any:
    """Check a framework file and, unless ``dry_run``, load it. Every problem is listed with its file and
    line (or sheet row); a file with any problem writes nothing (422)."""
    service.require_register_writer(who)
    data, name = read_upload(file)
    if dry_run:
        doc, problems = service.validate_bytes(data, name, session)
        if problems:
            raise InvalidInput(problems)
        return {"valid": True, "code": str(doc["framework"]["code"]), "loaded": False}
    framework = service.load_bytes(session, data, name)
    return {"valid": True, "code": framework.code, "loaded": True}


@router.get("/frameworks/{code}")
def get_framework(code: str, session: ReadSession) -> Any:
    """The framework as the reader may see it, in the document form of the framework file."""
    return json_body(service.export_document(session, code))


@router.get("/frameworks/{code}/export")
def export_framework(
    code: str,
    session: ReadSession,
    format: Annotated[str, Query(description="yaml, json or xlsx")] = "yaml",
) -> Response:
    """The framework file (as the reader may see it), to download."""
    fmt = format.strip().lower()
    body = service.export_framework(session, code, fmt)
    framework = service.get_framework(session, code)
    return download(body, f"{framework.code}.{fmt}", FILE_TYPES[fmt])


@router.get("/frameworks/{code}/indicator-table")
def export_indicator_table(
    code: str,
    session: ReadSession,
    format: Annotated[str, Query(description="csv or xlsx")] = "xlsx",
) -> Response:
    """One row per indicator the reader may see (the table ministries edit and send back)."""
    fmt = format.strip().lower()
    result = indicators_io.export_indicators(session, code, fmt)
    framework = service.get_framework(session, code)
    media = XLSX_TYPE if fmt == "xlsx" else "text/csv; charset=utf-8"
    return download(result.data, f"{framework.code}-indicators.{fmt}", media)


@router.post("/frameworks/{code}/indicator-table")
def import_indicator_table(
    code: str,
    session: WriteSession,
    who: CurrentPrincipal,
    file: Annotated[UploadFile, File(description="An indicator table: .csv or .xlsx")],
    dry_run: Annotated[bool, Query(description="Only check the file; write nothing")] = False,
) -> Any:
    """Check every row of an indicator table and, unless ``dry_run``, apply it; any problem writes nothing."""
    service.require_register_writer(who)
    data, name = read_upload(file)
    result = indicators_io.import_indicators(session, data, name, code, dry_run=dry_run)
    return {**dataclasses.asdict(result), "dry_run": dry_run}


@router.get("/frameworks/{code}/cycles")
def list_cycles(code: str, session: ReadSession) -> Any:
    """The framework's reporting cycles, latest first."""
    return {
        "framework": service.get_framework(session, code).code,
        "cycles": queries.cycle_codes(session, code),
    }


def _check_by(by: str | None) -> None:
    if by is not None and by not in BY:
        raise InvalidInput([Problem(0, f"unknown scorecard {by!r} (choose from {', '.join(BY)})", "by")])


@router.get("/frameworks/{code}/scores")
def scores(
    code: str,
    session: ReadSession,
    cycle: Annotated[str | None, Query(max_length=10, description="2024 or 2024-Q3")] = None,
    by: Annotated[str | None, Query(description="section, objective, entity or province")] = None,
    row: Annotated[
        str | None, Query(max_length=80, description="With by: the values behind this row")
    ] = None,
    drill: Annotated[str | None, Query(max_length=120, description="Code of a node: its leaves")] = None,
    fmt: str | None = Depends(export_format),
) -> Any:
    """Scores from verified values: the tree, a scorecard (``by``) with each row's previous score, or the
    indicator and milestone scores behind a node (``drill``) or a scorecard row (``by`` and ``row``)."""
    _check_by(by)
    comparison = compare_cycles(session, code, cycle)
    fs = comparison.current
    if by and row:
        records = queries.scorecard_drill(fs, by, row)
        return _table(fmt, records, f"{fs.code}-{fs.cycle.code}-{by}-{row}") if fmt else json_body(records)
    if drill:
        node = find(fs, drill)
        if fmt:
            return _table(fmt, drill_rows(node), f"{fs.code}-{fs.cycle.code}-{drill}")
        return json_body([to_dict(x) for x in leaves(node)])
    if by:
        records = rows(comparison, by)
        return _table(fmt, records, f"{fs.code}-{fs.cycle.code}-{by}") if fmt else json_body(records)
    if fmt == "csv":
        return _table(fmt, rows(comparison, "section"), f"{fs.code}-{fs.cycle.code}-scores")
    return json_body(to_dict(fs))


@router.get("/frameworks/{code}/scorecards")
def scorecards(
    code: str,
    session: ReadSession,
    by: Annotated[str, Query(description="entity, province, section or objective")] = "entity",
    cycle: Annotated[str | None, Query(max_length=10)] = None,
    fmt: str | None = Depends(export_format),
) -> Any:
    """The entity (or province, section, objective) scorecard, each row with its previous cycle's score and
    the codes it is computed from (``/scores?by=…&row=…`` lists the values behind a row)."""
    _check_by(by)
    records = rows(compare_cycles(session, code, cycle), by)
    return _table(fmt, records, f"{code}-{by}-scorecard") if fmt else json_body(records)


@router.get("/frameworks/{code}/changes")
def changes(
    code: str,
    session: ReadSession,
    cycle: Annotated[str | None, Query(max_length=10)] = None,
    previous: Annotated[str | None, Query(max_length=10, description="default: the cycle before")] = None,
    fmt: str | None = Depends(export_format),
) -> Any:
    """Scores of the framework, its sections and objectives in one cycle against another."""
    comparison = compare_cycles(session, code, cycle, previous)
    records = [{**dataclasses.asdict(c), "delta": c.delta} for c in comparison.changes]
    if fmt:
        return _table(fmt, records, f"{code}-changes")
    return json_body(
        {
            "cycle": comparison.current.cycle.code,
            "previous": comparison.previous.cycle.code if comparison.previous else None,
            "share_achieved_change": comparison.share_achieved_change,
            "changes": records,
        }
    )


def _list_route(plural: str, kind: Kind) -> None:
    def list_items(
        code: str,
        session: ReadSession,
        params: PageParams = Depends(page_params),
        fmt: str | None = Depends(export_format),
        parent: Annotated[
            str | None,
            Query(max_length=120, description="Only the children of this section, objective or action"),
        ] = None,
    ) -> Any:
        stmt = service.items_query(session, code, kind.kind, parent=parent)
        model = service.ITEM_MODELS[kind.kind]
        if fmt:
            return _table(fmt, [kind.serialise(x) for x in session.scalars(stmt)], f"{code}-{plural}")
        return paginate_select(session, stmt, params, sortable=kind.sortable(model), serialise=kind.serialise)

    def get_item(code: str, item: str, session: ReadSession) -> Any:
        return json_body(kind.serialise(service.get_item(session, code, kind.kind, item)))

    list_items.__doc__ = f"The framework's {plural} the reader may see (paged, sortable, csv/json)."
    get_item.__doc__ = f"One {kind.kind}."
    router.add_api_route(f"/frameworks/{{code}}/{plural}", list_items, methods=["GET"], name=f"list_{plural}")
    router.add_api_route(
        f"/frameworks/{{code}}/{plural}/{{item}}", get_item, methods=["GET"], name=f"get_{kind.kind}"
    )


@router.get("/frameworks/{code}/indicators/{item}/values")
def indicator_values(
    code: str, item: str, session: ReadSession, fmt: str | None = Depends(export_format)
) -> Any:
    """The indicator's submissions (public readers: verified values only), each with its history."""
    indicator = service.get_item(session, code, "indicator", item)
    records = [dataclasses.asdict(s) for s in queries.item_submissions(session, indicator)]
    if fmt == "csv":
        return _table(fmt, [{k: v for k, v in r.items() if k != "steps"} for r in records], f"{item}-values")
    return json_body(records)


@router.get("/frameworks/{code}/milestones/{item}/updates")
def milestone_updates(code: str, item: str, session: ReadSession) -> Any:
    """The milestone's status reports (public readers: verified ones only), each with its history."""
    milestone = service.get_item(session, code, "milestone", item)
    return json_body([dataclasses.asdict(s) for s in queries.item_submissions(session, milestone)])


@router.get("/frameworks/{code}/indicators/{item}/series")
def indicator_series(code: str, item: str, session: ReadSession) -> Any:
    """The indicator year by year (baseline and targets, verified figure), in the chart's shape."""
    indicator = service.get_item(session, code, "indicator", item)
    points = queries.indicator_series(
        indicator, queries.item_submissions(session, indicator), service.get_framework(session, code)
    )
    return json_body(
        queries.chart(
            [p.year for p in points],
            {"Baseline and targets": [p.target for p in points], "Verified value": [p.value for p in points]},
        )
    )


@router.get("/frameworks/{code}/objectives/{item}/series")
def objective_series(code: str, item: str, session: ReadSession) -> Any:
    """The objective's score (0–100) in each annual cycle, in the chart's shape."""
    objective = service.get_item(session, code, "objective", item)
    points = queries.objective_series(session, code, objective.code)
    return json_body(
        queries.chart(
            [p.cycle for p in points],
            {"Score": [None if p.score is None else round(p.score * 100, 1) for p in points]},
        )
    )


for _plural, _kind in KINDS.items():
    _list_route(_plural, _kind)
