"""An entity above the reader's clearance leaves no trace in scorecards or overdue lists (not even a '?')."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from tests.helpers import ADMIN, PUBLIC
from tests.monitoring_support import FW, setup_cycles

from nigran.access.classification import Classification
from nigran.access.principal import Principal
from nigran.monitoring.scorecards import overdue_items, scorecard
from nigran.monitoring.scoring import score_framework
from nigran.policy.models import Entity


def test_hidden_entity_is_absent_not_anonymous(db):
    setup_cycles(db)
    with db.session(Principal.system()) as s:
        s.scalar(select(Entity).where(Entity.code == "KP")).classification = Classification.RESTRICTED
    later = date(2030, 1, 1)
    with db.session(PUBLIC) as s:
        rows = scorecard(score_framework(s, FW, "2024", as_of=later), "entity")
        overdue = overdue_items(s, FW, as_of=later)
    assert rows and overdue, "other entities still show"
    assert {r.code for r in rows}.isdisjoint({"KP", "?", None})
    assert all(item.entity not in ("KP", "?") for item in overdue)
    with db.session(ADMIN) as s:
        assert "KP" in {r.code for r in scorecard(score_framework(s, FW, "2024", as_of=later), "entity")}
        assert any(item.entity == "KP" for item in overdue_items(s, FW, as_of=later))
