"""Optional sync from the UCDP GED API and ACLED's API, through the file importer.

Why CSV in memory: the records are written in the exact layout of the UCDP GED / ACLED CSV exports and
handed to :func:`nigran.incidents.importer.import_stream` (no file is written anywhere), so an API sync
validates, maps, geocodes, de-duplicates by source id and audits exactly as importing the same events from
a downloaded file does — there is one import path, not two that drift apart. The batch's ``file_name``
(``ucdp-api-…`` / ``acled-api-…``) records that the rows came from an API.

Every page is fetched before anything is written: a failed page (HTTP error, not JSON, ``success: false``, no
network) raises :class:`SyncError` and the database is untouched. Requests go through an injectable
``fetch(url, headers) -> bytes`` so tests serve recorded responses and never reach the network; the default
uses ``urllib.request`` only. ACLED's key travels in the query string (its API wants it there), so every URL
that reaches a message is passed through :func:`redact` first.
"""

from __future__ import annotations

import csv
import io
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from nigran.access.classification import Classification
from nigran.access.errors import AccessDenied
from nigran.access.guard import principal_of
from nigran.core.errors import NigranError
from nigran.core.problems import InvalidInput, Problem
from nigran.incidents.importer import ImportResult, import_stream
from nigran.incidents.models import Incident

Fetch = Callable[[str, Mapping[str, str]], bytes]
#: page number, pages expected (None when unknown), records on this page
Progress = Callable[[int, int | None, int], None]

UCDP_URL = "https://ucdpapi.pcr.uu.se/api/gedevents"
UCDP_PAKISTAN = 770  # Gleditsch-Ward code
UCDP_PAGE_SIZE = 1000
UCDP_TOKEN_HEADER = "x-ucdp-access-token"
ACLED_URL = "https://api.acleddata.com/acled/read"
ACLED_PAGE_SIZE = 5000
MAX_PAGES = 10_000  # a server that keeps answering "next page" must not loop forever

#: The GED CSV header, in the order of UCDP's own CSV files (so an API row hashes like a file row).
_GED_HEADER = (
    "id,relid,year,active_year,code_status,type_of_violence,conflict_dset_id,conflict_new_id,"
    "conflict_name,dyad_dset_id,dyad_new_id,dyad_name,side_a_dset_id,side_a_new_id,side_a,side_b_dset_id,"
    "side_b_new_id,side_b,number_of_sources,source_article,source_office,source_date,source_headline,"
    "source_original,where_prec,where_coordinates,where_description,adm_1,adm_2,latitude,longitude,"
    "geom_wkt,priogrid_gid,country,iso3,country_id,region,event_clarity,date_prec,date_start,date_end,"
    "deaths_a,deaths_b,deaths_civilians,deaths_unknown,best,high,low,gwnoa,gwnob"
)
UCDP_COLUMNS = tuple(_GED_HEADER.split(","))
#: ACLED's CSV export columns, in ACLED's order.
_ACLED_HEADER = (
    "event_id_cnty,event_date,year,time_precision,disorder_type,event_type,sub_event_type,actor1,"
    "assoc_actor_1,inter1,actor2,assoc_actor_2,inter2,interaction,civilian_targeting,iso,region,country,"
    "admin1,admin2,admin3,location,latitude,longitude,geo_precision,source,source_scale,notes,fatalities,"
    "tags,timestamp"
)
ACLED_COLUMNS = tuple(_ACLED_HEADER.split(","))


class SyncError(NigranError):
    """The API could not be read; nothing was written. The message never contains a key."""

    http_status = 502
    title = "source unavailable"


@dataclass
class SyncResult:
    source: str
    url: str  # redacted
    pages: int = 0
    records: int = 0
    result: ImportResult | None = None
    requested: list[str] = field(default_factory=list)  # redacted URLs, in order


def redact(url: str) -> str:
    """The URL with ACLED's ``key`` (and any ``token``) replaced, fit for messages and logs."""
    return re.sub(r"(?i)([?&](?:key|token|access_token)=)[^&]*", r"\1***", url)


