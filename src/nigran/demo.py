"""``nigran demo`` (the quickstart's main job) and ``nigran overview``.

The demo builds a complete embedded database — schema, reference data, the bundled frameworks and demo
users — idempotently, then prints the implementation overview.
"""

from __future__ import annotations

import hashlib
from functools import cache

import typer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nigran.access.classification import Classification
from nigran.access.models import User
from nigran.access.principal import Principal, Role
from nigran.cli_support import STATE, console, fail, principal, reporting_errors, session_as_user
from nigran.core.problems import InvalidInput
from nigran.policy.models import Framework
from nigran.storage.db import Database

#: Demo accounts: one per role, so every view of the system can be tried. Not real people.
DEMO_USERS = [
    ("admin", Role.ADMINISTRATOR, Classification.SECRET, None, "Demo administrator"),
    ("analyst", Role.ANALYST, Classification.RESTRICTED, None, "Demo NSD analyst"),
    ("reviewer", Role.REVIEWER, Classification.SECRET, None, "Demo NSD reviewer"),
    ("focal-kp", Role.FOCAL_PERSON, Classification.RESTRICTED, "KP", "Demo focal person, Khyber Pakhtunkhwa"),
    (
        "focal-moi",
        Role.FOCAL_PERSON,
        Classification.RESTRICTED,
        "MOI",
        "Demo focal person, Ministry of Interior",
    ),
    ("reader", Role.PUBLIC_READER, Classification.PUBLIC, None, "Demo public reader"),
]
#: The demo accounts' web passwords, printed by ``nigran demo``. They are public knowledge: a database with
#: the demo accounts is for trying Nigran out, and ``demo_blockers`` keeps them away from real data.
DEMO_PASSWORDS = {username: f"{username}-demo-pass" for username, *_ in DEMO_USERS}


def seed_demo(session: Session) -> list[str]:
    """Load everything the demo needs; returns what was newly loaded. Safe to run again."""
    from nigran.access.service import add_user
    from nigran.monitoring.demo import seed_demo_submissions
    from nigran.policy.service import load_document, read_document
    from nigran.reference import bundled_frameworks, load_admin_units, load_entities

    done = []
    load_admin_units(session)
    load_entities(session)
    loaded = set(session.scalars(select(Framework.code)))
    for path in bundled_frameworks():
        doc, problems = read_document(path.read_bytes(), str(path))
        if problems:
            raise InvalidInput(problems)
        if str(doc["framework"]["code"]) not in loaded:  # load_document validates it
            done.append(load_document(session, doc, str(path)).code)
    existing = set(session.scalars(select(User.username)))
    for username, role, clearance, entity, name in DEMO_USERS:
        if username not in existing:
            add_user(session, username, role=role, clearance=clearance, entity_code=entity, display_name=name)
    _set_demo_passwords(session)
    seed_demo_submissions(session)  # illustrative reporting cycles and submissions
    seed_demo_incidents(session)  # real UCDP events, public
    seed_demo_situation(session)
    return done


def seed_demo_situation(session: Session) -> None:
    """The monitors' published 2024 totals (for the assessment), the default alert rules evaluated on the
    latest month, and the example foresight register with its signposts checked. Each step is idempotent."""
    from nigran.alerts.evaluate import evaluate
    from nigran.alerts.rules import load_default_rules
    from nigran.assessment.service import load_bundled_figures
    from nigran.foresight.service import load_example
    from nigran.foresight.signposts import check

    load_bundled_figures(session)
    load_default_rules(session)
    evaluate(session, None)
    load_example(session)
    check(session)


#: The demo's incidents: the real UCDP GED 22.1 events in Pakistan (CC BY 4.0; data/demo/README.md).
DEMO_INCIDENTS = ("demo", "ged221_pakistan.csv.gz")
DEMO_INCIDENTS_NAME = "ged221_pakistan.csv"  # what the import records; the version (22.1) comes from it


def demo_incidents_bytes() -> bytes:
    """The bundled extract, uncompressed (3.4 MB; kept compressed in the package, not cached in memory)."""
    import gzip

    from nigran.core.paths import data_path

    return gzip.decompress(data_path(*DEMO_INCIDENTS).read_bytes())


def _demo_batches(session: Session) -> list[int]:
    """The import batches that wrote the bundled extract (recognised by its content, not its name)."""
    from nigran.incidents.models import ImportBatch

    return list(session.scalars(select(ImportBatch.id).where(ImportBatch.file_sha256 == _demo_digest())))


@cache
def _demo_digest() -> str:
    return hashlib.sha256(demo_incidents_bytes()).hexdigest()


def seed_demo_incidents(session: Session) -> bool:
    """Import the real UCDP events as the demo's public incidents, through the same importer as any file;
    False when an earlier run already did (re-importing would change nothing and cost a second)."""
    from nigran.incidents.importer import import_stream

    if _demo_batches(session):
        return False
    import_stream(session, demo_incidents_bytes(), DEMO_INCIDENTS_NAME, "ucdp-ged")
    return True


def _set_demo_passwords(session: Session) -> None:
    """Give each demo account without a password its demo password (Argon2id hash), for web sign-in."""
    from nigran.access.service import set_password

    for user in session.scalars(select(User).where(User.username.in_(list(DEMO_PASSWORDS)))):
        if user.password_hash is None:
            set_password(session, user.username, DEMO_PASSWORDS[user.username])


