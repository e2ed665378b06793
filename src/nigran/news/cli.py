"""``nigran news …``: ingest reports from files, folders and named URLs; list and show articles; feeds."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from nigran.access.classification import Classification
from nigran.cli_support import STATE, console, fail, new_table, pick_format, session_as_user
from nigran.core import jsonout
from nigran.core.problems import Problem
from nigran.core.wording import plural
from nigran.news import feeds as feed_service
from nigran.news import service
from nigran.news.readers import Document, folder_files, is_url, read_documents, read_file, read_url

app = typer.Typer(
    help="News reports: ingest files, folders, feeds and URLs; list articles; configure feeds.\n\n"
    "Example: nigran --as analyst news ingest reports/ --outlet Dawn",
    no_args_is_help=True,
)
feeds_app = typer.Typer(
    help="RSS/Atom feeds polled by the background jobs.\n\n"
    "Example: nigran --as analyst news feeds add dawn https://www.dawn.com/feeds/pakistan",
    no_args_is_help=True,
)
app.add_typer(feeds_app, name="feeds")


def _print_problems(problems: list[Problem], limit: int = 30) -> None:
    for problem in problems[:limit]:
        typer.echo(str(problem), err=True)
    if len(problems) > limit:
        typer.echo(f"… and {plural(len(problems) - limit, 'more problem')}", err=True)


@app.command("ingest")
def ingest(
    paths: list[str] = typer.Argument(..., help="Files, folders or http(s) URLs (URLs are fetched now)"),
    outlet: str | None = typer.Option(None, help="Outlet for documents that name none (e.g. Dawn)"),
    classification: str = typer.Option("PUBLIC", help="Level of the new articles"),
    all_or_nothing: bool = typer.Option(
        False, "--all-or-nothing", help="Store nothing if any document has a problem"
    ),
) -> None:
    """Store news reports once each (text, HTML, RSS/Atom, JSONL, folders, URLs); Urdu is set aside.

    A problem (a bad JSONL line, an unreadable file) is listed with its file and line and the exit status is
    2; the good documents are stored unless --all-or-nothing is given.

    Example: nigran --as analyst news ingest reports.jsonl --outlet Dawn
    """
    STATE.db  # noqa: B018  (no database: say so before reading or fetching anything)
    try:
        level = Classification.parse(classification)
    except ValueError as exc:
        fail(str(exc), 2)
        raise
    if outlet is not None and (not outlet.strip() or len(outlet) > 200 or "\x00" in outlet):
        fail("--outlet: 1 to 200 characters", 2)
    problems: list[Problem] = []
    skipped: list[str] = []
    documents: list[Document] = []
    work: list[tuple[str, Path | None, bool]] = []  # (URL, file, in a folder)
    for given in paths:
        path = Path(given)
        if is_url(given):
            work.append((given.strip(), None, False))
        elif path.is_dir():
            work += [("", file, True) for file in folder_files(path)]
        else:
            work.append(("", path, False))
    columns = (TextColumn("[bold]reading"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("read", total=len(work))
        for url, file, in_folder in work:
            if file is None:
                documents += read_url(url, problems)
            elif in_folder:
                documents += read_file(file, problems, skipped)
            else:
                documents += read_documents(file, problems)
            progress.advance(task)
    if all_or_nothing and problems:
        _print_problems(problems)
        n = plural(len(problems), "problem")
        typer.echo(f"{n} found; nothing was stored (--all-or-nothing).", err=True)
        raise typer.Exit(2)
    with session_as_user() as session:
        summary = service.ingest(
            session,
            documents,
            outlet=outlet.strip() if outlet else None,
            classification=level,
            summary=service.IngestSummary(problems=problems, skipped_files=skipped),
        )
    table = new_table(
        "documents",
        "stored",
        "set aside",
        "already stored",
        "problems",
        numeric=("documents", "stored", "set aside", "already stored", "problems"),
    )
    table.add_row(
        str(len(documents)),
        str(len(summary.stored)),
        str(summary.set_aside),
        str(summary.already_stored),
        str(len(problems)),
    )
    console.print(table)
    if summary.completed:
        console.print(
            f"{plural(summary.completed, 'stored article')} completed with a URL, outlet or date "
            "from the new copy",
            highlight=False,
        )
    if skipped:
        shown = ", ".join(skipped[:5]) + (" …" if len(skipped) > 5 else "")
        n = plural(len(skipped), "file")
        console.print(f"{n} skipped (not a news document): {shown}", highlight=False, markup=False)
    if problems:
        _print_problems(problems)
        typer.echo(f"{plural(len(problems), 'problem')} found; the other documents were stored.", err=True)
        raise typer.Exit(2)


@app.command("list")
def list_(
    status: str | None = typer.Option(None, help="new | extracted | set_aside | failed"),
    language: str | None = typer.Option(None, help="en, ur, und …"),
    outlet: str | None = typer.Option(None, help="Outlet name contains this"),
    date_from: str | None = typer.Option(None, "--from", help="Published on or after (YYYY-MM-DD)"),
    date_to: str | None = typer.Option(None, "--to", help="Published on or before (YYYY-MM-DD)"),
    limit: int = typer.Option(50, min=1, max=1000, help="How many, newest first"),
    fmt: str | None = typer.Option(None, "--format", help="table | json"),
) -> None:
    """List stored articles, newest publication first.

    Example: nigran --as analyst news list --status set_aside
    """
    chosen = pick_format(fmt, None, ("table", "json"), "table")
    filters = service.parse_filters(status, language, outlet, date_from, date_to)
    with session_as_user(readonly=True) as session:
        total = service.count_articles(session, filters)
        rows = [service.article_dict(a) for a in service.list_articles(session, filters, limit=limit)]
    if chosen == "json":
        typer.echo(jsonout.dumps({"items": rows, "total": total}))
        return
    table = new_table(
        "id", "published", "lang", "status", "outlet", "title", numeric=("id",), keep=("published",)
    )
    for r in rows:
        published = r["published"].isoformat() if r["published"] else "—"
        outlet_, title = r["outlet"] or "—", r["title"] or "—"
        table.add_row(str(r["id"]), published, r["language"], r["status"], outlet_, title)
    console.print(table)
    console.print(f"{len(rows)} of {plural(total, 'article')}", highlight=False)


@app.command("show")
def show(
    article_id: int = typer.Argument(..., help="The article's number"),
    fmt: str | None = typer.Option(None, "--format", help="text | json"),
) -> None:
    """Show one article: metadata, status and text.

    Example: nigran --as analyst news show 1
    """
    chosen = pick_format(fmt, None, ("text", "json"), "text")
    with session_as_user(readonly=True) as session:
        data = service.article_dict(service.get_article(session, article_id), with_text=True)
    if chosen == "json":
        typer.echo(jsonout.dumps(data))
        return
    typer.echo(f"article {data['id']}: {data['title'] or '(no title)'}")
    for key in (
        "outlet",
        "published",
        "url",
        "language",
        "status",
        "set_aside_reason",
        "source_kind",
        "external_id",
        "classification",
        "ingested_by",
    ):
        value = data[key]
        typer.echo(f"  {key}: {value if value is not None else '—'}")
    typer.echo("")
    typer.echo(data["text"])


@feeds_app.command("add")
def feeds_add(
    name: str = typer.Argument(..., help="A short name for the feed"),
    url: str = typer.Argument(..., help="The feed's http(s) address"),
    outlet: str | None = typer.Option(None, help="Outlet of its articles (default: the feed's title)"),
    interval: int = typer.Option(60, "--interval", help="Minutes between polls (5 to 10080)"),
) -> None:
    """Configure a feed; the background jobs poll it every --interval minutes.

    Example: nigran --as analyst news feeds add dawn https://www.dawn.com/feeds/pakistan --interval 30
    """
    with session_as_user() as session:
        feed = feed_service.add_feed(session, name, url, outlet=outlet, interval_minutes=interval)
        line = f"feed {feed.id} {feed.name!r} added: {feed.url}, every {feed.interval_minutes} minutes"
    console.print(line, highlight=False, markup=False)


@feeds_app.command("list")
def feeds_list(fmt: str | None = typer.Option(None, "--format", help="table | json")) -> None:
    """List the configured feeds with their last poll.

    Example: nigran --as analyst news feeds list
    """
    chosen = pick_format(fmt, None, ("table", "json"), "table")
    with session_as_user(readonly=True) as session:
        rows = [_feed_dict(f) for f in feed_service.list_feeds(session)]
    if chosen == "json":
        typer.echo(jsonout.dumps({"items": rows}))
        return
    table = new_table("id", "name", "every", "url", "last poll", numeric=("id", "every"))
    for r in rows:
        every, last = f"{r['interval_minutes']}m", r["last_status"] or "never"
        table.add_row(str(r["id"]), r["name"], every, r["url"], last)
    console.print(table)


def _feed_dict(feed: feed_service.Feed) -> dict[str, object]:
    return {
        "id": feed.id,
        "name": feed.name,
        "url": feed.url,
        "outlet": feed.outlet,
        "enabled": feed.enabled,
        "interval_minutes": feed.interval_minutes,
        "last_polled_at": feed.last_polled_at,
        "last_status": feed.last_status,
    }


@feeds_app.command("remove")
def feeds_remove(name: str = typer.Argument(..., help="The feed's name or id")) -> None:
    """Remove a feed; its articles stay.

    Example: nigran --as analyst news feeds remove dawn
    """
    with session_as_user() as session:
        removed = feed_service.remove_feed(session, name)
    console.print(f"feed {removed!r} removed; its articles stay", highlight=False, markup=False)


@feeds_app.command("poll")
def feeds_poll(
    name: str | None = typer.Argument(None, help="One feed (default: every enabled feed)"),
) -> None:
    """Fetch feeds now (this reaches the network) and store their new articles.

    Example: nigran --as analyst news feeds poll dawn
    """
    with session_as_user(readonly=True) as session:
        if name is not None:
            ids = [feed_service.get_feed(session, name).id]
        else:
            ids = [f.id for f in feed_service.list_feeds(session) if f.enabled]
    if not ids:
        console.print("no feeds configured", highlight=False)
        return
    failed = 0
    for feed_id in ids:
        with session_as_user() as session:
            feed = feed_service.get_feed(session, feed_id)
            result = feed_service.poll_feed(session, feed)
            console.print(f"{feed.name}: {feed.last_status}", highlight=False, markup=False)
            failed += result.status == "error"
    if failed:
        raise typer.Exit(1)