def urllib_fetch(url: str, headers: Mapping[str, str]) -> bytes:
    """GET ``url`` with the standard library; every failure becomes a :class:`SyncError`."""
    host = urllib.parse.urlsplit(url).hostname or url
    request = urllib.request.Request(url, headers={"Accept": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return bytes(response.read())
    except urllib.error.HTTPError as exc:
        hint = {401: " (is the token/key right?)", 403: " (is the token/key right, and allowed?)"}
        raise SyncError(
            f"{host} answered HTTP {exc.code} {exc.reason} for {redact(url)}{hint.get(exc.code, '')}"
        ) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise SyncError(
            f"cannot reach {host}: {reason} — this machine may have no internet access "
            "(normal for an air-gapped deployment: import a downloaded export file instead)"
        ) from None


def _json(body: bytes, url: str) -> dict[str, Any]:
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        start = body[:80].decode("utf-8", "replace").strip()
        raise SyncError(f"{redact(url)} did not answer JSON ({exc.__class__.__name__}): {start!r}") from None
    if not isinstance(data, dict):
        raise SyncError(f"{redact(url)} answered JSON that is not an object")
    return data


def ucdp_url(
    version: str, date_from: date | None = None, date_to: date | None = None, base: str = UCDP_URL
) -> str:
    query = f"pagesize={UCDP_PAGE_SIZE}&Country={UCDP_PAKISTAN}"
    if date_from:
        query += f"&StartDate={date_from.isoformat()}"
    if date_to:
        query += f"&EndDate={date_to.isoformat()}"
    return f"{base.rstrip('/')}/{urllib.parse.quote(version)}?{query}"


def ucdp_pages(
    url: str, token: str, fetch: Fetch, requested: list[str] | None = None
) -> Iterator[tuple[int, int | None, list[dict[str, Any]]]]:
    """(page, total pages, events) for each page, following ``NextPageUrl`` until it is empty."""
    headers = {UCDP_TOKEN_HEADER: token}
    seen: set[str] = set()
    page = 0
    while url:
        if url in seen or page >= MAX_PAGES:
            raise SyncError(f"UCDP's paging loops back to {redact(url)}; stopped")
        seen.add(url)
        page += 1
        if requested is not None:
            requested.append(redact(url))
        data = _json(fetch(url, headers), url)
        events = data.get("Result")
        if not isinstance(events, list):
            message = data.get("message") or data.get("Message") or "no 'Result' list"
            raise SyncError(f"UCDP answered page {page} without events: {str(message)[:200]}")
        total = data.get("TotalPages")
        yield page, int(total) if isinstance(total, int | float) else None, events
        url = str(data.get("NextPageUrl") or "")


def acled_url(
    key: str,
    email: str,
    page: int,
    date_from: date | None = None,
    date_to: date | None = None,
    *,
    limit: int = ACLED_PAGE_SIZE,
    base: str = ACLED_URL,
) -> str:
    params = {"key": key, "email": email, "country": "Pakistan", "page": str(page), "limit": str(limit)}
    if date_from or date_to:
        low, high = date_from or date(1997, 1, 1), date_to or date.today()
        params |= {"event_date": f"{low.isoformat()}|{high.isoformat()}", "event_date_where": "BETWEEN"}
    return f"{base}?{urllib.parse.urlencode(params, safe='|@')}"


def acled_pages(
    key: str,
    email: str,
    fetch: Fetch,
    date_from: date | None = None,
    date_to: date | None = None,
    *,
    limit: int = ACLED_PAGE_SIZE,
    base: str = ACLED_URL,
    requested: list[str] | None = None,
) -> Iterator[tuple[int, int | None, list[dict[str, Any]]]]:
    """(page, None, rows) for each page, until a page returns fewer than ``limit`` rows."""
    for page in range(1, MAX_PAGES + 1):
        url = acled_url(key, email, page, date_from, date_to, limit=limit, base=base)
        if requested is not None:
            requested.append(redact(url))
        data = _json(fetch(url, {}), url)
        if data.get("success") is False or str(data.get("status", 200)) != "200":
            error = data.get("error") or data.get("message") or data
            message = redact(str(error)).replace(key, "***") if key else redact(str(error))
            raise SyncError(f"ACLED refused page {page}: {message[:300]}")
        rows = data.get("data")
        if not isinstance(rows, list):
            raise SyncError(f"ACLED answered page {page} without a 'data' list")
        yield page, None, rows
        if len(rows) < limit:
            return
    raise SyncError(f"ACLED kept returning full pages after {MAX_PAGES}; stopped")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def records_csv(records: list[dict[str, Any]], known: list[str]) -> tuple[bytes, dict[int, int]]:
    """The records in the CSV layout of the file export: its columns first, in its order, then any others.

    Returns the UTF-8 text and each record's first line in it → its index, to name records in problems (a
    value with a line break spans several lines). The text is the importer's input, never a file anyone
    opens, so its cells are the API's values exactly (a formula guard would change the rows' hashes)."""
    present = {k for r in records if isinstance(r, dict) for k in r}
    columns = [c for c in known if c in present] + sorted(present - set(known))
    starts: dict[int, int] = {}
    line = 2
    fh = io.StringIO(newline="")
    writer = csv.writer(fh)
    writer.writerow(columns)
    for i, r in enumerate(records):
        if not isinstance(r, dict):
            raise SyncError(f"the API returned a record that is not an object: {str(r)[:80]!r}")
        cells = [_cell(r.get(c)) for c in columns]
        writer.writerow(cells)
        starts[line] = i
        line += 1 + sum(len(_BREAK.findall(c)) for c in cells)
    return fh.getvalue().encode("utf-8"), starts


_BREAK = re.compile(r"\r\n|\r|\n")


def _may_import(session: Session, classification: Classification) -> None:
    """The importer checks this too; checking first saves downloading pages that could not be written."""
    principal = principal_of(session)
    if not principal.is_system and principal.role not in Incident.__write_roles__:
        raise AccessDenied(f"{principal.username} ({principal.role}) may not import incidents")
    if classification > principal.clearance:
        raise AccessDenied(f"{principal.username} may not write {classification.name} incidents")


def _collect(
    pages: Iterator[tuple[int, int | None, list[dict[str, Any]]]], run: SyncResult, progress: Progress | None
) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for page, total, rows in pages:
        records += rows
        run.pages, run.records = page, len(records)
        if progress:
            progress(page, total, len(rows))
    return records


def _import(
    session: Session,
    run: SyncResult,
    records: list[dict[str, Any]],
    fmt: str,
    file_name: str,
    *,
    version: str | None,
    classification: Classification,
) -> None:
    columns = UCDP_COLUMNS if fmt == "ucdp-ged" else ACLED_COLUMNS
    id_col = "id" if fmt == "ucdp-ged" else "event_id_cnty"
    # offset paging repeats a row when the data changes between pages: drop exact repeats only (a
    # conflicting repeat is reported by the importer as a duplicate id)
    unique: dict[str, dict[str, Any]] = {}
    for r in records:
        key = json.dumps(r, sort_keys=True, default=str)
        unique.setdefault(key, r)
    records = list(unique.values())
    data, starts = records_csv(records, list(columns))
    try:
        run.result = import_stream(
            session, data, file_name, fmt, classification=classification, dataset_version=version
        )
    except InvalidInput as exc:  # name the API record (its number and id), not the CSV text's line
        problems = []
        for p in exc.problems:
            i = starts.get(p.line)
            if i is None:
                problems.append(Problem(0, p.message, f"{run.source} API"))
            else:
                record = f"record {records[i].get(id_col, '?')}: {p.message}"
                problems.append(Problem(i + 1, record, f"{run.source} API"))
        raise InvalidInput(problems) from None


def sync_ucdp(
    session: Session,
    *,
    token: str,
    version: str = "25.1",
    date_from: date | None = None,
    date_to: date | None = None,
    fetch: Fetch | None = None,
    progress: Progress | None = None,
    classification: Classification = Classification.PUBLIC,
    base: str = UCDP_URL,
) -> SyncResult:
    """Fetch Pakistan's GED events of release ``version`` and import them as that dataset version."""
    if not token:
        raise SyncError("UCDP's API needs an access token")
    _may_import(session, classification)
    url = ucdp_url(version, date_from, date_to, base)
    run = SyncResult("UCDP", redact(url))
    fetcher = fetch if fetch is not None else urllib_fetch
    records = _collect(ucdp_pages(url, token, fetcher, run.requested), run, progress)
    safe = re.sub(r"[^\w.-]", "_", version)
    name = f"ucdp-api-gedevents-{safe}.csv"
    _import(session, run, records, "ucdp-ged", name, version=version, classification=classification)
    return run


def sync_acled(
    session: Session,
    *,
    key: str,
    email: str,
    date_from: date | None = None,
    date_to: date | None = None,
    fetch: Fetch | None = None,
    progress: Progress | None = None,
    classification: Classification = Classification.PUBLIC,
    limit: int = ACLED_PAGE_SIZE,
    base: str = ACLED_URL,
) -> SyncResult:
    """Fetch ACLED's Pakistan events (optionally between two dates) and import them."""
    if not key or not email:
        raise SyncError("ACLED's API needs an account's key and email")
    _may_import(session, classification)
    run = SyncResult("ACLED", redact(acled_url(key, email, 1, date_from, date_to, limit=limit, base=base)))
    fetcher = fetch if fetch is not None else urllib_fetch
    pages = acled_pages(
        key, email, fetcher, date_from, date_to, limit=limit, base=base, requested=run.requested
    )
    records = _collect(pages, run, progress)
    span = f"-{date_from or 'start'}_{date_to or 'now'}" if date_from or date_to else ""
    _import(
        session,
        run,
        records,
        "acled",
        f"acled-api-Pakistan{span}.csv",
        version=None,
        classification=classification,
    )
    return run
