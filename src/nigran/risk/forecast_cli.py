"""``nigran forecast …``: backtest the models, make and store forecasts, show a district's, score old ones."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from nigran.cli_support import FORCE_HELP, console, err_console, new_table, pick_format, session_as_user
from nigran.core.cells import csv_writer
from nigran.core.errors import InvalidInput
from nigran.core.jsonout import dumps
from nigran.core.outputs import check_target, write_bytes
from nigran.core.problems import Problem

app = typer.Typer(
    help="District forecasts with honest backtests against the baselines.\n\n"
    "Example: nigran --as analyst forecast backtest --start 2012 --end 2021",
    no_args_is_help=True,
)
FORMATS = ("table", "json", "csv")
BASELINE_SHORT = {"zero": "zero", "no_change": "no-chg", "recent_average": "recent", "conflictology": "confl"}


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )  # fmt: skip  (stderr: stdout stays clean for --format json/csv)


def _horizons(text: str) -> tuple[int, ...]:
    try:
        found = tuple(sorted({int(p) for p in text.split(",") if p.strip()}))
    except ValueError:
        found = ()
    if not found or any(h not in (1, 2, 3) for h in found):
        raise InvalidInput([Problem(0, f"{text!r}: give horizons 1, 2 or 3, comma-separated", "--horizons")])
    return found


def _year(value: int | None, name: str) -> None:
    if value is not None and not 1900 <= value <= 2200:
        raise InvalidInput([Problem(0, f"{value} is not a plausible year", name)])


def _num(value: Any, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _csv(rows: list[dict[str, Any]], columns: list[str]) -> str:
    buf = io.StringIO()
    writer = csv_writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for r in rows:
        writer.writerow(["" if r.get(c) is None else r.get(c) for c in columns])
    return buf.getvalue()


def print_backtest(summary: dict[str, Any]) -> None:
    rows = summary["rows"]
    for measure in ("incidents", "fatalities"):
        table = new_table(
            "model", "h", "n", "CRPS", "ign", "IS90", "cov90", "Brier", "AP",
            numeric=("h", "n", "CRPS", "ign", "IS90", "cov90", "Brier", "AP"), keep=("model",),
            title=f"{measure}: mean scores (lower is better; cov90 should be near 0.90)",
        )  # fmt: skip
        for r in (r for r in rows if r["measure"] == measure):
            fatal = measure == "fatalities"
            table.add_row(
                r["model"], str(r["horizon"]), str(r["n"]), _num(r["crps"]), _num(r["ignorance"], 2),
                _num(r["interval90"], 1), _num(r["coverage90"], 2), _num(r["brier"]) if fatal else "",
                _num(r["ap"]) if fatal else "",
            )  # fmt: skip
        console.print(table)
        skill = new_table(
            "model",
            "h",
            *BASELINE_SHORT.values(),
            numeric=("h", *BASELINE_SHORT.values()),
            keep=("model",),
            title=f"{measure}: CRPS skill vs each baseline (1 − CRPS/CRPS(baseline); > 0 is better)",
        )
        for r in (r for r in rows if r["measure"] == measure):
            cells = [_num(r["skill"].get(b), 2) if b != r["model"] else "" for b in BASELINE_SHORT]
            skill.add_row(r["model"], str(r["horizon"]), *cells)
        console.print(skill)
    console.print(
        "P(fatal attack) = P(fatalities ≥ 1); Brier and AP score it. "
        f"Origins {summary['first_origin']}–{summary['last_origin']} ({summary['origins']}), "
        f"{summary['seconds']} s.",
        highlight=False,
    )
    console.print(summary["message"], style="bold", highlight=False)


def backtest_csv(summary: dict[str, Any]) -> str:
    flat = []
    for r in summary["rows"]:
        row = {k: v for k, v in r.items() if k != "skill"}
        row.update({f"skill_vs_{b}": v for b, v in r["skill"].items()})
        flat.append(row)
    columns = [
        "measure",
        "model",
        "horizon",
        "n",
        "crps",
        "ignorance",
        "interval90",
        "coverage90",
        "brier",
        "ap",
    ]
    columns += [f"skill_vs_{b}" for b in BASELINE_SHORT]
    return _csv(flat, columns)


@app.command("backtest")
def backtest_cmd(
    start: int | None = typer.Option(
        None, "--start", help="First origin year (default: 9 years before --end)"
    ),
    end: int | None = typer.Option(None, "--end", help="Last origin year (default: the data's last year)"),
    horizons: str = typer.Option("1,2,3", "--horizons", help="Months ahead, e.g. 1,2,3"),
    unit: str = typer.Option("district", "--unit", help="district | province"),
    fmt: str | None = typer.Option(None, "--format", help="table | json | csv"),
    plot: Path | None = typer.Option(None, "--plot", help="Write the skill plot: FILE.png or FILE.svg"),
    force: bool = typer.Option(False, "--force", help=FORCE_HELP),
) -> None:
    """Rolling-origin evaluation of every model against every baseline, per horizon.

    Example: nigran forecast backtest --start 2021 --end 2021 --horizons 1 --plot skill.svg
    """
    from nigran.risk.backtest import backtest
    from nigran.risk.panel import build_panel

    chosen = pick_format(fmt, None, FORMATS, "table")
    wanted = _horizons(horizons)
    _year(start, "--start")
    _year(end, "--end")
    if unit not in ("district", "province"):
        raise InvalidInput([Problem(0, f"unknown unit {unit!r} (district or province)", "--unit")])
    plot_fmt = None
    if plot is not None:
        plot_fmt = plot.suffix.casefold().lstrip(".")
        if plot_fmt not in ("png", "svg"):
            raise InvalidInput([Problem(0, "the plot is written as .png or .svg", str(plot))])
        check_target(plot, force=force)
    with session_as_user(readonly=True) as session:
        panel = build_panel(session, unit)
    last = end if end is not None else panel.end // 12
    first = start if start is not None else last - 9
    with _progress() as bar:
        task = bar.add_task("backtest", total=None)
        result = backtest(
            panel, first, last, wanted, progress=lambda d, t: bar.update(task, completed=d, total=t)
        )
    summary = result.as_dict()
    if plot is not None and plot_fmt is not None:
        from nigran.risk.plots import skill_figure

        write_bytes(plot, skill_figure(summary, plot_fmt), force=force)
    if chosen == "json":
        typer.echo(dumps(summary))
    elif chosen == "csv":
        typer.echo(backtest_csv(summary), nl=False)
    else:
        print_backtest(summary)


@app.command("run")
def run_cmd(
    month: str | None = typer.Option(
        None, "--month", help="Data through YYYY-MM (default: the latest month)"
    ),
    backtest_years: int = typer.Option(3, "--backtest-years", help="Years of backtest that choose the model"),
) -> None:
    """Make and store forecasts for every district and province, 1–3 months ahead (kept forever).

    Example: nigran --as analyst forecast run --backtest-years 1
    """
    from nigran.risk.forecast import run_forecast

    with _progress() as bar, session_as_user() as session:
        task = bar.add_task("backtest", total=None)

        def step(label: str, done: int, total: int) -> None:
            bar.update(task, description=label, completed=done, total=total)

        outcome = run_forecast(session, month=month, backtest_years=backtest_years, progress=step)
    console.print(outcome.message, highlight=False)


@app.command("show")
def show_cmd(
    district: str = typer.Argument(..., help="District name or code, e.g. Peshawar"),
    fmt: str | None = typer.Option(None, "--format", help="table | json"),
) -> None:
    """A district's latest forecast, what moved it, and the recent incidents behind it.

    Example: nigran forecast show "North Waziristan"
    """
    from nigran.risk.forecast import district_forecast

    chosen = pick_format(fmt, None, ("table", "json"), "table")
    with session_as_user(readonly=True) as session:
        found = district_forecast(session, district)
    if chosen == "json":
        typer.echo(dumps(found))
        return
    d, run = found["district"], found["run"]
    console.print(
        f"{d['name']} ({d['code']}): forecast run {run['id']}, data through {run['data_through']}, "
        f"model {run['chosen_model']}",
        highlight=False,
    )
    table = new_table(
        "measure", "month", "h", "mean", "5%", "50%", "95%", "P(fatal)", "P(≥10)",
        numeric=("h", "mean", "5%", "50%", "95%", "P(fatal)", "P(≥10)"), keep=("month",),
    )  # fmt: skip
    for f in found["forecasts"]:
        q = f["quantiles"]
        table.add_row(
            f["measure"], f["target_month"], str(f["horizon"]), _num(f["mean"], 2), _num(q.get("0.05"), 0),
            _num(q.get("0.5"), 0), _num(q.get("0.95"), 0), _num(f["p_fatal"], 2), _num(f["p_ge10"], 2),
        )  # fmt: skip
    console.print(table)
    if found["explanation"]:
        why = new_table("measure", "h", "mean", "what moved it (change in the mean)", numeric=("h", "mean"))
        for e in found["explanation"]:
            parts = sorted(e["contributions"].items(), key=lambda kv: -abs(kv[1]))
            text = ", ".join(f"{g} {v:+.2f}" for g, v in parts if abs(v) >= 0.01) or "nothing notable"
            why.add_row(e["measure"], str(e["horizon"]), _num(e["mean"], 2), text)
        console.print(
            "The learned model (gbm): each feature group's effect on its forecast mean", highlight=False
        )
        console.print(why)
    incidents = new_table("id", "date", "type", "killed", numeric=("id", "killed"), keep=("date",))
    for i in found["recent_incidents"]:
        incidents.add_row(str(i["id"]), i["date"], i["event_type"], _num(i["killed"], 0))
    console.print(
        f"Recent incidents (12 months through {run['data_through']}, most deaths first)", highlight=False
    )
    console.print(incidents)


@app.command("score")
def score_cmd(
    run: int | None = typer.Option(None, "--run", help="One run's id (default: every run)"),
    fmt: str | None = typer.Option(None, "--format", help="table | json | csv"),
) -> None:
    """Score stored forecasts against what has happened since (CRPS from quantiles, coverage, Brier).

    Example: nigran forecast score --run 3
    """
    from nigran.risk.forecast import score_stored

    chosen = pick_format(fmt, None, FORMATS, "table")
    with session_as_user(readonly=True) as session:
        rows = score_stored(session, run)
    if chosen == "json":
        typer.echo(dumps(rows))
        return
    columns = ["run", "target_month", "unit_kind", "model", "measure", "horizon", "n", "crps", "interval90",
               "coverage90", "brier"]  # fmt: skip
    if chosen == "csv":
        typer.echo(_csv(rows, columns), nl=False)
        return
    if not rows:
        console.print("No stored forecast has an observed target month yet.")
        return
    table = new_table(
        "run", "month", "unit", "model", "measure", "h", "n", "CRPS", "cov90", "Brier",
        numeric=("run", "h", "n", "CRPS", "cov90", "Brier"), keep=("month",),
    )  # fmt: skip
    for r in rows:
        table.add_row(
            str(r["run"]), r["target_month"], r["unit_kind"], r["model"] + ("*" if r["chosen"] else ""),
            r["measure"], str(r["horizon"]), str(r["n"]), _num(r["crps"]), _num(r["coverage90"], 2),
            _num(r["brier"]),
        )  # fmt: skip
    console.print(table)
    console.print("* the run's chosen model", highlight=False)


@app.command("runs")
def runs_cmd(fmt: str | None = typer.Option(None, "--format", help="table | json")) -> None:
    """Stored forecast runs, newest first.

    Example: nigran forecast runs
    """
    from sqlalchemy import select

    from nigran.risk.forecast import run_dict
    from nigran.risk.models import ForecastRun

    chosen = pick_format(fmt, None, ("table", "json"), "table")
    with session_as_user(readonly=True) as session:
        runs = [run_dict(r) for r in session.scalars(select(ForecastRun).order_by(ForecastRun.id.desc()))]
    if chosen == "json":
        typer.echo(dumps(runs))
        return
    table = new_table("id", "data through", "model", "trigger", "level", "made", numeric=("id",))
    for r in runs:
        table.add_row(str(r["id"]), r["data_through"], r["chosen_model"], r["trigger"], r["classification"],
                      (r["made_at"] or "")[:16])  # fmt: skip
    console.print(table)
