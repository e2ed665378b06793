"""The policy register in the browser (``/register…``): frameworks with their scores, the framework tree
coloured by status, objective and indicator pages, scorecards with drill-down, the difference between two
frameworks, downloads and uploads.

A thin adapter: every figure comes from the services the CLI and the API call (``policy.service``,
``monitoring.scoring``/``scorecards``/``queries``), through the reader's session, so the access guard
decides what each page may show; every classified record shown is marked for the page's banner.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from starlette.responses import RedirectResponse, Response

from nigran.core.problems import InvalidInput
from nigran.monitoring import queries
from nigran.monitoring.score_output import rows as scorecard_rows
from nigran.monitoring.scorecards import BY, compare_cycles
from nigran.monitoring.scoring import score_framework
from nigran.policy import indicators_io, service
from nigran.policy.api import MAX_UPLOAD_BYTES, read_upload
from nigran.web import i18n
from nigran.web.deps import CurrentPrincipal, ReadSession, WriteSession
from nigran.web.templating import N_, mark, render

router = APIRouter(include_in_schema=False)

Cycle = Annotated[str | None, Query(max_length=10)]

#: How each aggregation rule makes a year's figure from the values reported (docs/methodology.md).
AGGREGATION_TEXT = {
    "flow": N_("Flow: the values of the year's periods are added up; part of a year counts pro rata."),
    "stock": N_("Stock: the latest verified value of the period counts."),
    "rate": N_("Rate: the year's values are averaged, each weighted by the days it covers."),
}
STATUS_TEXT = (N_("achieved"), N_("on track"), N_("at risk"), N_("off track"), N_("no data"))


def _may_write(who: Any) -> bool:
    try:
        service.require_register_writer(who)
    except Exception:
        return False
    return True


def _cycle_or_none(value: str | None) -> str | None:
    return value.strip() or None if value else None


@router.get("/register")
def register(request: Request, session: ReadSession, who: CurrentPrincipal) -> Response:
    rows = queries.register(session)
    for row in rows:
        mark(request, row.classification)
    return render(request, "policy/register.html", frameworks=rows, may_write=_may_write(who))


@router.get("/register/diff")
def diff(
    request: Request,
    session: ReadSession,
    a: Annotated[str | None, Query(max_length=40)] = None,
    b: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    frameworks = service.list_frameworks(session)
    changes = service.diff_frameworks(session, a, b) if a and b else None
    if changes is not None:
        for code in (a, b):
            mark(request, service.framework_level(session, code))  # type: ignore[arg-type]
    return render(request, "policy/diff.html", frameworks=frameworks, a=a or "", b=b or "", changes=changes)


def _upload_page(request: Request, **ctx: Any) -> Response:
    problems = ctx.get("problems") or []
    return render(
        request,
        "policy/upload.html",
        status_code=422 if problems else 200,
        limit=MAX_UPLOAD_BYTES,
        **{"problems": [], "checked": None, "filename": "", **ctx},
    )


@router.get("/register/upload")
def upload_form(request: Request, who: CurrentPrincipal) -> Response:
    service.require_register_writer(who)
    return _upload_page(request)


@router.post("/register/upload")
def upload(
    request: Request,
    who: CurrentPrincipal,
    session: WriteSession,
    file: Annotated[UploadFile, File()],
    action: Annotated[str, Form(max_length=10)] = "validate",
) -> Response:
    """``validate`` lists every problem of the file; ``load`` also loads it if there is none."""
    service.require_register_writer(who)
    try:
        data, name = read_upload(file)
        if action == "load":
            framework = service.load_bytes(session, data, name)
            return RedirectResponse(i18n.localise(f"/register/{framework.code}"), status_code=303)
        doc, problems = service.validate_bytes(data, name, session)
        if problems:
            raise InvalidInput(problems)
    except InvalidInput as exc:
        session.rollback()
        return _upload_page(request, problems=exc.problems, filename=file.filename or "")
    return _upload_page(request, checked=str(doc["framework"]["code"]), filename=name)


@router.get("/register/{code}")
def framework(
    request: Request,
    code: str,
    session: ReadSession,
    who: CurrentPrincipal,
    cycle: Cycle = None,
    previous: Cycle = None,
) -> Response:
    fw = service.load_tree(session, code)
    comparison = compare_cycles(session, fw.code, _cycle_or_none(cycle), _cycle_or_none(previous))
    fs = comparison.current
    nodes = {n.code: n for n in [*fs.all_sections(), *fs.objectives(), *fs.indicators(), *fs.milestones()]}
    changes = {c.code: c for c in comparison.changes}
    return render(
        request,
        "policy/framework.html",
        fw=fw,
        sections=[s for s in fw.sections if s.parent_id is None],
        fs=fs,
        previous=comparison.previous,
        nodes=nodes,
        changes=changes,
        share_change=comparison.share_achieved_change,
        cycles=queries.cycle_codes(session, fw.code),
        may_write=_may_write(who),
    )


@router.get("/register/{code}/objectives/{item}")
def objective(request: Request, code: str, item: str, session: ReadSession, cycle: Cycle = None) -> Response:
    obj = service.get_item(session, code, "objective", item)
    fw = obj.framework
    fs = score_framework(session, fw.code, _cycle_or_none(cycle))
    return render(
        request,
        "policy/objective.html",
        fw=fw,
        obj=obj,
        fs=fs,
        node=fs.find(obj.code),
        nodes={n.code: n for n in [*fs.indicators(), *fs.milestones()]},
        series=queries.objective_series(session, fw.code, obj.code),
        cycles=queries.cycle_codes(session, fw.code),
    )


@router.get("/register/{code}/indicators/{item}")
def indicator(request: Request, code: str, item: str, session: ReadSession, cycle: Cycle = None) -> Response:
    ind = service.get_item(session, code, "indicator", item)
    fw = ind.framework
    fs = score_framework(session, fw.code, _cycle_or_none(cycle))
    submissions = queries.item_submissions(session, ind)
    return render(
        request,
        "policy/indicator.html",
        fw=fw,
        ind=ind,
        fs=fs,
        node=fs.find(ind.code),
        series=queries.indicator_series(ind, submissions, fw),
        submissions=submissions,
        aggregation_text=AGGREGATION_TEXT.get(ind.aggregation_rule, ""),
        cycles=queries.cycle_codes(session, fw.code),
    )


@router.get("/register/{code}/scorecards")
def scorecards(
    request: Request,
    code: str,
    session: ReadSession,
    by: Annotated[str, Query(max_length=20)] = "entity",
    cycle: Cycle = None,
    row: Annotated[str | None, Query(max_length=80)] = None,
) -> Response:
    if by not in BY:
        from nigran.core.problems import Problem

        raise InvalidInput([Problem(0, f"unknown scorecard {by!r} (choose from {', '.join(BY)})", "by")])
    fw = service.get_framework(session, code)
    comparison = compare_cycles(session, fw.code, _cycle_or_none(cycle))
    fs = comparison.current
    return render(
        request,
        "policy/scorecards.html",
        fw=fw,
        fs=fs,
        by=by,
        kinds=BY,
        rows=scorecard_rows(comparison, by),
        row=row,
        drill=queries.scorecard_drill(fs, by, row) if row else None,
        cycles=queries.cycle_codes(session, fw.code),
    )


def _import_page(request: Request, fw: Any, **ctx: Any) -> Response:
    problems = ctx.get("problems") or []
    return render(
        request,
        "policy/indicator_import.html",
        status_code=422 if problems else 200,
        fw=fw,
        limit=MAX_UPLOAD_BYTES,
        **{"problems": [], "result": None, "dry_run": True, **ctx},
    )


@router.get("/register/{code}/indicator-table")
def import_form(request: Request, code: str, who: CurrentPrincipal, session: ReadSession) -> Response:
    service.require_register_writer(who)
    return _import_page(request, service.get_framework(session, code))


@router.post("/register/{code}/indicator-table")
def import_table(
    request: Request,
    code: str,
    who: CurrentPrincipal,
    session: WriteSession,
    file: Annotated[UploadFile, File()],
    dry_run: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Check every row of an indicator table; apply it unless it is a dry run and no row has a problem."""
    service.require_register_writer(who)
    fw = service.get_framework(session, code)
    trial = dry_run == "yes"
    try:
        data, name = read_upload(file)
        result = indicators_io.import_indicators(session, data, name, fw.code, dry_run=trial)
    except InvalidInput as exc:
        session.rollback()
        return _import_page(request, fw, problems=exc.problems, dry_run=trial)
    return _import_page(request, fw, result=result, dry_run=trial)
