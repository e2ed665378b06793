"""The review loop: article → candidates → accept (a new incident, counted by analytics) → a second report of
the same event matched → accept (one incident, two sources, figures never erased); reject keeps the row;
bad edits change nothing; a RESTRICTED article's candidates are invisible to a less cleared reader."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select
from tests.test_dedup_figures import cube_matches_rebuild

from nigran.access.classification import Classification
from nigran.access.principal import Principal, Role
from nigran.core.errors import AccessDenied, IllegalTransition, NotFound
from nigran.core.problems import InvalidInput
from nigran.extract import review, service
from nigran.extract.models import Candidate
from nigran.extract.service import Extractor
from nigran.incidents import analytics
from nigran.incidents.analytics import Filters
from nigran.incidents.models import Incident, IncidentSource
from nigran.news.models import Article
from nigran.storage.db import Database

SYSTEM = Principal.system()
ANALYST = Principal("analyst", Role.ANALYST, Classification.RESTRICTED)
ADMIN = Principal("admin", Role.ADMINISTRATOR, Classification.SECRET)
PUBLIC_ANALYST = Principal("pa", Role.ANALYST, Classification.PUBLIC)
READER = Principal.anonymous()
NOVEMBER = Filters(date_from=date(2024, 11, 1), date_to=date(2024, 11, 30))

FIRST = (
    "QUETTA: Five policemen were martyred and eight people injured when militants stormed a check post in "
    "Mastung late on Friday. Two attackers were killed in the exchange of fire. No group has claimed the "
    "attack."
)
SECOND = (
    "MASTUNG: The death toll of Friday's attack on a police check post in Mastung rose to seven, officials "
    "said. Eleven people were injured."
)
EDITORIAL = "EDITORIAL: The province needs a better policing policy, and the assembly must act."


def span(text: str, phrase: str) -> list[int]:
    start = text.index(phrase)
    return [start, start + len(phrase)]


def incident(text: str, **values: Any) -> dict[str, Any]:
    """An extractor dict: values, evidence spans for the phrases given in ``evidence``, confidences."""
    evidence = values.pop("evidence", {})
    out: dict[str, Any] = {f: None for f in service.FIELDS}
    out.update(values)
    out["evidence"] = {f: span(text, p) for f, p in evidence.items()}
    out["confidence"] = {f: 0.9 if f in evidence else 0.5 for f in service.FIELDS}
    return out


def fake_extractor(table: dict[str, list[dict[str, Any]]]) -> Extractor:
    def run(text: str, published: date | None) -> list[dict[str, Any]]:
        return table.get(text, [])

    return Extractor(run, "fake-1")


TABLE = {
    FIRST: [
        incident(
            FIRST,
            date="2024-11-15",
            province="Balochistan",
            district="Mastung",
            event_type="armed_assault",
            perpetrator="unknown",
            claimed=False,
            victims_killed=5,
            militants_killed=2,
            injured=8,
            target="police check post",
            evidence={
                "victims_killed": "Five policemen were martyred",
                "injured": "eight people injured",
                "district": "Mastung",
                "militants_killed": "Two attackers were killed",
            },
        )
    ],
    SECOND: [
        incident(
            SECOND,
            date="2024-11-15",
            province="Balochistan",
            district="Mastung",
            event_type="armed_assault",
            perpetrator="unknown",
            victims_killed=7,
            injured=11,
            target="police check post",
            evidence={"victims_killed": "rose to seven", "injured": "Eleven people were injured"},
        )
    ],
    EDITORIAL: [],
}


def add_article(
    db: Database,
    text: str,
    *,
    level: Classification = Classification.PUBLIC,
    language: str = "en",
    title: str = "Report",
) -> int:
    with db.session(SYSTEM) as s:
        art = Article(
            content_hash=hashlib.sha256(text.encode()).hexdigest(), text=text, source_kind="text",
            language=language, published=date(2024, 11, 16), title=title, url="https://example.org/a",
            outlet="Example", classification=level,
        )  # fmt: skip
        s.add(art)
        s.flush()
        return art.id


def candidates_of(db: Database, article_id: int) -> list[Candidate]:
    with db.session(SYSTEM) as s:
        rows = list(s.scalars(select(Candidate).where(Candidate.article_id == article_id)))
        s.expunge_all()
        return rows


def test_full_loop_new_incident_then_second_source(db: Database) -> None:
    first, second, editorial = (add_article(db, t) for t in (FIRST, SECOND, EDITORIAL))
    ex = fake_extractor(TABLE)
    with db.session(ANALYST) as s:
        summary = service.extract_articles(s, [first, editorial], extractor=ex)
    assert summary.candidates == 1 and summary.empty == [editorial]
    assert sorted(summary.extracted) == sorted([first, editorial])
    with db.session(SYSTEM) as s:
        assert s.get(Article, editorial).status == "extracted"
        assert s.get(Article, first).status == "extracted"
    [cand] = candidates_of(db, first)
    assert cand.status == "pending" and cand.extractor == "fake-1" and cand.matched_incident_id is None
    assert cand.confidence == pytest.approx((0.9 * 4 + 0.5 * 8) / 12, abs=1e-3)

    # idempotent: an extracted article is skipped, its candidates not duplicated
    with db.session(ANALYST) as s:
        again = service.extract_articles(s, [first], extractor=ex)
    assert again.skipped == [first] and len(candidates_of(db, first)) == 1

    with db.session(ANALYST) as s:
        decision = review.accept(s, cand.id, note="checked against the ISPR statement")
        assert decision.created
        incident_id = decision.incident.id
    with db.session(SYSTEM) as s:
        inc = s.get(Incident, incident_id)
        assert (inc.district_code, inc.province_code) == ("PK-BA-MAS", "PK-BA") or inc.district == "Mastung"
        assert inc.district_code is not None
        assert (inc.killed, inc.victims_killed, inc.militants_killed, inc.injured, inc.hostages) == (
            7, 5, 2, 8, None,
        )  # fmt: skip
        [src] = inc.sources
        assert src.dataset == "article" and src.source_id == f"article-{first}-1"
        assert src.url == "https://example.org/a" and src.published == date(2024, 11, 16)
        assert src.raw["sentences"]["victims_killed"].startswith("QUETTA: Five policemen were martyred")
        assert src.raw["evidence"]["injured"] == span(FIRST, "eight people injured")
        assert service.evidence_for_source(src)[0][0] in service.FIELDS
        c = s.get(Candidate, cand.id)
        assert (c.status, c.incident_id, c.reviewed_by) == ("accepted", incident_id, "analyst")
        assert c.review_note == "checked against the ISPR statement"
    # analytics count it, with its figures, for a public reader too
    with db.session(READER, readonly=True) as s:
        [row] = analytics.summary(s, "month", NOVEMBER)
        assert row.values["incidents"] == 1 and row.values["killed"] == 7 and row.values["injured"] == 8
    assert cube_matches_rebuild(db)

    # the second report of the same event: matched, accepted into the same incident
    with db.session(ANALYST) as s:
        service.extract_articles(s, [second], extractor=ex)
    [cand2] = candidates_of(db, second)
    assert cand2.matched_incident_id == incident_id and cand2.match_score >= 0.6
    with db.session(ANALYST) as s:
        decision = review.accept(s, cand2.id)
        assert not decision.created and decision.incident.id == incident_id
    with db.session(SYSTEM) as s:
        assert s.scalar(select(Incident.id).where(Incident.id != incident_id)) is None  # still one incident
        inc = s.get(Incident, incident_id)
        assert [x.source_id for x in inc.sources] == [f"article-{first}-1", f"article-{second}-1"]
        # the largest known figure of each; the second's blank militants figure erases nothing
        assert (inc.victims_killed, inc.militants_killed, inc.injured, inc.killed) == (7, 2, 11, 7)
        own = s.scalar(select(IncidentSource).where(IncidentSource.source_id == f"article-{second}-1"))
        assert (own.victims_killed, own.militants_killed, own.injured) == (7, None, 11)
    assert cube_matches_rebuild(db)
    with db.session(READER, readonly=True) as s:
        [row] = analytics.summary(
            s, "month", Filters(date_from=date(2024, 11, 1), date_to=date(2024, 11, 30))
        )
        assert row.values["incidents"] == 1 and row.values["injured"] == 11

    # decided twice: refused
    with db.session(ANALYST) as s, pytest.raises(IllegalTransition):
        review.accept(s, cand2.id)
    with db.session(ANALYST) as s, pytest.raises(IllegalTransition):
        review.reject(s, cand.id, "duplicate")


def test_new_forces_a_new_incident_and_into_chooses(db: Database) -> None:
    first, second = add_article(db, FIRST), add_article(db, SECOND)
    with db.session(ANALYST) as s:
        service.extract_articles(s, None, extractor=fake_extractor(TABLE))
    [c1], [c2] = candidates_of(db, first), candidates_of(db, second)
    with db.session(ANALYST) as s:
        one = review.accept(s, c1.id).incident.id
    with db.session(ANALYST) as s:
        two = review.accept(s, c2.id, new=True).incident.id
    assert one != two
    with db.session(SYSTEM) as s:
        assert s.get(Incident, one).injured == 8 and s.get(Incident, two).injured == 11
    assert cube_matches_rebuild(db)


def test_reject_keeps_the_row(db: Database) -> None:
    first = add_article(db, FIRST)
    with db.session(ANALYST) as s:
        service.extract_articles(s, [first], extractor=fake_extractor(TABLE))
    [cand] = candidates_of(db, first)
    with db.session(ANALYST) as s, pytest.raises(InvalidInput):
        review.reject(s, cand.id, "  ")
    with db.session(ANALYST) as s:
        review.reject(s, cand.id, "background mention of an older attack")
    with db.session(SYSTEM) as s:
        c = s.get(Candidate, cand.id)
        assert (c.status, c.reviewed_by, c.review_note) == (
            "rejected", "analyst", "background mention of an older attack",
        )  # fmt: skip
        assert c.reviewed_at is not None and c.incident_id is None
        assert s.scalar(select(Incident.id)) is None
    with db.session(ANALYST) as s, pytest.raises(IllegalTransition):
        review.accept(s, cand.id)


def test_bad_edits_name_the_field_and_change_nothing(db: Database) -> None:
    first = add_article(db, FIRST)
    with db.session(ANALYST) as s:
        service.extract_articles(s, [first], extractor=fake_extractor(TABLE))
    [cand] = candidates_of(db, first)
    bad = {
        "date": "2024-13-40",
        "event_type": "riot",
        "injured": "-3",
        "victims_killed": "1,45",
        "claimed": "perhaps",
        "colour": "red",
    }
    with db.session(ANALYST) as s, pytest.raises(InvalidInput) as caught:
        review.accept(s, cand.id, bad)
    named = {p.file for p in caught.value.problems}
    assert named == {"date", "event_type", "injured", "victims_killed", "claimed", "colour"}
    with db.session(ANALYST) as s, pytest.raises(InvalidInput) as caught:
        review.accept(s, cand.id, {"district": "Atlantis"})
    assert [p.file for p in caught.value.problems] == ["district"]
    with db.session(SYSTEM) as s:
        c = s.get(Candidate, cand.id)
        assert c.status == "pending" and c.edited is None
        assert s.scalar(select(Incident.id)) is None
    # a good edit is kept beside the extractor's value; an empty count is unknown, not 0
    with db.session(ANALYST) as s:
        d = review.accept(s, cand.id, {"injured": "9", "hostages": "", "district": "Quetta"}, new=True)
        assert (d.incident.injured, d.incident.hostages) == (9, None)
        assert d.incident.district_code is not None and d.incident.district == "Quetta"
    with db.session(SYSTEM) as s:
        c = s.get(Candidate, cand.id)
        assert c.edited == {"injured": 9, "hostages": None, "district": "Quetta"}
        assert c.fields["injured"] == 8
        src = s.scalar(select(IncidentSource))
        assert "injured" not in src.raw["sentences"] and "victims_killed" in src.raw["sentences"]


def test_restricted_article_is_invisible_to_a_less_cleared_reader(db: Database) -> None:
    hidden = add_article(db, FIRST, level=Classification.RESTRICTED)
    with db.session(ANALYST) as s:
        service.extract_articles(s, [hidden], extractor=fake_extractor(TABLE))
    [cand] = candidates_of(db, hidden)
    assert cand.classification == Classification.RESTRICTED
    with db.session(PUBLIC_ANALYST) as s:
        assert service.list_candidates(s)[1] == 0
        with pytest.raises(NotFound) as hidden_err:
            service.get_candidate(s, cand.id)
        with pytest.raises(NotFound) as missing_err:
            service.get_candidate(s, cand.id + 1000)
        assert str(hidden_err.value).replace(str(cand.id), "N") == str(missing_err.value).replace(
            str(cand.id + 1000), "N"
        )
        with pytest.raises(NotFound):
            review.accept(s, cand.id)
        with pytest.raises(NotFound):
            service.extract_articles(s, [hidden], extractor=fake_extractor(TABLE))
    with db.session(ANALYST) as s:
        inc = review.accept(s, cand.id).incident
        assert inc.classification == Classification.RESTRICTED
    with db.session(READER, readonly=True) as s:
        assert analytics.summary(s, "year") == [] or all(
            r.values["incidents"] == 0 for r in analytics.summary(s, "year")
        )


def test_readers_may_not_work_the_queue(db: Database) -> None:
    first = add_article(db, FIRST)
    with db.session(READER) as s, pytest.raises(AccessDenied):
        service.extract_articles(s, [first], extractor=fake_extractor(TABLE))
    with db.session(ANALYST) as s:
        service.extract_articles(s, [first], extractor=fake_extractor(TABLE))
    [cand] = candidates_of(db, first)
    with db.session(READER) as s, pytest.raises(AccessDenied):
        review.reject(s, cand.id, "no")
    with db.session(READER, readonly=True) as s, pytest.raises(AccessDenied):
        service.list_candidates(s)


def test_urdu_is_set_aside_and_a_crash_marks_the_article_failed(db: Database) -> None:
    urdu = add_article(db, "کوئٹہ میں پولیس چوکی پر حملہ، پانچ اہلکار شہید", language="ur")
    broken = add_article(db, "A report that breaks the extractor.")

    def run(text: str, published: date | None) -> list[dict[str, Any]]:
        if "breaks" in text:
            raise RuntimeError("boom")
        raise AssertionError("the Urdu text must not reach the English extractor")

    with db.session(ANALYST) as s:
        summary = service.extract_articles(s, None, extractor=Extractor(run, "x"))
    assert summary.set_aside == [urdu] and list(summary.failed) == [broken]
    with db.session(SYSTEM) as s:
        assert (
            s.get(Article, urdu).status == "set_aside"
            and "English only" in s.get(Article, urdu).set_aside_reason
        )
        assert s.get(Article, broken).status == "failed"


def test_evidence_sentences_and_highlight() -> None:
    inc = incident(FIRST, evidence={"injured": "eight people injured", "militants_killed": "Two attackers"})
    sentences = service.evidence_sentences(inc, FIRST)
    assert sentences["militants_killed"] == "Two attackers were killed in the exchange of fire."
    assert sentences["injured"].endswith("in Mastung late on Friday.")
    pieces = service.highlight(FIRST, inc)
    assert "".join(p for p, _ in pieces) == FIRST
    assert [p for p, names in pieces if names == ["injured"]] == ["eight people injured"]
    # spans outside the text, or not numbers, are ignored rather than trusted
    assert service.span_of({"evidence": {"injured": [5, 10_000]}}, "injured", FIRST) is None
    assert service.span_of({"evidence": {"injured": ["a", 3]}}, "injured", FIRST) is None


def test_reviewers_reject_but_only_incident_writers_accept(db: Database) -> None:
    reviewer = Principal("rev", Role.REVIEWER, Classification.SECRET)
    first, second = add_article(db, FIRST), add_article(db, SECOND)
    with db.session(reviewer) as s, pytest.raises(AccessDenied):  # it changes articles: analysts do
        service.extract_articles(s, [first, second], extractor=fake_extractor(TABLE))
    with db.session(ANALYST) as s:
        service.extract_articles(s, [first, second], extractor=fake_extractor(TABLE))
    [c1], [c2] = candidates_of(db, first), candidates_of(db, second)
    with db.session(reviewer) as s, pytest.raises(AccessDenied) as caught:
        review.accept(s, c1.id)
    assert "may not write incidents" in str(caught.value)
    with db.session(reviewer) as s:
        review.reject(s, c2.id, "a later report; the first one is enough")
    with db.session(SYSTEM) as s:
        assert s.get(Candidate, c1.id).status == "pending"
        assert s.get(Candidate, c2.id).reviewed_by == "rev"
