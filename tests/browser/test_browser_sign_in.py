"""Sign-in, sign-out and keyboard-only navigation in a real browser."""

from __future__ import annotations

import pytest

pytest.importorskip("playwright")
from playwright.sync_api import expect
from tests.browser.conftest import Browsing

pytestmark = pytest.mark.browser


def test_sign_in_shows_the_user_and_signing_out_ends_it(browsing: Browsing) -> None:
    browsing.sign_in("analyst")
    header = browsing.page.locator("header")
    expect(header.get_by_role("link", name="analyst")).to_be_visible()
    expect(header.get_by_role("button", name="Sign out")).to_be_visible()

    browsing.sign_out()
    expect(browsing.page.locator("header").get_by_role("link", name="Sign in")).to_be_visible()
    response = browsing.page.goto(browsing.url("/account"))
    assert response is not None
    assert "/login" in browsing.page.url, "a signed-out browser still reached /account"


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(browsing: Browsing) -> None:
    browsing.goto("/login")
    browsing.page.get_by_label("User name").fill("analyst")
    browsing.page.get_by_label("Password").fill("not-the-password")
    browsing.page.locator("main").get_by_role("button", name="Sign in").click()
    expect(browsing.page.get_by_role("alert")).to_be_visible()
    assert "/login" in browsing.page.url
    expect(browsing.page.locator("header").get_by_role("button", name="Sign out")).to_have_count(0)


def _focused(browsing: Browsing) -> dict[str, str]:
    return browsing.page.evaluate(
        "() => { const e = document.activeElement;"
        " return {tag: e.tagName, text: (e.textContent || '').trim(), href: e.getAttribute('href') || '',"
        " inNav: !!e.closest('nav')}; }"
    )


def test_keyboard_alone_reaches_every_item_of_the_main_menu(browsing: Browsing) -> None:
    """Tab from the top of the page: the skip link comes first and works, and every link of the main
    menu is reached by the keyboard, in order, with a visible focus."""
    browsing.sign_in("admin")
    browsing.goto("/overview")
    page = browsing.page
    menu = [
        (link.get_attribute("href") or "") for link in page.locator("header nav[aria-label='Main'] a").all()
    ]
    assert len(menu) >= 5, f"the admin's main menu has only {menu}"

    page.keyboard.press("Tab")
    first = _focused(browsing)
    assert first["href"] == "#main", f"the first Tab stop is not the skip link: {first}"

    reached: list[str] = []
    for _ in range(40):
        page.keyboard.press("Tab")
        focused = _focused(browsing)
        if focused["inNav"]:
            reached.append(focused["href"])
            outline = page.evaluate(
                "() => { const s = getComputedStyle(document.activeElement);"
                " return s.outlineStyle !== 'none' || s.boxShadow !== 'none'; }"
            )
            assert outline, f"no visible focus on the menu link {focused['href']}"
        if reached and not focused["inNav"]:
            break
    assert reached == menu, f"Tab reached {reached}, the menu holds {menu}"

    page.keyboard.press("Shift+Tab")  # back onto the last menu link, then follow it with Enter
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(menu[-1]), f"Enter on {menu[-1]} led to {page.url}"


def test_skip_link_moves_focus_to_the_content(browsing: Browsing) -> None:
    browsing.goto("/login")
    browsing.page.keyboard.press("Tab")
    browsing.page.keyboard.press("Enter")
    focused = browsing.page.evaluate("() => document.activeElement.id")
    assert focused == "main"
