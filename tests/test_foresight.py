"""The foresight register: loading from YAML (line-numbered problems), signpost crossings with evidence,
idempotent checks, signposts that see only their own level, and SECRET scenarios invisible below SECRET."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from tests.test_alerts import ADMIN, ANALYST, NWZ, PES, add_incidents

from nigran.access.principal import Principal
from nigran.core.errors import NotFound
from nigran.core.problems import InvalidInput
from nigran.foresight.models import SignpostCrossing
from nigran.foresight.service import (
    export_register,
    get_scenario,
    list_scenarios,
    load_register,
    scenario_dict,
)
from nigran.foresight.signposts import check
from nigran.storage.db import Database

REGISTER = b"""scenarios:
  - code: OPEN
    title: Open scenario
    horizon_year: 2027
    drivers: [a, b]
    uncertainties: [c]
    signposts:
      - code: PES-3M
        description: At least 6 incidents in Peshawar over three months
        kind: incidents
        query: {district: Peshawar}
        months: 3
        measure: incidents
        comparison: ">="
        threshold: 6
      - code: NWZ-DEATHS
        description: More than 3 deaths in North Waziristan in 2021
        kind: incidents
        query: {district: North Waziristan, from: "2021", to: "2021"}
        measure: killed
        comparison: ">"
        threshold: 3
  - code: HIDDEN
    title: Hidden scenario
    classification: SECRET
    signposts:
      - code: PES-ANY
        description: At least 6 incidents in Peshawar over three months
        kind: incidents
        query: {district: Peshawar}
        months: 3
        comparison: ">="
        threshold: 6
"""


def test_crossings_with_evidence_and_levels(db: Database) -> None:
    public = add_incidents(db, PES, "2021-03", 5)
    secret = add_incidents(db, PES, "2021-03", 1, level="SECRET")
    nwz = add_incidents(db, NWZ, "2021-02", 2, killed=2)
    with db.session(Principal.system()) as s:
        assert load_register(s, REGISTER, "register.yaml") == (2, 0)
    with db.session(ANALYST) as s:
        results = check(s)
        assert len(results) == 2  # the SECRET scenario's signpost is checked, not reported to the analyst
    with db.session(ADMIN, readonly=True) as s:
        by_code = {sp.code: sp for sc in list_scenarios(s) for sp in sc.signposts}
        open_sp, hidden_sp, deaths = by_code["PES-3M"], by_code["PES-ANY"], by_code["NWZ-DEATHS"]
        # the PUBLIC signpost sees the 5 PUBLIC incidents only: not crossed
        assert (open_sp.status, open_sp.last_value, open_sp.crossings) == ("not_crossed", 5.0, [])
        # the SECRET one sees 6, is crossed, with the incidents as evidence
        assert (hidden_sp.status, hidden_sp.last_value) == ("crossed", 6.0)
        (crossing,) = hidden_sp.crossings
        assert crossing.evidence["incident_ids"] == sorted(public + secret)
        assert crossing.period == "2021-01-01..2021-03-31"
        assert crossing.classification.name == "SECRET"
        assert (deaths.status, deaths.last_value) == ("crossed", 4.0)
        assert deaths.crossings[0].evidence["incident_ids"] == sorted(nwz)
    with db.session(Principal.system()) as s:  # checking again records nothing new
        assert not any(r.new_crossing for r in check(s))
        assert s.scalar(select(func.count(SignpostCrossing.id))) == 2


def test_secret_scenario_invisible_below_secret(db: Database) -> None:
    with db.session(Principal.system()) as s:
        load_register(s, REGISTER, "register.yaml")
    with db.session(ADMIN, readonly=True) as s:
        hidden_id = next(sc.id for sc in list_scenarios(s) if sc.code == "HIDDEN")
    with db.session(ANALYST, readonly=True) as s:
        assert [sc.code for sc in list_scenarios(s)] == ["OPEN"]
        with pytest.raises(NotFound):
            get_scenario(s, hidden_id)
        assert "HIDDEN" not in export_register(s)


def test_register_problems_name_lines(db: Database) -> None:
    doc = b"""scenarios:
  - code: X
    title: T
    horizon_year: 1800
    signposts:
      - code: S
        description: d
        kind: incidents
        query: {province: Atlantis}
        measure: smiles
        comparison: "=="
        threshold: many
"""
    with db.session(Principal.system()) as s, pytest.raises(InvalidInput) as err:
        load_register(s, doc, "reg.yaml")
    text = str(err.value)
    for expected in (
        "reg.yaml:4: horizon_year",
        "reg.yaml:9: province: unknown province 'Atlantis'",
        "reg.yaml:10: measure",
        "reg.yaml:11: comparison",
        "reg.yaml:12: threshold",
    ):
        assert expected in text, text


def test_reload_updates_and_export_round_trips(db: Database) -> None:
    with db.session(Principal.system()) as s:
        load_register(s, REGISTER, "register.yaml")
        text = export_register(s)
    with db.session(Principal.system()) as s:
        assert load_register(s, text.encode(), "export.yaml") == (0, 2)
        data = [scenario_dict(sc) for sc in list_scenarios(s)]
    assert [len(d["signposts"]) for d in data] == [1, 2]


def test_example_register_loads(db: Database) -> None:
    from nigran.foresight.service import load_example

    with db.session(Principal.system()) as s:
        assert load_example(s) == (2, 0)
        assert load_example(s) == (0, 2)
        assert len(check(s)) == 4
