"""API sync from recorded responses: paging, requests, same incidents as the file path, idempotency, errors.

No test reaches the network: a fake ``fetch`` serves the hand-made recordings in fixtures/incidents/api, and
an autouse guard makes ``urllib.request.urlopen`` and socket connections fail loudly.
"""

from __future__ import annotations

import json
import logging
import socket
import urllib.error
import urllib.request
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from nigran.access.classification import Classification
from nigran.access.errors import AccessDenied
from nigran.access.principal import Principal, Role
from nigran.access.service import add_user
from nigran.audit.models import AuditEntry
from nigran.cli import app
from nigran.core.problems import InvalidInput
from nigran.incidents import sync
from nigran.incidents.importer import INCIDENT_COLS, import_file
from nigran.incidents.models import ImportBatch, Incident, IncidentSource
from nigran.storage.db import Database

API = Path(__file__).parent / "fixtures" / "incidents" / "api"
ANALYST = Principal("ana", Role.ANALYST, Classification.SECRET)
UCDP = "https://ucdpapi.pcr.uu.se/api/gedevents/25.1?pagesize=1000&Country=770"
KEY, EMAIL = "s3cr3t-KEY-123", "analyst@example.org"
ACLED = f"https://api.acleddata.com/acled/read?key={KEY}&email={EMAIL}&country=Pakistan"


class NetworkUsed(AssertionError):
    pass


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any test in this module that would reach the real network fails here instead."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise NetworkUsed("a test tried to reach the network")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


class Recorded:
    """Serves recorded responses by exact URL and remembers every request."""

    def __init__(self, routes: dict[str, str]) -> None:
        self.routes, self.calls = routes, []  # type: ignore[var-annotated]

    def __call__(self, url: str, headers: Mapping[str, str]) -> bytes:
        self.calls.append((url, dict(headers)))
        assert url in self.routes, f"unexpected URL {url}"
        return (API / self.routes[url]).read_bytes()


def ucdp_fake(page2: str = "ucdp_page2.json") -> Recorded:
    return Recorded({UCDP: "ucdp_page1.json", UCDP + "&page=1": page2})


def acled_fake(page2: str = "acled_page2.json") -> Recorded:
    return Recorded({f"{ACLED}&page=1&limit=4": "acled_page1.json", f"{ACLED}&page=2&limit=4": page2})


def _counts(db: Database) -> tuple[int, int, int]:
    with db.session(Principal.system()) as s:
        return (
            s.scalar(select(func.count()).select_from(Incident)) or 0,
            s.scalar(select(func.count()).select_from(ImportBatch)) or 0,
            s.scalar(select(func.count()).select_from(AuditEntry)) or 0,
        )


def test_ucdp_follows_next_page_with_the_token_and_imports(db: Database) -> None:
    fake = ucdp_fake()
    with db.session(ANALYST) as s:
        run = sync.sync_ucdp(s, token="tok-1", version="25.1", fetch=fake)
    assert [url for url, _ in fake.calls] == [UCDP, UCDP + "&page=1"]
    assert all(h == {"x-ucdp-access-token": "tok-1"} for _, h in fake.calls)
    assert run.result is not None
    assert (run.pages, run.records, run.result.inserted, run.result.rejected) == (2, 7, 7, 0)
    with db.session(Principal.anonymous()) as s:
        sources = s.scalars(select(IncidentSource).where(IncidentSource.dataset == "ucdp-ged")).all()
        assert sorted(src.source_id for src in sources) == [str(i) for i in range(9900101, 9900108)]
        assert {src.dataset_version for src in sources} == {"25.1"}
        batch = s.scalars(select(ImportBatch)).one()
        assert batch.file_name == "ucdp-api-gedevents-25.1.csv" and batch.dataset_version == "25.1"
        besham = s.scalar(select(Incident).join(IncidentSource).where(IncidentSource.source_id == "9900103"))
        assert besham is not None
        assert (besham.date, besham.province_code, besham.civilians_killed) == (date(2024, 3, 26), "PK-KP", 6)
        assert besham.district_code is not None


