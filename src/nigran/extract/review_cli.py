"""``nigran extract articles`` and ``nigran extract review …``: run the extractor on stored articles, and the
analysts' review queue (list, show with the evidence highlighted, accept with edits, reject)."""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from nigran.cli_support import console, fail, new_table, session_as_user
from nigran.core.jsonout import dumps
from nigran.core.problems import InvalidInput, Problem

review_app = typer.Typer(
    help="The review queue: what the extractor found, waiting for an analyst to accept, edit or reject.\n\n"
    "Example: nigran --as analyst extract review",
    invoke_without_command=True,
)

#: Colours of the evidence of each field in ``review show`` (rich styles; the legend names them).
STYLES = {
    "date": "bold blue",
    "province": "bold cyan",
    "district": "bold cyan",
    "place": "cyan",
    "event_type": "bold magenta",
    "perpetrator": "bold red",
    "claimed": "red",
    "victims_killed": "bold yellow",
    "militants_killed": "yellow",
    "injured": "bold green",
    "hostages": "green",
    "target": "bold white",
}


def _show(value: object) -> str:
    return "—" if value is None or value == "" else str(value)


def articles(
    ids: list[int] | None = typer.Argument(None, help="Article ids (all new articles with --all)"),
    every: bool = typer.Option(False, "--all", help="Every new article you may see"),
    jobs: bool = typer.Option(
        False, "--jobs", help="Submit background jobs of --batch-size articles instead of working here"
    ),
    batch_size: int = typer.Option(200, "--batch-size", help="Articles per background job (with --jobs)"),
) -> None:
    """Run the extractor on stored articles now: one candidate per incident found, matched against the
    incident database, waiting in the review queue. Articles already extracted are skipped.

    Example: nigran --as analyst extract articles --all

    Example: nigran --as analyst extract articles --all --jobs --batch-size 500
    """
    from nigran.extract import service, tasks

    if bool(ids) == every:
        raise InvalidInput([Problem(0, "give article ids or --all (not both)", "ARTICLE_ID")])
    if jobs:
        if not every:
            raise InvalidInput([Problem(0, "--jobs works on --all", "--jobs")])
        with session_as_user() as session:
            made = tasks.submit_batches(session, batch_size)
        console.print(
            f"{len(made)} job(s) submitted" + (f": {made[0]}–{made[-1]}" if made else " (no new articles)")
        )
        return
    extractor = service.default_extractor()
    columns = (TextColumn("[bold]extracting"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with session_as_user() as session, Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("extract", total=None)
        summary = service.extract_articles(
            session,
            None if every else list(ids or []),
            extractor=extractor,
            progress=lambda n, t: bar.update(task, completed=n, total=t),
        )
    console.print(summary.line(), highlight=False)
    for article_id, why in summary.failed.items():
        console.print(f"article {article_id}: {escape(why)}", highlight=False)


@review_app.callback()
def queue(
    ctx: typer.Context,
    status: str = typer.Option("pending", "--status", help="pending | accepted | rejected | all"),
    district: str | None = typer.Option(None, "--district", help="District as extracted, e.g. Quetta"),
    event_type: str | None = typer.Option(None, "--type", help="Event type, e.g. bombing"),
    limit: int = typer.Option(50, "--limit", help="Show at most this many (newest first)"),
    fmt: str = typer.Option("table", "--format", help="table | json"),
) -> None:
    """Without a command: list the queue (pending candidates, newest first).

    Example: nigran --as analyst extract review --district Quetta
    """
    if ctx.invoked_subcommand is not None:
        return
    from nigran.extract import service

    if fmt not in ("table", "json"):
        fail("--format is table or json", 2)
    if not 1 <= limit <= 10_000:
        fail("--limit is between 1 and 10000", 2)
    f = service.QueueFilters(None if status == "all" else status, district, event_type)
    with session_as_user(readonly=True) as session:
        rows, total = service.list_candidates(session, f, per_page=limit)
        if fmt == "json":
            typer.echo(dumps({"total": total, "candidates": [service.as_dict(session, c) for c in rows]}))
            return
        if not rows:
            console.print(f"no {'' if status == 'all' else status + ' '}candidates")
            return
        table = new_table(
            "id", "article", "date", "district", "type", "killed", "injured", "match",
            numeric=("id", "killed", "injured", "match"), keep=("date",),
        )  # fmt: skip
        for c in rows:
            v = service.effective(c)
            match = service.visible_match(session, c)
            killed = None if v["victims_killed"] is None else v["victims_killed"]
            table.add_row(
                str(c.id), escape((c.article.title or f"article {c.article_id}")[:60]), _show(v["date"]),
                escape(_show(v["district"])), _show(v["event_type"]), _show(killed), _show(v["injured"]),
                str(match.id) if match is not None else "—",
            )  # fmt: skip
    console.print(table)
    console.print(
        f"{total} candidate(s); 'killed' counts victims (civilians and security personnel). Show one with "
        "'nigran extract review show ID'",
        highlight=False,
    )


@review_app.command("show")
def show(candidate_id: int = typer.Argument(..., help="The candidate's id")) -> None:
    """The article with each field's evidence highlighted, the values, and the matched incident.

    Example: nigran --as analyst extract review show 12
    """
    from nigran.extract import service

    with session_as_user(readonly=True) as session:
        c = service.get_candidate(session, candidate_id)
        art = c.article
        v = service.effective(c)
        console.print(
            f"[bold]candidate {c.id}[/bold] ({c.status}) of article {art.id}: "
            f"{escape(art.title or '—')}\n"
            f"{escape(art.outlet or '')} {art.published or ''} {escape(art.url or '')}",
            highlight=False,
        )
        pieces = []
        for text, names in service.highlight(art.text or "", c.fields or {}):
            piece = escape(text)
            pieces.append(f"[{STYLES[names[0]]} underline]{piece}[/]" if names else piece)
        console.print("".join(pieces), highlight=False)
        table = new_table("field", "value", "extracted", "confidence", keep=("field",))
        conf = (c.fields or {}).get("confidence") or {}
        for name in service.FIELDS:
            given = (c.fields or {}).get(name)
            shown = escape(_show(v[name]))
            style = STYLES[name]
            table.add_row(
                f"[{style}]{name}[/]",
                shown,
                "" if v[name] == given else f"(was {escape(_show(given))})",
                f"{conf[name]:.2f}" if isinstance(conf.get(name), int | float) else "—",
            )
        console.print(table)
        match = service.visible_match(session, c)
        if match is None:
            console.print("no matching incident: accepting makes a new one", highlight=False)
        else:
            console.print(
                f"matches incident {match.id} (score {c.match_score:.2f}): {match.date} "
                f"{escape(match.district or '—')} {match.event_type}, killed {_show(match.killed)}, "
                f"injured {_show(match.injured)}; accepting adds this article as its source (--new: a new "
                "incident instead)",
                highlight=False,
            )
        if c.status != "pending":
            console.print(
                f"{c.status} by {c.reviewed_by} at {c.reviewed_at:%Y-%m-%d %H:%M}"
                + (f": {escape(c.review_note)}" if c.review_note else "")
                + (f"; incident {c.incident_id}" if c.incident_id else ""),
                highlight=False,
            )


def _edits(items: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise InvalidInput([Problem(0, f"{item!r}: write FIELD=VALUE, e.g. injured=12", "--set")])
        out[name.strip()] = value
    return out


@review_app.command("accept")
def accept(
    candidate_id: int = typer.Argument(..., help="The candidate's id"),
    set_: list[str] | None = typer.Option(
        None, "--set", help="FIELD=VALUE: correct a field first (repeatable; empty value: unknown)"
    ),
    new: bool = typer.Option(False, "--new", help="A new incident even if it matches a known one"),
    into: int | None = typer.Option(None, "--into", help="Add it as a source of this incident instead"),
    note: str | None = typer.Option(None, "--note", help="Why, for the record"),
) -> None:
    """Accept a candidate: a new incident, or another source of the incident it matches.

    Example: nigran --as analyst extract review accept 12 --set injured=14 --set district=Mastung

    Example: nigran --as analyst extract review accept 13 --into 4711 --note "same attack, later toll"
    """
    from nigran.extract import review

    edits = _edits(set_)
    with session_as_user() as session:
        d = review.accept(session, candidate_id, edits, note, new=new, into=into)
        incident_id = d.incident.id if d.incident is not None else None
        created = d.created
    if created:
        console.print(f"candidate {candidate_id} accepted: new incident {incident_id}", highlight=False)
    else:
        console.print(
            f"candidate {candidate_id} accepted: its article is now a source of incident {incident_id}",
            highlight=False,
        )


@review_app.command("reject")
def reject(
    candidate_id: int = typer.Argument(..., help="The candidate's id"),
    reason: str = typer.Option(..., "--reason", help="Why (kept for evaluating the extractor)"),
) -> None:
    """Reject a candidate; it is kept, with you, the time and the reason.

    Example: nigran --as analyst extract review reject 14 --reason "background mention of a 2023 attack"
    """
    from nigran.extract import review

    with session_as_user() as session:
        review.reject(session, candidate_id, reason)
    console.print(f"candidate {candidate_id} rejected", highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``articles`` and the ``review`` group to ``nigran extract``."""
    app.command("articles")(articles)
    app.add_typer(review_app, name="review")
