"""Every command, fed hostile input, answers with a clear error: never a traceback, never a damaged database.

The commands are discovered from the CLI itself, so a new command is covered the day it is added. Each starts
from the valid invocation in its own help (``Example:``); then one argument or option value at a time is
replaced by something hostile: missing, empty, binary, wrongly encoded, huge or damaged files, a folder, the
open database as an output, a symbolic link, and hostile strings (empty, NUL, very long, non-finite numbers,
impossible dates, path tricks, Urdu). A run passes when it ends with a normal exit status and one-line
messages: the "internal error" status (70), a Python traceback or an exception escaping the command fails it,
as does a database that no longer opens afterwards.
"""

from __future__ import annotations

import shlex
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.core import TyperArgument, TyperOption
from typer.testing import CliRunner

from nigran.cli import app

runner = CliRunner()
INTERNAL_ERROR = 70
GLOBAL_WITH_VALUE = {"--db", "--as"}
# Commands that reach the internet (tested with recordings elsewhere) or run until stopped (servers).
NETWORK = {
    ("incidents", "sync", "ucdp"),
    ("incidents", "sync", "acled"),
    ("news", "feeds", "poll"),
    ("serve",),
    ("worker",),
}
# Options every run of a command gets so that it ends: the demo serves unless told not to.
ALWAYS = {("demo",): ["--no-serve"]}


def _leaves(cmd: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    if hasattr(cmd, "commands"):
        for name in sorted(cmd.commands):
            yield from _leaves(cmd.commands[name], (*path, name))
    else:
        yield path, cmd


ROOT: Any = typer.main.get_command(app)
COMMANDS = dict(_leaves(ROOT))


def _example(path: tuple[str, ...], cmd: Any) -> list[str]:
    """The command's own example, without ``nigran``, the command path and global options."""
    help_text = cmd.help or ""
    line = next((ln.strip() for ln in help_text.splitlines() if ln.strip().startswith("Example:")), "")
    words = shlex.split(line.removeprefix("Example:").strip())
    while words and "=" in words[0] and not words[0].startswith("-"):
        words.pop(0)  # VAR=value prefixes
    if words and words[0] == "nigran":
        words.pop(0)
    out: list[str] = []
    i = 0
    while i < len(words):
        if words[i] in GLOBAL_WITH_VALUE:
            i += 2
            continue
        out.append(words[i])
        i += 1
    for part in path:
        if part in out:
            out.remove(part)
    return out


def _is_file_param(param: Any) -> bool:
    name = (param.name or "").lower()
    metavar = str(getattr(param, "metavar", "") or "").lower()
    kind = type(getattr(param, "type", None)).__name__.lower()
    return (
        "path" in kind
        or "file" in kind
        or any(k in name for k in ("file", "path", "output", "input", "rejects", "mapping", "folder"))
        or any(k in metavar for k in ("file", "path"))
    )


@pytest.fixture(scope="module")
def hostile_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("hostile")
    files = {
        "empty.yaml": b"",
        "binary.csv": bytes(range(256)) * 64,
        "latin1.csv": "event_date,location,notes\n2024-01-02,Peshawar,caf\xe9 na\xefve\n".encode("latin-1"),
        "utf16.csv": "\ufeffevent_date,location\n2024-01-02,Peshawar\n".encode("utf-16"),
        "huge-field.csv": b"event_date,notes\n2024-01-02," + b"x" * 400_000 + b"\n",
        "fake.xlsx": b"this is not a workbook",
        "truncated.xlsx": b"PK\x03\x04" + b"\x00" * 100,
        "bomb.yaml": (
            b'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n'
            b"c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
            b"e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
        ),
        "nan.csv": b"event_date,best,deaths_civilians\n2024-01-02,nan,inf\n2024-01-03,1e999,-5\n",
        "bad-date.yaml": b"framework:\n  code: X\n  title: X\n  start: 2025-02-30\n",
        "numbers.json": b'{"framework": {"code": "X", "version": NaN}}',
    }
    out = {}
    for name, data in files.items():
        (d / name).write_bytes(data)
        out[name] = d / name
    out["missing"] = d / "no-such-file.yaml"
    out["folder"] = d
    link_target = d / "outside.txt"
    link_target.write_text("keep me\n")
    (d / "link.csv").symlink_to(link_target)
    out["symlink"] = d / "link.csv"
    out["no-folder"] = d / "no" / "such" / "folder" / "out.csv"
    return out


HOSTILE_STRINGS = [
    "",
    "\x00",
    "x" * 5000,
    "nan",
    "-inf",
    "1e999",
    "-1",
    "2025-02-30",
    "../../../etc/passwd",
    "ضلع پشاور",
    '=HYPERLINK("http://127.0.0.1")',
]


def _values_for(param: Any, files: dict[str, Path], db_file: Path) -> list[str]:
    if _is_file_param(param):
        return [str(p) for p in files.values()] + [str(db_file)]
    choices = getattr(getattr(param, "type", None), "choices", None)
    if choices:
        return ["NOT-A-CHOICE", ""]
    return HOSTILE_STRINGS


def _mutations(base: list[str], cmd: Any, files: dict[str, Path], db_file: Path) -> Iterator[list[str]]:
    yield []  # no arguments at all
    yield base
    positional = [p for p in cmd.params if isinstance(p, TyperArgument)]
    # Positions of positional arguments in the example: the words that are not options or option values.
    value_taking = {o for p in cmd.params if isinstance(p, TyperOption) and not p.is_flag for o in p.opts}
    positions = []
    i = 0
    while i < len(base):
        if base[i] in value_taking:
            i += 2
            continue
        if not base[i].startswith("-"):
            positions.append(i)
        i += 1
    for param, pos in zip(positional, positions, strict=False):
        for value in _values_for(param, files, db_file):
            yield [*base[:pos], value, *base[pos + 1 :]]
    for param in cmd.params:
        if not isinstance(param, TyperOption) or param.is_flag or param.name == "help":
            continue
        for value in _values_for(param, files, db_file):
            given = [o for o in param.opts if o in base]
            if given:
                at = base.index(given[0])
                yield [*base[:at], given[0], value, *base[at + 2 :]]
            else:
                yield [*base, param.opts[0], value]


def _check(result: Any, argv: list[str]) -> None:
    shown = " ".join(repr(a) if len(a) < 60 else repr(a[:57] + "...") for a in argv)
    assert "Traceback" not in (result.output or ""), f"traceback for: {shown}\n{result.output}"
    assert result.exit_code != INTERNAL_ERROR, f"internal error for: {shown}\n{result.output}"
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), f"{shown}: {result.exception!r}"


