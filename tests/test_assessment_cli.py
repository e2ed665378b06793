"""``nigran incidents assessment`` and ``nigran incidents monitor-figures``: formats, files, bad input."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from nigran.cli import app
from nigran.storage.db import Database

runner = CliRunner()


def run(db: Database, *args: str, user: str | None = None, code: int = 0):  # type: ignore[no-untyped-def]
    argv = ["--db", db.url] + (["--as", user] if user else []) + list(args)
    result = runner.invoke(app, argv, env={"NIGRAN_USER": ""})
    assert result.exit_code == code, f"{argv}\n{result.output}"
    assert "Traceback" not in result.output
    return result


def test_assessment_json_html_pdf(demo_db: Database, tmp_path: Path) -> None:
    out = run(demo_db, "incidents", "assessment", "--month", "2021-06", "--definition", "pips").stdout
    data = json.loads(out)
    assert data["period"] == "2021-06" and data["definition"]["code"] == "pips"
    assert data["total"]["incidents"]["value"] == len(data["total"]["incidents"]["incident_ids"])
    assert {r["region"] for r in data["regions"]} >= {"PK-KP", "PK-KP-MERGED", "PK-BA"}
    html = tmp_path / "june.html"
    run(demo_db, "incidents", "assessment", "--month", "2021-06", "-o", str(html))
    assert "Security assessment 2021-06" in html.read_text()
    run(demo_db, "incidents", "assessment", "--month", "2021-06", "-o", str(html), code=7)  # no --force
    pdf = tmp_path / "year.pdf"
    run(
        demo_db,
        "incidents",
        "assessment",
        "--year",
        "2021",
        "--definition",
        "crss",
        "--format",
        "pdf",
        "-o",
        str(pdf),
    )
    assert pdf.read_bytes().startswith(b"%PDF")


def test_bad_inputs_exit_2(demo_db: Database, tmp_path: Path) -> None:
    for args in (
        ["--month", "2021-13"],
        ["--month", "June"],
        ["--month", "2021"],
        ["--year", "2021-06"],
        ["--month", "2021-06", "--year", "2021"],
        [],
        ["--month", "2021-06", "--definition", "acled"],
        ["--month", "2021-06", "--format", "docx"],
        ["--month", "2021-06", "--format", "pdf"],  # a PDF needs a file
    ):
        result = run(demo_db, "incidents", "assessment", *args, code=2)
        assert "nothing was written" in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("figures:\n  - monitor: PIPS\n    period: 2024\n    measure: attacks\n    value: many\n")
    result = run(demo_db, "incidents", "monitor-figures", "load", str(bad), user="analyst", code=2)
    assert "bad.yaml:2: value" in result.output and "definition is required" in result.output
    run(
        demo_db, "incidents", "monitor-figures", "load", str(tmp_path / "missing.csv"), user="analyst", code=2
    )
    run(demo_db, "incidents", "monitor-figures", "list", "--period", "24", code=2)


def test_monitor_figures_add_list_load(demo_db: Database, tmp_path: Path) -> None:
    run(demo_db, "incidents", "monitor-figures", "load", code=3)  # the public reader may not write
    before = len(json.loads(run(demo_db, "incidents", "monitor-figures", "list", "--format", "json").stdout))
    loaded = run(demo_db, "incidents", "monitor-figures", "load", user="analyst").stdout
    assert ("12 figure(s) added" if before == 0 else "12 updated") in loaded
    csv_file = tmp_path / "oct.csv"
    csv_file.write_text(
        "monitor,period,measure,value,definition,source,scope\n"
        "PICSS,2021-06,attacks,9,picss,PICSS monthly report June 2021,\n"
    )
    assert (
        "1 figure(s) added"
        in run(demo_db, "incidents", "monitor-figures", "load", str(csv_file), user="analyst").stdout
    )
    added = run(
        demo_db,
        "incidents",
        "monitor-figures",
        "add",
        "--monitor",
        "CRSS",
        "--period",
        "2021-06",
        "--measure",
        "fatalities",
        "--value",
        "1,234",
        "--definition",
        "crss",
        "--source",
        "CRSS Q2",
        user="analyst",
    ).stdout
    assert "added CRSS 2021-06 killed (counted) = 1,234" in added
    listed = json.loads(run(demo_db, "incidents", "monitor-figures", "list", "--format", "json").stdout)
    assert len(listed) == 14 and before in (0, 12)
    table = run(demo_db, "incidents", "monitor-figures", "list", "--period", "2021-06").stdout
    assert "PICSS" in table and "1,234" in table and max(len(line) for line in table.splitlines()) <= 80
    data = json.loads(run(demo_db, "incidents", "assessment", "--month", "2021-06").stdout)
    (row,) = data["monitors"]
    assert (row["monitor"], row["measure"], row["monitor_value"]) == ("PICSS", "incidents", 9)
    assert row["nigran"]["value"] == data["categories"]["attacks"]["incidents"]["value"]
