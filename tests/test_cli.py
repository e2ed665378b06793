"""The command line, end to end: load, list, export round trip, derive, diff, users and audit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from tests.helpers import CANARIES, FIXTURES, SECRET_ONLY, load_fixture
from typer.testing import CliRunner

from nigran.access.classification import Classification
from nigran.access.principal import Principal, Role
from nigran.access.service import add_user
from nigran.cli import app

runner = CliRunner()


def run(db, *args: str, user: str | None = None, code: int = 0):  # type: ignore[no-untyped-def]
    argv = ["--db", db.url] + (["--as", user] if user else []) + list(args)
    result = runner.invoke(app, argv, env={"NIGRAN_USER": ""})
    assert result.exit_code == code, f"{argv}\n{result.output}"
    return result


@pytest.fixture
def users(db):  # type: ignore[no-untyped-def]
    with db.session(Principal.system()) as s:
        add_user(s, "admin", role=Role.ADMINISTRATOR, clearance=Classification.SECRET)
        add_user(s, "analyst", role=Role.ANALYST, clearance=Classification.RESTRICTED)
        add_user(s, "focal", role=Role.FOCAL_PERSON, clearance=Classification.RESTRICTED, entity_code="KP")
    return db


def test_load_list_and_show(users):
    db = users
    run(db, "framework", "load", str(FIXTURES / "canary-framework.yaml"), user="admin")
    listing = json.loads(run(db, "framework", "list", "--format", "json").output)
    assert listing[0]["code"] == "CANARY-FW" and listing[0]["indicators"] == 1
    listing = json.loads(run(db, "framework", "list", "--format", "json", user="admin").output)
    assert listing[0]["indicators"] == 3
    shown = run(db, "framework", "show", "CANARY-FW").output
    assert "Public indicator" in shown and not any(c in shown for c in CANARIES)


def test_loading_needs_a_writer(users):
    result = run(users, "framework", "load", str(FIXTURES / "canary-framework.yaml"), code=3)
    assert "access denied" in result.output
    run(users, "framework", "load", str(FIXTURES / "canary-framework.yaml"), user="focal", code=3)


def test_validate_exit_codes(users):
    run(users, "framework", "validate", str(FIXTURES / "canary-framework.yaml"))
    result = run(users, "framework", "validate", str(FIXTURES / "malformed-framework.yaml"), code=2)
    assert "malformed-framework.yaml:23: duplicate code" in result.output
    assert "nothing was written" in result.output


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_export_round_trips_without_loss(users, tmp_path: Path, fmt: str):
    db = users
    load_fixture(db)
    out = tmp_path / f"export.{fmt}"
    run(db, "framework", "export", "CANARY-FW", "--format", fmt, "-o", str(out), user="admin")
    exported = out.read_text()
    for canary in CANARIES:
        assert canary in exported
    # load it back under a new code and compare the two exports item by item
    renamed = tmp_path / f"renamed.{fmt}"
    renamed.write_text(exported.replace("CANARY-FW", "COPY-FW"))
    run(db, "framework", "load", str(renamed), user="admin")
    again = tmp_path / f"again.{fmt}"
    run(db, "framework", "export", "COPY-FW", "--format", fmt, "-o", str(again), user="admin")
    assert again.read_text() == renamed.read_text()
    diff = run(db, "framework", "diff", "CANARY-FW", "COPY-FW", user="admin").output
    assert diff.strip().endswith(
        "0 added, 0 removed, 0 changed"
    )  # items matched by code within the framework


def test_public_export_holds_no_classified_content(users, tmp_path: Path):
    load_fixture(users)
    for fmt in ("yaml", "json"):
        text = run(users, "framework", "export", "CANARY-FW", "--format", fmt).output
        assert "Public indicator" in text
        assert not any(c in text for c in CANARIES), fmt
    restricted = run(users, "framework", "export", "CANARY-FW", user="analyst").output
    assert "CANARY-RESTRICTED-IND" in restricted and not any(c in restricted for c in SECRET_ONLY)


def test_derive_and_diff(users):
    db = users
    load_fixture(db)
    run(
        db,
        "framework",
        "derive",
        "CANARY-FW",
        "NEXT-FW",
        "--start",
        "2027-01-01",
        "--end",
        "2031-12-31",
        user="admin",
    )
    doc = yaml.safe_load(run(db, "framework", "export", "NEXT-FW", user="admin").output)["framework"]
    assert doc["predecessor"] == "CANARY-FW" and doc["version"] == 2
    assert str(doc["period"]["start"]) == "2027-01-01"
    indicator = doc["sections"][0]["objectives"][0]["indicators"][0]
    assert indicator["code"] == "NEXT-FW.S1.O1.I1" and "targets" not in indicator  # old targets stay behind
    assert indicator["baseline"]["value"] == 10
    action = doc["sections"][0]["objectives"][0]["actions"][0]
    assert "Carried over from CANARY-FW; was due 2024-06-30" in action["description"]
    assert [m["code"] for m in action["milestones"]] == ["NEXT-FW.S1.O1.A1.M2"]  # completed M1 stays behind
    diff = run(db, "framework", "diff", "CANARY-FW", "NEXT-FW", user="admin").output
    assert "- milestone S1.O1.A1.M1" in diff
    assert "~ indicator S1.O1.I1" in diff and "targets" in diff


def test_users_and_audit(users, tmp_path: Path):
    db = users
    run(db, "user", "add", "someone", "--role", "analyst", code=3)  # only administrators add users
    run(db, "user", "add", "someone", "--role", "analyst", user="admin")
    run(db, "user", "add", "bad", "--role", "focal_person", user="admin", code=2)  # needs --entity
    assert "someone" in run(db, "user", "list", user="admin").output
    run(db, "user", "list", user="analyst", code=3)
    assert "audit trail intact" in run(db, "audit", "verify").output
    log = json.loads(
        run(db, "audit", "log", "--format", "json", "--table", "user_account", user="admin").output
    )
    assert log[0]["after"]["username"] == "someone" and log[0]["actor"] == "admin"


def test_every_command_has_help_with_an_example():
    import typer.main

    group = typer.main.get_command(app)

    def walk(cmd, path):  # type: ignore[no-untyped-def]
        if hasattr(cmd, "commands"):
            for name, sub in cmd.commands.items():
                yield from walk(sub, [*path, name])
        else:
            yield path, cmd

    missing = [" ".join(p) for p, cmd in walk(group, []) if "Example:" not in (cmd.help or "")]
    assert not missing, f"commands without an 'Example:' in their help: {missing}"


def test_command_reference_is_current():
    """docs/cli.md is generated from the commands; an undocumented or renamed command fails here."""
    from pathlib import Path

    from nigran.cli_reference import render

    reference = Path(__file__).resolve().parents[1] / "docs" / "cli.md"
    assert reference.read_text(encoding="utf-8") == render(), (
        "run: python -m nigran.cli_reference > docs/cli.md"
    )
