"""``nigran forecast …`` end to end on the demo's real UCDP data, and clean errors for bad input."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from nigran.cli import app
from nigran.storage.db import Database

runner = CliRunner()


def run(db: Database, *args: str, user: str | None = None, code: int = 0) -> str:
    argv = ["--db", db.url] + (["--as", user] if user else []) + list(args)
    result = runner.invoke(app, argv, env={"NIGRAN_USER": "", "COLUMNS": "80"})
    assert result.exit_code == code, f"{argv}\n{result.output}"
    assert "Traceback" not in result.output
    return result.output


def test_backtest_run_show_score(demo_db: Database, tmp_path: Path) -> None:
    plot = tmp_path / "skill.svg"
    out = run(demo_db, "forecast", "backtest", "--start", "2013", "--end", "2013", "--horizons", "1",
              "--format", "json", "--plot", str(plot))  # fmt: skip
    summary = json.loads(out[out.index("{") :])
    assert summary["first_origin"] == "2013-01" and summary["last_origin"] == "2013-12"
    models = {r["model"] for r in summary["rows"]}
    assert models == {"zero", "no_change", "recent_average", "conflictology", "gbm"}
    assert all(
        set(r["skill"]) <= {"zero", "no_change", "recent_average", "conflictology"} for r in summary["rows"]
    )
    assert summary["chosen_model"] in models and summary["message"]
    assert plot.read_bytes().lstrip().startswith(b"<?xml")
    run(
        demo_db,
        "forecast",
        "backtest",
        "--start",
        "2013",
        "--end",
        "2013",
        "--horizons",
        "1",
        "--plot",
        str(plot),
        code=7,
    )  # fmt: skip  (the plot exists: no overwrite without --force)
    table = run(demo_db, "forecast", "backtest", "--start", "2013", "--end", "2013", "--horizons", "1",
                "--unit", "province")  # fmt: skip
    assert "CRPS skill vs each baseline" in table and ("beats every baseline" in table or "No model" in table)
    csv_out = run(demo_db, "forecast", "backtest", "--start", "2013", "--end", "2013", "--horizons", "1",
                  "--format", "csv")  # fmt: skip
    assert csv_out.strip().splitlines()[0].startswith("measure,model,horizon,n,crps")

    run(demo_db, "forecast", "run", "--month", "2013-12", "--backtest-years", "1", user="reader", code=3)
    made = run(demo_db, "forecast", "run", "--month", "2013-12", "--backtest-years", "1", user="analyst")
    assert "data through 2013-12" in made
    shown = run(demo_db, "forecast", "show", "North Waziristan", user="reader")
    assert "PK-KP-NWZ" in shown and "2014-01" in shown and "Recent incidents" in shown
    found = json.loads(run(demo_db, "forecast", "show", "PK-KP-NWZ", "--format", "json"))
    assert found["run"]["data_through"] == "2013-12" and len(found["forecasts"]) == 6
    assert all(i["date"] <= "2013-12-31" for i in found["recent_incidents"])
    scored = json.loads(run(demo_db, "forecast", "score", "--format", "json"))
    assert {r["target_month"] for r in scored} == {"2014-01", "2014-02", "2014-03"}  # observed since
    runs = json.loads(run(demo_db, "forecast", "runs", "--format", "json"))
    assert len(runs) == 1 and runs[0]["trigger"] == "cli"


def test_bad_input_is_a_clean_error(demo_db: Database, tmp_path: Path) -> None:
    run(demo_db, "forecast", "backtest", "--horizons", "4", code=2)
    run(demo_db, "forecast", "backtest", "--horizons", "one", code=2)
    run(demo_db, "forecast", "backtest", "--unit", "village", code=2)
    run(demo_db, "forecast", "backtest", "--start", "1", code=2)
    run(demo_db, "forecast", "backtest", "--start", "2030", "--end", "2031", code=2)
    run(demo_db, "forecast", "backtest", "--format", "xml", code=2)
    run(demo_db, "forecast", "backtest", "--plot", str(tmp_path / "x.gif"), code=2)
    run(demo_db, "forecast", "run", "--month", "2013-13", user="analyst", code=2)
    run(demo_db, "forecast", "run", "--month", "2031-01", user="analyst", code=2)
    run(demo_db, "forecast", "run", "--backtest-years", "0", user="analyst", code=2)
    run(demo_db, "forecast", "show", "Peshawar", code=4)  # no forecast yet
    run(demo_db, "forecast", "show", "Atlantis", code=4)
    run(demo_db, "forecast", "score", code=4)
    run(demo_db, "forecast", "score", "--run", "99", code=4)
