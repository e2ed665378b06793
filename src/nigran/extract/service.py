"""From stored articles to candidates: run the extractor, keep what it found, match it, list it.

``extract_articles`` reads articles whose status is ``new``, runs the extractor on each English one and writes
one :class:`Candidate` per incident it reports (its output kept exactly in ``fields``), matched against the
incident database (:mod:`nigran.extract.matching`). The article becomes ``extracted`` — also when the
extractor finds no incident in it (an editorial, a court report). Articles in another language are set aside
for a person (``set_aside``: the English extractor does not guess at Urdu). Running it again does nothing to
an extracted article, and never writes a second candidate for the same article and position.

Like every service: the caller's session (whose reader the guard filters), flush but no commit, and only
``nigran.core.errors`` kinds raised. An article the reader may not see is "no article N", exactly like a
missing one; a candidate inherits its article's classification, so it is hidden from the same readers.
"""

from __future__ import annotations

import itertools
import re
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from nigran.access.errors import AccessDenied
from nigran.access.guard import principal_of
from nigran.access.principal import Role
from nigran.core.errors import NotFound
from nigran.core.problems import InvalidInput, Problem
from nigran.extract.fields import FIELDS
from nigran.extract.matching import Resolvers, best_match
from nigran.extract.models import Candidate
from nigran.news.models import Article

#: What an extractor is: the article's text and publication date in, the incidents it reports out (the
#: dicts ``nigran extract run`` writes; see ``nigran.extract.engine.extract_document``).
ExtractFn = Callable[[str, "date | None"], list[dict[str, Any]]]

STATUSES = ("pending", "accepted", "rejected")
#: Who may work the queue (extract, accept, reject); the guard's write roles apply on top.
REVIEW_ROLES = frozenset({Role.ANALYST, Role.REVIEWER, Role.ADMINISTRATOR})
#: Languages the extractor reads. ``und`` (not detected) is read only when the text is Latin script.
ENGLISH = "en"
FLUSH_EVERY = 200


@dataclass(frozen=True)
class Extractor:
    run: ExtractFn
    version: str


def default_extractor() -> Extractor:
    """The rule extractor of :mod:`nigran.extract.engine` (tests inject others)."""
    from nigran.extract import engine

    def run(text: str, published: date | None) -> list[dict[str, Any]]:
        return engine.extract_document(text, published)

    return Extractor(run, str(getattr(engine, "EXTRACTOR", "engine"))[:40])


@dataclass
class Summary:
    """What one run did, article by article (ids of the articles in each outcome)."""

    articles: int = 0
    candidates: int = 0
    matched: int = 0
    extracted: list[int] = field(default_factory=list)
    empty: list[int] = field(default_factory=list)
    set_aside: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["failed"] = {str(k): v for k, v in self.failed.items()}
        return out

    def line(self) -> str:
        return (
            f"{self.articles} article(s) read: {len(self.extracted)} extracted ({len(self.empty)} with no "
            f"incident), {self.candidates} candidate(s), {self.matched} matched to known incidents, "
            f"{len(self.set_aside)} set aside, {len(self.skipped)} skipped, {len(self.failed)} failed"
        )


def require_reviewer(session: Session, what: str) -> str:
    """The acting user's name, if they may work the review queue; :class:`AccessDenied` otherwise."""
    principal = principal_of(session)
    if not principal.is_system and principal.role not in REVIEW_ROLES:
        raise AccessDenied(f"{principal.username} ({principal.role}) may not {what}")
    return principal.username


def require_extractor(session: Session) -> str:
    """Extracting changes the articles (their status), so it takes the articles' write roles."""
    principal = principal_of(session)
    if not principal.is_system and principal.role not in Article.__write_roles__:
        raise AccessDenied(f"{principal.username} ({principal.role}) may not extract articles")
    return principal.username


def _latin(text: str) -> bool:
    letters = [c for c in text[:4000] if c.isalpha()]
    return bool(letters) and sum(c.isascii() for c in letters) / len(letters) >= 0.9


def _readable(article: Article) -> bool:
    lang = (article.language or "und").lower()
    return lang == ENGLISH or lang.startswith("en-") or (lang == "und" and _latin(article.text or ""))


def pending_article_ids(session: Session, limit: int | None = None) -> list[int]:
    """Ids of the ``new`` articles the session may see, oldest first."""
    stmt = select(Article.id).where(Article.status == "new").order_by(Article.id)
    return list(session.scalars(stmt.limit(limit) if limit else stmt))


def _articles(session: Session, ids: Sequence[int] | None) -> list[Article]:
    if ids is None:
        stmt = select(Article).where(Article.status == "new").order_by(Article.id)
        return list(session.scalars(stmt.with_for_update(skip_locked=True)))
    # FOR UPDATE: a second worker given the same article waits, then finds it extracted and skips it
    stmt = select(Article).where(Article.id.in_(list(ids))).with_for_update()
    found = {a.id: a for a in session.scalars(stmt)}
    missing = [i for i in ids if i not in found]
    if missing:  # absent or above the reader's clearance: the same answer
        raise NotFound("no article " + ", ".join(str(i) for i in missing))
    return [found[i] for i in dict.fromkeys(ids)]


