"""``nigran incidents dedup …``: review candidate duplicates, merge, keep apart, unmerge."""

from __future__ import annotations

import json

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from nigran.cli_support import console, fail, new_table, reporting_errors, session_as_user
from nigran.core.wording import plural
from nigran.incidents import dedup
from nigran.incidents.dedup_models import IncidentKeepApart, IncidentMerge
from nigran.incidents.dedup_score import MIN_SCORE

app = typer.Typer(
    help="Find incidents reported more than once (by datasets and articles) and merge them, reversibly.\n\n"
    "Example: nigran --as analyst incidents dedup candidates --from 2024-08 --to 2024-08",
    no_args_is_help=True,
)


@app.command("candidates")
def candidates(
    date_from: str | None = typer.Option(None, "--from", help="YYYY, YYYY-MM or YYYY-MM-DD"),
    date_to: str | None = typer.Option(None, "--to", help="YYYY, YYYY-MM or YYYY-MM-DD"),
    province: str | None = typer.Option(
        None, "--province", help="Province code or name, e.g. PK-KP or Sindh"
    ),
    district: str | None = typer.Option(
        None, "--district", help="Code or name, e.g. Quetta: pairs with an incident there"
    ),
    event_type: list[str] | None = typer.Option(
        None, "--type", help="Pairs with an incident of one of these event types (repeatable)"
    ),
    actor: str | None = typer.Option(
        None, "--actor", help="Registry code, name or alias, e.g. TTP: pairs with an incident of it"
    ),
    min_score: float = typer.Option(MIN_SCORE, "--min-score", help="Lowest score shown (0-1)"),
    same_dataset: bool = typer.Option(
        False, "--same-dataset", help="Also pair records of one curated dataset (UCDP, ACLED, GTD)"
    ),
    limit: int = typer.Option(50, "--limit", help="Show at most this many pairs (0: all)"),
    fmt: str = typer.Option("table", "--format", help="table | json"),
) -> None:
    """List candidate duplicate pairs, best first, with the reason for every criterion.

    --from/--to/--province choose the incidents compared; --district/--type/--actor show a pair when at
    least one of its two incidents matches each of them (two sources of one event often disagree on them).

    Example: nigran --as analyst incidents dedup candidates --from 2024 --province PK-KP --type bombing
    """
    if fmt not in ("table", "json"):
        fail("--format is table or json")
    from nigran.incidents.filters import FilterText, resolve

    columns = (
        TextColumn("[bold]comparing districts"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with reporting_errors(), session_as_user(readonly=True) as session:
        # one resolver for every filter: codes, names and aliases, or an error listing the closest
        text = FilterText(date_from, date_to, province, district, tuple(event_type or ()), actor)
        f = resolve(session, text)
        with Progress(*columns, console=console, transient=True) as bar:
            task = bar.add_task("dedup", total=None)
            found = dedup.find_candidates(
                session, date_from=f.date_from, date_to=f.date_to, province=f.province, district=f.district,
                event_types=f.event_types, actor=f.actor, min_score=min_score, same_dataset=same_dataset,
                progress=lambda n, t: bar.update(task, completed=n, total=t),
            )  # fmt: skip
        shown = found[:limit] if limit else found
        if fmt == "json":
            out = [{"first_id": c.first_id, "second_id": c.second_id, "score": c.score, "reasons": c.reasons}
                   for c in shown]  # fmt: skip
            typer.echo(json.dumps(out, indent=2, ensure_ascii=False))
            return
        if not found:
            console.print("no candidate duplicates")
            return
        table = new_table("first", "second", "score", "why", numeric=("first", "second", "score"))
        for c in shown:
            table.add_row(str(c.first_id), str(c.second_id), f"{c.score:.2f}", "\n".join(c.reasons))
        console.print(table)
        console.print(
            f"{plural(len(found), 'candidate pair')}; merge with 'nigran incidents dedup merge ID ID', "
            "or dismiss with 'nigran incidents dedup keep-apart ID ID'"
        )


@app.command("merge")
def merge(
    ids: list[int] = typer.Argument(..., help="Incident ids; the first is kept as the survivor"),
    note: str | None = typer.Option(None, "--note", help="Why, for the record"),
    take: list[str] | None = typer.Option(
        None,
        "--take",
        help="FIGURE=ID: take a figure from an incident id or DATASET:SOURCE_ID of the group "
        "(repeatable); others are the largest any source gives",
    ),
) -> None:
    """Merge incidents into the first one: every source and figure is kept, analytics count the group once.

    The survivor's figures become the largest each member gives (a blank never erases a known figure),
    unless --take names the incident or source to take one from.

    Example: nigran --as analyst incidents dedup merge 1042 88311

    Example: nigran --as analyst incidents dedup merge 1042 88311 --take injured=gtd:201105120003
    """
    chosen: dict[str, str] = {}
    for item in take or []:
        figure, sep, ref = item.partition("=")
        if not sep or not figure.strip() or not ref.strip():
            fail(f"--take {item!r}: write FIGURE=ID, e.g. injured=88311 or injured=gtd:201105120003", 2)
        chosen[figure.strip()] = ref.strip()
    with reporting_errors(), session_as_user() as session:
        made = dedup.merge(session, ids, note=note, take=chosen)
        survivor = made[0].survivor_id if made else ids[0]
    n = len(made)
    console.print(f"merged {n} incident{'' if n == 1 else 's'} into {survivor}", highlight=False)


@app.command("keep-apart")
def keep_apart(
    first: int = typer.Argument(..., help="Incident id"),
    second: int = typer.Argument(..., help="Incident id"),
    note: str | None = typer.Option(None, "--note", help="Why, for the record"),
) -> None:
    """Record that two incidents are distinct events, so the pair is never proposed again.

    Example: nigran --as analyst incidents dedup keep-apart 1042 1043 --note "two blasts, same market"
    """
    with reporting_errors(), session_as_user() as session:
        dedup.keep_apart(session, first, second, note=note)
    console.print(f"incidents {first} and {second} will be kept apart")


@app.command("unmerge")
def unmerge(
    incident_id: int = typer.Argument(..., help="A merged duplicate, or a survivor (dissolves its group)"),
) -> None:
    """Undo a merge: the incident counts on its own again.

    Example: nigran --as analyst incidents dedup unmerge 88311
    """
    with reporting_errors(), session_as_user() as session:
        restored = dedup.unmerge(session, incident_id)
    console.print(f"unmerged {', '.join(map(str, restored))}")


@app.command("show")
def show(incident_id: int = typer.Argument(..., help="Any incident of the group")) -> None:
    """Show an incident's group (survivor first), every source, and the decisions taken on it.

    Example: nigran --as analyst incidents dedup show 1042
    """
    with reporting_errors(), session_as_user(readonly=True) as session:
        members = dedup.group(session, incident_id)
        table = new_table(
            "incident",
            "role",
            "date",
            "district",
            "type",
            "killed",
            "injured",
            numeric=("incident", "killed", "injured"),
        )
        for i, inc in enumerate(members):
            role = "survivor" if i == 0 else "duplicate"
            table.add_row(
                str(inc.id), role, str(inc.date), inc.district_code or "—", inc.event_type,
                _figure(inc.killed), _figure(inc.injured),
            )  # fmt: skip
        console.print(table)
        console.print("sources (their own figures: killed, injured):")
        for inc in members:
            for src in inc.sources:
                figures = f"{_figure(src.killed)}, {_figure(src.injured)}"
                console.print(f"  {inc.id}: {src.dataset}:{src.source_id} ({figures})", highlight=False)
        console.print("decisions:")
        for row in dedup.decisions(session, incident_id):
            console.print(f"  {_describe(row)}", highlight=False)


def _figure(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def _describe(row: IncidentMerge | IncidentKeepApart) -> str:
    when = f"{row.created_at:%Y-%m-%d %H:%M}"
    if isinstance(row, IncidentKeepApart):
        return f"{when} kept apart {row.first_id} and {row.second_id} ({row.decided_by})"
    undone = f", undone by {row.unmerged_by}" if row.unmerged_at else ""
    score = f" score {row.score:.2f}" if row.score is not None else ""
    return f"{when} merged {row.duplicate_id} into {row.survivor_id} ({row.merged_by}{score}){undone}"
