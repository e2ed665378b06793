"""The annual review's figures are labelled for what they show: tiles, sections, charts, dates, citations."""

from __future__ import annotations

import html as htmllib
import re
from dataclasses import replace
from datetime import date

import pytest
from tests import reports_canary as rc

from nigran.access.classification import Classification
from nigran.access.principal import Principal, Role
from nigran.reports import charts
from nigran.reports.export import to_csv_zip, to_json
from nigran.reports.model import AnnualReport, Edition
from nigran.reports.render import render_html
from nigran.reports.service import annual_report
from nigran.storage.db import Database

ADMIN = Principal("admin", Role.ADMINISTRATOR, Classification.SECRET)


@pytest.fixture
def canary_db(db: Database) -> Database:
    rc.plant(db)
    return db


def _report(db: Database, edition: Edition = Edition.PUBLIC) -> AnnualReport:
    return annual_report(db, ADMIN, rc.CODE, rc.YEAR, edition, today=rc.TODAY)


def _tile(html: str, name: str) -> tuple[str, str]:
    """(value, label) of the executive summary's tile ``name``, as plain text."""
    found = re.search(
        rf'<div class="figure" id="fig-{name}"><div class="v">(.*?)</div>\s*<div class="l">(.*?)</div></div>',
        html,
        re.S,
    )
    assert found, f"no tile {name}"
    return htmllib.unescape(found[1]).strip(), " ".join(htmllib.unescape(found[2]).split())


def _pct(share: float | None) -> str:
    return "—" if share is None else f"{100 * share:.0f}%"


def _public_milestones_due(year: int) -> list[dict]:
    doc = rc.public_only(rc.document())
    out = []
    for section in doc["framework"]["sections"]:
        for objective in section["objectives"]:
            for action in objective.get("actions", []):
                out += [m for m in action["milestones"] if m["due"].year == year]
    return out


def test_timeliness_tile_says_reports_and_milestone_tile_counts_milestones(canary_db: Database) -> None:
    r = _report(canary_db)
    h = r.headline
    html = render_html(r)
    assert "milestones done on time" not in html
    value, label = _tile(html, "reports-on-time")
    assert value == _pct(h.timeliness)
    assert label == f"of reports submitted by their deadline ({h.reports_on_time} of {h.reports_judged})"
    assert h.reports_judged and h.timeliness == pytest.approx(h.reports_on_time / h.reports_judged)
    # The milestone figure is computed from the milestones, not borrowed from reporting.
    due = _public_milestones_due(rc.YEAR)
    assert h.milestones_due == len(due) > 0
    completed = {
        item for _, _, item, value, step, _ in rc.SUBMISSIONS if value == "completed" and step == "verify"
    }
    assert h.milestones_completed == sum(m["code"] in completed for m in due)
    value, label = _tile(html, "milestones-completed")
    assert value == _pct(h.milestones_completed_share)
    assert (
        label == f"of milestones due in {rc.YEAR} completed ({h.milestones_completed} of {h.milestones_due})"
    )


def test_an_unknown_figure_is_a_dash_with_a_reason_never_zero(canary_db: Database) -> None:
    r = _report(canary_db)
    r.headline = replace(
        r.headline,
        milestones_due=0,
        milestones_completed=0,
        timeliness=None,
        reports_judged=0,
        reports_on_time=0,
    )
    html = render_html(r)
    assert _tile(html, "milestones-completed") == (
        "—",
        f"milestones completed: no milestone was due in {rc.YEAR} by 31 Dec {rc.YEAR}",
    )
    assert _tile(html, "reports-on-time") == ("—", "reports submitted on time: no report was due yet")
    assert r.headline.milestones_completed_share is None


