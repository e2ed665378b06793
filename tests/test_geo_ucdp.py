"""The gazetteer on real data: every UCDP GED event for Pakistan (GED 22.1), by name and by point.

The floors are the rates measured when this was written (docs/geocoding.md), rounded down by about a point,
so a change that makes geocoding worse fails here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nigran.geo.evaluate import evaluate_ucdp, read_ucdp


@pytest.fixture
def ucdp_file(shared_data: Path) -> Path:
    path = shared_data / "ucdp" / "ged221_pakistan.csv"
    if not path.exists():
        pytest.skip(f"{path} not found")
    return path


def test_hxl_row_is_not_an_event(ucdp_file: Path) -> None:
    rows = read_ucdp(ucdp_file)
    assert len(rows) == 6416 and all(r["id"].isdigit() for r in rows)


def test_resolution_rates_on_ucdp(ucdp_file: Path) -> None:
    ev = evaluate_ucdp(ucdp_file)
    s = ev.summary()
    assert s["events"] == 6416
    assert s["province_by_name"] >= 0.99  # the rest have no adm_1 at all
    assert (
        s["district_by_name"] >= 0.83
    )  # measured 84.8%; 12.5% more are ambiguous by design (Karachi, S. Waziristan)
    assert s["district_by_name"] + s["name_ambiguous"] >= 0.96  # every adm_2 that UCDP gives is recognised
    assert not ev.unresolved_names  # no adm_2 spelling is unknown
    assert s["district_by_point"] >= 0.99
    assert s["district_combined"] >= 0.99
    # Nearest-headquarters is an approximation: measured 80.8% agreement with UCDP's own adm_2.
    assert s["name_point_agreement"] >= 0.78