def demo_blockers(session: Session) -> list[str]:
    """What in this database is not the demo's: accounts other than the demo's, frameworks that are not
    bundled, incidents other than the demo's own. The demo adds known accounts (a SECRET administrator among
    them) and illustrative figures, which do not belong beside real data."""
    from nigran.incidents.models import Incident
    from nigran.reference import bundled_framework_codes

    found = []
    demo_names = {u[0] for u in DEMO_USERS}
    users = [name for name in session.scalars(select(User.username)) if name not in demo_names]
    if users:
        found.append(_count(len(users), "account") + " other than the demo's")
    bundled = bundled_framework_codes()
    frameworks = [c for c in session.scalars(select(Framework.code)) if c not in bundled]
    if frameworks:
        found.append(_count(len(frameworks), "framework") + " that the demo does not bundle")
    demo_batches = _demo_batches(session)
    incidents = (
        session.scalar(
            select(func.count(Incident.id)).where(
                Incident.import_batch_id.is_(None) | Incident.import_batch_id.not_in(demo_batches)
            )
        )
        or 0
    )
    if incidents:
        found.append(_count(incidents, "incident"))
    return found


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def demo(
    force: bool = typer.Option(
        False, "--force", help="Add the demo to a database that already holds other users or data"
    ),
    serve: bool = typer.Option(True, "--serve/--no-serve", help="Serve the web application when ready"),
    host: str = typer.Option("127.0.0.1", "--host", help="Address the web application listens on"),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port the web application listens on"),
) -> None:
    """Create the embedded database with the bundled frameworks and demo data, print the overview and the
    demo accounts' passwords, then serve the web application (``--no-serve``: only prepare the database).

    On an existing database the demo is administrative: it needs --as an administrator (once the database
    has users), and --force if the database holds anything but the demo.

    Example: nigran demo --no-serve
    """
    from nigran.storage.cli import require_admin_of_existing

    db = STATE.create_db()
    new = require_admin_of_existing(db, "add the demo to an existing database")
    with console.status("Preparing the database: schema, reference data, frameworks, demo submissions…"):
        db.upgrade()
        if not new and not force:
            with db.session(Principal.system(), readonly=True) as session:
                blockers = demo_blockers(session)
            if blockers:
                fail(
                    f"this database already holds {'; '.join(blockers)}: the demo's accounts and "
                    "illustrative figures do not belong beside them. Nothing was added; use --force to add "
                    "the demo anyway, or point --db at a new file",
                    5,
                )
        with db.session(Principal.system()) as session:
            loaded = seed_demo(session)
    if loaded:
        console.print(f"loaded frameworks: {', '.join(loaded)}")
    console.print(f"database: {db.url}")
    overview()
    _print_sign_in(host, port)
    if serve:
        from nigran.web.cli import serve as serve_app

        _forecast_in_background(db)

        serve_app(host=host, port=port, workers=1, jobs=True)


def _forecast_in_background(db: Database) -> None:
    """Make the demo's first forecast run while the server starts (about half a minute on two cores); the
    risk pages say "no forecast yet" until it is stored. Later runs come from the schedule."""
    import logging
    import threading

    def run() -> None:
        from nigran.risk.forecast import refresh

        try:
            refresh(db, trigger="demo")
        except Exception:  # the server keeps running; the schedule tries again in ten minutes
            logging.getLogger("nigran.demo").exception("the demo's first forecast failed")

    threading.Thread(target=run, name="demo-forecast", daemon=True).start()


def _print_sign_in(host: str, port: int) -> None:
    from rich import box
    from rich.table import Table

    table = Table("user", "password", "role", box=box.SIMPLE_HEAD, pad_edge=False, title_justify="left")
    table.title = f"Web sign-in at http://{host}:{port}/login (demo accounts)"
    for username, role, clearance, entity, _ in DEMO_USERS:
        table.add_row(
            username, DEMO_PASSWORDS[username], f"{role.value} {clearance.name} {entity or ''}".strip()
        )
    console.print(table)


def overview() -> None:
    """Print the implementation overview of every framework you may see.

    Example: nigran --as analyst overview
    """
    from rich import box
    from rich.table import Table

    from nigran.monitoring.overview import overview as compute

    with reporting_errors(), session_as_user() as session:
        who = principal(session)
        rows = compute(session)
    table = Table(title="Implementation overview", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for name in ("framework", "score", "status", "obj. met", "actions", "ms. late", "reported"):
        table.add_column(name, justify="left" if name in ("framework", "status") else "right", no_wrap=True)
    for r in rows:
        total = sum(r.actions_by_status.values())
        table.add_row(
            f"[bold]{r.code}[/bold]",
            _pct(r.score),
            r.score_status.replace("_", " "),
            f"{r.objectives_achieved}/{r.objectives}",
            f"{r.actions_by_status.get('completed', 0)}/{total}",
            f"{r.milestones_overdue}/{r.milestones}",
            f"{_pct(r.completeness)} ({_pct(r.timeliness)})",
        )
    console.print(table)
    for r in rows:
        period = "" if str(r.period) in r.title else f", {r.period}"  # titles often name their years already
        indicators = f"{r.indicators} indicator{'' if r.indicators == 1 else 's'}"
        console.print(f"  {r.code}: {r.title}{period}; {indicators}; cycle {r.score_cycle}")
    console.print(
        "  actions: completed/all · ms. late: overdue milestones/all · reported: share of owed reports "
        "received (share on time)"
    )
    console.print(
        f"Seen as {who.username} ({who.role.value}, clearance {who.clearance.name}). Scores use verified "
        "values only (docs/methodology.md). Indicator values marked illustrative are demo data, not official "
        "figures."
    )
    if who.clearance < Classification.SECRET:
        console.print("Records above this clearance are not counted. Try: nigran --as admin overview")
    console.print("Next:  nigran score --framework NSP-2022 --by section\n       nigran report annual --help")


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.0f}%"
