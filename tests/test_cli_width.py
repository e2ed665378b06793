"""Terminal output fits 80 columns and never cuts text with "…": it folds onto more lines instead."""

from __future__ import annotations

import pytest
from rich.cells import cell_len
from typer.testing import CliRunner

from nigran.cli import app
from nigran.storage.db import Database

runner = CliRunner()

COMMANDS = [
    (None, ["framework", "list"]),
    ("admin", ["framework", "show", "NSP-2022", "--depth", "2"]),
    (None, ["score", "--framework", "NSP-2022", "--by", "section"]),
    ("admin", ["score", "--framework", "NSP-2022", "--by", "entity"]),
    ("reviewer", ["reporting", "queue"]),
    ("admin", ["reporting", "due", "--framework", "NSP-2022"]),
    ("admin", ["reporting", "cycles", "list", "--framework", "NSP-2022"]),
    ("admin", ["overview"]),
    ("admin", ["user", "list"]),
    ("admin", ["audit", "log", "-n", "30"]),
    ("admin", ["incidents", "summary", "--by", "year"]),
    ("admin", ["incidents", "actors", "list"]),
]


@pytest.mark.parametrize(("user", "argv"), COMMANDS, ids=lambda v: " ".join(v) if isinstance(v, list) else v)
def test_output_fits_80_columns(demo_db: Database, user: str | None, argv: list[str]) -> None:
    full = ["--db", demo_db.url, *(["--as", user] if user else []), *argv]
    result = runner.invoke(app, full, env={"NIGRAN_USER": "", "COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    wide = [line for line in result.output.splitlines() if cell_len(line) > 80]
    assert not wide, f"{argv}: {len(wide)} lines wider than 80 columns, e.g. {wide[0]!r}"
    assert "…" not in result.output, f"{argv}: text cut with an ellipsis"
    # Nothing cropped at the right edge: every short word of the wide rendering is in the narrow one.
    wide_run = runner.invoke(app, full, env={"NIGRAN_USER": "", "COLUMNS": "400"})
    narrow_words = set(result.output.split())
    lost = {w for w in wide_run.output.split() if len(w) <= 8 and w.strip("─━│┃") and w not in narrow_words}
    assert not lost, f"{argv}: words lost at 80 columns: {sorted(lost)[:10]}"
