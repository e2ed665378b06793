"""``nigran extract run`` and ``nigran extract evaluate`` on hand-written, made-up reports."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from nigran.cli import app

runner = CliRunner()
FIXTURES = Path(__file__).parent / "fixtures" / "extract"
SYNTHETIC = FIXTURES / "synthetic.jsonl"


def cli(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args), env={"NIGRAN_USER": "", "COLUMNS": "80"})
    assert result.exit_code == code, f"{args}\n{result.output}"
    assert "Traceback" not in result.output
    return result.output


def _lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def test_run_writes_one_object_per_document_to_the_screen() -> None:
    docs = _lines(cli("extract", "run", str(SYNTHETIC)))
    assert [d["id"] for d in docs] == [f"syn-{n}" for n in range(1, 9)]
    first = docs[0]["incidents"][0]
    assert first["district"] == "Mastung" and first["victims_killed"] == 5
    assert set(first["evidence"]) == set(first["confidence"]) and "district" in first["evidence"]
    assert docs[3]["incidents"] == []  # the statistical round-up


def test_run_writes_a_file_only_with_force_to_replace_it(tmp_path: Path) -> None:
    out = tmp_path / "found.jsonl"
    message = cli("extract", "run", str(SYNTHETIC), "--output", str(out))
    assert "8 document(s)" in message and len(_lines(out.read_text())) == 8
    refused = cli("extract", "run", str(SYNTHETIC), "--output", str(out), code=7)
    assert "already exists" in refused
    cli("extract", "run", str(SYNTHETIC), "--output", str(out), "--force")
    cli("extract", "run", str(SYNTHETIC), "--format", "csv", code=2)


def test_run_reads_text_files_and_folders(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(
        "Unidentified gunmen shot dead two policemen in Mardan on Tuesday, police said.", encoding="utf-8"
    )
    (tmp_path / "b.txt").write_text("The cabinet met on Tuesday to discuss the budget.", encoding="utf-8")
    docs = _lines(cli("extract", "run", str(tmp_path)))
    by_text = sorted(docs, key=lambda d: len(d["incidents"]))
    assert [len(d["incidents"]) for d in by_text] == [0, 1]
    assert by_text[1]["incidents"][0]["district"] == "Mardan"
    assert by_text[1]["incidents"][0]["date"] is None  # no publication date: a weekday cannot be placed


def test_run_stops_at_bad_lines_before_writing_anything(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        json.dumps(
            {"id": "1", "text": "A blast killed two people in Quetta on Monday.", "published": "2024-01-02"}
        )
        + "\n{oops\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    message = cli("extract", "run", str(bad), "--output", str(out), code=2)
    assert "bad.jsonl:2" in message and not out.exists()
    assert "file not found" in cli("extract", "run", str(tmp_path / "missing.jsonl"), code=2)


def test_evaluate_prints_the_table_and_json() -> None:
    table = cli("extract", "evaluate", str(SYNTHETIC))
    assert "victims_killed" in table and "documents" in table and "8 documents" in table
    assert all(len(line) <= 80 for line in table.splitlines())
    report = json.loads(cli("extract", "evaluate", str(SYNTHETIC), "--format", "json"))
    assert report["documents_scored"] == 8
    assert report["documents"]["recall"] == 1.0
    assert report["fields"]["victims_killed"]["f1"] >= 0.8


def test_evaluate_scores_a_predictions_file(tmp_path: Path) -> None:
    gold = [json.loads(line) for line in SYNTHETIC.read_text().splitlines()]
    perfect = tmp_path / "perfect.jsonl"
    perfect.write_text("".join(json.dumps({"id": d["id"], "incidents": d["incidents"]}) + "\n" for d in gold))
    report = json.loads(cli("extract", "evaluate", str(SYNTHETIC), "-p", str(perfect), "--format", "json"))
    assert report["incidents"]["f1"] == 1.0 and report["fields"]["district"]["f1"] == 1.0
    empty = tmp_path / "empty.jsonl"
    empty.write_text("".join(json.dumps({"id": d["id"], "incidents": []}) + "\n" for d in gold))
    report = json.loads(cli("extract", "evaluate", str(SYNTHETIC), "-p", str(empty), "--format", "json"))
    assert report["incidents"]["recall"] == 0.0 and report["documents"]["tn"] == 3
    stranger = tmp_path / "stranger.jsonl"
    stranger.write_text(json.dumps({"id": "nope", "incidents": []}) + "\n")
    assert "not in the gold file" in cli("extract", "evaluate", str(SYNTHETIC), "-p", str(stranger), code=2)
    assert "unknown format" in cli("extract", "evaluate", str(SYNTHETIC), "--format", "xml", code=2)
