"""``/api/foresight``: the foresight register as JSON (signed-in users; what the guard lets them see)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from nigran.core.jsonout import dumps
from nigran.foresight.service import get_scenario, list_scenarios, scenario_dict
from nigran.web.deps import ReadSession, SignedIn

router = APIRouter(prefix="/foresight", tags=["foresight"])


@router.get("/scenarios")
def scenarios(who: SignedIn, session: ReadSession) -> Response:
    """Every scenario the caller may see, with its signposts, their status and crossings (with evidence)."""
    items = [scenario_dict(s) for s in list_scenarios(session)]
    return Response(dumps({"items": items}), media_type="application/json")


@router.get("/scenarios/{scenario_id}")
def scenario(scenario_id: int, who: SignedIn, session: ReadSession) -> Response:
    return Response(dumps(scenario_dict(get_scenario(session, scenario_id))), media_type="application/json")