def test_sections_are_named_by_title_not_by_code(canary_db: Database) -> None:
    r = _report(canary_db, Edition.CLASSIFIED)
    html = render_html(r)
    assert "CF.S1 Public section" not in html and "CF.S1 · Public section" not in html
    assert re.search(r"<h3><span>(<span class=\"pm[^<]*</span>)?Public section</span>", html)  # its heading
    assert "Public section</tspan>" in html and "CF.S1 Public" not in html  # the charts' labels
    first = r.section_changes[0]
    assert (first.metric, first.code) == ("Public section", "CF.S1")  # tables keep the code beside the title
    assert re.search(r"[Ss]ections? furthest behind (is|are) [^.]*Public section", html) or all(
        s.score is None or s.status == "achieved" for s in r.sections
    )


def test_chart_labels_fit_their_column_instead_of_being_clipped() -> None:
    titles = [
        "Policy framework and implementation",
        "[SECRET] Defence and territorial integrity",
        "Securing Pakistan's economic future",
        "An exceptionally long section title that no chart column could ever hold on two lines of text",
    ]
    svg = charts.status_bars([(t, {"achieved": 1}) for t in titles], label_width=210)
    svg += charts.score_bars([(t, 0.5) for t in titles], label_width=210)
    spans = re.findall(r"<tspan[^>]*>(.*?)</tspan>", svg)
    assert spans
    for text in spans:
        assert len(htmllib.unescape(text)) * charts.CHAR_PX <= 210 - 8, text
    for title in titles[:3]:  # a title that fits in two lines is shown whole, every word of it
        assert title in " ".join(htmllib.unescape(s) for s in spans)
        assert f"<title>{htmllib.escape(title)}</title>" in svg


def test_framework_period_is_not_repeated_when_the_title_names_it(canary_db: Database) -> None:
    r = _report(canary_db)
    assert f"Leak test framework ({rc.CODE}, 2022–2026)" in render_html(r)
    r.framework_title = "Leak test policy 2022–2026"
    html = render_html(r)
    assert f"Leak test policy 2022–2026 ({rc.CODE})" in html
    assert "2022–2026 (" + rc.CODE + ", 2022–2026)" not in html


def test_every_days_overdue_counts_to_one_stated_date(canary_db: Database) -> None:
    r = _report(canary_db, Edition.CLASSIFIED)
    kinds = {o.kind for o in r.overdue}
    assert "milestone" in kinds and any(k.endswith(" report") for k in kinds)  # both kinds, one date
    for o in r.overdue:
        assert o.due_date is not None and o.days_overdue == (rc.TODAY - o.due_date).days, o
    html = render_html(r)
    overdue_chapter = html[html.index('id="overdue"') : html.index('id="data"')]
    assert overdue_chapter.count("Days overdue are counted to 01 Apr 2026") == 1
    assert "counted in days to" not in html  # the old wording with two different dates
    assert "31 Dec 2025, counted" not in overdue_chapter
    assert r.headline.overdue == sum(o.kind == "milestone" for o in r.overdue)
    assert f"milestones overdue on {rc.TODAY:%d %b %Y}" in html


def test_methodology_is_cited_as_a_document_not_a_repository_path(canary_db: Database) -> None:
    for edition in Edition:
        r = _report(canary_db, edition)
        html = render_html(r)
        outputs = [html, to_json(r), to_csv_zip(r).decode("latin-1")]
        for text in outputs[:2]:
            assert "docs/" not in text and ".md" not in text and "src/" not in text
        assert "methodology.md" not in outputs[2]
        assert "Nigran monitoring methodology" in html


def test_tables_and_sentences_read_as_english(canary_db: Database) -> None:
    r = _report(canary_db)
    assert '<th class="who">Province</th>' in render_html(r)
    r.sections[0].objective_counts = {
        "achieved": 1,
        "on_track": 0,
        "at_risk": 0,
        "off_track": 0,
        "no_data": 0,
    }
    html = render_html(r)
    assert re.search(r"· 1 objective\s*</p>", html)
    assert not re.search(r"\b1 objectives\b", html)
    assert "Data completeness" in html and "Reports on time" in html
    assert "(<span" not in html.split('class="meta"')[1][:200]  # no bracket around right-to-left text
    assert r.as_of == date(2025, 12, 31)
