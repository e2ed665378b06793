"""The JSON API under ``/api``: every domain's ``api.py`` router, mounted in one place.

A domain whose ``api`` module does not exist yet is skipped; an error inside one that exists is not hidden.
"""

from __future__ import annotations

import importlib

from fastapi import APIRouter

#: Domains whose ``<domain>.api`` module holds a ``router`` (an ``APIRouter``), in mounting order.
API_MODULES = (
    "nigran.access.api",
    "nigran.audit.api",
    "nigran.web.auth.api",
    "nigran.policy.api",
    "nigran.monitoring.api",
    "nigran.reports.api",
    "nigran.incidents.api",
    "nigran.geo.api",
    "nigran.jobs.api",
    "nigran.portal.api",
    "nigran.news.api",
    "nigran.extract.api",
    "nigran.assessment.api",
    "nigran.risk.forecast_api",
    "nigran.risk.index_api",
    "nigran.alerts.api",
    "nigran.foresight.api",
    "nigran.ops.api",
)
PAGE_MODULES = (
    "nigran.web.auth.pages",
    "nigran.access.pages",
    "nigran.audit.pages",
    "nigran.portal.pages",
    "nigran.policy.pages",
    "nigran.monitoring.pages",
    "nigran.reports.pages",
    "nigran.incidents.pages",
    "nigran.geo.pages",
    "nigran.jobs.pages",
    "nigran.news.pages",
    "nigran.extract.pages",
    "nigran.assessment.pages",
    "nigran.risk.forecast_pages",
    "nigran.risk.index_pages",
    "nigran.alerts.pages",
    "nigran.foresight.pages",
    "nigran.ops.pages",
)


def optional_routers(names: tuple[str, ...]) -> list[APIRouter]:
    routers = []
    for name in names:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            missing = exc.name or ""
            if name == missing or name.startswith(missing + "."):  # not written yet; a missing import
                # inside a module that exists is a defect and is raised
                continue
            raise
        router = getattr(module, "router", None)
        if isinstance(router, APIRouter):
            routers.append(router)
    return routers


def api_router() -> APIRouter:
    root = APIRouter(prefix="/api")
    for router in optional_routers(API_MODULES):
        root.include_router(router)
    return root
