"""Reporting pages: the focal person's inbox, the reviewer's queue, a submission's history, what is overdue.

A thin adapter over :mod:`nigran.monitoring.service`, :mod:`~nigran.monitoring.inbox`, the workbook
modules and :mod:`~nigran.monitoring.scorecards`. Forms post back here; a refused step (a problem with a
field, four eyes, a stale version, a step the workflow does not allow) is shown on the page it came from,
with its status (422, 403, 409), and nothing is written.
"""

from __future__ import annotations

import io
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from starlette.responses import RedirectResponse, Response

from nigran.access.guard import principal_of
from nigran.access.principal import Role
from nigran.access.service import list_entities
from nigran.core.errors import AccessDenied, Conflict, IllegalTransition, InvalidInput, NigranError, NotFound
from nigran.core.problems import Problem
from nigran.monitoring import inbox, service
from nigran.monitoring.scorecards import overdue_across
from nigran.monitoring.validation import MILESTONE_STATUSES
from nigran.web import i18n
from nigran.web.deps import ReadSession, SignedIn, WriteSession
from nigran.web.exports import XLSX_TYPE, download
from nigran.web.templating import mark, render

router = APIRouter(include_in_schema=False)

Text = Annotated[str | None, Query(max_length=80)]
FormText = Annotated[str, Form(max_length=80)]
LongText = Annotated[str, Form(max_length=5000)]
#: Refusals a form can meet, shown on the form's page rather than on an error page.
SHOWN = (InvalidInput, AccessDenied, Conflict, IllegalTransition, NotFound)
#: Most bytes a reporting workbook may have (a real one is well under 1 MB).
MAX_WORKBOOK = 10 << 20


def _problems(exc: NigranError) -> list[Problem]:
    return list(exc.problems) if isinstance(exc, InvalidInput) else [Problem(0, exc.message)]


def _inbox_page(
    request: Request,
    session: ReadSession | WriteSession,
    entity: str | None,
    framework: str | None,
    cycle: str | None,
    *,
    status_code: int = 200,
    **extra: object,
) -> Response:
    who = principal_of(session)
    if who.entity_id is None and not entity:
        return render(
            request,
            "monitoring/choose.html",
            entities=list_entities(session),
            frameworks=inbox.framework_codes(session),
            status_code=status_code,
            **{"problems": [], **extra},
        )
    box = inbox.inbox(session, entity, framework, cycle)
    for item in box.items:
        mark(request, item.classification)
    for sub in box.returned_elsewhere:
        mark(request, sub.classification)
    return render(
        request,
        "monitoring/inbox.html",
        box=box,
        statuses=MILESTONE_STATUSES,
        reviewer=who.role in (Role.REVIEWER, Role.ADMINISTRATOR),
        status_code=status_code,
        **{"problems": [], "saved": None, **extra},
    )


