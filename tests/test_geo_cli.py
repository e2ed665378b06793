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
    out = json.loads(run("resolve", "D.I. Khan", "--format", "json"))
    assert out["match"]["district_code"] == "PK-KP-DIK" and out["match"]["province_code"] == "PK-KP"
    table = run("resolve", "Khyber")
    assert "ambiguous" in table and "PK-KP-KHB" in table
    assert "PK-KP-KHB" in run("resolve", "Khyber agency", "--province", "FATA")


def test_locate_and_refusals() -> None:
    assert "PK-KP-PSH" in run("locate", "34.0", "71.5")
    assert "not resolved" in run("locate", "48.85", "2.35", code=1)  # Paris
    assert "not resolved" in run("resolve", "Xyzzy", code=1)
    assert "unknown province 'Atlantis'" in run("resolve", "Quetta", "--province", "Atlantis", code=2)


def test_province_is_exact_or_refused_never_guessed() -> None:
    # a typo used to be matched fuzzily to some province; now it is refused with a suggestion
    out = run("resolve", "Karachi East", "--province", "Sindth", code=2)
    assert "--province" in out and "did you mean Sindh (PK-SD)?" in out
    assert "PK-SD-KHE" in run("resolve", "Karachi East", "--province", "sindh")
    assert "PK-SD-KHE" in run("resolve", "Karachi East", "--province", "PK-SD")
    assert "latitude" in run("locate", "91", "71.5", code=2)
    assert "unknown format 'yaml'" in run("resolve", "Quetta", "--format", "yaml", code=2)
    assert "--json" in run("resolve", "Quetta", "--json", code=2)  # no lone --json: one way, --format


def test_help_has_examples() -> None:
    for command in ("resolve", "locate", "evaluate-ucdp"):
        assert "Example: nigran geo" in run(command, "--help")
