"""Reading news reports from files, folders, feeds, JSONL and URLs into :class:`Document` values.

Formats (by suffix; a file with another suffix is read when its first bytes show HTML, a feed or JSONL):

- plain text (``.txt``, ``.text``, ``.md``): the whole file is the text, no date;
- HTML pages (``.html``, ``.htm``, ``.xhtml``): main text and metadata (title, date, site name, canonical
  URL) through trafilatura; menus, sidebars and footers are left out by it, not by hand-written stripping;
- RSS/Atom feeds (``.xml``, ``.rss``, ``.atom``) through feedparser, each entry's HTML through trafilatura;
- JSONL (``.jsonl``, ``.ndjson``): one object a line, ``{"id", "text", "published", "url"}`` and optionally
  ``title`` and ``outlet``; other keys are ignored (a gold file of the extractor reads as its documents);
- folders, recursively (hidden files and folders skipped; files that are none of the above are skipped and
  listed);
- URLs (``http``/``https``), fetched only when a person names them in a command or configures a feed.

A problem (a bad JSONL line, an unreadable file) names file and line. Readers either raise at the first
problem (``problems=None``) or append every problem to the list given and go on with the next document,
so the good documents of a file are still read; the caller decides whether to store them (see
:func:`nigran.news.service.ingest`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from nigran.core.problems import InvalidInput, Problem
from nigran.news.language import detect_language

TEXT_SUFFIXES = {".txt", ".text", ".md"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
FEED_SUFFIXES = {".xml", ".rss", ".atom"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
MAX_FILE_BYTES = 64 << 20
MAX_TEXT_CHARS = 1_000_000
FIELD_LIMITS = {"external_id": 200, "outlet": 200, "url": 2000, "title": 1000}


@dataclass(frozen=True)
class Document:
    """One report as text, with what is known of where it came from (``None`` where nothing says)."""

    external_id: str | None
    text: str
    title: str | None = None
    url: str | None = None
    outlet: str | None = None
    published: date | None = None
    language: str = "und"
    source_kind: str = "text"  # text | html | feed | jsonl | url
    origin: str = ""  # file (and line) it was read from, for messages


class Skipped(Exception):
    """A file in a folder that is not a news document (listed, not a problem)."""


def _fail(problems: list[Problem] | None, problem: Problem) -> None:
    if problems is None:
        raise InvalidInput([problem])
    problems.append(problem)


def _clip(value: Any, field: str) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    if not text:
        return None
    return text[: FIELD_LIMITS[field]]


def _finish(doc: Document) -> Document:
    """Drop a leading line that repeats the title, and detect the language."""
    text = doc.text.strip()
    if doc.title:
        first, _, rest = text.partition("\n")
        if " ".join(first.split()).casefold() == " ".join(doc.title.split()).casefold() and rest.strip():
            text = rest.strip()
    return replace(doc, text=text, language=detect_language(text))


def parse_published(value: Any) -> date | None:
    """A date from ``YYYY-MM-DD`` or an ISO 8601 date-time (its calendar date as written); ``None`` stays
    ``None``; anything else raises ``ValueError`` with a message."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)")
    text = value.strip()
    try:
        found = date.fromisoformat(text[:10]) if len(text) == 10 else datetime.fromisoformat(text).date()
    except ValueError:
        raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)") from None
    if not 1900 <= found.year <= 2100:
        raise ValueError(f"{value!r} is not a plausible publication date")
    return found


def _decode(content: bytes, name: str) -> str:
    if content.startswith(b"\xef\xbb\xbf"):
        content = content[3:]
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        return content.decode("utf-16")
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            [Problem(0, f"not UTF-8 text (byte {exc.start}); save it as UTF-8", name)]
        ) from None
    if "\x00" in text:
        raise InvalidInput([Problem(0, "binary data, not text", name)])
    return text


# ---- the formats ------------------------------------------------------------------------------------------


def read_text(name: str, content: bytes) -> list[Document]:
    text = _decode(content, name).strip()
    if not text:
        raise InvalidInput([Problem(0, "the file holds no text", name)])
    return [_finish(Document(_clip(Path(name).name, "external_id"), text[:MAX_TEXT_CHARS], origin=name))]


