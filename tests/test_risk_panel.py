"""The district-month panel: zeros are real, unknown fatalities stay unknown, duplicates and hidden incidents
are left out, every district appears, neighbours come from the boundaries, and it builds fast."""

from __future__ import annotations

import time
from datetime import date

import numpy as np
import pytest
from sqlalchemy.orm import Session

from nigran.access.classification import Classification
from nigran.access.principal import Principal
from nigran.core.errors import InvalidInput
from nigran.incidents.models import Incident
from nigran.risk.panel import build_panel, month_key, month_label, parse_month
from nigran.storage.db import Database

PESHAWAR, KHYBER, QUETTA = "PK-KP-PSH", "PK-KP-KHB", "PK-BA-QTA"


def incident(
    session: Session,
    day: date,
    district: str | None,
    province: str = "PK-KP",
    killed: int | None = 0,
    level: Classification = Classification.PUBLIC,
    duplicate_of: int | None = None,
    actor_id: int | None = None,
) -> Incident:
    row = Incident(
        date=day, year=day.year, month=day.month, province_code=province, district_code=district,
        event_type="bombing", killed=killed, classification=level, duplicate_of_id=duplicate_of,
        actor_id=actor_id,
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row


def test_zeros_are_real_and_unknown_fatalities_stay_unknown(db: Database) -> None:
    with db.session(Principal.system()) as s:
        a = incident(s, date(2020, 1, 5), PESHAWAR, killed=3)
        incident(s, date(2020, 1, 9), PESHAWAR, killed=None)  # figure unknown: 3 is a lower bound, 1 of 2
        incident(s, date(2020, 3, 2), PESHAWAR, killed=None)  # the month's only incident gives no figure
        incident(
            s, date(2020, 3, 3), PESHAWAR, killed=2, duplicate_of=a.id
        )  # a merged duplicate: not counted
        incident(s, date(2020, 2, 1), None, province="PK-KP", killed=1)  # province only: unplaced
        incident(s, date(2020, 2, 7), KHYBER, killed=5, level=Classification.SECRET)
    with db.session(Principal.anonymous(), readonly=True) as s:
        panel = build_panel(s, "district")
        province = build_panel(s, "province")
    assert len(panel.codes) == 168  # every district of the administrative units
    assert [month_label(k) for k in panel.months] == ["2020-01", "2020-02", "2020-03"]
    i, k = panel.index_of(PESHAWAR), panel.index_of(KHYBER)
    assert panel.incidents[i].tolist() == [2, 0, 1]
    assert panel.fatalities[i, 0] == 3 and panel.killed_known[i, 0] == 1
    assert panel.fatalities[i, 1] == 0  # no incident: a real zero
    assert np.isnan(panel.fatalities[i, 2])  # incidents, none with a figure: unknown, not 0
    assert panel.known_share()[i, 0] == 0.5
    assert panel.fatal[i].tolist() == [1, 0, 0]
    assert panel.incidents[k].sum() == 0  # the SECRET incident is invisible to the public reader
    assert panel.unplaced == {month_key(2020, 2): 1}
    p = province.index_of("PK-KP")
    assert province.incidents[p].tolist() == [2, 1, 1]  # province-only incident counts in its province
    with db.session(Principal.system(), readonly=True) as s:
        everything = build_panel(s, "district")
        capped = build_panel(s, "district", level=Classification.RESTRICTED)
    assert everything.incidents[k].sum() == 1 and capped.incidents[k].sum() == 0


def test_neighbours_come_from_shared_borders(db: Database) -> None:
    with db.session(Principal.system()) as s:
        incident(s, date(2020, 1, 5), PESHAWAR)
        panel = build_panel(s)
    near = {panel.codes[j] for j in panel.neighbours[panel.index_of(PESHAWAR)]}
    assert KHYBER in near and QUETTA not in near
    karachi = {panel.codes[j] for j in panel.neighbours[panel.index_of("PK-SD-KHS")]}
    assert "PK-SD-KHE" in karachi  # districts drawn in one polygon neighbour each other
    assert all(panel.neighbours), "every district has a neighbour"


def test_bad_arguments_are_problems(db: Database) -> None:
    with db.session(Principal.system()) as s:
        with pytest.raises(InvalidInput):
            build_panel(s)  # no incidents
        incident(s, date(2020, 1, 5), PESHAWAR)
        with pytest.raises(InvalidInput):
            build_panel(s, "village")
        with pytest.raises(InvalidInput):
            build_panel(s, start="2020-13")
        with pytest.raises(InvalidInput):
            build_panel(s, start="2021-01", end="2020-01")
    assert parse_month("2021-07") == month_key(2021, 7)


def test_panel_of_thirty_years_builds_fast(demo_db: Database) -> None:
    with demo_db.session(Principal.anonymous(), readonly=True) as s:
        build_panel(s)  # warm: adjacency is computed once per process
        began = time.perf_counter()
        panel = build_panel(s)
        took = time.perf_counter() - began
    assert panel.incidents.shape == (168, 396) and panel.incidents.sum() == 6416
    assert took < 2.0, f"panel took {took:.2f} s"
