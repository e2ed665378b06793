"""``nigran foresight …``: load a register from YAML, list and show scenarios, check the signposts."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from nigran.cli_support import FORCE_HELP, console, new_table, read_input, session_as_user
from nigran.core.jsonout import dumps

app = typer.Typer(
    help="The foresight register: scenarios with drivers, key uncertainties and signposts tied to an "
    "indicator or an incident query, and when each signpost was crossed.\n\n"
    "Example: nigran --as analyst foresight load register.yaml",
    no_args_is_help=True,
)


def _fmt(value: str, allowed: tuple[str, ...]) -> str:
    fmt = value.strip().lower()
    if fmt not in allowed:
        from nigran.core.problems import InvalidInput, Problem

        raise InvalidInput(
            [Problem(0, f"unknown format {value!r} (one of {', '.join(allowed)})", "--format")]
        )
    return fmt


@app.command("load")
def load_cmd(file: Path = typer.Argument(..., help="A register in YAML ('scenarios: [...]')")) -> None:
    """Add the register's scenarios, or update those whose code exists (problems with their lines).

    Example: nigran --as analyst foresight load src/nigran/data/foresight/example.yaml
    """
    from nigran.foresight.service import load_register

    data = read_input(file)
    with session_as_user() as session:
        added, updated = load_register(session, data, str(file))
    console.print(f"{added} scenarios added, {updated} updated.", highlight=False, markup=False)


@app.command("export")
def export_cmd(
    output: Path = typer.Argument(..., help="The YAML file to write"),
    force: bool = typer.Option(False, "--force", help=FORCE_HELP),
) -> None:
    """Write the register you may see as YAML (loadable again).

    Example: nigran --as analyst foresight export register.yaml
    """
    from nigran.core.outputs import check_target, write_text
    from nigran.foresight.service import export_register

    check_target(output, force=force)
    with session_as_user(readonly=True) as session:
        text = export_register(session)
    write_text(output, text, force=force)
    console.print(f"written: {output}", highlight=False, markup=False)


@app.command("list")
def list_cmd(fmt: str = typer.Option("table", "--format", help="table | json")) -> None:
    """The scenarios you may see, with how many of their signposts are crossed.

    Example: nigran --as analyst foresight list
    """
    from nigran.foresight.service import list_scenarios, scenario_dict

    fmt = _fmt(fmt, ("table", "json"))
    with session_as_user(readonly=True) as session:
        items = [scenario_dict(s, signposts=fmt == "json") for s in list_scenarios(session)]
    if fmt == "json":
        typer.echo(dumps(items))
        return
    if not items:
        console.print("No scenarios.")
        return
    table = new_table(
        "id", "code", "level", "year", "crossed", "title", numeric=("id", "year"), keep=("code",)
    )
    for s in items:
        table.add_row(
            str(s["id"]),
            s["code"],
            s["classification"][:1],
            str(s["horizon_year"] or "—"),
            f"{s['crossed']}/{s['signposts_total']}",
            s["title"],
        )
    console.print(table)


@app.command("show")
def show_cmd(
    scenario_id: int = typer.Argument(..., help="The scenario's id"),
    fmt: str = typer.Option("text", "--format", help="text | json"),
) -> None:
    """One scenario: narrative, drivers, uncertainties, and each signpost with its crossings and evidence.

    Example: nigran --as analyst foresight show 1
    """
    from nigran.foresight.service import get_scenario, scenario_dict

    fmt = _fmt(fmt, ("text", "json"))
    with session_as_user(readonly=True) as session:
        data = scenario_dict(get_scenario(session, scenario_id))
    if fmt == "json":
        typer.echo(dumps(data))
        return
    console.print(
        f"[bold]{escape(data['code'])}: {escape(data['title'])}[/bold] ({data['classification']})",
        highlight=False,
    )
    if data["narrative"]:
        console.print(data["narrative"], highlight=False, markup=False)
    for label, key in (("Drivers", "drivers"), ("Key uncertainties", "uncertainties")):
        console.print(f"{label}: " + ("; ".join(data[key]) or "—"), highlight=False)
    for sp in data["signposts"]:
        value = "—" if sp["last_value"] is None else f"{sp['last_value']:g}"
        console.print(
            f"- {sp['code']} ({sp['status']}) {sp['description']} ({sp['measure']} {sp['comparison']} "
            f"{sp['threshold']:g}; last {value})",
            highlight=False,
        )
        for c in sp["crossings"]:
            ev = c["evidence"]
            ids = ev.get("incident_ids") or ev.get("submission_ids") or []
            console.print(
                f"    crossed {str(c['crossed_at'])[:16]}, {c['period']}: {c['value']:g} "
                f"(evidence: {', '.join(map(str, ids[:10]))}{'…' if len(ids) > 10 else ''})",
                highlight=False,
            )


@app.command("check")
def check_cmd() -> None:
    """Check every signpost and record new crossings (checking again records nothing new).

    Example: nigran --as analyst foresight check
    """
    from nigran.foresight.signposts import check

    with console.status("checking the signposts…"), session_as_user() as session:
        results = check(session)
    crossed = sum(1 for r in results if r.status == "crossed")
    new = sum(1 for r in results if r.new_crossing)
    console.print(
        f"{len(results)} signposts checked: {crossed} crossed, {new} new crossings.", highlight=False
    )
