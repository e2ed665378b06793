"""The security-situation pages: the explorer (filters, map, monthly chart, sortable table, export), one
incident with its sources, the de-duplication queue, the monthly summary, and imports as background jobs.

A thin adapter: filters resolve through :mod:`nigran.incidents.browse` (an unknown value is shown beside the
form with its closest matches, status 422), every figure comes from the services the CLI calls, and every
read goes through the request's guarded session. Each page marks the highest level of what it shows.
"""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from starlette.responses import RedirectResponse, Response

from nigran.access.classification import Classification
from nigran.core.errors import InvalidInput
from nigran.incidents import analytics, browse, dedup
from nigran.incidents.analytics import Filters
from nigran.incidents.export import FORMATS as EXPORT_FORMATS
from nigran.incidents.export import export_bytes
from nigran.incidents.fields import CASUALTY_FIELDS
from nigran.incidents.filter_params import FilterParams, filter_params
from nigran.incidents.mappings import EVENT_TYPES
from nigran.incidents.report import monthly_report, parse_month
from nigran.web import i18n
from nigran.web.deps import CurrentPrincipal, ReadSession, SignedIn, WriteSession
from nigran.web.exports import CSV_TYPE, JSON_TYPE, XLSX_TYPE, download
from nigran.web.templating import mark, render

router = APIRouter(include_in_schema=False)
Filtered = Annotated[FilterParams, Depends(filter_params)]
MEDIA = {"csv": CSV_TYPE, "json": JSON_TYPE, "xlsx": XLSX_TYPE}
SORT_COLUMNS = tuple(browse.SORTABLE)
_REF = re.compile(r"\[(F\d+)\]")


def _query(params: FilterParams, **extra: Any) -> str:
    """The query string of the filters as typed, plus ``extra`` (empty values left out)."""
    values = {k: v for k, v in params.as_form().items() if v not in ("", [], None)}
    values.update({k: v for k, v in extra.items() if v not in ("", None)})
    return urlencode(values, doseq=True)


def _resolved(session: Any, params: FilterParams) -> tuple[Filters | None, list[Any]]:
    try:
        return params.resolve(session), []
    except InvalidInput as exc:
        return None, list(exc.problems)


def _form_context(params: FilterParams) -> dict[str, Any]:
    return {"form": params.as_form(), "event_types": sorted(EVENT_TYPES)}