def test_ucdp_urls_with_dates_and_without_a_token() -> None:
    assert sync.ucdp_url("25.1", date(2024, 1, 1), date(2024, 6, 30)) == (
        UCDP + "&StartDate=2024-01-01&EndDate=2024-06-30"
    )
    with pytest.raises(sync.SyncError, match="access token"):
        sync.sync_ucdp(None, token="", fetch=ucdp_fake())  # type: ignore[arg-type]


def test_a_reader_may_not_sync_and_nothing_is_fetched(db: Database) -> None:
    fake = ucdp_fake()
    with pytest.raises(AccessDenied), db.session(Principal.anonymous()) as s:
        sync.sync_ucdp(s, token="t", fetch=fake)
    assert fake.calls == []


def test_acled_pages_until_a_short_page_and_never_shows_the_key(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake = acled_fake()
    with db.session(ANALYST) as s:
        run = sync.sync_acled(s, key=KEY, email=EMAIL, fetch=fake, limit=4)
    assert [url for url, _ in fake.calls] == [f"{ACLED}&page=1&limit=4", f"{ACLED}&page=2&limit=4"]
    assert all(h == {} for _, h in fake.calls)
    assert run.result is not None
    assert (run.pages, run.records, run.result.inserted, run.result.skipped) == (2, 7, 6, 1)
    assert KEY not in run.url and not any(KEY in u for u in run.requested) and "key=***" in run.url
    assert KEY not in caplog.text
    with db.session(Principal.anonymous()) as s:
        batch = s.scalars(select(ImportBatch)).one()
        assert batch.file_name == "acled-api-Pakistan.csv" and batch.dataset == "acled"
        assert KEY not in repr(s.scalars(select(IncidentSource.raw)).all())


def test_acled_default_page_size_and_date_filter() -> None:
    fake = Recorded({f"{ACLED}&page=1&limit=5000": "acled_page1.json"})
    pages = list(sync.acled_pages(KEY, EMAIL, fake))
    assert [p for p, _, _ in pages] == [1] and len(fake.calls) == 1  # 4 rows < 5000: the last page
    url = sync.acled_url(KEY, EMAIL, 3, date(2024, 3, 1), date(2024, 4, 30))
    assert url == (f"{ACLED}&page=3&limit=5000&event_date=2024-03-01|2024-04-30&event_date_where=BETWEEN")


class _Rollback(Exception):
    pass


def _snapshot(s: Any, dataset: str) -> dict[str, dict[str, Any]]:
    # actor_id is compared through the actor's code: ids from a rolled-back transaction are not reused
    # on PostgreSQL (sequences do not roll back), so the same actor gets a new id in the second import.
    cols = (*INCIDENT_COLS, "province_code", "district_code", "classification")
    rows = s.execute(
        select(IncidentSource.source_id, Incident).join(Incident).where(IncidentSource.dataset == dataset)
    )
    return {
        sid: {**{c: getattr(inc, c) for c in cols}, "actor": inc.actor_ref.code if inc.actor_ref else None}
        for sid, inc in rows
    }


@pytest.mark.parametrize(
    ("fmt", "csv_name", "call"),
    [
        ("ucdp-ged", "ucdp_api_events.csv", lambda s: sync.sync_ucdp(s, token="t", fetch=ucdp_fake())),
        (
            "acled",
            "acled_api_events.csv",
            lambda s: sync.sync_acled(s, key=KEY, email=EMAIL, fetch=acled_fake(), limit=4),
        ),
    ],
)
def test_api_records_import_like_the_csv_export(db: Database, fmt: str, csv_name: str, call: Any) -> None:
    with pytest.raises(_Rollback), db.session(ANALYST) as s:
        import_file(s, API / csv_name, fmt, dataset_version="25.1" if fmt == "ucdp-ged" else None)
        from_file = _snapshot(s, fmt)
        raise _Rollback
    assert _counts(db)[0] == 0
    with db.session(ANALYST) as s:
        call(s)
        from_api = _snapshot(s, fmt)
    assert len(from_api) >= 6 and from_api == from_file
    # the file after the API: same columns, same values, so every row is unchanged
    with db.session(ANALYST) as s:
        again = import_file(s, API / csv_name, fmt, dataset_version="25.1" if fmt == "ucdp-ged" else None)
    assert (again.inserted, again.updated, again.unchanged, again.batch_id) == (0, 0, len(from_api), None)


def test_resync_changes_nothing(db: Database) -> None:
    with db.session(ANALYST) as s:
        sync.sync_ucdp(s, token="t", fetch=ucdp_fake())
    before = _counts(db)
    with db.session(ANALYST) as s:
        run = sync.sync_ucdp(s, token="t", fetch=ucdp_fake())
    assert run.result is not None
    assert (run.result.inserted, run.result.updated, run.result.unchanged, run.result.batch_id) == (
        0,
        0,
        7,
        None,
    )
    assert _counts(db) == before


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda s: sync.sync_ucdp(s, token="t", fetch=ucdp_fake("ucdp_error.html")), "did not answer JSON"),
        (
            lambda s: sync.sync_acled(s, key=KEY, email=EMAIL, fetch=acled_fake("acled_error.json"), limit=4),
            "ACLED refused page 2: .*Access denied",
        ),
    ],
)
def test_an_error_page_writes_nothing(db: Database, call: Any, match: str) -> None:
    before = _counts(db)
    with pytest.raises(sync.SyncError, match=match) as exc, db.session(ANALYST) as s:
        call(s)
    assert KEY not in str(exc.value)
    assert _counts(db) == before


