"""Each task through the queue in Huey's immediate mode, on SQLite and PostgreSQL: what it writes and
makes, as whom it runs (the submitter, never the system), and what a failure leaves behind."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import func, select
from tests.jobs_support import INCIDENTS, attached, job, result_bytes, submit, user

from nigran.access.principal import Principal
from nigran.audit.models import AuditEntry
from nigran.core.errors import AccessDenied, NotFound
from nigran.core.problems import InvalidInput
from nigran.incidents.models import ImportBatch, Incident, IncidentSource
from nigran.jobs import service
from nigran.jobs.models import Job, JobArtifact, JobState
from nigran.storage.db import Database


def _count(db: Database, model: type) -> int:
    with db.session(Principal.system(), readonly=True) as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def _acled(db: Database) -> int:
    """Incidents and batches of the ACLED fixtures (the demo holds UCDP events of its own)."""
    with db.session(Principal.system(), readonly=True) as s:
        batches = s.scalar(select(func.count(ImportBatch.id)).where(ImportBatch.dataset == "acled")) or 0
        sources = (
            s.scalar(select(func.count(IncidentSource.id)).where(IncidentSource.dataset == "acled")) or 0
        )
        return batches + sources


def _sources(csv_bytes: bytes) -> set[str]:
    rows = csv.DictReader(io.StringIO(csv_bytes.decode("utf-8-sig")))
    return {source for row in rows for source in row["sources"].split("; ")}


def test_import_job_writes_as_the_submitter_and_reports_the_outcome(demo_db: Database) -> None:
    analyst = user(demo_db, "analyst")
    with attached(demo_db):
        job_id = submit(
            demo_db, analyst, "incidents.import", {"format": "acled"}, INCIDENTS / "acled_small.csv"
        )
    done = job(demo_db, job_id)
    assert done.state == JobState.SUCCEEDED.value, done.error
    assert (done.progress, done.attempts, done.submitted_by) == (100, 1, "analyst")
    assert (done.result["inserted"], done.result["skipped"]) == (5, 1)  # the protest is out of scope
    with demo_db.session(Principal.system(), readonly=True) as s:
        batch = s.get(ImportBatch, done.result["batch_id"])
        assert batch.imported_by == "analyst"  # the work ran as the submitter, not as the system
        assert s.scalar(select(func.count(Incident.id)).where(Incident.import_batch_id == batch.id)) == 5
        actors = set(
            s.scalars(select(AuditEntry.actor).where(AuditEntry.table_name.in_(("job", "job_artifact"))))
        )
        assert actors == {"analyst"}


def test_failing_import_writes_nothing_and_fails_the_job_with_every_problem(demo_db: Database) -> None:
    analyst = user(demo_db, "analyst")
    with attached(demo_db):
        job_id = submit(
            demo_db, analyst, "incidents.import", {"format": "acled"}, INCIDENTS / "acled_bad.csv"
        )
    failed = job(demo_db, job_id)
    assert failed.state == JobState.FAILED.value
    assert len(failed.problems) == 5
    assert any("not a date" in p["message"] and p["line"] == 3 for p in failed.problems)
    assert all(p["file"] == "acled_bad.csv" for p in failed.problems)
    assert _acled(demo_db) == 0


def test_a_public_readers_export_cannot_see_secret_incidents(demo_db: Database) -> None:
    admin, reader = user(demo_db, "admin"), user(demo_db, "reader")
    with attached(demo_db):
        submit(demo_db, admin, "incidents.import", {"format": "acled"}, INCIDENTS / "acled_small.csv")
        secret = {"format": "gtd", "classification": "SECRET"}
        submit(demo_db, admin, "incidents.import", secret, INCIDENTS / "gtd_small.csv")
        public_job = submit(demo_db, reader, "incidents.export", {"format": "csv"})
        admin_job = submit(demo_db, admin, "incidents.export", {"format": "csv"})
    public, everything = result_bytes(demo_db, public_job, reader), result_bytes(demo_db, admin_job, admin)
    gtd = {s for s in _sources(everything) if s.startswith("gtd:")}
    assert gtd and "acled:PAK1001" in _sources(everything)
    assert "acled:PAK1001" in _sources(public) and not gtd & _sources(public)
    assert b"SECRET" not in public
    assert job(demo_db, public_job).classification == "PUBLIC"  #: the reader's own clearance
    # the reader cannot see the administrator's job, nor its file: "not found", as if it did not exist
    with demo_db.session(reader, readonly=True) as s:
        with pytest.raises(NotFound):
            service.get(s, admin_job)
        with pytest.raises(NotFound):
            service.artifact(s, admin_job)
        assert [j.id for j in service.list_jobs(s).items] == [public_job]
    with demo_db.session(admin, readonly=True) as s:  # administrators see every job
        assert {public_job, admin_job} <= {j.id for j in service.list_jobs(s).items}


def test_framework_export_and_annual_report_jobs_make_files(demo_db: Database) -> None:
    analyst = user(demo_db, "analyst")
    with demo_db.session(analyst, readonly=True) as s:
        from nigran.policy.service import list_frameworks

        first = list_frameworks(s)[0]
        code, year = first.code, int(re.findall(r"\d{4}", first.period)[-1])
    with attached(demo_db):
        fw = submit(demo_db, analyst, "framework.export", {"framework": code, "format": "yaml"})
        report = submit(
            demo_db, analyst, "reports.annual", {"framework": code, "year": year, "format": "html"}
        )
    exported = job(demo_db, fw)
    assert exported.state == "succeeded", exported.error
    assert exported.output["name"] == f"{code}.yaml"
    assert f"code: {code}".encode() in result_bytes(demo_db, fw, analyst)
    annual = job(demo_db, report)
    assert annual.state == "succeeded", annual.error
    assert annual.output["media_type"].startswith("text/html")
    assert result_bytes(demo_db, report, analyst).lstrip().lower().startswith(b"<!doctype html")


def test_what_a_user_may_not_do_is_refused_at_submission(demo_db: Database) -> None:
    analyst, reader = user(demo_db, "analyst"), user(demo_db, "reader")
    acled = INCIDENTS / "acled_small.csv"
    with attached(demo_db):
        with pytest.raises(AccessDenied):  # a public reader may not import incidents
            submit(demo_db, reader, "incidents.import", {"format": "acled"}, acled)
        with pytest.raises(AccessDenied):  # RESTRICTED analyst may not write SECRET rows
            submit(
                demo_db, analyst, "incidents.import", {"format": "acled", "classification": "SECRET"}, acled
            )
        with pytest.raises(AccessDenied):  # the classified edition needs SECRET clearance
            submit(
                demo_db, analyst, "reports.annual", {"framework": "x", "year": 2024, "edition": "classified"}
            )
        with pytest.raises(AccessDenied):  # the anonymous public reader has no account to run jobs for
            submit(demo_db, Principal.anonymous(), "incidents.export", {"format": "csv"})
        with pytest.raises(InvalidInput) as caught:
            submit(
                demo_db, analyst, "incidents.export", {"format": "csv", "filters": {"province": "Atlantis"}}
            )
        assert caught.value.problems[0].file == "province"
        with pytest.raises(InvalidInput):
            submit(demo_db, analyst, "no.such.kind", {})
        with pytest.raises(InvalidInput):  # an import needs its file
            submit(demo_db, analyst, "incidents.import", {"format": "acled"})
        with pytest.raises(NotFound):
            submit(demo_db, analyst, "framework.export", {"framework": "NO-SUCH-FRAMEWORK"})
    assert _count(demo_db, Job) == 0 and _count(demo_db, JobArtifact) == 0


def test_a_rolled_back_submission_is_never_run(demo_db: Database) -> None:
    analyst = user(demo_db, "analyst")
    with attached(demo_db) as queue:
        with pytest.raises(RuntimeError), demo_db.session(analyst) as s:
            service.submit(s, "incidents.export", {"format": "csv"})
            raise RuntimeError("the request failed after submitting")
        assert queue.huey.pending_count() == 0
    assert _count(demo_db, Job) == 0


def test_artifact_contents_are_fingerprinted_not_copied_into_the_audit_trail(demo_db: Database) -> None:
    analyst = user(demo_db, "analyst")
    content = (INCIDENTS / "acled_small.csv").read_bytes()
    with attached(demo_db):
        submit(demo_db, analyst, "incidents.import", {"format": "acled"}, INCIDENTS / "acled_small.csv")
    with demo_db.session(Principal.system(), readonly=True) as s:
        after = s.scalar(select(AuditEntry.after).where(AuditEntry.table_name == "job_artifact"))
    assert after["content"].startswith("sha256:")
    assert content.hex() not in str(after)


def test_an_import_job_is_raised_to_the_level_of_the_rows_it_wrote(demo_db: Database) -> None:
    admin = user(demo_db, "admin")
    with attached(demo_db):
        job_id = submit(demo_db, admin, "incidents.import", {"format": "csv"}, INCIDENTS / "synthetic.csv")
    done = job(demo_db, job_id)
    assert done.state == "succeeded", done.error
    assert done.classification == "SECRET"  # the file held a SECRET row: its counts say that row exists
    with demo_db.session(user(demo_db, "analyst"), readonly=True) as s:  # RESTRICTED: cannot even see it
        assert s.get(Job, job_id) is None
