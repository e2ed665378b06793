"""Readers for the real export layouts: each turns one source row into incident fields, or says what is wrong.

A reader never touches the database; :mod:`nigran.incidents.importer` decides what to insert or update.
Problems name the line, the column, the value and why, because a refused import must be fixable from the
message alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from operator import itemgetter
from pathlib import Path
from typing import Any

from nigran.access.classification import Classification
from nigran.incidents import mappings as mp
from nigran.incidents.fields import CASUALTY_FIELDS, CSV_FIELDS
from nigran.incidents.rows import (
    Parsed,
    RowError,
    clip,
    coordinates,
    finish,
    guarded,
    to_date,
    to_float,
    to_int,
)

FORMATS = ("acled", "ucdp-ged", "gtd", "csv")
DATASET = {"acled": "acled", "ucdp-ged": "ucdp-ged", "gtd": "gtd", "csv": "csv"}
#: Columns without which no row of a layout can be read: a file that lacks them is refused once, at its
#: header, rather than row by row (most often the wrong ``--format``).
REQUIRED = {
    "ucdp-ged": ("id", "date_start"),
    "acled": ("event_id_cnty", "event_date"),
    "gtd": ("eventid", "iyear"),
    "csv": ("id", "date", "event_type"),
}
PRECISIONS = ("day", "week", "month", "year")


# ---- formats ---------------------------------------------------------------------------------------------

UCDP_DATE_PREC = {"1": "day", "2": "week", "3": "week", "4": "month", "5": "year"}
UCDP_WHERE_PREC = {
    "1": "exact",
    "2": "near",
    "3": "district",
    "4": "province",
    "5": "region",
    "6": "country",
    "7": "country",
}


def _is_state(name: str) -> bool:
    return bool(mp.PAKISTAN_STATE.match(name) or mp.FOREIGN_STATE.match(name))


def parse_ucdp(line: int, r: dict[str, str], tables: dict[str, Any]) -> Parsed:
    row = Parsed(line, (r.get("id") or "").strip(), {}, {}, r)
    if not row.source_id:
        row.errors.append(RowError("id", r.get("id"), "missing event id"))
    if (r.get("country") or "Pakistan").strip() != "Pakistan":
        row.skip = "not in Pakistan"
        return row
    f = row.fields
    f["date"] = guarded(row, "date_start", lambda: to_date(r.get("date_start", ""), "date_start"))
    end = (r.get("date_end") or "").strip()
    f["date_end"] = guarded(row, "date_end", lambda: to_date(end, "date_end")) if end else None
    prec = (r.get("date_prec") or "1").strip()
    if prec not in UCDP_DATE_PREC:
        row.errors.append(RowError("date_prec", prec, "UCDP date_prec must be 1–5"))
    f["date_precision"] = UCDP_DATE_PREC.get(prec, "day")
    f["province"], f["district"] = clip(r.get("adm_1"), 200), clip(r.get("adm_2"), 200)
    f["place"] = clip(r.get("where_coordinates"), 300)
    coordinates(row, r.get("latitude"), r.get("longitude"), "latitude", "longitude")
    f["geo_precision"] = UCDP_WHERE_PREC.get((r.get("where_prec") or "").strip())
    side_a, side_b = (r.get("side_a") or "").strip(), (r.get("side_b") or "").strip()
    violence = (r.get("type_of_violence") or "").strip()
    text = f"{r.get('source_headline') or ''} {r.get('where_description') or ''}"
    event = mp.ucdp_event_type(violence, side_a, side_b, text, tables["ucdp"])
    if event is None:
        row.errors.append(RowError("type_of_violence", violence, "must be 1, 2 or 3"))
    elif event == mp.SKIP:
        row.skip = "mapped to skip"
    f["event_type"] = event
    f["actor"] = side_b if mp.PAKISTAN_STATE.match(side_a) and violence == "1" else side_a
    f["target_type"] = "Civilians" if violence == "3" else None
    deaths = {
        c: guarded(row, c, lambda c=c: to_int(r.get(c), c))
        for c in ("deaths_a", "deaths_b", "deaths_civilians", "deaths_unknown", "best")
    }
    security = militants = 0
    civilians = deaths["deaths_civilians"] or 0
    for side, column in ((side_a, "deaths_a"), (side_b, "deaths_b")):
        n = deaths[column] or 0
        if side == "Civilians":
            civilians += n
        elif _is_state(side):
            security += n
        else:
            militants += n
    f.update(
        killed=deaths["best"],
        civilians_killed=civilians,
        security_killed=security,
        militants_killed=militants,
    )
    f["notes"] = clip(r.get("where_description"), 2000)
    row.source = {"title": clip(r.get("source_headline"), 2000), "url": None}
    finish(f)
    return row


ACLED_TIME_PREC = {"1": "day", "2": "week", "3": "month"}
ACLED_GEO_PREC = {"1": "exact", "2": "near", "3": "district"}


def parse_acled(line: int, r: dict[str, str], tables: dict[str, Any]) -> Parsed:
    row = Parsed(line, (r.get("event_id_cnty") or "").strip(), {}, {}, r)
    if not row.source_id:
        row.errors.append(RowError("event_id_cnty", r.get("event_id_cnty"), "missing event id"))
    if (r.get("country") or "Pakistan").strip() != "Pakistan":
        row.skip = "not in Pakistan"
        return row
    f = row.fields
    f["date"] = guarded(row, "event_date", lambda: to_date(r.get("event_date", ""), "event_date"))
    prec = (r.get("time_precision") or "1").strip()
    if prec not in ACLED_TIME_PREC:
        row.errors.append(RowError("time_precision", prec, "ACLED time_precision must be 1, 2 or 3"))
    f["date_precision"] = ACLED_TIME_PREC.get(prec, "day")
    f["province"], f["district"] = clip(r.get("admin1"), 200), clip(r.get("admin2"), 200)
    f["place"] = clip(r.get("location"), 300)
    coordinates(row, r.get("latitude"), r.get("longitude"), "latitude", "longitude")
    f["geo_precision"] = ACLED_GEO_PREC.get((r.get("geo_precision") or "").strip())
    etype, sub = (r.get("event_type") or "").strip(), (r.get("sub_event_type") or "").strip()
    actor1 = (r.get("actor1") or "").strip()
    event = mp.acled_event_type(etype, sub, actor1, tables["acled"])
    if event is None:
        row.errors.append(
            RowError(
                "event_type/sub_event_type",
                f"{etype} / {sub}",
                "no mapping to the taxonomy (add one with --mapping)",
            )
        )
    elif event == mp.SKIP:
        row.skip = f"{etype} / {sub} is out of scope"
    f["event_type"] = event
    f["actor"] = clip(actor1, 300)
    f["target_type"] = clip(r.get("actor2"), 120)
    killed = guarded(row, "fatalities", lambda: to_int(r.get("fatalities"), "fatalities"))
    f["killed"] = killed
    if etype == "Violence against civilians":
        f["civilians_killed"] = killed
    f["notes"] = clip(r.get("notes"), 4000)
    row.source = {
        "title": clip(r.get("source"), 2000),
        "url": None,
        "dataset_version": clip(r.get("timestamp"), 40),
    }
    finish(f)
    return row


GTD_SPECIFICITY = {"1": "exact", "2": "near", "3": "district", "4": "province", "5": "country"}


def parse_gtd(line: int, r: dict[str, str], tables: dict[str, Any]) -> Parsed:
    row = Parsed(line, (r.get("eventid") or "").strip().removesuffix(".0"), {}, {}, r)
    if not row.source_id:
        row.errors.append(RowError("eventid", r.get("eventid"), "missing event id"))
    if (r.get("country_txt") or "Pakistan").strip() != "Pakistan":
        row.skip = "not in Pakistan"
        return row
    f = row.fields
    year = guarded(row, "iyear", lambda: to_int(r.get("iyear"), "iyear"))
    month = guarded(row, "imonth", lambda: to_int(r.get("imonth"), "imonth")) or 0
    day = guarded(row, "iday", lambda: to_int(r.get("iday"), "iday")) or 0
    f["date_precision"] = "day" if day and month else ("month" if month else "year")
    if year is not None:
        try:
            f["date"] = date(year, month or 1, day or 1)
        except ValueError as exc:
            row.errors.append(RowError("iyear/imonth/iday", f"{year}-{month}-{day}", f"not a date: {exc}"))
    f["province"], f["district"], f["place"] = clip(r.get("provstate"), 200), None, clip(r.get("city"), 300)
    coordinates(row, r.get("latitude"), r.get("longitude"), "latitude", "longitude")
    f["geo_precision"] = GTD_SPECIFICITY.get((r.get("specificity") or "").strip().removesuffix(".0"))
    attack = (r.get("attacktype1_txt") or "").strip()
    event = mp.gtd_event_type(attack, r.get("suicide"), tables["gtd"])
    if event is None:
        row.errors.append(
            RowError("attacktype1_txt", attack, "no mapping to the taxonomy (add one with --mapping)")
        )
    f["event_type"] = event
    gname = (r.get("gname") or "").strip()
    f["actor"] = None if gname in ("", "Unknown") else gname[:300]
    claimed = (r.get("claimed") or "").strip().removesuffix(".0")
    f["claimed"] = {"1": True, "0": False}.get(claimed)
    f["target_type"] = clip(r.get("targtype1_txt"), 120)
    unknown = ("", "-99", "-9", "-99.0", "-9.0")
    killed = guarded(row, "nkill", lambda: to_int(r.get("nkill"), "nkill", missing=unknown))
    militants = guarded(row, "nkillter", lambda: to_int(r.get("nkillter"), "nkillter", missing=unknown))
    f["killed"], f["militants_killed"] = killed, militants
    if killed is not None and militants is not None:
        if militants > killed:
            row.errors.append(
                RowError("nkillter", militants, f"more perpetrators killed than nkill={killed}")
            )
        f["victims_killed"] = killed - militants
    f["injured"] = guarded(row, "nwound", lambda: to_int(r.get("nwound"), "nwound", missing=unknown))
    f["hostages"] = guarded(row, "nhostkid", lambda: to_int(r.get("nhostkid"), "nhostkid", missing=unknown))
    f["notes"] = clip(r.get("summary"), 4000)
    row.source = {"title": None, "url": None}
    finish(f)
    return row


def parse_csv(line: int, r: dict[str, str], tables: dict[str, Any]) -> Parsed:
    """The generic layout: Nigran's own field names, or the source's via ``columns:`` in ``--mapping``."""
    columns: dict[str, str] = tables.get("_columns") or {}
    if not columns:  # computed once per import
        columns = tables["_columns"] = {k: k for k in CSV_FIELDS} | (tables.get("columns") or {})
    # one C-level lookup of every column the row has, prepared once per row length (a file's rows share
    # their header, so rows of one length share their keys)
    shape = tables.get(("_shape", len(r)))
    if shape is None:
        shape = tables[("_shape", len(r))] = _shape(columns, r)
    absent, keys, pick = shape
    v = dict(absent)
    v.update(zip(keys, map(str.strip, pick(r)), strict=True))
    row = Parsed(line, v["id"], {}, {}, r)
    f = row.fields
    try:  # the fast path: a clean row converts without a single exception
        f["date"] = to_date(v["date"], columns["date"])
        f["date_end"] = to_date(v["date_end"], columns["date_end"]) if v["date_end"] else None
        f["lat"] = to_float(v["lat"], columns["lat"], -90, 90)
        f["lon"] = to_float(v["lon"], columns["lon"], -180, 180)
        for key in _COUNTS:
            x = v[key]
            f[key] = int(x) if x.isdigit() and x.isascii() and len(x) < 8 else to_int(x, columns[key])
    except RowError:  # the slow path names every bad value
        f["date"] = guarded(row, columns["date"], lambda: to_date(v["date"], columns["date"]))
        if v["date_end"]:
            f["date_end"] = guarded(
                row, columns["date_end"], lambda: to_date(v["date_end"], columns["date_end"])
            )
        coordinates(row, v["lat"], v["lon"], columns["lat"], columns["lon"])
        for key in _COUNTS:
            f[key] = guarded(row, columns[key], lambda key=key: to_int(v[key], columns[key]))
    if not row.source_id:
        row.errors.append(RowError(columns["id"], "", "missing id"))
    f["date_precision"] = v["date_precision"].lower() or "day"
    if f["date_precision"] not in PRECISIONS:
        row.errors.append(
            RowError(columns["date_precision"], v["date_precision"], f"must be one of {PRECISIONS}")
        )
    f["province"], f["district"] = v["province"][:200] or None, v["district"][:200] or None
    f["place"], f["actor"] = v["place"][:300] or None, v["actor"][:300] or None
    f["target_type"], f["geo_precision"] = v["target_type"][:120] or None, v["geo_precision"][:12] or None
    raw_type = v["event_type"]
    event = (tables.get("event_types") or {}).get(raw_type, raw_type.lower() or None)
    if event not in mp.EVENT_TYPES and event != mp.SKIP:
        row.errors.append(
            RowError(columns["event_type"], raw_type, "not a taxonomy event type (map it in --mapping)")
        )
    elif event == mp.SKIP:
        row.skip = f"event type {raw_type} is out of scope"
    f["event_type"] = event
    claimed = v["claimed"].lower()
    if claimed not in _CLAIMED:
        row.errors.append(RowError(columns["claimed"], v["claimed"], "must be yes/no, true/false or 1/0"))
    f["claimed"] = None if not claimed else claimed in ("yes", "true", "1")
    f["notes"] = v["notes"][:4000] or None
    if v["classification"]:
        level = _LEVELS.get(v["classification"].upper())
        if level is None:
            row.errors.append(
                RowError(columns["classification"], v["classification"], "not PUBLIC, RESTRICTED or SECRET")
            )
        row.classification = level
    row.source = {"title": v["title"][:2000] or None, "url": v["url"][:2000] or None}
    finish(f)
    return row


def _shape(
    columns: dict[str, str], r: dict[str, str]
) -> tuple[dict[str, str], tuple[str, ...], Callable[[dict[str, str]], tuple[str, ...]]]:
    present = [(k, col) for k, col in columns.items() if col in r]
    cols = tuple(col for _, col in present)
    absent = {k: "" for k, col in columns.items() if col not in r}
    if len(cols) > 1:  # values are strings: both readers write "" for an empty cell
        return absent, tuple(k for k, _ in present), itemgetter(*cols)
    return absent, tuple(k for k, _ in present), lambda row: tuple(row[c] for c in cols)


_COUNTS = CASUALTY_FIELDS
_CLAIMED = frozenset({"", "yes", "no", "true", "false", "1", "0"})
_LEVELS = {c.name: c for c in Classification}


PARSERS: dict[str, Callable[[int, dict[str, str], dict[str, Any]], Parsed]] = {
    "ucdp-ged": parse_ucdp,
    "acled": parse_acled,
    "gtd": parse_gtd,
    "csv": parse_csv,
}


def ucdp_version_from_name(name: str | Path) -> str | None:
    """``ged221_pakistan.csv`` → ``22.1``: UCDP names its files after the release."""
    match = re.search(r"ged(\d{2})(\d)", Path(name).name, re.I)
    return f"{match.group(1)}.{match.group(2)}" if match else None


def required_columns(fmt: str, columns: dict[str, str] | None = None) -> tuple[str, ...]:
    """The columns ``fmt`` needs (for ``csv``, as renamed by a mapping file's ``columns:``)."""
    return tuple((columns or {}).get(c, c) for c in REQUIRED[fmt]) if fmt == "csv" else REQUIRED[fmt]
