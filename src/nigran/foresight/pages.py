"""The foresight pages: the register (scenarios with their signposts and status) and one scenario with
each signpost's crossings and evidence."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from nigran.foresight.service import get_scenario, list_scenarios
from nigran.web.deps import ReadSession, SignedIn
from nigran.web.templating import N_, mark, render

router = APIRouter(include_in_schema=False)

#: Signpost statuses, shown through a variable (``_(sp.status)``): marked so that extraction sees them.
MARKED = (N_("unchecked"), N_("not_crossed"), N_("crossed"), N_("unknown"))


@router.get("/foresight")
def register(request: Request, who: SignedIn, session: ReadSession) -> Response:
    scenarios = list_scenarios(session)
    for s in scenarios:
        mark(request, s.classification)
        for sp in s.signposts:
            mark(request, sp.classification)
    return render(request, "foresight/register.html", scenarios=scenarios)


@router.get("/foresight/scenarios/{scenario_id}")
def scenario(request: Request, scenario_id: int, who: SignedIn, session: ReadSession) -> Response:
    s = get_scenario(session, scenario_id)
    mark(request, s.classification)
    for sp in s.signposts:
        mark(request, sp.classification)
        for c in sp.crossings:
            mark(request, c.classification)
    return render(request, "foresight/scenario.html", s=s)
