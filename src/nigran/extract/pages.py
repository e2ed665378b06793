"""The review pages: the queue (``/review``) and one candidate (``/review/candidates/{candidate_id}``):
the article, every field's evidence highlighted (``<mark data-field=…>``), the values in an editable form,
and the matched incident's figures beside the article's; accept and reject buttons.

Only analysts, reviewers and administrators (the service refuses others: 403); a candidate of an article
above the reader's clearance is 404 like a missing one. Each page marks the level of what it shows.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from starlette.responses import RedirectResponse, Response

from nigran.core.errors import InvalidInput
from nigran.core.problems import Problem
from nigran.extract import review, service
from nigran.incidents.fields import CASUALTY_FIELDS
from nigran.incidents.mappings import EVENT_TYPES
from nigran.web import i18n
from nigran.web.deps import ReadSession, SignedIn, WriteSession
from nigran.web.templating import N_, mark, render

router = APIRouter(include_in_schema=False)
PER_PAGE = 50
#: Shown through a variable (``_(status)``): marked here for the catalogue.
MARKED = (N_("pending"), N_("accepted"), N_("rejected"), N_("all"))


@router.get("/review")
def queue(
    request: Request,
    who: SignedIn,
    session: ReadSession,
    status: Annotated[str, Query(max_length=10)] = "pending",
    district: Annotated[str, Query(max_length=100)] = "",
    type: Annotated[str, Query(max_length=40)] = "",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    service.require_reviewer(session, "read the review queue")
    form = {"status": status, "district": district, "type": type}
    f = service.QueueFilters(None if status == "all" else status, district or None, type or None)
    ctx: dict[str, Any] = {
        "form": form,
        "statuses": (*service.STATUSES, "all"),
        "event_types": sorted(EVENT_TYPES),
        "rows": [],
        "total": 0,
        "page": page,
        "pages": 1,
    }
    try:
        rows, total = service.list_candidates(session, f, page=page, per_page=PER_PAGE)
    except InvalidInput as exc:
        return render(request, "extract/queue.html", status_code=422, problems=exc.problems, **ctx)
    items = []
    for c in rows:
        mark(request, c.classification)
        match = service.visible_match(session, c)
        items.append({"c": c, "v": service.effective(c), "match": match})
    ctx.update(
        rows=items,
        total=total,
        pages=max(1, -(-total // PER_PAGE)),
        query=lambda p: urlencode({**{k: v for k, v in form.items() if v}, "page": p}),
    )
    return render(request, "extract/queue.html", problems=[], **ctx)


def _detail(request: Request, session: Any, candidate_id: int, **extra: Any) -> dict[str, Any]:
    c = service.get_candidate(session, candidate_id)
    mark(request, c.classification)
    match = service.visible_match(session, c)
    if match is not None:
        mark(request, match.classification)
    values = service.effective(c)
    fields = c.fields or {}
    return {
        "c": c,
        "art": c.article,
        "values": values,
        "form": {f: "" if values[f] is None else _form_value(values[f]) for f in service.FIELDS},
        "extracted": {f: fields.get(f) for f in service.FIELDS},
        "conf": fields.get("confidence") or {},
        "pieces": service.highlight(c.article.text or "", fields),
        "sentences": service.evidence_sentences(fields, c.article.text or ""),
        "match": match,
        "article_figures": review.figures_of(values),
        "figures": CASUALTY_FIELDS,
        "fields": service.FIELDS,
        "event_types": sorted(EVENT_TYPES),
        "problems": [],
        **extra,
    }


def _form_value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


@router.get("/review/candidates/{candidate_id}")
def candidate(request: Request, candidate_id: int, who: SignedIn, session: ReadSession) -> Response:
    return render(request, "extract/candidate.html", **_detail(request, session, candidate_id))


@router.post("/review/candidates/{candidate_id}/accept")
async def accept(request: Request, candidate_id: int, who: SignedIn, session: WriteSession) -> Response:
    """The form's fields: a changed value is an edit; ``decision`` is ``match``, ``new`` or ``into``."""
    form = await request.form()
    c = service.get_candidate(session, candidate_id)
    current = service.effective(c)
    edits: dict[str, Any] = {}
    for name in service.FIELDS:
        sent = form.get(name)
        if not isinstance(sent, str):
            continue
        was = "" if current[name] is None else _form_value(current[name])
        if sent.strip() != was:
            edits[name] = sent[:400]
    decision = str(form.get("decision") or "match")
    note = form.get("note")
    note_text = note.strip()[:2000] if isinstance(note, str) and note.strip() else None
    into: int | None = None
    try:
        if decision == "into":
            raw = str(form.get("into") or "").strip()
            if not raw.isdigit():
                raise InvalidInput([Problem(0, "give the number of the incident to add it to", "into")])
            into = int(raw)
        elif decision not in ("match", "new"):
            raise InvalidInput([Problem(0, "choose match, new or into", "decision")])
        d = review.accept(session, candidate_id, edits, note_text, new=decision == "new", into=into)
    except InvalidInput as exc:
        session.rollback()
        ctx = _detail(request, session, candidate_id, problems=exc.problems)
        ctx["form"].update({k: str(v) for k, v in edits.items()})
        return render(request, "extract/candidate.html", status_code=422, **ctx)
    target = d.incident.id if d.incident is not None else None
    return RedirectResponse(i18n.localise(f"/incidents/{target}"), status_code=303)


@router.post("/review/candidates/{candidate_id}/reject")
async def reject(request: Request, candidate_id: int, who: SignedIn, session: WriteSession) -> Response:
    form = await request.form()
    reason = form.get("reason")
    try:
        review.reject(session, candidate_id, str(reason)[:2000] if isinstance(reason, str) else "")
    except InvalidInput as exc:
        session.rollback()
        ctx = _detail(request, session, candidate_id, problems=exc.problems)
        return render(request, "extract/candidate.html", status_code=422, **ctx)
    return RedirectResponse(i18n.localise("/review"), status_code=303)