@router.get("/incidents")
def explorer(
    request: Request,
    who: CurrentPrincipal,
    session: ReadSession,
    params: Filtered,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 50,
    sort: Annotated[str | None, Query(max_length=20)] = None,
    measure: Annotated[str, Query(max_length=20)] = "incidents",
) -> Response:
    f, problems = _resolved(session, params)
    ctx: dict[str, Any] = {**_form_context(params), "problems": problems, "measure": measure}
    ctx["can_change"] = browse.may_change(who)
    if f is None:
        return render(request, "incidents/explorer.html", status_code=422, result=None, **ctx)
    try:
        listing = browse.incident_page(session, f, page=page, per_page=per_page, sort=sort)
        districts = browse.district_values(session, f, measure)
    except InvalidInput as exc:
        ctx["problems"] = list(exc.problems)
        return render(request, "incidents/explorer.html", status_code=422, result=None, **ctx)
    mark(request, browse.max_level(session, f))
    months = analytics.summary(session, "month", f)
    names = {d.code: d.name for d in _gazetteer().districts}
    api_query = urlencode(browse.filter_query(f), doseq=True)
    ctx.update(
        result=listing,
        pages=max(1, -(-listing.total // per_page)),
        sort=sort or "",
        sort_columns=SORT_COLUMNS,
        totals=analytics.totals(months),
        months=months,
        districts=sorted(districts.items(), key=lambda kv: (kv[1] is None, -(kv[1] or 0), kv[0])),
        district_names=names,
        api_query=api_query,
        query=lambda **extra: _query(
            params,
            **{
                "measure": None if measure == "incidents" else measure,
                "per_page": None if per_page == 50 else per_page,
                **extra,
            },
        ),
        export_formats=EXPORT_FORMATS,
    )
    return render(request, "incidents/explorer.html", **ctx)


def _gazetteer() -> Any:
    from nigran.geo.gazetteer import Gazetteer

    return Gazetteer.bundled()


@router.get("/incidents/export")
def export(
    request: Request,
    session: ReadSession,
    params: Filtered,
    format: Annotated[str, Query(max_length=10)] = "csv",
) -> Response:
    """The filtered incidents as a download; too many for one answer: a page offering a background job."""
    f = params.resolve(session)
    fmt = format.strip().lower()
    if fmt not in EXPORT_FORMATS:
        from nigran.core.problems import Problem

        raise InvalidInput([Problem(0, f"unknown format {format!r} (one of csv, json, xlsx)", "format")])
    n = browse.count(session, f)
    if n > browse.INLINE_EXPORT_MAX:
        mark(request, browse.max_level(session, f))
        return render(
            request, "incidents/export_job.html", n=n, fmt=fmt, filters=browse.filter_query(f),
            limit=browse.INLINE_EXPORT_MAX,
        )  # fmt: skip
    body, _ = export_bytes(session, fmt, f)
    return download(body, f"incidents.{fmt}", MEDIA[fmt])


@router.post("/incidents/export")
def export_job(
    request: Request,
    who: SignedIn,
    session: WriteSession,
    format: Annotated[str, Form(max_length=10)] = "csv",
    date_from: Annotated[str, Form(alias="from", max_length=10)] = "",
    date_to: Annotated[str, Form(alias="to", max_length=10)] = "",
    province: Annotated[str, Form(max_length=100)] = "",
    district: Annotated[str, Form(max_length=100)] = "",
    type: Annotated[list[str] | None, Form(max_length=40)] = None,
    actor: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Run a large export in the background; its page shows progress and the download."""
    from nigran.jobs import service as jobs

    filters = {"from": date_from, "to": date_to, "province": province, "district": district,
               "event_types": list(type or []), "actor": actor}  # fmt: skip
    job = jobs.submit(session, "incidents.export", {"format": format, "filters": filters})
    return RedirectResponse(i18n.localise(f"/incidents/jobs/{job.id}"), status_code=303)


# ---- the monthly summary ----------------------------------------------------------------------------------


def _paragraphs(text: str) -> list[list[tuple[str, str | None]]]:
    """The report's paragraphs (without its reference list), each split into text and ``[Fn]`` references."""
    body = text.split("\n\nFigures and their incidents:")[0]
    out = []
    for para in body.split("\n\n"):
        parts: list[tuple[str, str | None]] = []
        for i, piece in enumerate(_REF.split(para)):
            parts.append((piece, None) if i % 2 == 0 else (piece, piece))
        out.append(parts)
    return out


@router.get("/incidents/report")
def report(
    request: Request,
    session: ReadSession,
    params: Filtered,
    month: Annotated[str | None, Query(max_length=7)] = None,
) -> Response:
    f, problems = _resolved(session, params)
    chosen = month or browse.latest_month(session)
    ctx: dict[str, Any] = {**_form_context(params), "month": chosen or "", "report": None}
    if f is not None and chosen:
        try:
            chosen = parse_month(chosen)
        except InvalidInput as exc:
            problems = list(exc.problems)
    if problems or f is None:
        return render(request, "incidents/report.html", status_code=422, problems=problems, **ctx)
    if chosen is None:
        return render(request, "incidents/report.html", problems=[], **ctx)
    result = monthly_report(session, chosen, filters=f, gazetteer=_gazetteer())
    from dataclasses import replace

    from nigran.incidents.analytics import parse_period_bound

    month_filters = replace(
        f, date_from=parse_period_bound(chosen, end=False), date_to=parse_period_bound(chosen, end=True)
    )
    mark(request, browse.max_level(session, month_filters))
    ctx.update(
        month=chosen,
        report=result,
        paragraphs=_paragraphs(result.text),
        figure_query=lambda ref: _query(params, month=chosen, ref=ref),
    )
    return render(request, "incidents/report.html", problems=[], **ctx)


@router.get("/incidents/report/figure")
def report_figure(
    request: Request,
    session: ReadSession,
    params: Filtered,
    month: Annotated[str, Query(max_length=7)],
    ref: Annotated[str, Query(max_length=6, pattern=r"^F\d{1,4}$")],
) -> Response:
    """The incidents behind one figure of the monthly summary, recomputed as the reader sees them."""
    from nigran.core.errors import NotFound

    result = monthly_report(
        session, parse_month(month), filters=params.resolve(session), gazetteer=_gazetteer()
    )
    figure = next((x for x in result.figures if x.ref == ref), None)
    if figure is None:
        raise NotFound(f"the summary of {month} has no figure {ref}")
    rows = browse.incidents_by_ids(session, figure.incident_ids)
    for row in rows:
        mark(request, row["classification"])
    return render(
        request, "incidents/figure.html", figure=figure, month=month, rows=rows,
        back=_query(params, month=month),
    )  # fmt: skip


# ---- de-duplication ---------------------------------------------------------------------------------------


@router.get("/incidents/dedup")
def dedup_queue(
    request: Request,
    who: SignedIn,
    session: ReadSession,
    params: Filtered,
    min_score: Annotated[float, Query(ge=0, le=1)] = dedup.MIN_SCORE,
) -> Response:
    from nigran.incidents.api import candidate_list

    if not (params.date_from or params.date_to):
        latest = browse.latest_month(session)
        params = FilterParams(latest, latest, params.province, params.district, params.types, params.actor)
    ctx: dict[str, Any] = {
        **_form_context(params),
        "min_score": min_score,
        "can_change": browse.may_change(who),
    }
    try:
        found = candidate_list(session, params, min_score=min_score, same_dataset=False)
    except InvalidInput as exc:
        return render(
            request, "incidents/dedup.html", status_code=422, problems=exc.problems, pairs=[], **ctx
        )
    shown = found[:50]
    ids = [i for c in shown for i in (c.first_id, c.second_id)]
    incidents = {row["id"]: row for row in browse.incidents_by_ids(session, ids)}
    for row in incidents.values():
        mark(request, row["classification"])
    pairs = [(c, incidents.get(c.first_id), incidents.get(c.second_id)) for c in shown]
    return render(
        request, "incidents/dedup.html", problems=[], pairs=pairs, total=len(found), figures=CASUALTY_FIELDS,
        **ctx,
    )  # fmt: skip


@router.post("/incidents/dedup/merge")
async def dedup_merge(request: Request, who: SignedIn, session: WriteSession) -> Response:
    """Merge a pair: the first id survives; ``take_<figure>`` chooses the incident a figure comes from."""
    form = await request.form()
    ids = [_int(form.get("first_id"), "first_id"), _int(form.get("second_id"), "second_id")]
    take = {
        name: str(form.get(f"take_{name}"))
        for name in CASUALTY_FIELDS
        if isinstance(form.get(f"take_{name}"), str) and str(form.get(f"take_{name}")).strip()
    }
    note = form.get("note")
    dedup.merge(session, ids, take=take, note=str(note)[:2000] if isinstance(note, str) and note else None)
    return RedirectResponse(i18n.localise(f"/incidents/{ids[0]}"), status_code=303)


@router.post("/incidents/dedup/keep-apart")
def dedup_keep_apart(
    request: Request,
    who: SignedIn,
    session: WriteSession,
    first_id: Annotated[int, Form()],
    second_id: Annotated[int, Form()],
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    dedup.keep_apart(session, first_id, second_id, note=note or None)
    return RedirectResponse(i18n.localise("/incidents/dedup"), status_code=303)


@router.post("/incidents/{incident_id}/unmerge")
def unmerge(incident_id: int, who: SignedIn, session: WriteSession) -> Response:
    dedup.unmerge(session, incident_id)
    return RedirectResponse(i18n.localise(f"/incidents/{incident_id}"), status_code=303)


def _int(value: Any, name: str) -> int:
    from nigran.core.problems import Problem

    try:
        return int(str(value))
    except (TypeError, ValueError):
        raise InvalidInput([Problem(0, "must be an incident id", name)]) from None


# ---- imports as background jobs ---------------------------------------------------------------------------


def _import_page(request: Request, who: Any, status_code: int = 200, **extra: Any) -> Response:
    from nigran.incidents.readers import FORMATS

    levels = [c.name for c in Classification if c <= who.clearance]
    return render(
        request, "incidents/import.html", status_code=status_code, formats=list(FORMATS), levels=levels,
        **{"problems": [], "values": {}, **extra},
    )  # fmt: skip


@router.get("/incidents/import")
def import_form(request: Request, who: SignedIn) -> Response:
    browse.require_change(who, "import incidents")
    return _import_page(request, who)


@router.post("/incidents/import")
def import_submit(
    request: Request,
    who: SignedIn,
    session: WriteSession,
    file: Annotated[UploadFile | None, File()] = None,
    format: Annotated[str, Form(max_length=20)] = "",
    encoding: Annotated[str, Form(max_length=40)] = "",
    classification: Annotated[str, Form(max_length=20)] = "PUBLIC",
    dataset_version: Annotated[str, Form(max_length=40)] = "",
    skip_invalid: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Queue the upload as an ``incidents.import`` job and show its progress page."""
    from nigran.core.problems import Problem
    from nigran.jobs import service as jobs
    from nigran.jobs.tasks import Upload

    browse.require_change(who, "import incidents")
    values = {"format": format, "encoding": encoding, "classification": classification,
              "dataset_version": dataset_version, "skip_invalid": bool(skip_invalid)}  # fmt: skip
    try:
        if file is None or not file.filename:
            raise InvalidInput([Problem(0, "choose a file to import", "file")])
        content = file.file.read(jobs.MAX_UPLOAD_BYTES + 1)
        upload = Upload(file.filename, content, file.content_type or "application/octet-stream")
        job = jobs.submit(session, "incidents.import", values, files=[upload])
    except InvalidInput as exc:
        session.rollback()
        return _import_page(request, who, 422, problems=exc.problems, values=values)
    return RedirectResponse(i18n.localise(f"/incidents/jobs/{job.id}"), status_code=303)


def _job(request: Request, session: Any, job_id: int) -> dict[str, Any]:
    from nigran.jobs import service as jobs

    view = jobs.view(session, jobs.get(session, job_id))
    mark(request, view.classification)
    return {"job": view, "finished": view.state in ("succeeded", "failed")}


@router.get("/incidents/jobs/{job_id}")
def job_page(request: Request, job_id: int, who: SignedIn, session: ReadSession) -> Response:
    return render(request, "incidents/job.html", **_job(request, session, job_id))


@router.get("/incidents/jobs/{job_id}/status")
def job_status(request: Request, job_id: int, who: SignedIn, session: ReadSession) -> Response:
    """The progress fragment htmx swaps in every two seconds until the job has finished."""
    return render(request, "incidents/_job_status.html", **_job(request, session, job_id))


# ---- one incident (last: its path would otherwise catch the others) ---------------------------------------


@router.get("/incidents/{incident_id}")
def incident(request: Request, incident_id: int, who: CurrentPrincipal, session: ReadSession) -> Response:
    found = browse.detail(session, incident_id)
    mark(request, found.level)
    return render(
        request, "incidents/incident.html", d=found, figures=CASUALTY_FIELDS,
        can_change=browse.may_change(who) and len(found.members) > 1,
    )  # fmt: skip
