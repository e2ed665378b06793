"""Analytics, the monthly report, export and incident indicators on a hand-made dataset (expected values
computed by hand from tests/fixtures/incidents/synthetic.csv), and canaries that must never reach a reader."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from nigran.access.classification import Classification
from nigran.access.principal import Principal, Role
from nigran.incidents import analytics as an
from nigran.incidents.export import write_export
from nigran.incidents.importer import import_file
from nigran.incidents.indicators import QueryError, compute, indicator_values
from nigran.incidents.report import monthly_report
from nigran.policy.models import Framework, Indicator, Objective, Section
from nigran.storage.db import Database

FIXTURES = Path(__file__).parent / "fixtures" / "incidents"
SECRET_ANALYST = Principal("ana", Role.ANALYST, Classification.SECRET)
PUBLIC = Principal.anonymous()
CANARIES = ("CANARY-SECRET-7731", "CANARY-SECRET-PLACE-7731", "CANARY-RESTRICTED-4410")


@pytest.fixture
def loaded(db: Database) -> Database:
    with db.session(SECRET_ANALYST) as s:
        import_file(s, FIXTURES / "synthetic.csv", "csv")
    return db


def _table(db: Database, who: Principal, by: str, f: an.Filters = an.Filters(), engine: str = "auto") -> dict:
    with db.session(who) as s:
        return {r.label: r.values for r in an.summary(s, by, f, engine=engine)}


def _pick(values: dict, *cols: str) -> tuple:
    return tuple(values[c] for c in cols)


COLS = ("incidents", "killed", "victims_killed", "militants_killed", "injured", "hostages")


@pytest.mark.parametrize("engine", ["rows", "cube"])
def test_yearly_figures_by_clearance(loaded: Database, engine: str) -> None:
    public = _table(loaded, PUBLIC, "year", engine=engine)
    assert {y: _pick(v, *COLS) for y, v in public.items()} == {
        "2021": (4, 15, 11, 4, 31, 4),
        "2022": (3, 9, 2, 7, 2, None),  # no 2022 source gives hostages: unknown, not 0
    }
    secret = _table(loaded, SECRET_ANALYST, "year", engine=engine)
    assert {y: _pick(v, "incidents", "killed", "victims_killed") for y, v in secret.items()} == {
        "2021": (5, 24, 20),
        "2022": (4, 11, 4),
    }
    assert public["2021"]["civilians_killed"] == 8 and public["2021"]["security_killed"] == 3


@pytest.mark.parametrize("engine", ["rows", "cube"])
def test_other_groupings(loaded: Database, engine: str) -> None:
    quarters = _table(loaded, PUBLIC, "quarter", engine=engine)
    assert {q: _pick(v, "incidents", "killed") for q, v in quarters.items()} == {
        "2021-Q1": (2, 9),
        "2021-Q2": (2, 6),
        "2022-Q1": (1, 1),
        "2022-Q2": (2, 8),
    }
    months = _table(loaded, PUBLIC, "month", engine=engine)
    assert list(months) == ["2021-01", "2021-02", "2021-04", "2022-01", "2022-04"]
    provinces = _table(loaded, PUBLIC, "province", engine=engine)
    assert {p: _pick(v, "incidents", "killed") for p, v in provinces.items()} == {
        "PK-KP": (4, 17),
        "PK-BA": (2, 6),
        "PK-SD": (1, 1),
    }
    types = _table(loaded, PUBLIC, "type", engine=engine)
    assert {t: v["incidents"] for t, v in types.items()} == {
        "armed_assault": 2,
        "bombing": 1,
        "suicide_bombing": 1,
        "kidnapping": 1,
        "targeted_killing": 1,
        "security_operation": 1,
    }
    actors = _table(loaded, PUBLIC, "actor", engine=engine)
    assert {a: v["incidents"] for a, v in actors.items()} == {
        "TTP": 2,
        "ISKP": 1,
        "BLA": 1,
        "SRA": 1,
        "PAK-SF": 1,
        "unknown": 1,
    }
    kp = _table(loaded, PUBLIC, "year", an.Filters(province="PK-KP"), engine=engine)
    assert {y: _pick(v, "incidents", "killed") for y, v in kp.items()} == {"2021": (2, 9), "2022": (2, 8)}
    window = an.Filters(date_from=date(2021, 4, 1), date_to=date(2022, 1, 31))
    assert list(_table(loaded, PUBLIC, "month", window, engine=engine)) == ["2021-04", "2022-01"]
    # a window of whole months but not whole years is answered from month cells, whole years from year cells
    by_year = _table(loaded, PUBLIC, "year", window, engine=engine)
    assert {y: _pick(v, "incidents", "killed") for y, v in by_year.items()} == {
        "2021": (2, 6),
        "2022": (1, 1),
    }
    whole = an.Filters(date_from=date(2022, 1, 1), date_to=date(2022, 12, 31))
    assert _pick(_table(loaded, PUBLIC, "type", whole, engine=engine)["armed_assault"], "incidents") == (1,)


def test_changes_against_previous_period_and_last_year(loaded: Database) -> None:
    with loaded.session(PUBLIC) as s:
        years = {r.label: r.changes for r in an.summary(s, "year")}
        months = {r.label: r.changes for r in an.summary(s, "month", an.Filters(date_from=date(2022, 1, 1)))}
    assert years["2022"] == {"incidents_vs_prev": -25.0, "killed_vs_prev": -40.0}
    assert years["2021"] == {"incidents_vs_prev": None, "killed_vs_prev": None}
    assert list(months) == ["2022-01", "2022-04"]  # the widened window is cut back
    assert (
        months["2022-04"]["incidents_vs_last_year"] == 0.0
        and months["2022-04"]["killed_vs_last_year"] == 33.3
    )
    assert months["2022-01"]["killed_vs_last_year"] == -75.0  # 1 against 4 in January 2021


def test_top_districts_and_row_only_filters(loaded: Database) -> None:
    with loaded.session(PUBLIC) as s:
        top = [(r.label, r.values["killed"]) for r in an.top_districts(s, n=4)]
        assert an.can_use_cube("district", an.Filters(date_from=date(2021, 1, 5))) is False
        day_window = an.summary(s, "year", an.Filters(date_from=date(2021, 1, 5), date_to=date(2021, 1, 11)))
    assert top == [("PK-KP-NWZ", 7), ("PK-BA-QTA", 6), ("PK-KP-PSH", 5), ("PK-KP-BNU", 5)]
    assert [(r.label, r.values["incidents"]) for r in day_window] == [("2021", 1)]


def test_canaries_never_reach_a_public_reader(loaded: Database, tmp_path: Path) -> None:
    with loaded.session(PUBLIC) as s:
        outputs = [json.dumps([r.as_dict(by) for r in an.summary(s, by)]) for by in an.BY]
        for month in ("2021-01", "2022-01"):
            outputs.append(json.dumps(monthly_report(s, month).as_dict()))
        for fmt in ("csv", "json", "xlsx"):
            path = tmp_path / f"out.{fmt}"
            with path.open("wb") as fh:
                write_export(s, fh, fmt)
            if fmt == "xlsx":
                wb = load_workbook(path, read_only=True)
                outputs.append(
                    json.dumps([list(r) for r in wb.active.iter_rows(values_only=True)], default=str)
                )
            else:
                outputs.append(path.read_text(encoding="utf-8"))
        january = monthly_report(s, "2021-01")
    text = "\n".join(outputs)
    for canary in CANARIES:
        assert canary not in text
    assert "S8" not in {
        row["sources"].split(":")[-1] for row in csv.DictReader((tmp_path / "out.csv").open())
    }
    assert january.figures[0].value == 1  # one PUBLIC incident in January 2021, not two
    with loaded.session(SECRET_ANALYST) as s:
        path = tmp_path / "secret.csv"
        with path.open("wb") as fh:
            write_export(s, fh, "csv")
        assert "CANARY-SECRET-7731" in path.read_text(encoding="utf-8")
        assert monthly_report(s, "2021-01").figures[0].value == 2


def test_monthly_report_figures_trace_to_incidents(loaded: Database) -> None:
    with loaded.session(PUBLIC) as s:
        report = monthly_report(s, "2021-04")
        ids = {f.label: f.incident_ids for f in report.figures}
        values = {f.label: f.value for f in report.figures}
        from sqlalchemy import select

        from nigran.incidents.models import Incident

        by_source = {i.sources[0].source_id: i.id for i in s.scalars(select(Incident))}
    assert values["incidents"] == 2 and sorted(ids["incidents"]) == sorted([by_source["S3"], by_source["S4"]])
    assert values["killed (all deaths)"] == 6 and ids["killed (all deaths)"] == [by_source["S3"]]
    assert values["hostages"] == 4 and ids["hostages"] == [by_source["S4"]]
    assert values["incidents same month last year"] == 0
    assert "In April 2021, 2 [F1] security incidents" in report.text
    assert f"[F1] incidents = 2: incidents {by_source['S3']}, {by_source['S4']}" in report.text


def test_incident_indicator_values_with_provenance(loaded: Database) -> None:
    query = {"measure": "victims_killed", "province": "PK-KP", "period": "year", "from": "2020", "to": "2022"}
    with loaded.session(PUBLIC) as s:
        values = compute(s, query)
    assert [(v.period, v.value, len(v.incident_ids)) for v in values] == [
        ("2020", 0, 0),
        ("2021", 6, 2),
        ("2022", 1, 1),
    ]
    with loaded.session(SECRET_ANALYST) as s:
        assert [v.value for v in compute(s, query)] == [0, 15, 1]  # the SECRET bombing counts for the cleared
        bombings = compute(
            s,
            {
                "measure": "incidents",
                "event_types": ["bombing"],
                "period": "quarter",
                "from": "2021-01",
                "to": "2021-06",
            },
        )
        assert [(v.period, v.value) for v in bombings] == [("2021-Q1", 2), ("2021-Q2", 0)]
    with pytest.raises(QueryError, match="measure 'deaths'"), loaded.session(PUBLIC) as s:
        compute(s, {"measure": "deaths"})
    with loaded.session(Principal.system()) as s:
        fw = Framework(
            code="T-FW",
            title="t",
            period_start=date(2021, 1, 1),
            period_end=date(2022, 12, 31),
            classification=Classification.PUBLIC,
        )
        sec = Section(framework=fw, code="S", title="s", classification=Classification.PUBLIC)
        obj = Objective(framework=fw, section=sec, code="O", title="o", classification=Classification.PUBLIC)
        s.add(
            Indicator(
                framework=fw,
                objective=obj,
                code="T-I1",
                name="Civilian deaths in KP",
                classification=Classification.PUBLIC,
                incident_query={"measure": "civilians_killed", "province": "PK-KP"},
            )
        )
    with loaded.session(PUBLIC) as s:
        _, values = indicator_values(s, "T-I1")
    assert [(v.period, v.value) for v in values] == [("2021", 3), ("2022", 1)]


def test_cli_summary_report_and_indicator(loaded: Database, tmp_path: Path) -> None:
    from nigran.cli import app

    runner = CliRunner()
    base = ["--db", loaded.url]
    out = runner.invoke(app, [*base, "incidents", "summary", "--by", "province", "--format", "csv"])
    assert out.exit_code == 0, out.output
    rows = list(csv.DictReader(out.stdout.splitlines()))
    assert [(r["province"], r["incidents"], r["killed"]) for r in rows] == [
        ("PK-KP", "4", "17"),
        ("PK-BA", "2", "6"),
        ("PK-SD", "1", "1"),
    ]
    out = runner.invoke(app, [*base, "incidents", "report", "--month", "2021-01"])
    assert out.exit_code == 0 and "In January 2021, 1 [F1]" in out.stdout and "CANARY" not in out.stdout
    out = runner.invoke(app, [*base, "incidents", "summary", "--by", "weekday"])
    assert out.exit_code == 2 and "unknown grouping 'weekday'" in out.output
    args = ["incidents", "import", str(FIXTURES / "acled_bad.csv"), "--format", "acled"]
    refused = runner.invoke(app, [*base, *args])
    assert refused.exit_code == 3 and "access denied" in refused.output  # the public reader imports nothing
    made = runner.invoke(
        app, [*base, "user", "add", "boss", "--role", "administrator", "--clearance", "SECRET"]
    )
    assert made.exit_code == 0, made.output
    bad = runner.invoke(app, [*base, "--as", "boss", *args])
    assert bad.exit_code == 2 and "acled_bad.csv:3:" in bad.output and "nothing was written" in bad.output
    good = runner.invoke(
        app, [*base, "--as", "boss", *args, "--skip-invalid", "--rejects", str(tmp_path / "r.csv")]
    )
    assert good.exit_code == 0 and "1 inserted" in good.output and (tmp_path / "r.csv").exists()
