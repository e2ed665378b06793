"""``nigran geo``: ask the offline gazetteer where a name or a point is."""

from __future__ import annotations

import csv
from pathlib import Path

import typer
from rich.table import Table

from nigran.cli_support import console, new_table
from nigran.core.jsonout import dumps
from nigran.core.problems import InvalidInput, Problem
from nigran.geo.gazetteer import Gazetteer, Match

app = typer.Typer(
    help="Offline geocoding: resolve a place name or a point to its district and province.\n\n"
    'Example: nigran geo resolve "D.I. Khan"',
    no_args_is_help=True,
)


FORMAT = typer.Option("table", "--format", help="table | json")


def _check(fmt: str, province: str | None, gz: Gazetteer) -> str | None:
    """The format and the province code, or :class:`InvalidInput`: a typo is refused, never guessed."""
    problems = []
    if fmt.casefold() not in ("table", "json"):
        problems.append(Problem(0, f"unknown format {fmt!r} (table or json)", "--format"))
    code = gz.exact_province(province) if province else None
    if province and code is None:
        near = gz.normalise_province(province)
        hint = f"; did you mean {gz.province_name(near)} ({near})?" if near else ""
        names = ", ".join(f"{u.name} ({c})" for c, u in sorted(gz.provinces.items()))
        problems.append(Problem(0, f"unknown province {province!r}{hint} (one of {names})", "--province"))
    if problems:
        raise InvalidInput(problems)
    return code


def _print(match: Match | None, query: str, fmt: str) -> None:
    gz = Gazetteer.bundled()
    if fmt.casefold() == "json":
        typer.echo(dumps({"query": query, "match": match.__dict__ if match else None}, indent=None))
        return
    if match is None:
        console.print(f"[yellow]{query}[/yellow]: not resolved (no district or province matches)")
        raise typer.Exit(1)
    table = Table(show_header=False, box=None)
    table.add_row("query", query)
    table.add_row("district", f"{match.district} ({match.district_code})" if match.resolved else "—")
    table.add_row("province", f"{match.province} ({match.province_code})" if match.province_code else "—")
    table.add_row("method", match.method)
    table.add_row("confidence", f"{match.confidence:.2f}")
    if match.candidates:
        names = [f"{gz.units[c].name} ({c})" for c in match.candidates if c in gz.units]
        table.add_row("candidates", "; ".join(names))
    console.print(table)


@app.command("resolve")
def resolve(
    name: str = typer.Argument(..., help="A district, tehsil, town or province name, in English or Urdu"),
    province: str | None = typer.Option(
        None, "--province", "-p", help="Only districts of this province (code or name)"
    ),
    fmt: str = FORMAT,
) -> None:
    """Resolve a name (misspellings, old names and Urdu included) to its district.

    Example: nigran geo resolve "Khyber agency" --province FATA
    """
    gz = Gazetteer.bundled()
    code = _check(fmt, province, gz)
    _print(gz.resolve(name, code), name, fmt)


@app.command("locate")
def locate(
    lat: float = typer.Argument(..., help="Latitude, decimal degrees"),
    lon: float = typer.Argument(..., help="Longitude, decimal degrees"),
    province: str | None = typer.Option(
        None, "--province", "-p", help="Only districts of this province (code or name)"
    ),
    cap_km: float = typer.Option(100.0, "--cap-km", min=0.0, help="Farthest a district headquarters may be"),
    fmt: str = FORMAT,
) -> None:
    """Place a point in the district whose headquarters is nearest (an approximation: see docs/geocoding.md).

    Example: nigran geo locate 34.0 71.5
    """
    gz = Gazetteer.bundled()
    code = _check(fmt, province, gz)
    problems = [
        Problem(0, f"{value} is not a {what} in degrees ({low} to {high})", what)
        for value, what, low, high in ((lat, "latitude", -90, 90), (lon, "longitude", -180, 180))
        if not low <= value <= high  # also refuses nan
    ]
    if problems:
        raise InvalidInput(problems)
    _print(gz.locate(lat, lon, code, cap_km=cap_km), f"{lat}, {lon}", fmt)


@app.command("evaluate-ucdp")
def evaluate_ucdp(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help="A UCDP GED CSV export"),
) -> None:
    """Measure name and point resolution on a UCDP GED extract (the figures in docs/geocoding.md).

    Example: nigran geo evaluate-ucdp ../shared/data/ucdp/ged221_pakistan.csv
    """
    from nigran.geo.evaluate import evaluate_ucdp as run

    with console.status("resolving every event by name and by point…"):
        try:
            result = run(path)
        except (UnicodeDecodeError, KeyError, ValueError, csv.Error) as exc:
            raise InvalidInput([Problem(0, f"not a UCDP GED CSV export ({exc})", str(path))]) from None
    table = new_table("measure", "value", numeric=("value",))
    for key, value in result.summary().items():
        table.add_row(key, f"{value:.1%}" if isinstance(value, float) else str(value))
    console.print(table)