def mean_confidence(incident: dict[str, Any]) -> float | None:
    """The mean of the extractor's field confidences (None when it gives none)."""
    values = [
        float(v)
        for v in (incident.get("confidence") or {}).values()
        if isinstance(v, int | float) and not isinstance(v, bool)
    ]
    return round(statistics.fmean(values), 4) if values else None


def _clean_output(found: Any) -> list[dict[str, Any]]:
    if not isinstance(found, list) or not all(isinstance(i, dict) for i in found):
        raise ValueError("the extractor returned something other than a list of incidents")
    return found


def extract_articles(
    session: Session,
    article_ids: Sequence[int] | None = None,
    *,
    extractor: Extractor | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Summary:
    """Run the extractor on the ``new`` articles among ``article_ids`` (all new ones when ``None``)."""
    require_extractor(session)
    extractor = extractor or default_extractor()
    articles = _articles(session, article_ids)
    # no incident changes while a batch is extracted: the incidents of a day are read once for the batch
    resolvers = Resolvers.for_session(session, cache=True)
    summary = Summary(articles=len(articles))
    total = len(articles)
    have: dict[int, set[int]] = {}
    ids = [a.id for a in articles]
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        stmt = select(Candidate.article_id, Candidate.ordinal).where(Candidate.article_id.in_(chunk))
        for article_id, ordinal in session.execute(stmt):
            have.setdefault(article_id, set()).add(ordinal)
    with session.no_autoflush:  # one flush per chunk, not one before every query
        for done, article in enumerate(articles, 1):
            _one(session, article, extractor, resolvers, summary, have.get(article.id, set()))
            if done % FLUSH_EVERY == 0:
                session.flush()
            if progress:
                progress(done, total)
    session.flush()
    return summary


def _one(
    session: Session,
    article: Article,
    extractor: Extractor,
    resolvers: Resolvers,
    summary: Summary,
    have: set[int],
) -> None:
    if article.status != "new":
        summary.skipped.append(article.id)  # extracted already, set aside, or failed: never twice
        return
    if not _readable(article):
        article.status = "set_aside"
        article.set_aside_reason = (
            f"language {article.language or 'und'}: the extractor reads English only; a person must read it"
        )
        summary.set_aside.append(article.id)
        return
    try:
        found = _clean_output(extractor.run(article.text or "", article.published))
    except Exception as exc:  # one bad article must not stop a batch; it is marked and reported
        article.status = "failed"
        article.set_aside_reason = f"extraction failed: {type(exc).__name__}: {exc}"[:400]
        summary.failed[article.id] = article.set_aside_reason
        return
    for ordinal, incident in enumerate(found, 1):
        if ordinal in have:
            continue
        cand = Candidate(
            article_id=article.id,
            article=article,
            ordinal=ordinal,
            extractor=extractor.version,
            fields=incident,
            confidence=mean_confidence(incident),
            status="pending",
            classification=article.classification,
        )
        values = {f: incident.get(f) for f in FIELDS}
        match = best_match(session, values, resolvers)
        if match is not None:
            cand.matched_incident_id, cand.match_score = match.incident_id, match.score
            summary.matched += 1
        session.add(cand)
        summary.candidates += 1
    article.status = "extracted"
    summary.extracted.append(article.id)
    if not found:
        summary.empty.append(article.id)


# ---- reading the queue -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilters:
    status: str | None = "pending"
    district: str | None = None
    event_type: str | None = None


def check_filters(f: QueueFilters) -> QueueFilters:
    problems = []
    if f.status is not None and f.status not in STATUSES:
        problems.append(Problem(0, f"{f.status!r} is not one of {', '.join(STATUSES)}", "status"))
    if f.event_type is not None:
        from nigran.incidents.mappings import EVENT_TYPES

        if f.event_type not in EVENT_TYPES:
            problems.append(
                Problem(
                    0,
                    f"{f.event_type!r} is not an event type ({', '.join(sorted(EVENT_TYPES))})",
                    "type",
                )
            )
    if problems:
        raise InvalidInput(problems)
    return f


def _matches(c: Candidate, f: QueueFilters) -> bool:
    values = effective(c)
    if f.district and str(values.get("district") or "").casefold() != f.district.casefold():
        return False
    return not (f.event_type and values.get("event_type") != f.event_type)


def list_candidates(
    session: Session, f: QueueFilters = QueueFilters(), *, page: int = 1, per_page: int = 50
) -> tuple[list[Candidate], int]:
    """One page of the candidates the session may see, newest article first, and how many match in all.

    Status filters in SQL; district and type are read from the (JSON) values, after the reviewer's edits."""
    require_reviewer(session, "read the review queue")
    check_filters(f)
    stmt = select(Candidate).options(selectinload(Candidate.article))
    if f.status:
        stmt = stmt.where(Candidate.status == f.status)
    stmt = stmt.order_by(Candidate.id.desc())
    if not (f.district or f.event_type):
        total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
        return list(session.scalars(stmt.offset((page - 1) * per_page).limit(per_page))), int(total)
    rows = [c for c in session.scalars(stmt) if _matches(c, f)]
    return rows[(page - 1) * per_page : page * per_page], len(rows)


def get_candidate(session: Session, candidate_id: int) -> Candidate:
    """The candidate if the reader may see it; hidden and absent are the same :class:`NotFound`."""
    require_reviewer(session, "read the review queue")
    cand = session.get(Candidate, candidate_id)
    if cand is None or cand.article is None:
        raise NotFound(f"no candidate {candidate_id}")
    return cand


def effective(c: Candidate) -> dict[str, Any]:
    """The candidate's values as they stand: the extractor's, with the reviewer's edits over them."""
    values = {f: (c.fields or {}).get(f) for f in FIELDS}
    values.update({k: v for k, v in (c.edited or {}).items() if k in FIELDS})
    return values


def visible_match(session: Session, c: Candidate) -> Any:
    """The matched incident, if the reader may see it (else None: a hidden incident is not named)."""
    from nigran.incidents.models import Incident

    if c.matched_incident_id is None:
        return None
    return session.get(Incident, c.matched_incident_id)


# ---- evidence ---------------------------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)]*\s+(?=[A-Z0-9\"“'(])|\n\s*\n|\n")


def sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence (or line) around the characters ``start:end`` of ``text``."""
    begin = 0
    for m in _SENTENCE_END.finditer(text):
        if m.end() > start:
            break
        begin = m.end()
    after = _SENTENCE_END.search(text, max(end, start))
    stop = after.start() if after else len(text)
    return begin, stop


def span_of(incident: dict[str, Any], name: str, text: str) -> tuple[int, int] | None:
    """The evidence span of a field, when it is a valid ``[start, end]`` inside ``text``."""
    span = (incident.get("evidence") or {}).get(name)
    if not isinstance(span, list | tuple) or len(span) != 2:
        return None
    start, end = span
    if not all(isinstance(x, int) and not isinstance(x, bool) for x in (start, end)):
        return None
    if not 0 <= start <= end <= len(text):
        return None
    return start, end


def evidence_sentences(incident: dict[str, Any], text: str, *, skip: Iterable[str] = ()) -> dict[str, str]:
    """Field → the sentence its evidence span lies in (fields without valid evidence left out)."""
    out: dict[str, str] = {}
    skipped = set(skip)
    for name in FIELDS:
        span = span_of(incident, name, text)
        if span is None or name in skipped:
            continue
        a, b = sentence_bounds(text, *span)
        out[name] = " ".join(text[a:b].split())[:1000]
    return out


def highlight(text: str, incident: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """``text`` cut into pieces, each with the fields whose evidence covers it (for ``<mark>`` or rich)."""
    spans = [(s, n) for n in FIELDS if (s := span_of(incident, n, text)) is not None and s[0] < s[1]]
    cuts = sorted({0, len(text), *(x for (a, b), _ in spans for x in (a, b))})
    pieces = []
    for a, b in itertools.pairwise(cuts):
        names = [n for (s, e), n in spans if s <= a and b <= e]
        pieces.append((text[a:b], names))
    return pieces


def evidence_for_source(source: Any) -> list[tuple[str, str]]:
    """For an article source of an incident: (field, sentence) for each field the reviewer kept as the
    extractor read it. Other sources give ``[]``. Used by the incident page (``_source_evidence.html``)."""
    raw = getattr(source, "raw", None)
    if getattr(source, "dataset", None) != "article" or not isinstance(raw, dict):
        return []
    sentences = raw.get("sentences")
    if not isinstance(sentences, dict):
        return []
    return [(f, str(sentences[f])) for f in FIELDS if isinstance(sentences.get(f), str)]


def as_dict(session: Session, c: Candidate, *, with_text: bool = False) -> dict[str, Any]:
    """A candidate as the API shows it (the match only when the reader may see the incident)."""
    art = c.article
    match = visible_match(session, c)
    out: dict[str, Any] = {
        "id": c.id,
        "article": {
            "id": art.id,
            "title": art.title,
            "url": art.url,
            "outlet": art.outlet,
            "published": art.published.isoformat() if art.published else None,
        },
        "ordinal": c.ordinal,
        "status": c.status,
        "extractor": c.extractor,
        "confidence": c.confidence,
        "values": effective(c),
        "extracted": {f: (c.fields or {}).get(f) for f in FIELDS},
        "edited": c.edited,
        "evidence": {
            f: list(s) for f in FIELDS if (s := span_of(c.fields or {}, f, art.text or "")) is not None
        },
        "field_confidence": (c.fields or {}).get("confidence") or {},
        "matched_incident_id": match.id if match is not None else None,
        "match_score": c.match_score if match is not None else None,
        "incident_id": c.incident_id,
        "reviewed_by": c.reviewed_by,
        "reviewed_at": c.reviewed_at.isoformat() if c.reviewed_at else None,
        "review_note": c.review_note,
        "classification": c.classification.name if hasattr(c.classification, "name") else c.classification,
    }
    if with_text:
        out["article"]["text"] = art.text
    return out