def _html_text(html: str | bytes, url: str | None = None) -> Any:
    """trafilatura's extraction of a page (``None`` when it finds no main text)."""
    import trafilatura

    try:
        return trafilatura.bare_extraction(
            html, url=url, with_metadata=True, include_comments=False, include_tables=True
        )
    except Exception:  # trafilatura raises a variety of parser errors on broken markup
        return None


def read_html(name: str, content: bytes, *, url: str | None = None, kind: str = "html") -> list[Document]:
    extracted = _html_text(content, url)
    text = (getattr(extracted, "text", None) or "").strip() if extracted is not None else ""
    if not text:
        raise InvalidInput([Problem(0, "no article text found in the page", name)])
    try:
        published = parse_published(getattr(extracted, "date", None))
    except ValueError:
        published = None
    page_url = getattr(extracted, "url", None) or url
    outlet = getattr(extracted, "sitename", None) or getattr(extracted, "hostname", None)
    doc = Document(
        external_id=_clip(page_url or Path(name).name, "external_id"),
        text=text[:MAX_TEXT_CHARS],
        title=_clip(getattr(extracted, "title", None), "title"),
        url=_clip(page_url, "url"),
        outlet=_clip(outlet, "outlet"),
        published=published,
        source_kind=kind,
        origin=name,
    )
    return [_finish(doc)]


def _fragment_text(html: str) -> str:
    """The text of an entry's HTML content: trafilatura's main text, else its baseline (all paragraphs)."""
    import trafilatura

    wrapped = f"<html><body><article>{html}</article></body></html>"
    extracted = _html_text(wrapped)
    text = (getattr(extracted, "text", None) or "").strip() if extracted is not None else ""
    if not text:
        try:
            text = (trafilatura.baseline(wrapped)[1] or "").strip()
        except Exception:
            text = ""
    return text


def _entry_date(entry: Any) -> date | None:
    """The calendar date as the feed writes it (its own time zone: a Pakistani outlet's 01:00 +0500 is that
    day, not the day before in UTC); feedparser's UTC reading only when the text is in no known form."""
    from email.utils import parsedate_to_datetime

    for key in ("published", "updated", "created"):
        raw = entry.get(key)
        if not isinstance(raw, str) or not raw.strip():
            continue
        for parse in (parsedate_to_datetime, datetime.fromisoformat):
            try:
                found = parse(raw.strip()).date()
            except (TypeError, ValueError, IndexError):
                continue
            if 1900 <= found.year <= 2100:
                return found
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = entry.get(key)
        if parsed:
            try:
                found = date(parsed.tm_year, parsed.tm_mon, parsed.tm_mday)
            except (ValueError, AttributeError):
                continue
            if 1900 <= found.year <= 2100:
                return found
    return None


def read_feed(
    name: str, content: bytes, problems: list[Problem] | None = None, *, outlet: str | None = None
) -> list[Document]:
    """The entries of an RSS or Atom feed (the feed's title is the outlet unless ``outlet`` is given)."""
    import feedparser

    parsed = feedparser.parse(content)
    if not parsed.entries:
        reason = parsed.get("bozo_exception")
        detail = f": {str(reason)[:200]}" if parsed.get("bozo") and reason else ""
        if not parsed.get("bozo") and parsed.get("version"):
            return []  # a well-formed feed with no entries: nothing new, not a problem
        raise InvalidInput([Problem(0, f"not a readable RSS or Atom feed{detail}", name)])
    feed_outlet = outlet or parsed.feed.get("title")
    out = []
    for number, entry in enumerate(parsed.entries, start=1):
        html = ""
        if entry.get("content"):
            html = max((c.get("value") or "" for c in entry.content), key=len)
        if len(html) < len(entry.get("summary") or ""):
            html = entry.get("summary") or ""
        text = _fragment_text(html) if html.strip() else ""
        where = f"{name} (entry {number})"
        if not text:
            _fail(problems, Problem(0, f"entry {number} has no text", name))
            continue
        doc = Document(
            external_id=_clip(entry.get("id") or entry.get("link"), "external_id"),
            text=text[:MAX_TEXT_CHARS],
            title=_clip(entry.get("title"), "title"),
            url=_clip(entry.get("link"), "url"),
            outlet=_clip(feed_outlet, "outlet"),
            published=_entry_date(entry),
            source_kind="feed",
            origin=where,
        )
        out.append(_finish(doc))
    return out


