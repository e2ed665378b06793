"""Background work of extraction: the ``extract.articles`` job and the ``extract.pending`` schedule.

``extract.articles`` (writes) runs the extractor on a batch of articles (``article_ids``) or on every new one
the submitter may see; its candidates and the articles' new status commit with the job's completion, so a
job that is delivered twice or crashes half-way writes nothing twice (the exactly-once rule of
:mod:`nigran.jobs.tasks`). A large corpus is spread across the workers by :func:`submit_batches`: it splits
the new articles into batches of ``batch_size`` and submits one job per batch, which any worker (``nigran
worker`` on any machine sharing the queue) may take. Two jobs never extract the same article twice: the
batch's rows are locked while it runs, and an article already extracted is skipped.

``extract.pending`` runs every 10 minutes as the system: it extracts up to :data:`PENDING_LIMIT` new articles
(those that arrived by feed polling, for instance). It does nothing when the extractor is not installed.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from nigran.access.classification import Classification
from nigran.access.principal import Principal
from nigran.core.errors import AccessDenied, Conflict
from nigran.core.problems import InvalidInput, Problem
from nigran.jobs.schedules import Schedule, add
from nigran.jobs.tasks import TASKS, JobContext, Outcome, TaskSpec

KIND = "extract.articles"
MAX_BATCH = 5000
DEFAULT_BATCH = 200
PENDING_LIMIT = 2000


def _ids(value: Any) -> list[int] | None:
    if value is None:
        return None
    if not isinstance(value, list | tuple):
        raise InvalidInput([Problem(0, "must be a list of article ids", "article_ids")])
    out: list[int] = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int | str) or not str(item).strip().isdigit():
            raise InvalidInput([Problem(0, f"{item!r} is not an article id", "article_ids")])
        out.append(int(str(item).strip()))
    if not out:
        raise InvalidInput(
            [Problem(0, "give at least one article id, or none for every new one", "article_ids")]
        )
    if len(out) > MAX_BATCH:
        raise InvalidInput([Problem(0, f"at most {MAX_BATCH} articles per job", "article_ids")])
    return list(dict.fromkeys(out))


def _check(
    session: Session, params: dict[str, Any], principal: Principal
) -> tuple[dict[str, Any], Classification]:
    from nigran.news.models import Article

    if principal.role not in Article.__write_roles__:
        raise AccessDenied(f"{principal.username} ({principal.role}) may not extract articles")
    unknown = sorted(set(params) - {"article_ids"})
    if unknown:
        raise InvalidInput([Problem(0, f"unknown parameter(s) {', '.join(unknown)}", "params")])
    return {"article_ids": _ids(params.get("article_ids"))}, principal.clearance


def _run(ctx: JobContext, session: Session) -> Outcome:
    from nigran.extract.service import extract_articles

    ids = ctx.params.get("article_ids")
    ctx.progress(0, "extracting")
    summary = extract_articles(
        session,
        ids,
        progress=lambda done, total: ctx.progress(
            min(99, done * 100 // max(total, 1)), f"{done} of {total} articles"
        ),
    )
    return Outcome(summary.line(), summary.as_dict(), level=ctx.principal.clearance)


def submit_batches(session: Session, batch_size: int = DEFAULT_BATCH) -> list[int]:
    """Submit one ``extract.articles`` job per ``batch_size`` new articles the user may see; the job ids.

    The jobs are enqueued when the caller's transaction commits (see :func:`nigran.jobs.service.submit`)."""
    from nigran.extract.service import pending_article_ids, require_extractor
    from nigran.jobs import service as jobs

    require_extractor(session)
    if not 1 <= batch_size <= MAX_BATCH:
        raise InvalidInput([Problem(0, f"must be between 1 and {MAX_BATCH}", "--batch-size")])
    ids = pending_article_ids(session)
    return [
        jobs.submit(session, KIND, {"article_ids": ids[i : i + batch_size]}).id
        for i in range(0, len(ids), batch_size)
    ]


def extract_pending(db: Any) -> str | None:
    """The schedule: new articles, as the system; nothing when the extractor is not installed."""
    from nigran.extract.service import default_extractor, extract_articles, pending_article_ids

    try:
        extractor = default_extractor()
    except Conflict:
        return None
    with db.session(Principal.system()) as session:
        ids = pending_article_ids(session, PENDING_LIMIT)
        if not ids:
            return None
        return extract_articles(session, ids, extractor=extractor).line()


TASKS[KIND] = TaskSpec(_check, _run, writes=True, title="Article extraction")
SCHEDULE = add(
    Schedule(
        "extract.pending",
        extract_pending,
        minute="*/10",
        description="extract incidents from new articles every 10 minutes",
    )
)
