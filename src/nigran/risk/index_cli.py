"""``nigran risk``: the layered district risk index (INFORM-style), one district's components with their
sources, the sensitivity of the ranking, and the bundled covariates. A thin adapter over
:mod:`nigran.risk.index`, :mod:`nigran.risk.sensitivity` and :mod:`nigran.risk.covariates`."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import typer

from nigran.cli_support import FORCE_HELP, console, new_table, pick_format, session_as_user
from nigran.core import outputs
from nigran.core.cells import csv_writer
from nigran.core.jsonout import dumps
from nigran.risk import covariates
from nigran.risk import index as idx
from nigran.risk import sensitivity as sens

app = typer.Typer(
    help="District risk index on 0–10 (threat, vulnerability, lack of coping capacity), INFORM-style.\n\n"
    "Example: nigran risk index --month 2021-12",
    no_args_is_help=True,
)

MONTH = typer.Option(
    None, "--month", help="YYYY-MM: the last of the 12 months counted (default: latest data)"
)
FORMAT = typer.Option(None, "--format", help="table | json | csv")
OUTPUT = typer.Option(None, "--output", "-o", help="Write to this file (json or csv) instead of the screen")
FORCE = typer.Option(False, "--force", help=FORCE_HELP)


def _fig(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _emit(text: str, output: Path | None, force: bool) -> None:
    if output is None:
        typer.echo(text, nl=not text.endswith("\n"))
    else:
        outputs.write_text(output, text, force=force)
        console.print(f"wrote {output}")


def _csv(header: list[str], rows: list[list[Any]]) -> str:
    buf = io.StringIO()
    w = csv_writer(buf, lineterminator="\n")
    w.writerow(header)
    for row in rows:
        w.writerow(["" if v is None else v for v in row])
    return buf.getvalue()


@app.command("index")
def index_command(
    month: str | None = MONTH,
    fmt: str | None = FORMAT,
    output: Path | None = OUTPUT,
    force: bool = FORCE,
) -> None:
    """The index for every district, ranked (1 = highest risk); unknown is "—", never 0.

    Example: nigran risk index --month 2021-12 --format csv
    """
    chosen = pick_format(fmt, output, ("table", "json", "csv"), "table")
    idx.parse_month(month)
    with session_as_user(readonly=True) as session:
        result = idx.compute(session, month)
    if chosen == "json":
        _emit(dumps(result.as_dict()), output, force)
        return
    if chosen == "csv":
        header = [
            "rank",
            "code",
            "district",
            "province",
            "risk",
            "class",
            "threat",
            "vulnerability",
            "coping",
            "reliability",
            "missing",
        ]
        rows = [
            [
                d.rank,
                d.code,
                d.name,
                d.province,
                d.risk,
                d.risk_class,
                *(d.dimensions.get(k) for k in idx.DIMENSIONS),
                d.reliability,
                ";".join(d.missing),
            ]
            for d in result.districts
        ]
        _emit(_csv(header, rows), output, force)
        return
    table = new_table(
        "#",
        "District",
        "Risk",
        "Thr",
        "Vul",
        "Cop",
        "Rel",
        numeric=("#", "Risk", "Thr", "Vul", "Cop", "Rel"),
        title=f"Risk index, 12 months to {result.month or '—'}",
    )
    for d in result.districts:
        table.add_row(
            str(d.rank or "—"),
            f"{d.name} ({d.code})",
            _fig(d.risk),
            *(_fig(d.dimensions.get(k)) for k in idx.DIMENSIONS),
            f"{d.reliability:.0%}",
        )
    console.print(table)
    for note in result.notes:
        console.print(f"note: {note}", highlight=False)


@app.command("show")
def show_command(
    district: str = typer.Argument(..., help="District name or code, e.g. 'North Waziristan' or PK-KP-NWZ"),
    month: str | None = MONTH,
    fmt: str | None = typer.Option(None, "--format", help="table | json"),
) -> None:
    """One district: its risk, dimensions and every component with raw input, score and source.

    Example: nigran risk show "North Waziristan"
    """
    chosen = pick_format(fmt, None, ("table", "json"), "table")
    idx.parse_month(month)
    with session_as_user(readonly=True) as session:
        d = idx.district_components(session, district, month)
    if chosen == "json":
        typer.echo(dumps(d.as_dict()))
        return
    console.print(
        f"{d.name} ({d.code}): risk {_fig(d.risk, 2)} ({d.risk_class or 'unknown'}), rank "
        f"{d.rank or '—'}, reliability {d.reliability:.0%}",
        highlight=False,
    )
    for dim in idx.DIMENSIONS:
        console.print(f"  {idx.DIMENSION_LABELS[dim]}: {_fig(d.dimensions.get(dim), 2)}", highlight=False)
    table = new_table("Component", "Raw", "Score", "Source", numeric=("Raw", "Score"))
    for c in d.components:
        src = c.source.get("title", "") if c.source else "— (no data)"
        table.add_row(f"{c.label} [{c.dimension}]", _fig(c.raw, 2), _fig(c.score, 2), src)
    console.print(table)


@app.command("sensitivity")
def sensitivity_command(
    month: str | None = MONTH,
    fmt: str | None = FORMAT,
    output: Path | None = OUTPUT,
    force: bool = FORCE,
) -> None:
    """Rank changes when weights (±20%) and the aggregation vary: Spearman, rank shifts, top-10 exits.

    Example: nigran risk sensitivity --format csv
    """
    chosen = pick_format(fmt, output, ("table", "json", "csv"), "table")
    idx.parse_month(month)
    with session_as_user(readonly=True) as session, console.status("recomputing the index for each variant…"):
        result = sens.run(session, month)
    if chosen == "json":
        _emit(dumps(result.as_dict()), output, force)
        return
    header = ["variant", "spearman", "median_shift", "max_shift", "compared", "left_top10"]
    rows = [
        [v.name, v.spearman, v.median_shift, v.max_shift, v.compared, ";".join(v.left_top)]
        for v in result.variants
    ]
    if chosen == "csv":
        _emit(_csv(header, rows), output, force)
        return
    table = new_table(
        "Variant",
        "rho",
        "Med",
        "Max",
        "Left top 10",
        numeric=("rho", "Med", "Max"),
        title=f"Sensitivity, 12 months to {result.month or '—'}",
    )
    for v in result.variants:
        table.add_row(
            v.name,
            _fig(v.spearman, 4),
            _fig(v.median_shift),
            str(v.max_shift if v.max_shift is not None else "—"),
            ", ".join(v.left_top) or "—",
        )
    console.print(table)


@app.command("covariates")
def covariates_command(
    fmt: str | None = FORMAT,
    output: Path | None = OUTPUT,
    force: bool = FORCE,
) -> None:
    """The bundled covariates by district (unknown empty), and their sources with json.

    Example: nigran risk covariates --format json
    """
    chosen = pick_format(fmt, output, ("table", "json", "csv"), "table")
    data = covariates.districts()
    names = list(covariates.COVARIATES)
    if chosen == "json":
        body = {
            "covariates": {
                n: {"label": lab, "unit": unit} for n, (lab, unit) in covariates.COVARIATES.items()
            },
            "coverage": covariates.coverage(),
            "districts": {
                c: {"name": d.name, "values": d.values, "sources": d.sources} for c, d in data.items()
            },
            "sources": covariates.sources(),
        }
        _emit(dumps(body), output, force)
        return
    if chosen == "csv":
        rows = [[c, d.name, *(d.values[n] for n in names)] for c, d in data.items()]
        _emit(_csv(["code", "district", *names], rows), output, force)
        return
    table = new_table("District", "Pop.", "Year", "km²", "Border", "Merged", numeric=("Pop.", "Year", "km²"))
    for c, d in data.items():
        v = d.values
        border = "—" if d.border is None else (", ".join(d.border) or "no")
        table.add_row(
            f"{d.name} ({c})",
            _fig(v["population"], 0),
            _fig(v["population_year"], 0),
            _fig(v["area_km2"], 0),
            border,
            "yes" if v["merged_district"] else "no",
        )
    console.print(table)
    cov = covariates.coverage()
    console.print(
        "coverage: "
        + ", ".join(
            f"{n} {cov[n]}/{len(data)}"
            for n in ("population", "area_km2", "border_any", "mpi_headcount_pct", "literacy_pct")
        ),
        highlight=False,
    )
