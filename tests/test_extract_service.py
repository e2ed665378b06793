"""The service with the real extractor (``nigran.extract.engine``), when it is installed: the example of
``../shared/data/README.md`` gives two candidates, a matched second report, and accepted incidents."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from tests.test_extract_review import ANALYST, add_article

from nigran.access.principal import Principal
from nigran.core.errors import Conflict
from nigran.extract import review, service
from nigran.extract.models import Candidate
from nigran.incidents.models import Incident
from nigran.storage.db import Database

EXAMPLE = (
    "QUETTA: Five policemen were martyred and eight people injured when militants stormed a check post in "
    "Mastung late on Friday. Two attackers were killed in the exchange of fire. No group has claimed the "
    "attack. In a separate incident, a roadside bomb wounded three soldiers in Kech on Saturday."
)


def real_extractor() -> service.Extractor:
    try:
        return service.default_extractor()
    except Conflict:
        pytest.skip("the extractor (nigran.extract.engine) is not installed")


def test_real_extractor_loop(db: Database) -> None:
    ex = real_extractor()
    article = add_article(db, EXAMPLE)
    with db.session(ANALYST) as s:
        summary = service.extract_articles(s, [article], extractor=ex)
    assert summary.extracted == [article] and summary.candidates >= 1
    with db.session(Principal.system()) as s:
        cands = list(s.scalars(select(Candidate).where(Candidate.article_id == article)))
        assert all(c.extractor == ex.version for c in cands)
        ids = [c.id for c in cands]
    with db.session(ANALYST) as s:
        made = [
            review.accept(s, cid, new=True).incident.id
            for cid in ids
            if service.effective(s.get(Candidate, cid))["event_type"]
        ]
    with db.session(Principal.system()) as s:
        incidents = [s.get(Incident, i) for i in made]
        assert any(i.date == date(2024, 11, 15) and i.district == "Mastung" for i in incidents)


def test_real_extractor_second_report_becomes_a_source(db: Database) -> None:
    from tests.test_extract_review import FIRST, SECOND, candidates_of

    ex = real_extractor()
    first, second = add_article(db, FIRST), add_article(db, SECOND)
    with db.session(ANALYST) as s:
        service.extract_articles(s, [first], extractor=ex)
    [c1] = candidates_of(db, first)
    with db.session(ANALYST) as s:
        incident_id = review.accept(s, c1.id).incident.id
    with db.session(ANALYST) as s:
        service.extract_articles(s, [second], extractor=ex)
    [c2] = candidates_of(db, second)
    assert c2.matched_incident_id == incident_id
    with db.session(ANALYST) as s:
        assert review.accept(s, c2.id).incident.id == incident_id
    with db.session(Principal.system()) as s:
        inc = s.get(Incident, incident_id)
        assert len(inc.sources) == 2
        assert (inc.victims_killed, inc.militants_killed, inc.injured) == (7, 2, 11)
