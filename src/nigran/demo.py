"""``nigran demo`` (the quickstart's main job) and ``nigran overview``.

The demo builds a complete embedded database — schema, reference data, the bundled frameworks and demo
users — idempotently, then prints the implementation overview.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from nigran.access.classification import Classification
from nigran.access.models import User
from nigran.access.principal import Principal, Role
from nigran.cli_support import STATE, console, principal, reporting_errors, session_as_user
from nigran.core.problems import InvalidInput
from nigran.policy.models import Framework

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
        doc, problems = read_document(path)
        if problems:
            raise InvalidInput(problems)
        if str(doc["framework"]["code"]) not in loaded:  # load_document validates it
            done.append(load_document(session, doc, str(path)).code)
    existing = set(session.scalars(select(User.username)))
    for username, role, clearance, entity, name in DEMO_USERS:
        if username not in existing:
            add_user(session, username, role=role, clearance=clearance, entity_code=entity, display_name=name)
    seed_demo_submissions(session)  # illustrative reporting cycles and submissions
    return done


def demo() -> None:
    """Create the embedded database with the bundled frameworks and demo data, then print the overview.

    Example: nigran demo
    """
    with console.status("Preparing the database: schema, reference data, frameworks, demo submissions…"):
        STATE.create_db().upgrade()
        with reporting_errors(), STATE.db.session(Principal.system()) as session:
            loaded = seed_demo(session)
    if loaded:
        console.print(f"loaded frameworks: {', '.join(loaded)}")
    console.print(f"database: {STATE.db.url}")
    overview()


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
        console.print(f"  {r.code}: {r.title}, {r.period}; {r.indicators} indicators; cycle {r.score_cycle}")
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
    console.print("Next: nigran score --framework NSP-2022 --by section · nigran report annual --help")


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.0f}%"
