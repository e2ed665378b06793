"""``/api/reports/annual``: the annual review as a background job (HTML/PDF/…), or its tables as JSON now.

A thin adapter over :mod:`nigran.reports.service` and :mod:`nigran.jobs.service`: the edition rules (the
public edition is gathered as the anonymous reader whoever asks; the classified one needs SECRET clearance)
are the service's, the same as on the command line.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from starlette.responses import Response

from nigran.core.jsonout import dumps
from nigran.jobs import service as jobs
from nigran.reports.model import Edition
from nigran.reports.service import ReportFormat, render_annual
from nigran.storage.db import Database
from nigran.web.deps import CurrentPrincipal, SignedIn, WriteSession, database

router = APIRouter(prefix="/reports", tags=["reports"])


class AnnualJob(BaseModel):
    framework: str = Field(max_length=80)
    year: int = Field(ge=1990, le=2100)
    edition: str = Field("public", max_length=20, description="public or classified (SECRET clearance)")
    format: str = Field("pdf", max_length=10, description="pdf, html, csv, json or xlsx")


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(data), status_code=status, media_type="application/json", headers=headers)


@router.post("/annual", status_code=202)
def submit_annual(body: AnnualJob, session: WriteSession, who: SignedIn) -> Response:
    """Queue the annual review; poll the returned ``url`` (``/api/jobs/{id}``) for progress and the file."""
    job = jobs.submit(session, "reports.annual", body.model_dump())
    data = jobs.view(session, job).as_dict()
    data["url"] = f"/api/jobs/{job.id}"
    return _json(data, 202, {"location": data["url"]})


@router.get("/annual")
def annual_tables(
    who: CurrentPrincipal,
    db: Annotated[Database, Depends(database)],
    framework: Annotated[str, Query(max_length=80)],
    year: Annotated[int, Query(ge=1990, le=2100)],
    edition: Annotated[str, Query(max_length=20)] = "public",
) -> Response:
    """The report's tables as JSON, computed now (the public edition for anyone)."""
    rendered = render_annual(db, who, framework, year, Edition.parse(edition), ReportFormat.JSON)
    return Response(rendered.content, media_type="application/json")
