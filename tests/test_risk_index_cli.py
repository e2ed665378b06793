"""``nigran risk``: index, show, sensitivity, covariates; formats, files, clean refusals."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from typer.testing import CliRunner

from nigran.cli import app
from nigran.storage.db import Database

runner = CliRunner()


def run(db: Database, *args: str, code: int = 0) -> str:
    result = runner.invoke(app, ["--db", db.url, "risk", *args])
    assert result.exit_code == code, result.output
    return result.output


def test_index_formats_and_output_file(demo_db: Database, tmp_path: Path) -> None:
    table = run(demo_db, "index")
    assert "Kech (PK-BA-KCH)" in table and "12 months to 2021-12" in table and "note:" in table
    body = json.loads(run(demo_db, "index", "--format", "json"))
    assert body["month"] == "2021-12" and body["districts"][0]["rank"] == 1
    rows = list(csv.DictReader(io.StringIO(run(demo_db, "index", "--format", "csv", "--month", "2021-12"))))
    assert len(rows) == 168 and rows[0]["rank"] == "1"
    unknown = [r for r in rows if r["risk"] == ""]
    assert all(r["rank"] == "" for r in unknown)  # unknown stays empty, never 0
    out = tmp_path / "index.csv"
    run(demo_db, "index", "--output", str(out))
    assert out.read_text().startswith("rank,code,district")
    assert "already exists" in run(demo_db, "index", "--output", str(out), code=7)  # no overwrite
    run(demo_db, "index", "--output", str(out), "--force")


def test_show_sensitivity_covariates(demo_db: Database) -> None:
    shown = run(demo_db, "show", "North Waziristan")
    one = json.loads(run(demo_db, "show", "PK-KP-NWZ", "--format", "json"))
    assert one["code"] == "PK-KP-NWZ" and len(one["components"]) == 11
    assert f"risk {one['risk']:.2f} ({one['risk_class']}), rank {one['rank']}" in shown
    assert "Multidimensional" in shown
    assert "no district 'Nowhere'" in run(demo_db, "show", "Nowhere", code=4)
    assert "month must be YYYY-MM" in run(demo_db, "index", "--month", "2021-13", code=2)
    assert "unknown format" in run(demo_db, "index", "--format", "xml", code=2)
    sens = list(csv.DictReader(io.StringIO(run(demo_db, "sensitivity", "--format", "csv"))))
    assert {"arithmetic", "threat-only"} <= {r["variant"] for r in sens}
    cov = json.loads(run(demo_db, "covariates", "--format", "json"))
    assert cov["districts"]["PK-KP-NWZ"]["values"]["population_2023"] == 693332
    assert cov["districts"]["PK-KP-NWZ"]["sources"]["population_2023"] == "kp2023"
    assert any(s["id"] == "mpi2016" for s in cov["sources"])
    assert "coverage:" in run(demo_db, "covariates")