def read_jsonl(name: str, content: bytes, problems: list[Problem] | None = None) -> list[Document]:
    """One document a line; a bad line is a problem with its line number, and the others are still read."""
    text = _decode(content, name)
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            out.append(_jsonl_document(line, name, number))
        except ValueError as exc:
            _fail(problems, Problem(number, str(exc), name))
    if not out and not (problems or []):
        raise InvalidInput([Problem(0, "the file holds no documents", name)])
    return out


def _jsonl_document(line: str, name: str, number: int) -> Document:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not a JSON object: {exc.msg} (column {exc.colno})") from None
    if not isinstance(obj, dict):
        raise ValueError("not a JSON object")
    text = obj.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("text: missing or empty")
    if len(text) > MAX_TEXT_CHARS:
        raise ValueError(f"text: longer than {MAX_TEXT_CHARS:,} characters")
    ident = obj.get("id")
    if isinstance(ident, bool) or (ident is not None and not isinstance(ident, str | int)):
        raise ValueError("id: must be a string or a number")
    try:
        published = parse_published(obj.get("published"))
    except ValueError as exc:
        raise ValueError(f"published: {exc}") from None
    for key in ("url", "title", "outlet"):
        if obj.get(key) is not None and not isinstance(obj.get(key), str):
            raise ValueError(f"{key}: must be text or null")
    url = obj.get("url")
    if url and not str(url).strip().lower().startswith(("http://", "https://")):
        raise ValueError(f"url: {str(url)[:80]!r} is not an http(s) address")
    doc = Document(
        external_id=_clip(ident, "external_id"),
        text=text,
        title=_clip(obj.get("title"), "title"),
        url=_clip(url, "url"),
        outlet=_clip(obj.get("outlet"), "outlet"),
        published=published,
        source_kind="jsonl",
        origin=f"{name}:{number}",
    )
    return _finish(doc)


# ---- choosing the reader --------------------------------------------------------------------------------


