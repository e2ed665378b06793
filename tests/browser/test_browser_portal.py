"""The public portal in a real browser: Urdu pages right to left in the Nastaliq font served locally, the
language switch, and no classified content whoever is signed in."""

from __future__ import annotations

import re

import pytest

pytest.importorskip("playwright")
from playwright.sync_api import expect
from sqlalchemy import select
from tests.browser.conftest import Browsing
from tests.browser.server import Server

from nigran.access.classification import Classification
from nigran.access.principal import Principal
from nigran.policy.models import Action, Indicator, Milestone, Objective
from nigran.storage.db import Database

pytestmark = pytest.mark.browser

_URDU = re.compile(r"[\u0600-\u06ff]{3,}")


def register_items(server: Server, *, public: bool) -> list[str]:
    """Titles and codes of the demo's register items, PUBLIC or above PUBLIC (read as the system, which
    sees everything)."""
    db = Database(server.database_url)
    found: list[str] = []
    try:
        with db.session(Principal.system(), readonly=True) as session:
            for model, text in ((Objective, Objective.title), (Indicator, Indicator.name),
                                (Action, Action.title), (Milestone, Milestone.title)):  # fmt: skip
                rows = session.execute(
                    select(model.code, text).where(
                        (model.classification == Classification.PUBLIC)
                        if public
                        else (model.classification > Classification.PUBLIC)
                    )
                ).all()
                for code, title in rows:
                    found += [code, title]
    finally:
        db.dispose()
    return found


@pytest.fixture(scope="module")
def classified(server: Server) -> list[str]:
    """RESTRICTED and SECRET titles and codes: none may appear on the portal."""
    found = register_items(server, public=False)
    assert len(found) >= 10, "the demo has no classified register items to look for"
    return found


@pytest.fixture(scope="module")
def public(server: Server) -> list[str]:
    """PUBLIC titles and codes: the portal shows them, which is what makes the absence of the others mean
    something."""
    return register_items(server, public=True)


def portal_links(browsing: Browsing) -> list[str]:
    """The portal's own pages linked from its navigation, as paths."""
    hrefs = browsing.page.locator("main nav a, .portal-nav a").evaluate_all(
        "els => els.map(e => e.getAttribute('href'))"
    )
    return sorted({h for h in hrefs if h and h.startswith("/") and not h.startswith("/static/")})


def page_free_of(browsing: Browsing, secrets: list[str]) -> str:
    text = browsing.page.content()
    leaked = [s for s in secrets if s in text]
    assert not leaked, f"{browsing.page.url} shows classified items: {leaked[:5]}"
    expect(browsing.page.locator(".classification")).to_have_count(0)
    return text


@pytest.mark.parametrize("user", [None, "admin"], ids=["anonymous", "admin-signed-in"])
def test_urdu_portal_is_right_to_left_in_nastaliq_without_classified_content(
    browsing: Browsing, classified: list[str], public: list[str], user: str | None
) -> None:
    if user:
        browsing.sign_in(user)
    browsing.goto("/ur/")
    page = browsing.page
    html = page.locator("html")
    expect(html).to_have_attribute("dir", "rtl")
    expect(html).to_have_attribute("lang", "ur")
    assert page.evaluate("getComputedStyle(document.querySelector('main')).direction") == "rtl"
    heading = page.get_by_role("heading", level=1)
    assert _URDU.search(heading.inner_text()), (
        f"the Urdu page's heading is not in Urdu: {heading.inner_text()}"
    )
    page.evaluate("document.fonts.ready")
    family = page.evaluate("getComputedStyle(document.querySelector('h1')).fontFamily")
    assert "Nastaliq" in family, family
    assert page.evaluate("document.fonts.check('16px \"Noto Nastaliq Urdu\"', 'نگران')"), (
        "the font did not load"
    )
    shown = page_free_of(browsing, classified)

    links = [h for h in portal_links(browsing) if h.startswith("/ur/")]
    assert len(links) >= 3, f"the Urdu portal links only {links}"
    framework_pages = [
        a.get_attribute("href") for a in page.locator("main a[href^='/ur/portal/frameworks/']").all()
    ]
    for path in [*links, *framework_pages[:2]]:
        browsing.goto(path or "/ur/")
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        shown += page_free_of(browsing, classified)
    assert sum(item in shown for item in public) >= 10, "the portal shows (almost) no public register items"


def test_language_switch_keeps_the_page(browsing: Browsing) -> None:
    browsing.goto("/ur/portal/security")
    with browsing.page.expect_navigation():
        browsing.page.locator("header").get_by_role("link", name="English").click()
    assert browsing.page.url.endswith("/portal/security")
    expect(browsing.page.locator("html")).to_have_attribute("dir", "ltr")
    with browsing.page.expect_navigation():
        browsing.page.locator("header").get_by_role("link", name="اردو").click()
    assert browsing.page.url.endswith("/ur/portal/security")
    expect(browsing.page.locator("html")).to_have_attribute("dir", "rtl")


def test_english_portal_map_draws_without_classified_content(
    browsing: Browsing, classified: list[str]
) -> None:
    browsing.goto("/portal/security")
    expect(browsing.page.locator(".js-map path").first).to_be_attached(timeout=20_000)
    page_free_of(browsing, classified)
