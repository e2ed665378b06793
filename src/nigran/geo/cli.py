"""``nigran geo``: ask the offline gazetteer where a name or a point is."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from nigran.cli_support import console, fail
from nigran.geo.gazetteer import Gazetteer, Match

app = typer.Typer(
    help="Offline geocoding: resolve a place name or a point to its district and province.\n\n"
    'Example: nigran geo resolve "D.I. Khan"',
    no_args_is_help=True,
)


def _print(match: Match | None, query: str, as_json: bool) -> None:
    gz = Gazetteer.bundled()
    if as_json:
        typer.echo(
            json.dumps({"query": query, "match": match.__dict__ if match else None}, ensure_ascii=False)
        )
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
    province: str | None = typer.Option(None, "--province", "-p", help="Only districts of this province"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON"),
) -> None:
    """Resolve a name (misspellings, old names and Urdu included) to its district.

    Example: nigran geo resolve "Khyber agency" --province FATA
    """
    gz = Gazetteer.bundled()
    if province and gz.normalise_province(province) is None:
        fail(f"--province: unknown province {province!r}")
    _print(gz.resolve(name, province), name, as_json)


@app.command("locate")
def locate(
    lat: float = typer.Argument(..., help="Latitude, decimal degrees"),
    lon: float = typer.Argument(..., help="Longitude, decimal degrees"),
    province: str | None = typer.Option(None, "--province", "-p", help="Only districts of this province"),
    cap_km: float = typer.Option(100.0, "--cap-km", help="Farthest a district headquarters may be"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON"),
) -> None:
    """Place a point in the district whose headquarters is nearest (an approximation: see docs/geocoding.md).

    Example: nigran geo locate 34.0 71.5
    """
    gz = Gazetteer.bundled()
    if province and gz.normalise_province(province) is None:
        fail(f"--province: unknown province {province!r}")
    _print(gz.locate(lat, lon, province, cap_km=cap_km), f"{lat}, {lon}", as_json)


@app.command("evaluate-ucdp")
def evaluate_ucdp(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help="A UCDP GED CSV export"),
) -> None:
    """Measure name and point resolution on a UCDP GED extract (the figures in docs/geocoding.md).

    Example: nigran geo evaluate-ucdp ../shared/data/ucdp/ged221_pakistan.csv
    """
    from nigran.geo.evaluate import evaluate_ucdp as run

    with console.status("resolving every event by name and by point…"):
        result = run(path)
    table = Table("measure", "value")
    for key, value in result.summary().items():
        table.add_row(key, f"{value:.1%}" if isinstance(value, float) else str(value))
    console.print(table)