def _database_opens(db_file: Path) -> None:
    con = sqlite3.connect(db_file)
    try:
        assert con.execute("select count(*) from alembic_version").fetchone()[0] >= 1
    finally:
        con.close()


@pytest.mark.slow
@pytest.mark.parametrize("path", sorted(COMMANDS), ids=lambda p: "-".join(p))
def test_command_survives_hostile_input(
    path: tuple[str, ...],
    templates: Any,
    tmp_path: Path,
    hostile_files: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)  # outputs named in examples land here
    if path in NETWORK:
        pytest.skip("reaches the network; refusals are tested in test_incidents_sync.py")
    cmd = COMMANDS[path]
    url = templates.copy("sqlite", "demo", tmp_path)
    db_file = tmp_path / "nigran.db"
    base = _example(path, cmd)
    for user in ("admin", None):
        for args in _mutations(base, cmd, hostile_files, db_file):
            argv = ["--db", url, *(["--as", user] if user else []), *path, *args, *ALWAYS.get(path, [])]
            result = runner.invoke(app, argv, env={"NIGRAN_USER": "", "NIGRAN_DEBUG": ""})
            _check(result, argv)
    _database_opens(db_file)
    assert (hostile_files["symlink"].resolve()).read_text() == "keep me\n", "wrote through a symlink"


@pytest.mark.parametrize("path", sorted(COMMANDS), ids=lambda p: "-".join(p))
def test_command_in_a_fresh_folder_creates_no_database(
    path: tuple[str, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a database every command answers clearly, and none but ``demo``/``db upgrade`` creates one."""
    if path in NETWORK:
        pytest.skip("reaches the network")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NIGRAN_DATABASE_URL", raising=False)
    creators = {("demo",), ("db", "upgrade"), ("db", "seed")}
    if path in creators:
        return
    argv = [*path, *_example(path, COMMANDS[path]), *ALWAYS.get(path, [])]
    result = runner.invoke(app, argv, env={"NIGRAN_USER": "", "NIGRAN_DATABASE_URL": ""})
    _check(result, argv)
    assert not (tmp_path / "nigran.db").exists(), f"{argv} created a database"
    if result.exit_code != 0:
        assert (
            "no Nigran database" in result.output
            or "file not found" in result.output
            or ("No such" in result.output or "does not exist" in result.output)
        ), result.output
