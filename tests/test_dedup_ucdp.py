"""De-duplication on the real UCDP GED import, and the same attack reported by ACLED and UCDP.

UCDP GED has no duplicates by construction (one event per dyad, day and place), so nothing may be proposed
among its own records. The Army Public School attack in Peshawar (16 December 2014) is in UCDP twice, on
purpose: 146 civilians killed (one-sided violence) and 10 in the fighting with the army (state-based). A
synthetic ACLED record of the attack must pair with the first and not the second.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from nigran.access.principal import Principal
from nigran.incidents import analytics, cube, dedup
from nigran.incidents.importer import import_file
from nigran.incidents.models import Incident, IncidentSource

SYSTEM = Principal.system()


def incident_of(s, dataset: str, source_id: str) -> int:  # type: ignore[no-untyped-def]
    stmt = select(IncidentSource.incident_id).where(
        IncidentSource.dataset == dataset, IncidentSource.source_id == source_id
    )
    return s.scalar(stmt)


def incidents_2014(s) -> int:  # type: ignore[no-untyped-def]
    rows = analytics.summary(
        s, "year", analytics.Filters(date_from=date(2014, 1, 1), date_to=date(2014, 12, 31))
    )
    return rows[0].values["incidents"]


def test_ucdp_import_has_no_candidates_and_an_acled_copy_is_found(db, shared_data: Path) -> None:  # type: ignore[no-untyped-def]
    path = shared_data / "ucdp" / "ged221_pakistan.csv"
    if not path.exists():
        pytest.skip(f"{path} not found")
    with db.session(SYSTEM) as s:
        assert import_file(s, path, "ucdp-ged").inserted == 6416
    with db.session(SYSTEM) as s:
        assert dedup.find_candidates(s) == []
        civilians, fighting = incident_of(s, "ucdp-ged", "156098"), incident_of(s, "ucdp-ged", "156132")
        ucdp_only = incidents_2014(s)
        acled = Incident(
            date=date(2014, 12, 16), year=2014, month=12, province_code="PK-KP", district_code="PK-KP-PSH",
            place="Peshawar - Army Public School", event_type="armed_assault", killed=150, injured=114,
        )  # fmt: skip
        acled.sources.append(IncidentSource(dataset="acled", source_id="PAK-SYNTH-1", row_hash="synthetic"))
        s.add(acled)
        s.flush()
        cube.apply(s, added=[acled])
        acled_id = acled.id
    with db.session(SYSTEM) as s:
        found = dedup.find_candidates(s, date_from=date(2014, 12, 1), date_to=date(2014, 12, 31))
        pairs = [(c.first_id, c.second_id) for c in found]
        assert pairs[0] == (civilians, acled_id)
        assert (fighting, acled_id) not in pairs  # 10 killed vs 150: contradictory tolls
        assert all(acled_id in p for p in pairs)  # UCDP records are never paired with each other
        assert incidents_2014(s) == ucdp_only + 1
        dedup.merge(s, [civilians, acled_id])
    with db.session(SYSTEM) as s:
        assert incidents_2014(s) == ucdp_only  # the group counts once
        sources = {f"{x.dataset}:{x.source_id}" for x in dedup.group_sources(s, acled_id)}
        assert sources == {"ucdp-ged:156098", "acled:PAK-SYNTH-1"}
        dedup.unmerge(s, acled_id)
    with db.session(SYSTEM) as s:
        assert incidents_2014(s) == ucdp_only + 1
