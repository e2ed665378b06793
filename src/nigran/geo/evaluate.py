"""Measuring the gazetteer on UCDP GED: how many events resolve by name, by point, and do the two agree.

UCDP GED gives, for every event, the first- and second-order administrative unit as names (``adm_1``,
``adm_2``, in the boundaries of their day: FATA agencies, undivided South Waziristan, "Karachi district")
and coordinates with a precision code (``where_prec`` 1: exact place, 2: within ~25 km, 3: second-order
unit, 4+: province or coarser). The figures in ``docs/geocoding.md`` come from :func:`evaluate_ucdp`.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from nigran.geo.gazetteer import DEFAULT_CAP_KM, Gazetteer


@dataclass
class Evaluation:
    events: int = 0
    named: int = 0  # events with a non-empty adm_2
    by_name: int = 0  # adm_2 resolved to one district
    name_ambiguous: int = 0
    province_by_name: int = 0  # adm_1 normalised to a province
    by_point: int = 0
    combined: int = 0  # geocode(): name, with the point breaking ties or filling in
    both: int = 0
    agree: int = 0
    precise_both: int = 0  # where_prec 1-2 only
    precise_agree: int = 0
    unresolved_names: Counter[str] = field(default_factory=Counter)
    disagreements: Counter[tuple[str, str]] = field(default_factory=Counter)

    def rate(self, part: int, whole: int | None = None) -> float:
        whole = self.events if whole is None else whole
        return part / whole if whole else 0.0

    def summary(self) -> dict[str, float | int]:
        return {
            "events": self.events,
            "adm2_present": self.rate(self.named),
            "district_by_name": self.rate(self.by_name),
            "district_by_name_of_named": self.rate(self.by_name, self.named),
            "name_ambiguous": self.rate(self.name_ambiguous),
            "province_by_name": self.rate(self.province_by_name),
            "district_by_point": self.rate(self.by_point),
            "district_combined": self.rate(self.combined),
            "name_point_agreement": self.rate(self.agree, self.both),
            "name_point_agreement_precise": self.rate(self.precise_agree, self.precise_both),
            "compared": self.both,
            "compared_precise": self.precise_both,
        }


def read_ucdp(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    # The second row of UCDP's CSV export is an HXL hashtag row, not an event.
    return [r for r in rows if not (r.get("year") or "").startswith("#")]


def _float(text: str | None) -> float | None:
    try:
        return float(text) if text not in (None, "") else None
    except ValueError:
        return None


def evaluate_ucdp(path: Path, gz: Gazetteer | None = None, *, cap_km: float = DEFAULT_CAP_KM) -> Evaluation:
    gz = gz or Gazetteer.bundled()
    ev = Evaluation()
    for row in read_ucdp(path):
        ev.events += 1
        adm1, adm2 = row.get("adm_1") or "", row.get("adm_2") or ""
        lat, lon = _float(row.get("latitude")), _float(row.get("longitude"))
        province = gz.normalise_province(adm1)
        ev.province_by_name += province is not None
        name = gz.resolve(adm2, province) if adm2 else None
        ev.named += bool(adm2)
        if name and name.resolved:
            ev.by_name += 1
        elif name and name.candidates:
            ev.name_ambiguous += 1
        elif adm2:
            ev.unresolved_names[adm2] += 1
        point = gz.locate(lat, lon, province, cap_km=cap_km) if lat is not None and lon is not None else None
        ev.by_point += bool(point and point.resolved)
        combined = gz.geocode(adm2 or None, province, lat, lon, cap_km=cap_km)
        ev.combined += bool(combined and combined.resolved)
        if name and name.resolved and point and point.resolved:
            same = name.district_code == point.district_code
            ev.both += 1
            ev.agree += same
            if row.get("where_prec") in ("1", "2"):
                ev.precise_both += 1
                ev.precise_agree += same
            if not same:
                ev.disagreements[(name.district_code or "", point.district_code or "")] += 1
    return ev


if __name__ == "__main__":  # python -m nigran.geo.evaluate FILE
    import json
    import sys

    result = evaluate_ucdp(Path(sys.argv[1]))
    print(json.dumps(result.summary(), indent=2))
    print("unresolved:", result.unresolved_names.most_common(15))
    print("disagreements:", result.disagreements.most_common(15))