@router.get("/reporting")
def reporting(
    request: Request,
    who: SignedIn,
    session: ReadSession,
    entity: Text = None,
    framework: Text = None,
    cycle: Annotated[str | None, Query(max_length=20)] = None,
    saved: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    done = service.get_submission(session, saved) if saved else None
    return _inbox_page(request, session, entity, framework, cycle, saved=done)


def _back_to_inbox(sub_id: int, entity: str | None, framework: str | None, cycle: str | None) -> Response:
    query = {k: v for k, v in (("entity", entity), ("framework", framework), ("cycle", cycle)) if v}
    query["saved"] = str(sub_id)
    return RedirectResponse(i18n.localise("/reporting") + "?" + urlencode(query), status_code=303)


@router.post("/reporting/values")
def report_value(
    request: Request,
    who: SignedIn,
    session: WriteSession,
    framework: FormText,
    cycle: Annotated[str, Form(max_length=20)],
    item: Annotated[str, Form(max_length=200)],
    entity: FormText = "",
    value: FormText = "",
    status: FormText = "",
    period_start: FormText = "",
    period_end: FormText = "",
    evidence: Annotated[str, Form(max_length=1000)] = "",
    note: LongText = "",
    action: FormText = "submit",
) -> Response:
    try:
        sub = service.report_value(
            session,
            framework,
            cycle,
            item,
            value=value,
            status=status,
            period_start=period_start,
            period_end=period_end,
            evidence=evidence,
            note=note,
            entity_code=entity or None,
            draft=action == "draft",
        )
    except SHOWN as exc:
        session.rollback()
        return _inbox_page(
            request,
            session,
            entity or None,
            framework,
            cycle,
            status_code=exc.http_status,
            problems=_problems(exc),
        )
    return _back_to_inbox(sub.id, entity or None, framework, cycle)


@router.post("/reporting/submissions/{submission_id}/{action}")
def submission_step(
    request: Request,
    submission_id: int,
    action: str,
    who: SignedIn,
    session: WriteSession,
    expected_version: Annotated[int | None, Form(ge=1)] = None,
    value: FormText = "",
    status: FormText = "",
    period_start: FormText = "",
    period_end: FormText = "",
    evidence: Annotated[str, Form(max_length=1000)] = "",
    note: LongText = "",
    comment: LongText = "",
    back: FormText = "inbox",
    entity: FormText = "",
) -> Response:
    try:
        sub = service.step(
            session,
            submission_id,
            action,
            value=value,
            status=status,
            period_start=period_start,
            period_end=period_end,
            evidence=evidence,
            note=note,
            comment=comment,
            expected_version=expected_version,
        )
        framework, cycle, entity = sub.cycle.framework.code, sub.cycle.code, sub.entity.code
    except SHOWN as exc:
        session.rollback()
        if back == "queue":
            return _queue_page(request, session, status_code=exc.http_status, problems=_problems(exc))
        return _inbox_page(
            request, session, entity or None, None, None, status_code=exc.http_status, problems=_problems(exc)
        )
    if back == "queue":
        return RedirectResponse(i18n.localise("/reporting/queue") + f"?done={sub.id}", status_code=303)
    return _back_to_inbox(sub.id, entity if who.entity_id is None else None, framework, cycle)


@router.get("/reporting/template")
def template(
    who: SignedIn,
    session: ReadSession,
    framework: Annotated[str, Query(max_length=80)],
    cycle: Annotated[str, Query(max_length=20)],
    entity: Text = None,
) -> Response:
    from nigran.monitoring.excel import build_template

    code = service.reader_entity(session, entity)
    if code is None:
        raise InvalidInput([Problem(0, "say which entity's workbook to make", "entity")])
    workbook = build_template(session, framework, cycle, code.code)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return download(buffer.getvalue(), f"{framework}-{cycle}-{code.code}.xlsx", XLSX_TYPE)


@router.post("/reporting/upload")
def upload(
    request: Request,
    who: SignedIn,
    session: WriteSession,
    file: Annotated[UploadFile, File(description="A filled reporting workbook (.xlsx)")],
    entity: FormText = "",
) -> Response:
    from nigran.monitoring.excel_submit import submit_workbook

    name = file.filename or "upload.xlsx"
    data = file.file.read(MAX_WORKBOOK + 1)
    try:
        if len(data) > MAX_WORKBOOK:
            raise InvalidInput([Problem(0, f"larger than {MAX_WORKBOOK >> 20} MB", name)])
        result = submit_workbook(session, io.BytesIO(data), name)
    except SHOWN as exc:
        session.rollback()
        return _inbox_page(
            request, session, entity or None, None, None, status_code=exc.http_status, problems=_problems(exc)
        )
    return _inbox_page(request, session, entity or None, None, None, uploaded=result)


def _queue_page(
    request: Request, session: ReadSession | WriteSession, *, status_code: int = 200, **extra: object
) -> Response:
    framework, entity = extra.pop("framework", None), extra.pop("entity", None)
    items = service.review_queue(session, framework, entity)  # type: ignore[arg-type]
    for item in items:
        mark(request, item.classification)
    return render(
        request,
        "monitoring/queue.html",
        items=items,
        status_code=status_code,
        **{"problems": [], "done": None, **extra},
    )


@router.get("/reporting/queue")
def queue(
    request: Request,
    who: SignedIn,
    session: ReadSession,
    framework: Text = None,
    entity: Text = None,
    done: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    finished = service.get_submission(session, done) if done else None
    if finished is not None:
        mark(request, finished.classification)
    return _queue_page(request, session, framework=framework, entity=entity, done=finished)


@router.get("/reporting/submissions/{submission_id}")
def submission(request: Request, submission_id: int, who: SignedIn, session: ReadSession) -> Response:
    sub = service.get_submission(session, submission_id)
    mark(request, sub.classification)
    return render(request, "monitoring/submission.html", sub=sub, item=sub.indicator or sub.milestone)


@router.get("/reporting/due")
def due(
    request: Request,
    who: SignedIn,
    session: ReadSession,
    framework: Text = None,
    entity: Text = None,
    as_of: Annotated[str | None, Query(max_length=10)] = None,
) -> Response:
    own = service.reader_entity(session, entity)
    items = overdue_across(
        session, framework or None, service.read_day(as_of, "as_of"), own.code if own else None
    )
    groups: dict[str, list] = {}
    for item in items:
        mark(request, item.classification)
        groups.setdefault(item.entity, []).append(item)
    return render(request, "monitoring/due.html", groups=groups, total=len(items))
