"""The reports page: the annual review in both editions, made in the background as HTML or PDF.

A thin adapter over :mod:`nigran.jobs.service` (kind ``reports.annual``, whose check refuses the classified
edition to anyone below SECRET before anything is queued). The job page polls a small progress fragment
with htmx until the file is ready, then links the download (``/api/jobs/{id}/result``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from nigran.access.classification import Classification
from nigran.access.guard import principal_of
from nigran.core.errors import AccessDenied, InvalidInput, NotFound
from nigran.core.problems import Problem
from nigran.jobs import service as jobs
from nigran.monitoring.inbox import framework_codes
from nigran.web import i18n
from nigran.web.deps import ReadSession, SignedIn, WriteSession
from nigran.web.templating import mark, render

router = APIRouter(include_in_schema=False)
KIND = "reports.annual"
FORMATS = ("html", "pdf")


def _page(
    request: Request, session: ReadSession | WriteSession, *, status_code: int = 200, **extra: object
) -> Response:
    who = principal_of(session)
    recent = jobs.list_jobs(session, kind=KIND, per_page=20).items
    views = [jobs.view(session, job) for job in recent]
    for v in views:
        mark(request, v.classification)
    return render(
        request,
        "reports/index.html",
        frameworks=framework_codes(session),
        jobs=views,
        may_classified=who.clearance >= Classification.SECRET,
        formats=FORMATS,
        status_code=status_code,
        **{"problems": [], "form": {}, **extra},
    )


@router.get("/reports")
def reports(request: Request, who: SignedIn, session: ReadSession) -> Response:
    return _page(request, session)


@router.post("/reports/annual")
def annual(
    request: Request,
    who: SignedIn,
    session: WriteSession,
    framework: Annotated[str, Form(max_length=80)] = "",
    year: Annotated[str, Form(max_length=10)] = "",
    edition: Annotated[str, Form(max_length=20)] = "public",
    format: Annotated[str, Form(max_length=10)] = "pdf",
) -> Response:
    form = {"framework": framework, "year": year, "edition": edition, "format": format}
    try:
        if format not in FORMATS:
            raise InvalidInput([Problem(0, f"unknown format {format!r} (allowed: html, pdf)", "format")])
        job = jobs.submit(session, KIND, form)
    except (InvalidInput, AccessDenied, NotFound) as exc:
        session.rollback()
        problems = exc.problems if isinstance(exc, InvalidInput) else [Problem(0, exc.message)]
        return _page(request, session, status_code=exc.http_status, problems=problems, form=form)
    return RedirectResponse(i18n.localise(f"/reports/jobs/{job.id}"), status_code=303)


def _job(request: Request, session: ReadSession, job_id: int) -> jobs.JobView:
    view = jobs.view(session, jobs.get(session, job_id))
    mark(request, view.classification)
    return view


@router.get("/reports/jobs/{job_id}")
def job_page(request: Request, job_id: int, who: SignedIn, session: ReadSession) -> Response:
    return render(request, "reports/job.html", job=_job(request, session, job_id))


@router.get("/reports/jobs/{job_id}/progress")
def job_progress(request: Request, job_id: int, who: SignedIn, session: ReadSession) -> Response:
    """The fragment the job page polls (htmx swaps it in place until the job has finished)."""
    return render(request, "reports/_progress.html", job=_job(request, session, job_id))
