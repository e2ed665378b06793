"""``nigran geo``: resolve and locate from the command line."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from nigran.cli import app

runner = CliRunner()


def run(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, ["geo", *args])
    assert result.exit_code == code, result.output
    return result.output


def test_resolve_json_and_table() -> None:
    out = json.loads(run("resolve", "D.I. Khan", "--json"))
    assert out["match"]["district_code"] == "PK-KP-DIK" and out["match"]["province_code"] == "PK-KP"
    table = run("resolve", "Khyber")
    assert "ambiguous" in table and "PK-KP-KHB" in table
    assert "PK-KP-KHB" in run("resolve", "Khyber agency", "--province", "FATA")


def test_locate_and_refusals() -> None:
    assert "PK-KP-PSH" in run("locate", "34.0", "71.5")
    assert "not resolved" in run("locate", "48.85", "2.35", code=1)  # Paris
    assert "not resolved" in run("resolve", "Xyzzy", code=1)
    assert "unknown province" in run("resolve", "Quetta", "--province", "Atlantis", code=1)


def test_help_has_examples() -> None:
    for command in ("resolve", "locate", "evaluate-ucdp"):
        assert "Example: nigran geo" in run(command, "--help")
