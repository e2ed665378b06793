"""Bundled covariates: every district keyed, every figure sourced, published totals reproduced."""

from __future__ import annotations

import pytest
import yaml

from nigran.core.errors import InvalidInput
from nigran.risk import covariates


def _gazetteer_districts() -> dict[str, dict]:
    from importlib import resources

    text = (resources.files("nigran.data") / "admin_units.yaml").read_text(encoding="utf-8")
    return {u["code"]: u for u in yaml.safe_load(text)["units"] if u["level"] == "district"}


def test_every_district_is_keyed_and_unknown_codes_are_refused() -> None:
    units = _gazetteer_districts()
    assert set(covariates.districts()) == set(units)
    got = covariates.for_units(["PK-KP-NWZ"])
    assert set(got["PK-KP-NWZ"]) == set(covariates.COVARIATES)
    with pytest.raises(InvalidInput) as err:
        covariates.for_units(["PK-KP-NWZ", "PK-XX-NOPE"])
    assert "PK-XX-NOPE" in str(err.value.problems[0])


def test_every_figure_has_a_known_source_and_unknown_is_none() -> None:
    known = {s["id"] for s in covariates.sources()}
    for d in covariates.districts().values():
        for name, value in d.values.items():
            sid = d.sources[name]
            if value is None:
                assert sid is None, (d.code, name)
                continue
            assert sid, (d.code, name)
            assert all(part in known for part in sid.split("+")), (d.code, name, sid)
            record = covariates.source(sid)
            assert record and record["url"] and record["licence"]
    # every source says where it is used; none is listed but unused
    assert all(s["covariates"] for s in covariates.sources())


def test_published_totals_are_reproduced() -> None:
    ds = covariates.districts().values()
    # Sindh 2023 (Sindh Human Rights Commission's table total) and KP 2023 (the census total; South
    # Waziristan's 888,675 is one figure for the two districts it was split into, so both are unknown here)
    assert sum(d.values["population_2023"] for d in ds if d.province == "PK-SD") == 55_696_147
    kp = [d for d in ds if d.province == "PK-KP"]
    assert sum(d.values["population_2023"] or 0 for d in kp) + 888_675 == 40_856_097
    assert {d.code for d in kp if d.values["population_2023"] is None} == {"PK-KP-USW", "PK-KP-LSW"}
    # AJK 2017 areas sum to the region's 13,297 km2
    assert sum(d.values["area_km2"] for d in ds if d.province == "PK-JK") == 13_297


def test_merged_flag_border_and_derived_values() -> None:
    units = _gazetteer_districts()
    data = covariates.districts()
    for code, d in data.items():
        assert d.values["merged_district"] == (
            1.0 if "former FATA" in (units[code].get("notes") or "") else 0.0
        )
    nw = covariates.for_units(["PK-KP-NWZ"])["PK-KP-NWZ"]
    assert (nw["population_2017"], nw["population_2023"], nw["area_km2"]) == (543_254, 693_332, 4_707)
    assert nw["population"] == 693_332 and nw["population_year"] == 2023
    assert nw["density_per_km2"] == pytest.approx(693_332 / 4_707)
    assert nw["border_afghanistan"] == 1.0 and nw["border_india"] == 0.0
    assert nw["mpi_headcount_pct"] == 73  # the former FATA figure, not KP's 49
    assert covariates.for_units(["PK-KP-PSH"])["PK-KP-PSH"]["mpi_headcount_pct"] == 49
    assert covariates.for_units(["PK-KP-PSH"])["PK-KP-PSH"]["distance_to_capital_km"] == 0.0
    assert data["PK-BA-CHG"].border == ("Afghanistan", "Iran")
    assert data["PK-KP-LDR"].border is None and data["PK-KP-LDR"].values["border_any"] is None  # undetermined
    # a district with no sourced population has no density: unknown, never 0
    rwp = data["PK-PB-RWP"].values
    assert rwp["population"] is None and rwp["density_per_km2"] is None
    assert data["PK-IS-ISB"].values["mpi_headcount_pct"] is None


def test_coverage_counts() -> None:
    cov = covariates.coverage()
    assert cov["merged_district"] == cov["distance_to_capital_km"] == 168
    assert 0 < cov["population"] < 168 and 0 < cov["area_km2"] < 168
