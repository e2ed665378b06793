"""The bundled reference data and frameworks are valid, load, and hold what the issue promises."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from tests.helpers import ADMIN, PUBLIC

from nigran.access.principal import Principal
from nigran.geo.models import AdminUnit
from nigran.policy import service
from nigran.policy.derive import diff_documents
from nigran.policy.models import Entity, Framework, Indicator
from nigran.policy.validate import validate_document
from nigran.reference import bundled_entity_codes, bundled_frameworks, load_admin_units, load_entities

CODES = {"NSP-2022", "NAP-2014", "NAP-2021", "AZM-2024"}


@pytest.mark.parametrize("path", bundled_frameworks(), ids=lambda p: p.name)
def test_bundled_framework_is_valid(path):
    doc, problems = service.read_document(path.read_bytes(), str(path))
    assert problems == []
    assert validate_document(doc, str(path), bundled_entity_codes()) == []
    indicators = [
        i
        for s in doc["framework"]["sections"]
        for sub in [s, *(s.get("sections") or [])]
        for o in sub.get("objectives") or []
        for i in o.get("indicators") or []
    ]
    assert indicators and all(i.get("source") for i in indicators), "every indicator names its data source"


def test_all_four_frameworks_are_bundled():
    codes = {
        str(service.read_document(p.read_bytes(), str(p))[0]["framework"]["code"])
        for p in bundled_frameworks()
    }
    assert codes >= CODES


def test_demo_state_has_frameworks_entities_and_units(demo_db):
    with demo_db.session(ADMIN) as s:
        assert set(s.scalars(select(Framework.code))) >= CODES
        nsp = service.get_framework(s, "NSP-2022")
        titles = " ".join(sec.title.lower() for sec in nsp.sections)
        for theme in ("cohesion", "econom", "defence", "internal security", "foreign", "human security"):
            assert theme in titles, theme
        assert (
            s.scalar(select(func.count()).select_from(Indicator).where(Indicator.framework_id == nsp.id))
            >= 50
        )
        provinces = {
            e.code
            for e in s.scalars(select(Entity).where(Entity.kind.in_(["province", "region", "territory"])))
        }
        assert len(provinces) == 7
        assert {"NSD", "NACTA", "MOI"} <= set(s.scalars(select(Entity.code)))
    with demo_db.session(PUBLIC) as s:
        public = s.scalar(select(func.count()).select_from(Indicator))
    with demo_db.session(ADMIN) as s:
        everything = s.scalar(select(func.count()).select_from(Indicator))
    assert public < everything, "the bundled data has classified indicators, hidden from the public"


def test_admin_units_cover_provinces_districts_and_merged_districts(demo_db):
    with demo_db.session(PUBLIC) as s:
        units = list(s.scalars(select(AdminUnit)))
    by_level: dict[str, list[AdminUnit]] = {}
    for unit in units:
        by_level.setdefault(unit.level, []).append(unit)
    assert len(by_level["district"]) >= 150
    assert all(u.name_ur for u in units), "every unit has its Urdu name"
    names = {u.name for u in by_level["district"]}
    for merged in ("Bajaur", "Mohmand", "Khyber", "Kurram", "Orakzai", "North Waziristan"):
        assert merged in names, merged
    kp = next(u for u in units if u.code == "PK-KP")
    assert "NWFP" in kp.aliases or "North-West Frontier Province" in kp.former_names


def test_reference_loads_are_idempotent(db):
    with db.session(Principal.system()) as s:
        before = (
            s.scalar(select(func.count()).select_from(AdminUnit)),
            s.scalar(select(func.count()).select_from(Entity)),
        )
        load_admin_units(s)
        load_entities(s)
    with db.session(Principal.system()) as s:
        after = (
            s.scalar(select(func.count()).select_from(AdminUnit)),
            s.scalar(select(func.count()).select_from(Entity)),
        )
    assert before == after and before[0] > 200


def test_derive_next_nsp_and_diff_nap_revisions(demo_db):
    with demo_db.session(ADMIN) as s:
        new = service.derive(s, "NSP-2022", "NSP-2027", start=None, end=None)
        assert new.predecessor.code == "NSP-2022" and new.period_start.year == 2027
        changes = diff_documents(
            service.export_document(s, "NAP-2014"), service.export_document(s, "NAP-2021")
        )
    assert changes and {c.change for c in changes} <= {"added", "removed", "changed"}
