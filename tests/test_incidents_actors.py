"""The actor registry file: every problem with its line, nothing written on a bad file."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from nigran.access.principal import Principal
from nigran.cli import app
from nigran.incidents.models import Actor
from nigran.storage.db import Database

runner = CliRunner()


def load(db: Database, path: Path):  # type: ignore[no-untyped-def]
    return runner.invoke(
        app,
        ["--db", db.url, "--as", "admin", "incidents", "actors", "load", str(path)],
        env={"NIGRAN_USER": ""},
    )


def codes(db: Database) -> set[str]:
    with db.session(Principal.system(), readonly=True) as s:
        return set(s.scalars(select(Actor.code)))


def test_bad_registry_files_name_file_and_line(demo_db: Database, tmp_path: Path) -> None:
    before = codes(demo_db)
    cases = {
        "binary.yaml": (b"actors:\n  - code: X\n" + bytes(range(128, 256)), "binary.yaml:3: not UTF-8"),
        "dup.yaml": (b"actors:\n  - code: X\n    code: Y\n", "dup.yaml:3: duplicate key 'code'"),
        "kind.yaml": (b"actors:\n  - code: NEWGRP\n    name: New group\n    kind: person\n", "kind.yaml:2:"),
        "alias.yaml": (b"a: &x [1]\nactors: *x\n", "alias.yaml:1: YAML anchors"),
    }
    for name, (data, expected) in cases.items():
        (tmp_path / name).write_bytes(data)
        result = load(demo_db, tmp_path / name)
        assert result.exit_code == 2, result.output
        assert expected in result.output, result.output
    assert codes(demo_db) == before


def test_a_good_registry_file_loads(demo_db: Database, tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("actors:\n  - code: NEWGRP\n    name: New group\n    kind: militant\n    aliases: [NG]\n")
    result = load(demo_db, good)
    assert result.exit_code == 0 and "1 actor written" in result.output, result.output
    assert "NEWGRP" in codes(demo_db)
