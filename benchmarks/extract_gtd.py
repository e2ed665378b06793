"""Spot-check the extractor's casualty and province rules at scale on GTD incident summaries.

Usage: ``python benchmarks/extract_gtd.py [XLSX] [--from 2015] [--limit 2000]`` (default XLSX:
``../shared/data/gtd/pakistan_gtd_2001-2020.xlsx``). Reads the file in place and prints only aggregate
agreement figures: nothing from it is copied or stored (GTD's terms, see ``../shared/data/README.md``).

GTD summaries are one-paragraph summaries written by GTD's coders, not news articles, and GTD counts
differently (``FATALITIES`` includes perpetrators; no split by role), so this is a check of the rules, not a
score: total killed (victims + militants) against ``FATALITIES``, ``injured`` against ``INJURED``, province
against ``PROVINCE`` (FATA/NWFP read as Khyber Pakhtunkhwa). Cite: START, Global Terrorism Database,
https://www.start.umd.edu/gtd.
"""

from __future__ import annotations

import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "gtd" / "pakistan_gtd_2001-2020.xlsx"
PROVINCES = {
    "balochistan": "Balochistan", "khyber pakhtunkhwa": "Khyber Pakhtunkhwa",
    "federally administered tribal areas": "Khyber Pakhtunkhwa",
    "north-west frontier province": "Khyber Pakhtunkhwa",
    "sindh": "Sindh", "punjab": "Punjab", "islamabad capital territory": "Islamabad Capital Territory",
    "gilgit-baltistan": "Gilgit-Baltistan", "azad kashmir": "Azad Kashmir",
}  # fmt: skip


def _arg(argv: list[str], name: str, default: int) -> int:
    return int(argv[argv.index(name) + 1]) if name in argv else default


def _count(value: object) -> int | None:
    try:
        return int(float(str(value)))
    except (TypeError, ValueError):
        return None


def main(argv: list[str]) -> int:
    import openpyxl

    from nigran.extract.engine import extract_document

    skip = {argv[i + 1] for i, a in enumerate(argv) if a in ("--from", "--limit")}
    files = [Path(a) for a in argv if not a.startswith("--") and a not in skip]
    path = files[0] if files else DEFAULT
    first_year, limit = _arg(argv, "--from", 2015), _arg(argv, "--limit", 2000)
    sheet = openpyxl.load_workbook(path, read_only=True).active
    rows = sheet.iter_rows(values_only=True)
    header = [str(h) for h in next(rows)]
    col = {
        name: header.index(name) for name in ("DATE", "PROVINCE", "FATALITIES", "INJURED", "INCIDENT SUMMARY")
    }
    tally = {"docs": 0, "with_incident": 0, "killed_eq": 0, "killed_n": 0, "inj_eq": 0, "inj_n": 0,
             "prov_eq": 0, "prov_n": 0, "prov_none": 0}  # fmt: skip
    started = time.perf_counter()
    for row in rows:
        summary, serial = row[col["INCIDENT SUMMARY"]], row[col["DATE"]]
        if isinstance(serial, datetime):  # openpyxl gives a date cell as a datetime
            when = serial.date()
        elif isinstance(serial, int | float):  # an Excel serial day number
            when = date(1899, 12, 30) + timedelta(days=int(serial))
        else:
            continue
        if not isinstance(summary, str):
            continue
        if when.year < first_year:
            continue
        text = summary.split(":", 1)[1].strip() if summary[:10].count("/") == 2 else summary
        found = extract_document(text, when)
        tally["docs"] += 1
        if found:
            tally["with_incident"] += 1
            inc = found[0]
            nkill, nwound = _count(row[col["FATALITIES"]]), _count(row[col["INJURED"]])
            parts = [inc["victims_killed"], inc["militants_killed"]]
            killed = None if all(p is None for p in parts) else sum(p or 0 for p in parts)
            if nkill is not None and (nkill > 0 or killed is not None):
                tally["killed_n"] += 1
                tally["killed_eq"] += killed == nkill
            if nwound is not None and (nwound > 0 or inc["injured"] is not None):
                tally["inj_n"] += 1
                tally["inj_eq"] += inc["injured"] == nwound
            gold = PROVINCES.get(str(row[col["PROVINCE"]] or "").strip().casefold())
            if gold:
                tally["prov_n"] += 1
                tally["prov_eq"] += inc["province"] == gold
                tally["prov_none"] += inc["province"] is None
        if tally["docs"] >= limit:
            break
    took = time.perf_counter() - started
    t = tally
    print(f"GTD summaries from {first_year}: {t['docs']} read in {took:.1f} s; an incident found in "
          f"{t['with_incident']} ({t['with_incident'] / max(t['docs'], 1):.1%})")  # fmt: skip
    print(f"killed (victims + militants) = FATALITIES: {t['killed_eq']}/{t['killed_n']} "
          f"({t['killed_eq'] / max(t['killed_n'], 1):.1%})")  # fmt: skip
    print(f"injured = INJURED: {t['inj_eq']}/{t['inj_n']} ({t['inj_eq'] / max(t['inj_n'], 1):.1%})")
    print(f"province = PROVINCE: {t['prov_eq']}/{t['prov_n']} ({t['prov_eq'] / max(t['prov_n'], 1):.1%}); "
          f"no province found: {t['prov_none']}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
