"""News as background work: ``news.ingest`` (an uploaded file) and the ``news.poll`` schedule (feeds).

``news.ingest`` writes inside the job's transaction (``writes=True``): the articles and the job's completion
commit together. A file whose every document is unreadable fails the job with its problems; otherwise the
good documents are stored and the problems listed in the result.

``news.poll`` runs every five minutes on a consumer, as the system: it polls the feeds that are due, one
transaction per feed, and does nothing (no network) when no feed is configured or none is due.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from nigran.access.classification import Classification
from nigran.access.principal import Principal
from nigran.core.errors import AccessDenied
from nigran.core.problems import InvalidInput, Problem
from nigran.jobs import schedules
from nigran.jobs.schedules import Schedule
from nigran.jobs.tasks import TASKS, JobContext, Outcome, TaskSpec
from nigran.news.readers import Fetch, fetch_url

POLL_MINUTES = "*/5"


def _ingest_check(
    session: Session, params: dict[str, Any], principal: Principal
) -> tuple[dict[str, Any], Classification]:
    from nigran.news.service import may_write

    if not may_write(principal):
        raise AccessDenied(f"{principal.username} ({principal.role}) may not store articles")
    try:
        level = Classification.parse(params.get("classification") or "PUBLIC")
    except ValueError as exc:
        raise InvalidInput([Problem(0, str(exc), "classification")]) from None
    if level > principal.clearance:
        raise AccessDenied(f"{principal.username} may not write {level.name} records")
    outlet = params.get("outlet")
    outlet = " ".join(str(outlet).split()) if outlet is not None else ""
    if len(outlet) > 200:
        raise InvalidInput([Problem(0, "longer than 200 characters", "outlet")])
    return {"outlet": outlet or None, "classification": level.name}, level


def _ingest_run(ctx: JobContext, session: Session) -> Outcome:
    from nigran.news.readers import read_bytes
    from nigran.news.service import IngestSummary, ingest

    upload = ctx.input(session)
    ctx.progress(5, "reading the file")
    problems: list[Problem] = []
    documents = read_bytes(upload.safe_name, upload.content, problems)
    if problems and not documents:
        raise InvalidInput(problems)
    ctx.progress(50, f"storing {len(documents)} documents")
    level = Classification.parse(ctx.params["classification"])
    summary = ingest(
        session,
        documents,
        outlet=ctx.params.get("outlet"),
        classification=level,
        summary=IngestSummary(problems=problems),
    )
    message = (
        f"{len(documents)} documents read: {len(summary.stored)} stored ({summary.set_aside} set aside), "
        f"{summary.already_stored} already stored, {len(problems)} problems"
    )
    data = summary.as_dict()
    data["problems"] = data["problems"][:200]
    return Outcome(message, data, level=level)


TASKS["news.ingest"] = TaskSpec(_ingest_check, _ingest_run, writes=True, inputs=1, title="News ingest")


def poll_due(db: Any, fetch: Fetch = fetch_url, now: datetime | None = None) -> str | None:
    """Poll every feed that is due, as the system; a line for the log, ``None`` when nothing was due."""
    from nigran.news.feeds import due_feeds, get_feed, poll_feed

    moment = now or datetime.now(UTC)
    with db.session(Principal.system(), readonly=True) as session:
        due = [f.id for f in due_feeds(session, moment)]
    if not due:
        return None
    lines = []
    for feed_id in due:  # one transaction per feed: a failure of one keeps the others' articles
        with db.session(Principal.system()) as session:
            feed = get_feed(session, feed_id)
            poll_feed(session, feed, fetch, now=moment)
            lines.append(f"{feed.name}: {feed.last_status}")
    return "; ".join(lines)


schedules.add(
    Schedule(
        "news.poll",
        lambda db: poll_due(db),
        minute=POLL_MINUTES,
        description="poll the configured news feeds that are due",
    )
)
