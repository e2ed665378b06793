"""``nigran framework …``: load, validate, list, show, export, derive and diff policy frameworks.

A thin adapter: it parses options, calls :mod:`nigran.policy.service`, and prints. Reads open read-only
sessions (on SQLite they take no write lock); files are written only through :mod:`nigran.core.outputs`.
"""

from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path
from typing import Any

import typer
from rich.tree import Tree

from nigran.cli_support import (
    FORCE_HELP,
    console,
    fail,
    pick_format,
    print_problems,
    read_input,
    session_as_user,
)
from nigran.core import jsonout, outputs
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

    The format is read from the file's suffix (.xlsx/.xlsm is a workbook, .yaml/.yml/.json text); a file
    with another suffix is a workbook if its content is one, else YAML or JSON.

    Example: nigran framework validate my-framework.yaml
    """
    data = read_input(file)
    with session_as_user(readonly=True) as session:
        _, problems = service.validate_bytes(data, str(file), session)
    if problems:
        print_problems(problems)
        raise typer.Exit(2)
    console.print(f"{file}: valid", highlight=False, soft_wrap=True)


@app.command("load")
def load(files: list[Path] = typer.Argument(..., help="Framework files (.yaml, .json or .xlsx)")) -> None:
    """Validate and load frameworks, each in one transaction: a file with any problem writes nothing.

    Example: nigran --as admin framework load src/nigran/data/frameworks/nsp-2022.yaml
    """
    for file in files:
        data = read_input(file)
        with session_as_user() as session:
            framework = service.load_bytes(session, data, str(file))
            console.print(f"loaded {framework.code}: {framework.title}", highlight=False)


def _period(summary: service.FrameworkSummary) -> str:
    start, end = summary.period.split("..")
    if start[4:] == "-01-01" and end[4:] == "-12-31":
        return f"{start[:4]}–{end[:4]}"
    return f"{start[:7]}–{end[:7]}"


COUNTS = ("sections", "objectives", "indicators", "actions")


def frameworks_table(rows: list[service.FrameworkSummary], width: int = 80) -> list[str]:
    """One line of codes and counts per framework, its title wrapped on the lines below: fits ``width``
    (80 columns by default) with no code, title or number ever cut."""
    cells = [
        [r.code, _period(r), *(f"{n:,}" for n in (r.sections, r.objectives, r.indicators, r.actions))]
        for r in rows
    ]
    header = ["code", "period", *COUNTS]
    widths = [max(len(line[i]) for line in [header, *cells]) for i in range(len(header))]

    def line(values: list[str]) -> str:
        left = [v.ljust(w) for v, w in zip(values[:2], widths[:2], strict=True)]
        right = [v.rjust(w) for v, w in zip(values[2:], widths[2:], strict=True)]
        return "  ".join(left + right).rstrip()

    out = [line(header), "─" * min(width, len(line(header)))]
    for r, values in zip(rows, cells, strict=True):
        out.append(line(values))
        level = "" if r.classification == "PUBLIC" else f" [{r.classification}]"
        title = f"{r.title}{level} (version {r.version})" if r.version != 1 else f"{r.title}{level}"
        out += textwrap.wrap(title, width=max(width, 20), initial_indent="  ", subsequent_indent="  ")
    return out


@app.command("list")
def list_(fmt: str = typer.Option("table", "--format", help="table | json")) -> None:
    """List the frameworks you may see, with counts of what you may see in them.

    Example: nigran framework list --format json
    """
    fmt = pick_format(fmt, None, ("table", "json"), "table")
    with session_as_user(readonly=True) as session:
        rows = service.list_frameworks(session)
    if fmt == "json":
        typer.echo(jsonout.dumps([r.__dict__ for r in rows], indent=2))
        return
    if not rows:
        typer.echo("no frameworks you may see")
        return
    for line in frameworks_table(rows, console.width):
        typer.echo(line)


@app.command("show")
def show(
    code: str = typer.Argument(..., help="Framework code (any case)"),
    depth: int = typer.Option(3, min=1, max=3, help="1 sections, 2 objectives, 3 indicators and actions"),
) -> None:
    """Print a framework as a tree.

    Example: nigran framework show NSP-2022 --depth 2
    """
    with session_as_user(readonly=True) as session:
        doc = service.export_document(session, code)["framework"]
    period = f"{doc['period']['start'].isoformat()} – {doc['period']['end'].isoformat()}"
    head = f"[bold]{doc['code']}[/bold] {doc['title']} ({period}, {doc['classification']})"
    if doc.get("predecessor"):
        head += f", succeeds {doc['predecessor']}"
    tree = Tree(head, highlight=False)

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
    console.print(tree, highlight=False)


@app.command("export")
def export(
    code: str = typer.Argument(..., help="Framework code (any case)"),
    fmt: str | None = typer.Option(
        None, "--format", help="yaml | json | xlsx (default: from the output file's suffix, else yaml)"
    ),
    output: Path | None = typer.Option(None, "--output", "-o", help="File to write (required for xlsx)"),
    force: bool = typer.Option(False, "--force", help=FORCE_HELP),
) -> None:
    """Export a framework as you may see it; the file loads back without loss. Without -o, print it.

    Example: nigran framework export NSP-2022 -o nsp.xlsx
    """
    fmt = pick_format(fmt, output, service.FRAMEWORK_FORMATS, "yaml")
    if output is None and fmt == "xlsx":
        fail("an xlsx workbook needs a file: give -o/--output FILE.xlsx", 2)
    if output is not None:
        outputs.check_target(output, force=force)  # fail before any work
    with session_as_user(readonly=True) as session:
        data = service.export_framework(session, code, fmt)
    if output is None:
        typer.echo(data.decode("utf-8"), nl=False)
        return
    outputs.write_bytes(output, data, force=force)
    console.print(f"wrote {output}", highlight=False, soft_wrap=True)


def _date_option(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError as exc:
        fail(f"--{name} {value!r} is not a date YYYY-MM-DD ({exc})", 2)
    return None


@app.command("derive")
def derive(
    old: str = typer.Argument(..., help="Code of the framework to start from (any case)"),
    new: str = typer.Argument(..., help="Code of the new framework"),
    title: str | None = typer.Option(None, help="Title of the new framework"),
    start: str | None = typer.Option(None, help="Start of the new period, YYYY-MM-DD"),
    end: str | None = typer.Option(None, help="End of the new period, YYYY-MM-DD"),
) -> None:
    """Start the next policy cycle from the previous one: structure kept, unfinished actions carried over.

    Example: nigran --as admin framework derive NSP-2022 NSP-2027 --start 2027-01-01 --end 2031-12-31
    """
    s, e = _date_option(start, "start"), _date_option(end, "end")
    with session_as_user() as session:
        fw = service.derive(session, old, new, title=title, start=s, end=e)
        period = f"{fw.period_start.isoformat()} – {fw.period_end.isoformat()}"
        console.print(f"derived {fw.code} ({period}) from {fw.predecessor.code}", highlight=False)


@app.command("diff")
def diff(
    a: str = typer.Argument(..., help="Code of the earlier framework (any case)"),
    b: str = typer.Argument(..., help="Code of the later framework (any case)"),
    fmt: str = typer.Option("text", "--format", help="text | json"),
) -> None:
    """Show what was added, removed and changed between two frameworks (items matched by code).

    Example: nigran framework diff NAP-2014 NAP-2021
    """
    fmt = pick_format(fmt, None, ("text", "json"), "text")
    with session_as_user(readonly=True) as session:
        changes = diff_documents(service.export_document(session, a), service.export_document(session, b))
    if fmt == "json":
        typer.echo(jsonout.dumps([c.__dict__ for c in changes], indent=2))
        return
    for change in changes:
        typer.echo(str(change))
    counts = {k: sum(c.change == k for c in changes) for k in ("added", "removed", "changed")}
    typer.echo(f"{counts['added']:,} added, {counts['removed']:,} removed, {counts['changed']:,} changed")
