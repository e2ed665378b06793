"""``nigran extract articles`` and ``nigran extract review``: list, show (evidence highlighted), accept with
edits, reject; clean errors with their exit codes; jobs spread a corpus in batches."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from tests.jobs_support import attached, job, user
from tests.test_extract_review import FIRST, SECOND, TABLE, add_article, fake_extractor
from typer.testing import CliRunner

from nigran.access.principal import Principal
from nigran.cli import app
from nigran.extract import service
from nigran.extract.models import Candidate
from nigran.incidents.models import Incident, IncidentSource
from nigran.storage.db import Database

runner = CliRunner()


def run(db: Database, *args: str, user: str | None = "analyst", code: int = 0) -> str:
    argv = ["--db", db.url] + (["--as", user] if user else []) + list(args)
    result = runner.invoke(app, argv, env={"NIGRAN_USER": "", "COLUMNS": "80"})
    assert result.exit_code == code, f"{argv}\n{result.output}"
    assert "Traceback" not in result.output
    return result.output


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "default_extractor", lambda: fake_extractor(TABLE))


def test_articles_then_review_accept_and_reject(demo_db: Database, fake: None) -> None:
    first = add_article(demo_db, FIRST, title="Check post attack")
    add_article(demo_db, SECOND)
    out = run(demo_db, "extract", "articles", str(first))
    assert "1 candidate(s)" in out
    run(demo_db, "extract", "articles", user=None, code=2)  # neither ids nor --all
    run(demo_db, "extract", "articles", "--all", user="reader", code=3)
    run(demo_db, "extract", "articles", "999999", code=4)
    listing = run(demo_db, "extract", "review")
    assert "Check post" in listing and "Mastung" in listing and "armed_assa" in listing, listing
    data = json.loads(run(demo_db, "extract", "review", "--format", "json"))
    [cand] = data["candidates"]
    assert cand["values"]["injured"] == 8 and cand["matched_incident_id"] is None
    shown = run(demo_db, "extract", "review", "show", str(cand["id"]))
    assert "Five policemen were martyred" in shown and "victims_killed" in shown
    assert "no matching incident" in shown
    run(demo_db, "extract", "review", "show", "424242", code=4)
    run(demo_db, "extract", "review", "--status", "maybe", code=2)
    # a bad edit: the field is named, exit 2, nothing written
    bad = run(demo_db, "extract", "review", "accept", str(cand["id"]), "--set", "injured=many", code=2)
    assert "injured" in bad and "nothing was written" in bad
    run(demo_db, "extract", "review", "accept", str(cand["id"]), "--set", "injured", code=2)
    out = run(demo_db, "extract", "review", "accept", str(cand["id"]), "--set", "injured=9", "--note", "ok")
    assert "new incident" in out
    run(demo_db, "extract", "review", "accept", str(cand["id"]), code=5)  # twice: illegal transition
    # the second report matches; rejecting it keeps it
    run(demo_db, "extract", "articles", "--all")
    data = json.loads(run(demo_db, "extract", "review", "--format", "json"))
    [cand2] = data["candidates"]
    assert cand2["matched_incident_id"] is not None
    assert "matches incident" in run(demo_db, "extract", "review", "show", str(cand2["id"]))
    run(
        demo_db,
        "extract",
        "review",
        "reject",
        str(cand2["id"]),
        "--reason",
        "later toll",
        user="reader",
        code=3,
    )
    run(demo_db, "extract", "review", "reject", str(cand2["id"]), "--reason", "later toll")
    rejected = run(demo_db, "extract", "review", "--status", "rejected")
    assert str(cand2["id"]) in rejected
    assert "no pending candidates" in run(demo_db, "extract", "review")
    with demo_db.session(Principal.system()) as s:
        assert s.get(Candidate, cand2["id"]).review_note == "later toll"
        sources = list(s.scalars(select(IncidentSource).where(IncidentSource.dataset == "article")))
        assert len(sources) == 1 and s.get(Incident, sources[0].incident_id).injured == 9


def test_jobs_split_new_articles_into_batches(demo_db: Database, fake: None) -> None:
    ids = [add_article(demo_db, t) for t in (FIRST, SECOND, "Nothing happened here.")]
    with attached(demo_db):
        out = run(demo_db, "extract", "articles", "--all", "--jobs", "--batch-size", "2")
        assert "2 job(s) submitted" in out
    with demo_db.session(Principal.system()) as s:
        from nigran.jobs.models import Job

        jobs = list(s.scalars(select(Job).where(Job.kind == "extract.articles").order_by(Job.id)))
        assert [j.params["article_ids"] for j in jobs] == [ids[:2], ids[2:]]
        job_ids = [j.id for j in jobs]
    analyst = user(demo_db, "analyst")
    for job_id in job_ids:
        assert job(demo_db, job_id, analyst).state == "succeeded"
    with demo_db.session(Principal.system()) as s:
        assert len(list(s.scalars(select(Candidate)))) == 2
    run(demo_db, "extract", "articles", "--all", "--jobs", "--batch-size", "0", code=2)


def test_schedule_extracts_as_the_system(demo_db: Database, fake: None) -> None:
    from nigran.extract import tasks
    from nigran.jobs.schedules import SCHEDULES

    assert SCHEDULES["extract.pending"].minute == "*/10"
    add_article(demo_db, FIRST)
    assert "1 candidate(s)" in (tasks.extract_pending(demo_db) or "")
    assert tasks.extract_pending(demo_db) is None  # nothing new: nothing to say
