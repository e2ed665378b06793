"""Storing articles once and reading them back: the rules the CLI, the pages, the API and the jobs share.

Store once: an article's key is ``content_hash``, the SHA-256 of its normalised text (Unicode NFC,
case-folded, runs of whitespace made one space, ends trimmed). A second copy (the same report through a
feed and as a saved page) is counted as *already stored*; what it knows and the stored row lacks (URL,
outlet, title, publication date, external id) is filled in, and nothing the stored row says is overwritten.

Articles not in English are stored with ``status="set_aside"`` and a reason (see :mod:`nigran.news.language`).
Functions take an open session, flush and never commit.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nigran.access.classification import Classification
from nigran.access.guard import principal_of
from nigran.access.principal import Principal
from nigran.core.errors import AccessDenied, NotFound
from nigran.core.problems import InvalidInput, Problem
from nigran.news.language import detect_language, set_aside_reason
from nigran.news.models import Article, Feed
from nigran.news.readers import Document

STATUSES = ("new", "extracted", "set_aside", "failed")
SORTABLE = ("id", "published", "outlet", "language", "status")


def normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def content_hash(text: str) -> str:
    return hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()


def may_write(principal: Principal) -> bool:
    return principal.is_system or principal.role in Article.__write_roles__


def require_write(principal: Principal, what: str) -> None:
    if not may_write(principal):
        who = principal.username or "the public"
        raise AccessDenied(f"{who} ({principal.role}) may not {what}: analysts and administrators may")


@dataclass
class IngestSummary:
    """What an ingest did: ids stored, copies already stored (and those completed), set aside, problems."""

    stored: list[int] = field(default_factory=list)
    already_stored: int = 0
    completed: int = 0  # copies that added a URL, outlet, title, date or id the stored article lacked
    set_aside: int = 0
    problems: list[Problem] = field(default_factory=list)
    skipped_files: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "stored": len(self.stored),
            "already_stored": self.already_stored,
            "completed": self.completed,
            "set_aside": self.set_aside,
            "problems": [str(p) for p in self.problems],
            "skipped_files": list(self.skipped_files),
            "article_ids": list(self.stored),
        }


def _complete(article: Article, doc: Document, outlet: str | None) -> bool:
    changed = False
    for name, value in (
        ("url", doc.url),
        ("outlet", (doc.outlet or outlet or "")[:200] or None),
        ("title", doc.title),
        ("published", doc.published),
        ("external_id", (doc.external_id or "")[:200] or None),
    ):
        if value is not None and getattr(article, name) is None:
            setattr(article, name, value)
            changed = True
    return changed


def ingest(
    session: Session,
    documents: Iterable[Document],
    *,
    feed: Feed | None = None,
    outlet: str | None = None,
    classification: Classification = Classification.PUBLIC,
    summary: IngestSummary | None = None,
) -> IngestSummary:
    """Store each document once (see the module's docstring). ``outlet`` (or the feed's) is used where a
    document names none. Each article is one row: nothing is half-written."""
    principal = principal_of(session)
    require_write(principal, "store articles")
    if classification > principal.clearance:
        raise AccessDenied(f"{principal.username} may not write {classification.name} records")
    result = summary or IngestSummary()
    fallback_outlet = outlet or (feed.outlet if feed is not None else None)
    context = _Context(feed, fallback_outlet, classification, principal.username, result)
    batch: list[Document] = []
    for doc in documents:
        if not doc.text.strip():
            result.problems.append(Problem(0, "no text", doc.origin or doc.external_id or "document"))
            continue
        batch.append(doc)
        if len(batch) >= CHUNK:
            _store(session, batch, context)
            batch = []
    if batch:
        _store(session, batch, context)
    return result


CHUNK = 500


@dataclass(frozen=True)
class _Context:
    feed: Feed | None
    outlet: str | None
    classification: Classification
    username: str
    result: IngestSummary

    def article(self, doc: Document, digest: str) -> Article:
        language = detect_language(doc.text)  # the text decides, whoever built the document
        reason = set_aside_reason(language)
        return Article(
            content_hash=digest,
            external_id=doc.external_id[:200] if doc.external_id else None,
            url=doc.url,
            outlet=(doc.outlet or self.outlet or "")[:200] or None,
            title=doc.title,
            published=doc.published,
            language=language,
            text=doc.text,
            source_kind=doc.source_kind,
            feed_id=self.feed.id if self.feed is not None else None,
            status="set_aside" if reason else "new",
            set_aside_reason=reason,
            ingested_by=self.username,
            classification=self.classification,
        )

    def count(self, article: Article) -> None:
        self.result.stored.append(article.id)
        if article.status == "set_aside":
            self.result.set_aside += 1


def _store(session: Session, docs: list[Document], ctx: _Context) -> None:
    """One chunk: a query for the hashes already stored, then one flush for the new articles."""
    result = ctx.result
    digests = [content_hash(d.text) for d in docs]
    known: dict[str, Article] = {
        a.content_hash: a
        for a in session.scalars(select(Article).where(Article.content_hash.in_(set(digests))))
    }
    new: list[tuple[Document, str]] = []
    for doc, digest in zip(docs, digests, strict=True):
        existing = known.get(digest)
        if existing is not None:  # stored before, or earlier in this chunk
            result.already_stored += 1
            if _complete(existing, doc, ctx.outlet):
                result.completed += 1
            continue
        known[digest] = ctx.article(doc, digest)
        new.append((doc, digest))
    articles = [known[digest] for _, digest in new]
    try:
        with session.begin_nested():
            session.add_all(articles)
            session.flush()
    except IntegrityError:  # some are stored already at a level this user may not see: one at a time
        for doc, digest in new:
            article = ctx.article(doc, digest)
            try:
                with session.begin_nested():
                    session.add(article)
                    session.flush()
            except IntegrityError:
                result.already_stored += 1
                continue
            ctx.count(article)
        return
    for article in articles:
        ctx.count(article)
    session.flush()  # completions of articles stored before


# ---- reading ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArticleFilters:
    status: str | None = None
    language: str | None = None
    outlet: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    feed_id: int | None = None
    text: str | None = None

    def check(self) -> ArticleFilters:
        problems = []
        if self.status is not None and self.status not in STATUSES:
            allowed = ", ".join(STATUSES)
            problems.append(Problem(0, f"unknown status {self.status!r} (one of {allowed})", "status"))
        if self.language is not None and not (1 < len(self.language) <= 12 and self.language.isalpha()):
            message = f"{self.language[:20]!r} is not a language code (en, ur, und…)"
            problems.append(Problem(0, message, "language"))
        if self.date_from and self.date_to and self.date_from > self.date_to:
            problems.append(Problem(0, "the start date is after the end date", "from"))
        if problems:
            raise InvalidInput(problems)
        return self


def parse_filters(
    status: str | None = None,
    language: str | None = None,
    outlet: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    text: str | None = None,
) -> ArticleFilters:
    """Filters from text as typed (empty means no filter); every problem listed, named by its field."""
    problems = []
    dates: dict[str, date | None] = {}
    for name, value in (("from", date_from), ("to", date_to)):
        dates[name] = None
        if value and value.strip():
            try:
                dates[name] = date.fromisoformat(value.strip())
            except ValueError:
                problems.append(Problem(0, f"{value[:40]!r} is not a date (YYYY-MM-DD)", name))

    def clean(v: str | None) -> str | None:
        return v.strip() if v and v.strip() else None

    found = ArticleFilters(
        status=(clean(status) or "").lower() or None,
        language=(clean(language) or "").lower() or None,
        outlet=clean(outlet),
        date_from=dates["from"],
        date_to=dates["to"],
        text=clean(text),
    )
    try:
        found.check()
    except InvalidInput as exc:
        problems += exc.problems
    if problems:
        raise InvalidInput(problems)
    return found


def _filtered(statement: Select[Any], f: ArticleFilters) -> Select[Any]:
    if f.status:
        statement = statement.where(Article.status == f.status)
    if f.language:
        statement = statement.where(Article.language == f.language)
    if f.outlet:
        statement = statement.where(func.lower(Article.outlet).contains(f.outlet.lower(), autoescape=True))
    if f.date_from:
        statement = statement.where(Article.published >= f.date_from)
    if f.date_to:
        statement = statement.where(Article.published <= f.date_to)
    if f.feed_id is not None:
        statement = statement.where(Article.feed_id == f.feed_id)
    if f.text:
        statement = statement.where(func.lower(Article.title).contains(f.text.lower(), autoescape=True))
    return statement


def article_query(f: ArticleFilters | None = None) -> Select[Any]:
    """The articles the filters select, newest publication first (undated last), then newest stored."""
    statement = _filtered(select(Article), f or ArticleFilters())
    return statement.order_by(Article.published.desc().nulls_last(), Article.id.desc())


def list_articles(
    session: Session, filters: ArticleFilters | None = None, *, limit: int | None = 50, offset: int = 0
) -> list[Article]:
    statement = article_query(filters).offset(offset)
    if limit is not None:
        statement = statement.limit(limit)
    return list(session.scalars(statement))


def count_articles(session: Session, filters: ArticleFilters | None = None) -> int:
    return int(session.scalar(_filtered(select(func.count(Article.id)), filters or ArticleFilters())) or 0)


def counts_by(session: Session, column: str, filters: ArticleFilters | None = None) -> dict[str, int]:
    """How many of the filtered articles have each value of ``status`` or ``language``."""
    col = {"status": Article.status, "language": Article.language}[column]
    statement = _filtered(select(col, func.count(Article.id)), filters or ArticleFilters()).group_by(col)
    return {str(k): int(n) for k, n in session.execute(statement)}


def get_article(session: Session, article_id: int) -> Article:
    found = session.get(Article, article_id)
    if found is None:
        raise NotFound(f"no article {article_id}")
    return found


def article_dict(article: Article, *, with_text: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": article.id,
        "external_id": article.external_id,
        "title": article.title,
        "url": article.url,
        "outlet": article.outlet,
        "published": article.published,
        "language": article.language,
        "status": article.status,
        "set_aside_reason": article.set_aside_reason,
        "source_kind": article.source_kind,
        "feed_id": article.feed_id,
        "content_hash": article.content_hash,
        "characters": len(article.text),
        "classification": Classification.parse(article.classification).name,
        "ingested_by": article.ingested_by,
        "created_at": getattr(article, "created_at", None),
    }
    if with_text:
        out["text"] = article.text
    return out


def candidates_of(session: Session, article_id: int) -> list[Any]:
    """The extractor's candidates for the article (as the reader may see them), in the article's order."""
    from nigran.extract.models import Candidate

    statement = select(Candidate).where(Candidate.article_id == article_id).order_by(Candidate.ordinal)
    return list(session.scalars(statement))