def test_a_bad_record_is_named_by_its_api_id_and_nothing_is_written(db: Database) -> None:
    page1 = json.loads((API / "acled_page1.json").read_text())
    page1["data"][0]["notes"] += "\nSecond line of the note.\r\nThird."  # spans lines in the CSV
    page1["data"][2]["event_date"] = "32 March 2024"

    def fetch(url: str, headers: Mapping[str, str]) -> bytes:
        return json.dumps(page1).encode()

    before = _counts(db)
    with pytest.raises(InvalidInput) as exc, db.session(ANALYST) as s:
        sync.sync_acled(s, key=KEY, email=EMAIL, fetch=fetch)
    assert [str(p) for p in exc.value.problems] == [
        "ACLED API:3: record PAK90003: column 'event_date' value '32 March 2024': "
        "not a date (expected YYYY-MM-DD or '15 August 2021')"
    ]
    assert _counts(db) == before


def test_a_row_repeated_across_pages_is_imported_once(db: Database) -> None:
    page1 = json.loads((API / "acled_page1.json").read_text())
    page2 = json.loads((API / "acled_page2.json").read_text())
    page2["data"].insert(0, page1["data"][-1])  # a new event pushed the last row of page 1 onto page 2
    pages = {1: page1, 2: page2, 3: {"status": 200, "success": True, "count": 0, "data": []}}

    def serve(url: str, headers: Mapping[str, str]) -> bytes:
        return json.dumps(pages[int(url.split("&page=")[1].split("&")[0])]).encode()

    with db.session(ANALYST) as s:
        run = sync.sync_acled(s, key=KEY, email=EMAIL, fetch=serve, limit=4)
    assert run.result is not None
    assert (run.pages, run.records, run.result.inserted, run.result.skipped) == (3, 8, 6, 1)


