"""The access guard: no record above a reader's clearance is seen, counted, searched or exported,
and writes respect role, clearance, classification floors and the focal person's entity."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import selectinload
from tests.helpers import ADMIN, ANALYST, CANARIES, PUBLIC, SECRET_ONLY, focal, load_fixture

from nigran.access.classification import Classification
from nigran.access.errors import AccessDenied, NoPrincipal
from nigran.access.principal import Principal
from nigran.core.yamldoc import dump_yaml
from nigran.monitoring.overview import overview
from nigran.policy import service
from nigran.policy.derive import diff_documents
from nigran.policy.export import framework_to_dict
from nigran.policy.models import Action, Framework, Indicator, IndicatorTarget, Milestone, Objective, Section


def _everything_visible_as(db, principal) -> str:  # type: ignore[no-untyped-def]
    """Every read path of the register, dumped to one string."""
    with db.session(principal) as s:
        parts = [dump_yaml(service.export_document(s, "CANARY-FW"))]
        parts.append(json.dumps([r.__dict__ for r in service.list_frameworks(s)]))
        for model in (Section, Objective, Indicator, IndicatorTarget, Action, Milestone):
            for row in s.scalars(select(model)):
                parts.append(repr({c.key: getattr(row, c.key) for c in row.__mapper__.column_attrs}))
        fw = s.scalar(select(Framework).options(selectinload(Framework.sections)))
        for section in fw.sections:
            for objective in section.objectives:
                parts += [i.name for i in objective.indicators] + [a.title for a in objective.actions]
                parts += [str(t.value) for i in objective.indicators for t in i.targets]
        parts.append(repr(overview(s)))
        doc = service.export_document(s, "CANARY-FW")
        parts.append(repr(diff_documents(doc, doc)))
    return "\n".join(parts)


def test_public_reader_never_sees_classified_content(db):
    load_fixture(db)
    seen = _everything_visible_as(db, PUBLIC)
    assert "Public indicator" in seen  # the check can fail: public content does come through
    for canary in CANARIES:
        assert canary not in seen, canary


def test_restricted_reader_sees_restricted_but_not_secret(db):
    load_fixture(db)
    seen = _everything_visible_as(db, ANALYST)
    assert "CANARY-RESTRICTED-IND" in seen and "987654.321" in seen
    for canary in SECRET_ONLY:
        assert canary not in seen, canary


def test_secret_reader_sees_everything(db):
    load_fixture(db)
    seen = _everything_visible_as(db, ADMIN)
    for canary in CANARIES:
        assert canary in seen, canary


def test_counts_and_aggregates_exclude_what_cannot_be_seen(db):
    load_fixture(db)
    expected = {  # (sections, objectives, indicators, actions, targets, milestones)
        PUBLIC: (1, 1, 1, 1, 2, 1),
        ANALYST: (1, 1, 2, 1, 3, 1),
        ADMIN: (2, 2, 3, 2, 3, 2),
    }
    for principal, counts in expected.items():
        with db.session(principal) as s:
            got = tuple(
                s.scalar(select(func.count()).select_from(m))
                for m in (Section, Objective, Indicator, Action, IndicatorTarget, Milestone)
            )
            assert got == counts, principal.username
            # aggregates over values: the canary baseline must not move a public sum
            total = s.scalar(select(func.sum(Indicator.baseline_value)))
            assert (
                total
                == {PUBLIC: 10, ANALYST: 10 + 987654.321, ADMIN: 10 + 987654.321 + 424242.4242}[principal]
            )
        with db.session(principal) as s:
            summary = service.list_frameworks(s)[0]
            assert (summary.sections, summary.objectives, summary.indicators, summary.actions) == counts[:4]


def test_search_by_text_cannot_find_classified_records(db):
    load_fixture(db)
    with db.session(PUBLIC) as s:
        assert s.scalars(select(Indicator).where(Indicator.name.like("%CANARY%"))).all() == []
        secret_id = None
    with db.session(Principal.system()) as s:
        secret_id = s.scalar(select(Indicator.id).where(Indicator.code == "CANARY-FW.S2.O1.I1"))
    with db.session(PUBLIC) as s:
        assert s.get(Indicator, secret_id) is None
    with db.session(ADMIN) as s:
        assert s.get(Indicator, secret_id).name == "Secret indicator CANARY-SECRET-IND"


def test_raw_sql_and_core_reads_are_refused_for_users(db):
    load_fixture(db)
    with pytest.raises(AccessDenied), db.session(PUBLIC) as s:
        s.execute(text("SELECT name FROM indicator")).all()
    with pytest.raises(AccessDenied), db.session(ADMIN) as s:
        s.execute(select(Indicator.__table__.c.name)).all()


def test_session_without_principal_fails_closed(db):
    session = db._factory()
    try:
        with pytest.raises(NoPrincipal):
            session.scalars(select(Indicator)).all()
    finally:
        session.close()


def test_public_reader_cannot_write(db):
    load_fixture(db)
    with pytest.raises(AccessDenied), db.session(PUBLIC) as s:
        s.scalar(select(Indicator).where(Indicator.code == "CANARY-FW.S1.O1.I1")).unit = "x"
    with db.session(ADMIN) as s:
        assert s.scalar(select(Indicator).where(Indicator.code == "CANARY-FW.S1.O1.I1")).unit == "percent"


def test_writer_cannot_write_above_own_clearance(db):
    load_fixture(db)
    with pytest.raises(AccessDenied, match="SECRET"), db.session(ANALYST) as s:
        ind = s.scalar(select(Indicator).where(Indicator.code == "CANARY-FW.S1.O1.I1"))
        ind.classification = Classification.SECRET
    with pytest.raises(AccessDenied), db.session(ANALYST) as s:
        objective = s.scalar(select(Objective).where(Objective.code == "CANARY-FW.S1.O1"))
        s.add(
            Indicator(
                framework_id=objective.framework_id,
                objective=objective,
                code="X",
                name="x",
                classification=Classification.SECRET,
            )
        )


def test_child_never_less_classified_than_parent(db):
    load_fixture(db)
    with pytest.raises(AccessDenied, match="never less classified"), db.session(ADMIN) as s:
        objective = s.scalar(select(Objective).where(Objective.code == "CANARY-FW.S2.O1"))
        s.add(
            Indicator(
                framework_id=objective.framework_id,
                objective=objective,
                code="LEAK",
                name="leak",
                classification=Classification.PUBLIC,
            )
        )
    with db.session(ADMIN) as s:
        assert s.scalar(select(Indicator).where(Indicator.code == "LEAK")) is None


def test_focal_person_writes_only_for_own_entity(db):
    load_fixture(db)
    kp, moi = focal(db, "KP"), focal(db, "MOI")
    with db.session(kp) as s:  # the action is owned by KP
        milestone = s.scalar(select(Milestone).where(Milestone.code == "CANARY-FW.S1.O1.A1.M1"))
        milestone.status = "in_progress"
    with pytest.raises(AccessDenied, match="own entity"), db.session(moi) as s:
        milestone = s.scalar(select(Milestone).where(Milestone.code == "CANARY-FW.S1.O1.A1.M1"))
        milestone.status = "completed"
    with pytest.raises(AccessDenied), db.session(kp) as s:  # focal persons do not edit the register
        s.scalar(select(Indicator).where(Indicator.code == "CANARY-FW.S1.O1.I1")).unit = "x"
    with db.session(ADMIN) as s:
        assert (
            s.scalar(select(Milestone.status).where(Milestone.code == "CANARY-FW.S1.O1.A1.M1"))
            == "in_progress"
        )


def test_export_as_public_round_trips_public_part_only(db):
    load_fixture(db)
    with db.session(PUBLIC) as s:
        doc = framework_to_dict(service.get_framework(s, "CANARY-FW"))
    codes = [sec["code"] for sec in doc["framework"]["sections"]]
    assert codes == ["CANARY-FW.S1"]
    indicators = doc["framework"]["sections"][0]["objectives"][0]["indicators"]
    assert [i["code"] for i in indicators] == ["CANARY-FW.S1.O1.I1"]


def test_every_new_database_object_is_guarded(db):
    """Regression: guards registered per sessionmaker were skipped when a new one reused a collected one's
    memory address, leaving a session unfiltered. Many short-lived Database objects must all be guarded."""
    import gc

    from nigran.storage.db import Database

    load_fixture(db)
    for _ in range(20):
        other = Database(db.url)
        with other.session(PUBLIC) as s:
            assert s.scalar(select(func.count()).select_from(Indicator)) == 1
        with pytest.raises(AccessDenied), other.session(ANALYST) as s:
            s.scalar(
                select(Indicator).where(Indicator.code == "CANARY-FW.S1.O1.I1")
            ).classification = Classification.SECRET
        other.dispose()
        del other
        gc.collect()


def test_statement_level_inserts_are_checked_and_updates_refused(db):
    from sqlalchemy import insert, update

    from nigran.geo.models import AdminUnit

    load_fixture(db)
    with db.session(ANALYST) as s:
        objective_id, framework_id = s.execute(select(Objective.id, Objective.framework_id)).first()
        row = {
            "framework_id": framework_id,
            "objective_id": objective_id,
            "code": "BULK-1",
            "name": "bulk",
            "classification": Classification.RESTRICTED,
        }
        s.execute(insert(Indicator), [row])
    with pytest.raises(AccessDenied, match="SECRET"), db.session(ANALYST) as s:
        s.execute(insert(Indicator), [{**row, "code": "BULK-2", "classification": Classification.SECRET}])
    with pytest.raises(AccessDenied, match="may not write"), db.session(ANALYST) as s:
        s.execute(insert(AdminUnit), [{"code": "X", "name": "x", "level": "district"}])
    with pytest.raises(AccessDenied, match="bulk UPDATE"), db.session(ADMIN) as s:
        s.execute(update(Indicator).values(unit="x"))
    with db.session(ADMIN) as s:
        assert s.scalar(select(func.count()).select_from(Indicator).where(Indicator.code.like("BULK-%"))) == 1
