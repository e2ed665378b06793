"""``nigran alerts …``: evaluate the rules, list, show, acknowledge and close alerts, manage rules and
subscriptions, and deliver pending alerts (``send``, which reaches the network)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from nigran.access.classification import Classification
from nigran.cli_support import STATE, console, new_table, read_input, session_as_user
from nigran.core.jsonout import dumps

app = typer.Typer(
    help="Alerts: escalation against each district's own baseline, forecast and indicator thresholds; the "
    "inbox, acknowledgement, subscriptions and delivery by email and webhook.\n\n"
    "Example: nigran --as analyst alerts evaluate --month 2021-06",
    no_args_is_help=True,
)
rules_app = typer.Typer(help="Alert rules: list them, or load them from YAML.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")


def _fmt(value: str) -> str:
    fmt = value.strip().lower()
    if fmt not in ("table", "json"):
        from nigran.core.problems import InvalidInput, Problem

        raise InvalidInput([Problem(0, f"unknown format {value!r} (one of table, json)", "--format")])
    return fmt


def _num(value: float | None, pattern: str = "{:g}") -> str:
    return "—" if value is None else pattern.format(value)


@app.command("evaluate")
def evaluate_cmd(
    month: str | None = typer.Option(
        None, "--month", help="YYYY-MM (default: the latest month with incidents)"
    ),
) -> None:
    """Evaluate every enabled rule for a month; alerts are updated, never duplicated.

    Example: nigran --as analyst alerts evaluate --month 2021-06
    """
    from nigran.alerts.evaluate import evaluate

    with console.status("evaluating the alert rules…"), session_as_user() as session:
        found = evaluate(session, month)
        rows = [(a.id, a.severity, a.month, a.unit_name or a.unit_code, a.band) for a in found]
    console.print(
        f"{len(rows)} alerts raised or updated (the ones you may see).", highlight=False, markup=False
    )
    if rows:
        table = new_table("id", "severity", "month", "unit", "band", numeric=("id",), keep=("month",))
        for r in rows:
            table.add_row(str(r[0]), r[1], r[2], str(r[3]), r[4])
        console.print(table)


@app.command("list")
def list_cmd(
    status: str | None = typer.Option(None, "--status", help="open | acknowledged | closed | withdrawn"),
    unit: str | None = typer.Option(None, "--unit", help="District or province code or name"),
    month: str | None = typer.Option(None, "--month", help="YYYY-MM"),
    kind: str | None = typer.Option(None, "--kind", help="escalation | forecast | indicator"),
    fmt: str = typer.Option("table", "--format", help="table | json"),
) -> None:
    """The alerts you may see, newest month first (one per rule, unit and month).

    Example: nigran --as analyst alerts list --status open
    """
    from nigran.alerts.service import AlertQuery, alert_dict, list_alerts

    fmt = _fmt(fmt)
    with session_as_user(readonly=True) as session:
        found = list_alerts(session, AlertQuery(status=status, unit=unit, month=month, kind=kind))
        items = [alert_dict(a, full=False) for a in found]
    if fmt == "json":
        typer.echo(dumps(items))
        return
    if not items:
        console.print("No alerts.")
        return
    table = new_table(
        "id",
        "level",
        "sev.",
        "status",
        "month",
        "unit",
        "band",
        "value",
        "base",
        numeric=("id", "value", "base"),
        keep=("month",),
    )
    for a in items:
        table.add_row(
            str(a["id"]),
            a["classification"][:1],
            a["severity"],
            a["status"],
            a["month"],
            str(a["unit_name"] or a["unit_code"]),
            a["band"],
            _num(a["value"]),
            _num(a["baseline"], "{:.1f}"),
        )
    console.print(table)


@app.command("show")
def show_cmd(
    alert_id: int = typer.Argument(..., help="The alert's id"),
    fmt: str = typer.Option("text", "--format", help="text | json"),
) -> None:
    """One alert with its evidence (figures, baseline, incident or submission ids) and its handling.

    Example: nigran --as analyst alerts show 3
    """
    from nigran.alerts.service import alert_dict, get_alert

    if fmt.strip().lower() not in ("text", "json"):
        from nigran.core.problems import InvalidInput, Problem

        raise InvalidInput([Problem(0, f"unknown format {fmt!r} (one of text, json)", "--format")])
    with session_as_user(readonly=True) as session:
        data = alert_dict(get_alert(session, alert_id))
    if fmt.strip().lower() == "json":
        typer.echo(dumps(data))
        return
    console.print(
        f"[bold]Alert {data['id']}[/bold] ({data['classification']}): {escape(data['title'])}",
        highlight=False,
    )
    for key in (
        "rule",
        "kind",
        "unit_code",
        "unit_name",
        "month",
        "severity",
        "band",
        "measure",
        "value",
        "baseline",
        "change_pct",
        "status",
        "acknowledged_by",
        "acknowledged_at",
        "ack_note",
        "closed_by",
        "closed_at",
    ):
        value = data[key]
        console.print(f"  {key}: {'—' if value is None else value}", highlight=False, markup=False)
    console.print(f"  evidence: {dumps(data['evidence'], indent=None)}", highlight=False, soft_wrap=True)


@app.command("ack")
def ack_cmd(
    alert_id: int = typer.Argument(..., help="The alert's id"),
    note: str = typer.Option(..., "--note", help="What is being done about it"),
) -> None:
    """Acknowledge an alert with a note (who and when are recorded).

    Example: nigran --as analyst alerts ack 3 --note "District office informed"
    """
    from nigran.alerts.service import acknowledge

    with session_as_user() as session:
        alert = acknowledge(session, alert_id, note)
        line = f"alert {alert.id} acknowledged by {alert.acknowledged_by}"
    console.print(line, highlight=False, markup=False)


@app.command("close")
def close_cmd(
    alert_id: int = typer.Argument(..., help="The alert's id"),
    note: str | None = typer.Option(None, "--note", help="Why it is closed"),
) -> None:
    """Close an alert.

    Example: nigran --as analyst alerts close 3 --note "Situation stabilised"
    """
    from nigran.alerts.service import close

    with session_as_user() as session:
        alert = close(session, alert_id, note)
        line = f"alert {alert.id} closed by {alert.closed_by}"
    console.print(line, highlight=False, markup=False)


@rules_app.command("list")
def rules_list(fmt: str = typer.Option("table", "--format", help="table | json | yaml")) -> None:
    """The alert rules you may see.

    Example: nigran --as analyst alerts rules list
    """
    from nigran.alerts.rules import export_rules, list_rules

    fmt = fmt.strip().lower()
    if fmt not in ("table", "json", "yaml"):
        from nigran.core.problems import InvalidInput, Problem

        raise InvalidInput([Problem(0, f"unknown format {fmt!r} (one of table, json, yaml)", "--format")])
    with session_as_user(readonly=True) as session:
        if fmt == "yaml":
            typer.echo(export_rules(session), nl=False)
            return
        rules = [
            {
                "id": r.id,
                "code": r.code,
                "name": r.name,
                "kind": r.kind,
                "severity": r.severity,
                "enabled": r.enabled,
                "classification": Classification.parse(r.classification).name,
                "params": r.params,
            }
            for r in list_rules(session)
        ]
    if fmt == "json":
        typer.echo(dumps(rules))
        return
    if not rules:
        console.print("No rules: load some with `nigran alerts rules load FILE` (or --defaults).")
        return
    table = new_table("id", "code", "kind", "sev.", "on", "level", "name", numeric=("id",), keep=("code",))
    for r in rules:
        table.add_row(
            str(r["id"]),
            r["code"],
            r["kind"],
            r["severity"],
            "yes" if r["enabled"] else "no",
            r["classification"][:1],
            r["name"],
        )
    console.print(table)


@rules_app.command("load")
def rules_load(
    file: Path | None = typer.Argument(None, help="A YAML file with 'rules: [...]'"),
    defaults: bool = typer.Option(False, "--defaults", help="Load Nigran's default rule set"),
) -> None:
    """Add rules from YAML, or update those whose code exists (problems are listed with their lines).

    Example: nigran --as analyst alerts rules load --defaults
    """
    from nigran.alerts.rules import DEFAULT_RULES, load_rules
    from nigran.core.problems import InvalidInput, Problem

    if (file is None) == (not defaults):
        raise InvalidInput([Problem(0, "name a FILE or give --defaults (one of the two)", "FILE")])
    path = DEFAULT_RULES if defaults else file
    assert path is not None
    data = read_input(path)
    with session_as_user() as session:
        added, updated = load_rules(session, data, str(path))
    console.print(f"{added} rules added, {updated} updated.", highlight=False, markup=False)


@app.command("subscribe")
def subscribe_cmd(
    channel: str = typer.Option(..., "--channel", help="email | webhook"),
    address: str = typer.Option(..., "--address", help="An email address or an http(s) URL"),
    province: list[str] | None = typer.Option(
        None, "--province", help="Only alerts of this province (repeatable)"
    ),
    kind: list[str] | None = typer.Option(None, "--kind", help="Only these rule kinds (repeatable)"),
    min_severity: str = typer.Option("low", "--min-severity", help="low | medium | high"),
    secret: str | None = typer.Option(None, "--secret", help="Webhooks: sign the body with this HMAC key"),
) -> None:
    """Subscribe the acting user to new alerts (only alerts their clearance covers are ever sent).

    Example: nigran --as analyst alerts subscribe --channel email --address desk@example.org --province KP
    """
    from nigran.alerts.service import subscribe

    with session_as_user() as session:
        sub = subscribe(
            session,
            channel,
            address,
            provinces=list(province or []),
            rule_kinds=list(kind or []),
            min_severity=min_severity,
            secret=secret,
        )
        line = f"subscription {sub.id}: {sub.channel} to {sub.address}"
    console.print(line, highlight=False, markup=False)


@app.command("subscriptions")
def subscriptions_cmd(
    everyone: bool = typer.Option(False, "--all", help="Administrators: every user's subscriptions"),
) -> None:
    """Your subscriptions (administrators: --all for everyone's).

    Example: nigran --as analyst alerts subscriptions
    """
    from nigran.alerts.service import list_subscriptions, subscription_dict, usernames

    with session_as_user(readonly=True) as session:
        names = usernames(session)
        subs = [subscription_dict(s, names) for s in list_subscriptions(session, everyone=everyone)]
    if not subs:
        console.print("No subscriptions.")
        return
    table = new_table("id", "user", "channel", "address", "filters", numeric=("id",))
    for s in subs:
        filters = ", ".join([*s["provinces"], *s["rule_kinds"], f"≥{s['min_severity']}"])
        table.add_row(str(s["id"]), str(s["user"]), s["channel"], s["address"], filters)
    console.print(table)


@app.command("unsubscribe")
def unsubscribe_cmd(subscription_id: int = typer.Argument(..., help="The subscription's id")) -> None:
    """Remove one of your subscriptions (administrators: anyone's).

    Example: nigran --as analyst alerts unsubscribe 2
    """
    from nigran.alerts.service import unsubscribe

    with session_as_user() as session:
        unsubscribe(session, subscription_id)
    console.print(f"subscription {subscription_id} removed.", highlight=False, markup=False)


@app.command("send")
def send_cmd() -> None:
    """Deliver pending alerts by email and webhook (reaches the network; failures are retried later).

    Example: NIGRAN_SMTP_HOST=mail.local nigran --as admin alerts send
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from nigran.alerts.delivery import send_pending
    from nigran.alerts.evaluate import require_evaluator

    with session_as_user(readonly=True) as session:
        from nigran.access.guard import principal_of

        require_evaluator(principal_of(session))
    with Progress(
        TextColumn("sending"), BarColumn(), MofNCompleteColumn(), console=console, transient=True
    ) as bar:
        task = bar.add_task("send", total=None)
        report = send_pending(STATE.db, progress=lambda n, t: bar.update(task, completed=n, total=t))
    console.print(report.line(), highlight=False, markup=False)
    for line in report.errors[:20]:
        console.print(f"  {line}", highlight=False, markup=False)
