"""``nigran framework …``: load, validate, list, show, export, derive and diff policy frameworks."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import typer
from rich.table import Table
from rich.tree import Tree

from nigran.cli_support import console, fail, print_problems, reporting_errors, session_as_user
from nigran.core.yamldoc import dump_yaml
from nigran.policy import service
from nigran.policy.derive import diff_documents

app = typer.Typer(
    help="Policy frameworks (NSP, NAP, …) as sections, objectives, indicators, actions and milestones.\n\n"
    "Example: nigran framework list",
    no_args_is_help=True,
)


@app.command("validate")
def validate(file: Path = typer.Argument(..., help="A framework file (.yaml, .json or .xlsx)")) -> None:
    """Check a framework file and print every problem as FILE:LINE: message; exits 2 if there is any.

    Example: nigran framework validate my-framework.yaml
    """
    with reporting_errors(), session_as_user() as session:
        _, problems = service.validate_path(file, session)
        session.rollback()  # validation never writes
    if problems:
        print_problems(problems)
        raise typer.Exit(2)
    console.print(f"{file}: valid")


@app.command("load")
def load(files: list[Path] = typer.Argument(..., help="Framework files (.yaml, .json or .xlsx)")) -> None:
    """Validate and load frameworks, each in one transaction: a file with any problem writes nothing.

    Example: nigran --as admin framework load src/nigran/data/frameworks/nsp-2022.yaml
    """
    for file in files:
        with reporting_errors(), session_as_user() as session:
            framework = service.load_path(session, file)
            console.print(f"loaded {framework.code}: {framework.title}")


@app.command("list")
def list_(fmt: str = typer.Option("table", "--format", help="table | json")) -> None:
    """List the frameworks you may see, with counts of what you may see in them.

    Example: nigran framework list --format json
    """
    with reporting_errors(), session_as_user() as session:
        rows = service.list_frameworks(session)
    if fmt == "json":
        typer.echo(json.dumps([r.__dict__ for r in rows], indent=2, ensure_ascii=False))
        return
    table = Table("code", "title", "period", "v", "class.", "sections", "objectives", "indicators", "actions")
    for r in rows:
        table.add_row(
            r.code,
            r.title,
            r.period,
            str(r.version),
            r.classification,
            str(r.sections),
            str(r.objectives),
            str(r.indicators),
            str(r.actions),
        )
    console.print(table)


@app.command("show")
def show(
    code: str, depth: int = typer.Option(3, help="1 sections, 2 objectives, 3 indicators and actions")
) -> None:
    """Print a framework as a tree.

    Example: nigran framework show NSP-2022 --depth 2
    """
    with reporting_errors(), session_as_user() as session:
        doc = service.export_document(session, code)["framework"]
    tree = Tree(f"[bold]{doc['code']}[/bold] {doc['title']} ({doc['classification']})")

    def add(branch: Tree, node: dict[str, Any], level: int) -> None:
        mark = f" [red]{node['classification']}[/red]" if node.get("classification") else ""
        sub = branch.add(f"[cyan]{node['code']}[/cyan] {node.get('title') or node.get('name')}{mark}")
        if level >= depth:
            return
        for key in ("sections", "objectives", "indicators", "actions"):
            for child in node.get(key) or []:
                add(sub, child, level + (0 if key == "sections" else 1))

    for section in doc["sections"]:
        add(tree, section, 1)
    console.print(tree)


def _json_default(value: object) -> str:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


@app.command("export")
def export(
    code: str,
    fmt: str = typer.Option("yaml", "--format", help="yaml | json | xlsx"),
    output: Path | None = typer.Option(None, "--output", "-o", help="File to write (required for xlsx)"),
) -> None:
    """Export a framework as you may see it; the file loads back without loss.

    Example: nigran framework export NSP-2022 --format xlsx -o nsp.xlsx
    """
    if fmt not in ("yaml", "json", "xlsx"):
        fail(f"unknown format {fmt!r} (yaml, json or xlsx)")
    with reporting_errors(), session_as_user() as session:
        doc = service.export_document(session, code)
    if fmt == "xlsx":
        from nigran.policy.excel import document_to_workbook

        if output is None:
            fail("--output is required for xlsx")
        document_to_workbook(doc).save(output)  # type: ignore[arg-type]
        console.print(f"wrote {output}")
        return
    text = (
        dump_yaml(doc)
        if fmt == "yaml"
        else json.dumps(doc, indent=2, ensure_ascii=False, default=_json_default)
    )
    if output:
        output.write_text(text, encoding="utf-8")
        console.print(f"wrote {output}")
    else:
        typer.echo(text)


@app.command("derive")
def derive(
    old: str,
    new: str,
    title: str | None = typer.Option(None, help="Title of the new framework"),
    start: str | None = typer.Option(None, help="Start of the new period, YYYY-MM-DD"),
    end: str | None = typer.Option(None, help="End of the new period, YYYY-MM-DD"),
) -> None:
    """Start the next policy cycle from the previous one: structure kept, unfinished actions carried over.

    Example: nigran --as admin framework derive NSP-2022 NSP-2027 --start 2027-01-01 --end 2031-12-31
    """
    try:
        s, e = (date.fromisoformat(v) if v else None for v in (start, end))
    except ValueError as exc:
        fail(f"bad date: {exc}")
    with reporting_errors(), session_as_user() as session:
        fw = service.derive(session, old, new, title=title, start=s, end=e)
        console.print(f"derived {fw.code} ({fw.period_start}..{fw.period_end}) from {old}")


@app.command("diff")
def diff(a: str, b: str, fmt: str = typer.Option("text", "--format", help="text | json")) -> None:
    """Show what was added, removed and changed between two frameworks (items matched by code).

    Example: nigran framework diff NAP-2014 NAP-2021
    """
    with reporting_errors(), session_as_user() as session:
        changes = diff_documents(service.export_document(session, a), service.export_document(session, b))
    if fmt == "json":
        typer.echo(
            json.dumps([c.__dict__ for c in changes], indent=2, ensure_ascii=False, default=_json_default)
        )
        return
    for change in changes:
        typer.echo(str(change))
    counts = {k: sum(c.change == k for c in changes) for k in ("added", "removed", "changed")}
    typer.echo(f"{counts['added']} added, {counts['removed']} removed, {counts['changed']} changed")
