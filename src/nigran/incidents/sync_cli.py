"""``nigran incidents sync ucdp|acled``: Pakistan's events from an API, imported in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from nigran.access.classification import Classification
from nigran.cli_support import STATE, console, fail, reporting_errors, session_as_user
from nigran.core.wording import plural
from nigran.incidents import sync
from nigran.incidents.analytics import parse_period_bound

app = typer.Typer(
    help="Fetch incidents from the UCDP GED API or ACLED's API and import them like a downloaded file.\n\n"
    "Example: nigran --as analyst incidents sync ucdp --version 25.1 --from 2024",
    no_args_is_help=True,
)

FROM_HELP = "YYYY, YYYY-MM or YYYY-MM-DD"


def _bounds(date_from: str | None, date_to: str | None) -> tuple[date | None, date | None]:
    try:
        return parse_period_bound(date_from, end=False), parse_period_bound(date_to, end=True)
    except ValueError:
        fail("--from/--to take YYYY, YYYY-MM or YYYY-MM-DD")
        raise


def _level(classification: str) -> Classification:
    try:
        return Classification.parse(classification)
    except ValueError as exc:
        fail(str(exc))
        raise


def _run(label: str, call: Callable[..., sync.SyncResult], **kwargs: object) -> None:
    columns = (
        TextColumn(f"[bold]{label}[/bold] page"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[records]} records"),
        TimeElapsedColumn(),
    )
    with reporting_errors(), Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("pages", total=None, records=0)
        seen = {"records": 0}

        def advance(page: int, total: int | None, n: int) -> None:
            seen["records"] += n
            progress.update(task, completed=page, total=total, records=seen["records"])

        try:
            with session_as_user() as session:
                run = call(session, progress=advance, **kwargs)
        except sync.SyncError as exc:
            progress.stop()
            fail(f"{exc}; nothing was written")
            raise
    r = run.result
    assert r is not None
    console.print(
        f"{run.source} API: {plural(run.pages, 'page')}, "
        f"{plural(run.records, 'record')}; {r.inserted:,} inserted, "
        f"{r.updated} updated, {r.unchanged} unchanged, {r.skipped} out of scope"
        + (f" (batch {r.batch_id})" if r.batch_id else " (nothing written)")
    )


@app.command("ucdp")
def ucdp(
    version: str = typer.Option("25.1", "--version", help="GED release, e.g. 25.1"),
    token: str | None = typer.Option(
        None, "--token", help="UCDP API access token (default: UCDP_API_TOKEN)", show_default=False
    ),
    date_from: str | None = typer.Option(None, "--from", help=FROM_HELP),
    date_to: str | None = typer.Option(None, "--to", help=FROM_HELP + " (inclusive)"),
    classification: str = typer.Option("PUBLIC", "--classification", help="PUBLIC | RESTRICTED | SECRET"),
    api_url: str = typer.Option(sync.UCDP_URL, "--api-url", help="gedevents endpoint (a mirror)"),
) -> None:
    """Page through UCDP's GED API for Pakistan (Country=770) and import the events as that release.

    Example: UCDP_API_TOKEN=… nigran --as analyst incidents sync ucdp --version 25.1

    Example: nigran --as analyst incidents sync ucdp --token TOKEN --from 2024-01 --to 2024-06
    """
    low, high = _bounds(date_from, date_to)
    token = token or STATE.settings.ucdp_token
    if not token:
        fail("UCDP's API needs an access token: pass --token or set UCDP_API_TOKEN")
    _run(
        "UCDP",
        sync.sync_ucdp,
        token=token,
        version=version,
        date_from=low,
        date_to=high,
        classification=_level(classification),
        base=api_url,
    )


@app.command("acled")
def acled(
    key: str | None = typer.Option(
        None, "--key", help="Your ACLED API key (default: ACLED_API_KEY)", show_default=False
    ),
    email: str | None = typer.Option(
        None, "--email", help="Your ACLED account email (default: ACLED_EMAIL)", show_default=False
    ),
    date_from: str | None = typer.Option(None, "--from", help=FROM_HELP),
    date_to: str | None = typer.Option(None, "--to", help=FROM_HELP + " (inclusive)"),
    classification: str = typer.Option("PUBLIC", "--classification", help="PUBLIC | RESTRICTED | SECRET"),
    api_url: str = typer.Option(sync.ACLED_URL, "--api-url", help="read endpoint (a mirror)"),
) -> None:
    """Page through ACLED's API for Pakistan (5,000 rows a page) and import the events.

    Example: ACLED_API_KEY=… ACLED_EMAIL=me@example.org nigran --as analyst incidents sync acled --from 2024

    Example: nigran --as analyst incidents sync acled --key KEY --email me@example.org --from 2024-08
    """
    low, high = _bounds(date_from, date_to)
    key = key or STATE.settings.acled_key
    email = email or STATE.settings.acled_email
    if not key or not email:
        fail("ACLED's API needs your key and email: pass --key/--email or set ACLED_API_KEY/ACLED_EMAIL")
    _run(
        "ACLED",
        sync.sync_acled,
        key=key,
        email=email,
        date_from=low,
        date_to=high,
        classification=_level(classification),
        base=api_url,
    )