def test_http_and_network_failures_are_clear_and_hide_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"{ACLED}&page=1&limit=5000"

    def http_401(request: urllib.request.Request, timeout: float) -> Any:
        assert request.full_url == url
        raise urllib.error.HTTPError(url, 401, "Unauthorized", {}, None)  # type: ignore[arg-type]

    monkeypatch.setattr(urllib.request, "urlopen", http_401)
    with pytest.raises(sync.SyncError, match=r"HTTP 401 Unauthorized .*key=\*\*\*") as exc:
        sync.urllib_fetch(url, {})
    assert KEY not in str(exc.value)

    def unreachable(request: urllib.request.Request, timeout: float) -> Any:
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(urllib.request, "urlopen", unreachable)
    with pytest.raises(sync.SyncError, match=r"cannot reach ucdpapi\.pcr\.uu\.se: .*no internet access"):
        sync.urllib_fetch(UCDP, {"x-ucdp-access-token": "t"})


def test_the_default_fetcher_is_never_used_by_these_tests(db: Database) -> None:
    """Without an injected fetch the sync uses urllib, which the autouse guard refuses: so none of the tests
    above (all of which inject one) could have reached the real network."""
    with pytest.raises(NetworkUsed), db.session(ANALYST) as s:
        sync.sync_ucdp(s, token="t")
    with pytest.raises(NetworkUsed), socket.socket() as sock:
        sock.connect(("192.0.2.1", 443))  # TEST-NET-1: never routed


# ---- the command line --------------------------------------------------------------------------------------

runner = CliRunner()


def _cli(db: Database, *args: str, env: dict[str, str] | None = None, code: int = 0) -> str:
    argv = ["--db", db.url, "--as", "analyst", "incidents", "sync", *args]
    result = runner.invoke(app, argv, env={"NIGRAN_USER": "", **(env or {})})
    assert result.exit_code == code, f"{argv}\n{result.output}"
    return result.output


@pytest.fixture
def cli_db(db: Database) -> Database:
    with db.session(Principal.system()) as s:
        add_user(s, "analyst", role=Role.ANALYST, clearance=Classification.RESTRICTED)
    return db


def test_cli_sync_ucdp_and_acled(cli_db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    ucdp = ucdp_fake()
    monkeypatch.setattr(sync, "urllib_fetch", ucdp)
    out = _cli(cli_db, "ucdp", env={"UCDP_API_TOKEN": "env-token"})
    assert "UCDP API: 2 pages, 7 records; 7 inserted" in out
    assert ucdp.calls[0][1] == {"x-ucdp-access-token": "env-token"} and "env-token" not in out
    assert "0 inserted, 0 updated, 7 unchanged" in _cli(cli_db, "ucdp", "--token", "tok")

    acled = Recorded({f"{ACLED}&page=1&limit=5000": "acled_page1.json"})
    monkeypatch.setattr(sync, "urllib_fetch", acled)
    out = _cli(cli_db, "acled", env={"ACLED_API_KEY": KEY, "ACLED_EMAIL": EMAIL})
    assert "ACLED API: 1 page, 4 records; 4 inserted" in out and KEY not in out


def test_cli_errors_name_the_problem_and_write_nothing(
    cli_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _counts(cli_db)
    out = _cli(cli_db, "ucdp", env={"UCDP_API_TOKEN": ""}, code=1)
    assert "needs an access token" in out
    monkeypatch.setattr(sync, "urllib_fetch", ucdp_fake("ucdp_error.html"))
    out = _cli(cli_db, "ucdp", "--token", "t", code=1)
    assert "did not answer JSON" in out and "nothing was written" in out
    bad = Recorded({f"{ACLED}&page=1&limit=5000": "acled_error.json"})
    monkeypatch.setattr(sync, "urllib_fetch", bad)
    out = _cli(cli_db, "acled", "--key", KEY, "--email", EMAIL, code=1)
    assert "ACLED refused page 1" in out and KEY not in out
    assert _counts(cli_db) == before
    for sub in ("ucdp", "acled"):
        assert "Example:" in _cli(cli_db, sub, "--help")
