"""The public portal's pages, in English at ``/…`` and Urdu at ``/ur/…`` (the platform strips the prefix).

Home (``/``), a framework's progress and public indicators, the security situation (map and monthly
series with the tables behind them), the methodology, and the public annual reports to download. Every
figure comes from :mod:`nigran.portal.figures`, computed as the anonymous public reader whoever is signed in
(see :mod:`nigran.portal.service` for why); the header still shows who is signed in.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from nigran.portal import figures
from nigran.portal.formatting import HELPERS
from nigran.web.exports import download
from nigran.web.templating import render

router = APIRouter(include_in_schema=False)


def _page(request: Request, template: str, **ctx: object) -> Response:
    return render(request, f"portal/{template}", today=figures.today(request), **HELPERS, **ctx)


@router.get("/")
def home(request: Request) -> Response:
    return _page(
        request, "home.html", frameworks=figures.progress(request), situation=figures.situation(request)
    )


@router.get("/portal/frameworks/{code}")
def framework(request: Request, code: Annotated[str, Path(max_length=60)]) -> Response:
    return _page(request, "framework.html", fw=figures.framework(request, code))


@router.get("/portal/security")
def security(request: Request) -> Response:
    return _page(request, "security.html", situation=figures.situation(request))


@router.get("/portal/methodology")
def methodology(request: Request) -> Response:
    return _page(request, "methodology.html")


@router.get("/portal/reports")
def reports(request: Request) -> Response:
    return _page(request, "reports.html", reports=figures.reports(request))


@router.get("/portal/reports/{code}/{year}/{fmt}")
def report_file(
    request: Request,
    code: Annotated[str, Path(max_length=60)],
    year: Annotated[int, Path(ge=1900, le=2200)],
    fmt: Annotated[str, Path(max_length=8)],
) -> Response:
    body, media_type, filename = figures.report(request, code, year, fmt)
    return download(body, filename, media_type)
