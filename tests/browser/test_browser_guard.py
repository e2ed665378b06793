"""The browser tests' own guard: a request to another host is caught (and never leaves the machine), so
that the pages' "no outside request" is a checked fact rather than an assumption."""

from __future__ import annotations

import pytest

pytest.importorskip("playwright")
from playwright.sync_api import Browser, Error
from tests.browser.conftest import VIEWPORT, watch_context
from tests.browser.server import Server

pytestmark = pytest.mark.browser


def test_a_request_to_another_host_is_recorded_and_aborted(browser: Browser, server: Server) -> None:
    context = browser.new_context(viewport=VIEWPORT)
    try:
        watch = watch_context(context, server)
        page = context.new_page()
        with pytest.raises(Error):
            page.goto("https://cdn.example.invalid/lib.js")
        assert watch.outside == ["https://cdn.example.invalid/lib.js"]
        assert watch.problems() == ["request outside the server: https://cdn.example.invalid/lib.js"]
    finally:
        context.close()


def test_a_script_fetching_another_host_is_a_problem(browser: Browser, server: Server) -> None:
    """From a page of the server, the Content-Security-Policy stops the fetch first; either way the
    guard reports it."""
    context = browser.new_context(viewport=VIEWPORT)
    try:
        watch = watch_context(context, server)
        page = context.new_page()
        page.goto(f"{server.url}/login")
        outcome = page.evaluate(
            "() => fetch('https://cdn.example.invalid/lib.js').then(() => 'loaded', () => 'refused')"
        )
        assert outcome == "refused"
        page.wait_for_timeout(200)  # console messages arrive asynchronously
        assert watch.problems(), "a fetch to another host went unnoticed"
    finally:
        context.close()


def test_a_page_of_the_server_passes_the_guard(browser: Browser, server: Server) -> None:
    context = browser.new_context(viewport=VIEWPORT)
    try:
        watch = watch_context(context, server)
        page = context.new_page()
        page.goto(f"{server.url}/login")
        page.wait_for_load_state("networkidle")
        assert watch.problems() == []
    finally:
        context.close()