def sniff(name: str, content: bytes) -> str | None:
    """``text``, ``html``, ``feed`` or ``jsonl`` by suffix, else by the first bytes; ``None``: not news."""
    suffix = Path(name.split("?")[0]).suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return "text"
    if suffix in HTML_SUFFIXES:
        return "html"
    if suffix in FEED_SUFFIXES:
        return "feed"
    if suffix in JSONL_SUFFIXES:
        return "jsonl"
    head = content[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<?xml") or head.startswith((b"<rss", b"<feed", b"<rdf")):
        if b"<rss" in head or b"<feed" in head or b"<rdf" in head:
            return "feed"
        if b"<html" in head:
            return "html"
    if head.startswith((b"<!doctype html", b"<html")):
        return "html"
    if head.startswith(b"{"):
        return "jsonl"
    return None


def read_bytes(
    name: str,
    content: bytes,
    problems: list[Problem] | None = None,
    *,
    kind: str | None = None,
    url: str | None = None,
) -> list[Document]:
    """The documents of one file's bytes (an upload, a fetched page): for others' use too.

    With ``problems`` given, each problem is appended and the good documents returned; without, the first
    problem raises :class:`InvalidInput`.
    """
    try:
        kind = kind or sniff(name, content)
        if kind is None:
            raise InvalidInput(
                [Problem(0, "not a news document (text, HTML, an RSS/Atom feed or JSONL)", name)]
            )
        if kind == "text":
            return read_text(name, content)
        if kind in ("html", "url"):
            return read_html(name, content, url=url, kind=kind)
        if kind == "feed":
            return read_feed(name, content, problems)
        if kind == "jsonl":
            return read_jsonl(name, content, problems)
        raise InvalidInput([Problem(0, f"unknown kind of document {kind!r}", name)])
    except InvalidInput as exc:
        if problems is None:
            raise
        problems.extend(exc.problems)
        return []


def _read_file(path: Path) -> bytes:
    name = str(path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise InvalidInput([Problem(0, f"larger than {MAX_FILE_BYTES >> 20} MiB", name)])
        return path.read_bytes()
    except FileNotFoundError:
        raise InvalidInput([Problem(0, "file not found", name)]) from None
    except OSError as exc:
        raise InvalidInput([Problem(0, f"cannot read: {exc.strerror or exc}", name)]) from None


def folder_files(folder: Path) -> Iterator[Path]:
    """The files under ``folder``, recursively, in name order; hidden files and folders are skipped."""
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for f in sorted(files):
            if not f.startswith("."):
                yield Path(root) / f


def read_file(
    path: Path, problems: list[Problem] | None = None, skipped: list[str] | None = None
) -> list[Document]:
    """The documents of one file. With ``skipped`` given, a file that is not a news document (by suffix and
    content) is listed there instead of being a problem (as for the files of a folder)."""
    try:
        content = _read_file(path)
    except InvalidInput as exc:
        if problems is None:
            raise
        problems.extend(exc.problems)
        return []
    if skipped is not None and sniff(path.name, content) is None:
        skipped.append(str(path))
        return []
    return read_bytes(str(path), content, problems)


def read_documents(
    path: Path, problems: list[Problem] | None = None, skipped: list[str] | None = None
) -> Iterator[Document]:
    """Every document in a file or (recursively) a folder.

    ``problems``: as for :func:`read_bytes`. ``skipped``: files of a folder that are not news documents
    (by suffix and content) are listed there instead of being problems; without it they are problems.
    """
    if not path.exists() and not path.is_symlink():
        _fail(problems, Problem(0, "file not found", str(path)))
        return
    if path.is_dir():
        for file in folder_files(path):
            yield from read_file(file, problems, skipped)
        return
    yield from read_file(path, problems)


# ---- URLs -------------------------------------------------------------------------------------------------

MAX_FETCH_BYTES = 20 << 20
USER_AGENT = "Nigran news ingest (+https://github.com/nigran)"


@dataclass(frozen=True)
class Fetched:
    """What a fetch returned: ``status`` (HTTP status, 0 when no answer), body, validators, or ``error``."""

    status: int
    content: bytes = b""
    content_type: str = ""
    etag: str | None = None
    modified: str | None = None
    url: str = ""
    error: str | None = None


Fetch = Callable[[str, str | None, str | None], Fetched]


def is_url(value: str) -> bool:
    return value.strip().lower().startswith(("http://", "https://"))


def fetch_url(url: str, etag: str | None = None, modified: str | None = None) -> Fetched:
    """GET ``url`` (a conditional GET when ``etag``/``modified`` are given) with httpx; never raises."""
    import httpx

    accept = "application/rss+xml, application/atom+xml, text/html;q=0.9, */*;q=0.5"
    headers = {"User-Agent": USER_AGENT, "Accept": accept}
    if etag:
        headers["If-None-Match"] = etag
    if modified:
        headers["If-Modified-Since"] = modified
    try:
        with (
            httpx.Client(timeout=20.0, follow_redirects=True, headers=headers) as client,
            client.stream("GET", url) as response,
        ):
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_FETCH_BYTES:
                    return Fetched(0, url=url, error=f"larger than {MAX_FETCH_BYTES >> 20} MiB")
            return Fetched(
                response.status_code,
                bytes(body),
                response.headers.get("content-type", ""),
                response.headers.get("etag"),
                response.headers.get("last-modified"),
                str(response.url),
            )
    except httpx.HTTPError as exc:
        return Fetched(0, url=url, error=f"{type(exc).__name__}: {str(exc)[:200] or 'no answer'}")
    except ValueError as exc:  # an address httpx cannot use
        return Fetched(0, url=url, error=str(exc)[:200])


def kind_of_response(fetched: Fetched) -> str | None:
    media = fetched.content_type.split(";")[0].strip().lower()
    if media in ("application/rss+xml", "application/atom+xml", "application/rdf+xml"):
        return "feed"
    if media in ("text/html", "application/xhtml+xml"):
        return "url"
    found = sniff("", fetched.content)
    return "url" if found == "html" else found


def read_url(url: str, problems: list[Problem] | None = None, fetch: Fetch = fetch_url) -> list[Document]:
    """The documents at ``url`` (a page or a feed), fetched now because a person named it."""
    fetched = fetch(url, None, None)
    if fetched.error or not 200 <= fetched.status < 300:
        reason = fetched.error or f"HTTP {fetched.status}"
        _fail(problems, Problem(0, f"cannot fetch: {reason}", url))
        return []
    kind = kind_of_response(fetched)
    if kind is None:
        _fail(problems, Problem(0, "the answer is not a page or a feed", url))
        return []
    return read_bytes(url, fetched.content, problems, kind=kind, url=fetched.url or url)
