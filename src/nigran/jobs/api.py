"""``/api/jobs``: submit a background job, follow its progress, download its result.

Pages poll ``GET /api/jobs/{id}`` (htmx) for ``state``, ``progress`` and ``message``; ``result_url`` appears
once the job has a file. Routes hold no rules: :mod:`nigran.jobs.service` decides what a user may submit
and see (someone else's job is a 404, as if it did not exist).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, UploadFile
from starlette.responses import Response

from nigran.core.jsonout import dumps
from nigran.core.problems import InvalidInput, Problem
from nigran.jobs import service
from nigran.jobs.tasks import Upload
from nigran.web.deps import ReadSession, SignedIn, WriteSession
from nigran.web.exports import download

router = APIRouter(prefix="/jobs", tags=["jobs"])


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(data), status_code=status, media_type="application/json", headers=headers)


def _body(view: service.JobView) -> dict[str, Any]:
    data = view.as_dict()
    data["url"] = f"/api/jobs/{view.id}"
    data["result_url"] = f"/api/jobs/{view.id}/result" if view.output else None
    data["finished"] = view.state in ("succeeded", "failed")
    return data


@router.get("")
def list_jobs(
    session: ReadSession,
    who: SignedIn,
    state: Annotated[
        str | None, Query(max_length=20, description="queued, running, succeeded or failed")
    ] = None,
    kind: Annotated[str | None, Query(max_length=60, description="e.g. incidents.import")] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Response:
    """Your jobs (an administrator's: everyone's), newest first."""
    found = service.list_jobs(session, state=state, kind=kind, page=page, per_page=per_page)
    items = [_body(service.view(session, job)) for job in found.items]
    return _json({"items": items, "page": page, "per_page": per_page, "total": found.total})


@router.get("/{job_id}")
def get_job(job_id: int, session: ReadSession, who: SignedIn) -> Response:
    """State, progress (0–100) and message of one job; problems if its input was refused."""
    return _json(_body(service.view(session, service.get(session, job_id))))


@router.get("/{job_id}/result")
def job_result(job_id: int, session: ReadSession, who: SignedIn) -> Response:
    """The file a finished job made, with its name and media type."""
    found = service.artifact(session, job_id)
    return download(found.content, found.name, found.media_type)


@router.post("", status_code=202)
def submit_job(
    session: WriteSession,
    who: SignedIn,
    kind: Annotated[str, Form(max_length=60, description="e.g. incidents.export")],
    params: Annotated[
        str, Form(max_length=20_000, description="the task's parameters as a JSON object")
    ] = "{}",
    file: Annotated[UploadFile | None, File(description="the input file, for kinds that take one")] = None,
) -> Response:
    """Queue a job; answer at once with its URL to poll."""
    try:
        values = json.loads(params or "{}")
    except ValueError as exc:
        raise InvalidInput([Problem(0, f"not JSON: {exc}", "params")]) from None
    if not isinstance(values, dict):
        raise InvalidInput([Problem(0, "must be a JSON object", "params")])
    files = []
    if file is not None:
        content = file.file.read(service.MAX_UPLOAD_BYTES + 1)
        files.append(
            Upload(file.filename or "upload", content, file.content_type or "application/octet-stream")
        )
    job = service.submit(session, kind, values, files=files)
    body = _body(service.view(session, job))
    return _json(body, 202, {"location": body["url"]})
