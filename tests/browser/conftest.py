"""Fixtures of the real-browser tests: one demo server per session, Debian's Chromium driven by Playwright,
and a guard that fails a test on any request to a host other than the server (the pages make none).

Playwright's own browser downloads are never used: Chromium is Debian's (``apt-get install chromium``, as
``.ci/run`` does). Without it, or without the ``playwright`` package, the tests are skipped locally and fail
in CI (``CI`` set), so a broken CI set-up cannot pass silently.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
from tests.browser.server import Server, prepare_demo, serving

from nigran.demo import DEMO_PASSWORDS

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

CHROMIUM = os.environ.get("NIGRAN_CHROMIUM", "/usr/bin/chromium")
#: The flags of ../shared/platform-notes.md: no sandbox (root in a container), and none of Chromium's own
#: calls home, which would otherwise show up as outside requests.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 800}


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the browser tests: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``nigran demo --no-serve`` in a temporary folder, then ``nigran serve`` on a free loopback port."""
    folder = tmp_path_factory.mktemp("browser-server")
    url, env = prepare_demo(folder)
    with serving(folder, env, url) as running:
        yield running


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[test]')")
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        _unavailable(f"{CHROMIUM} not found (apt-get install chromium)")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass
class Watch:
    """What the pages of one test did that they must not: requests outside the server, scripts or styles
    refused by the Content-Security-Policy, uncaught script errors."""

    outside: list[str] = field(default_factory=list)
    csp: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        return (
            [f"request outside the server: {u}" for u in self.outside]
            + [f"Content-Security-Policy violation: {m}" for m in self.csp]
            + [f"script error: {m}" for m in self.errors]
        )


@dataclass
class Browsing:
    """One test's browser context with its watch; ``page`` is its first tab."""

    server: Server
    context: BrowserContext
    page: Page
    watch: Watch

    def url(self, path: str) -> str:
        return self.server.url + path

    def goto(self, path: str) -> Any:
        """Open ``path`` on the server; a 404 or 5xx fails with the path named (a page not built yet)."""
        response = self.page.goto(self.url(path))
        assert response is not None, f"no response for {path}"
        assert response.status < 400, f"GET {path} answered {response.status}"
        return response

    def sign_in(self, user: str, password: str | None = None) -> None:
        self.goto("/login")
        self.page.get_by_label("User name").fill(user)
        self.page.get_by_label("Password").fill(password or DEMO_PASSWORDS[user])
        with self.page.expect_navigation():
            self.page.locator("main").get_by_role("button", name="Sign in").click()
        assert "/login" not in self.page.url, f"sign-in as {user} failed: {self.page.url}"

    def sign_out(self) -> None:
        with self.page.expect_navigation():
            self.page.get_by_role("button", name="Sign out").click()


def watch_context(context: BrowserContext, server: Server) -> Watch:
    """Abort and record every request to another origin; record CSP refusals and script errors."""
    watch = Watch()
    own = urlsplit(server.url).netloc

    def route(r: Any) -> None:
        parts = urlsplit(r.request.url)
        if parts.scheme in ("data", "blob") or parts.netloc == own:
            r.continue_()
        else:
            watch.outside.append(r.request.url)
            r.abort()

    context.route("**/*", route)

    def on_page(page: Page) -> None:
        page.on(
            "console",
            lambda msg: (
                watch.csp.append(msg.text)
                if "Content Security Policy" in msg.text or "Content-Security-Policy" in msg.text
                else None
            ),
        )
        page.on("pageerror", lambda exc: watch.errors.append(str(exc)))

    context.on("page", on_page)
    return watch


@pytest.fixture
def browsing(browser: Browser, server: Server) -> Iterator[Browsing]:
    """A fresh context (no cookies) whose pages may talk to the server only; the test fails afterwards on
    any outside request, CSP violation or script error its pages caused."""
    context = browser.new_context(viewport=VIEWPORT, base_url=server.url, locale="en-GB")
    context.set_default_timeout(15_000)
    watch = watch_context(context, server)
    page = context.new_page()
    try:
        yield Browsing(server=server, context=context, page=page, watch=watch)
    finally:
        context.close()
    problems = watch.problems()
    assert not problems, "\n".join(problems)
