"""Screenshots of the main pages for the README, taken in the real browser on the demo database.

Only with ``NIGRAN_SCREENSHOTS=1`` (CI leaves the committed pictures alone):

    NIGRAN_SCREENSHOTS=1 .venv/bin/python -m pytest tests/browser/test_browser_screenshots.py

Each picture is the 1280x800 viewport, reduced to a 256-colour palette (a quarter of the size, no visible
loss on interface pictures) and written through ``core.outputs``.
"""

from __future__ import annotations

import os
from io import BytesIO
from pathlib import Path

import pytest

pytest.importorskip("playwright")
from PIL import Image
from tests.browser.conftest import Browsing

from nigran.core.outputs import write_bytes

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(os.environ.get("NIGRAN_SCREENSHOTS") != "1", reason="set NIGRAN_SCREENSHOTS=1"),
]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

#: file name → (user or None for anonymous, path, a selector to wait for before the picture).
PAGES: dict[str, tuple[str | None, str, str | None]] = {
    "overview": ("admin", "/overview", None),
    "register-tree": ("analyst", "/register/NSP-2022", None),
    "indicator": ("analyst", "/register/NSP-2022/indicators/NSP-2022.S1.O1.I1", "canvas.js-chart"),
    "reporting-inbox": ("focal-kp", "/reporting", None),
    "review-queue": ("reviewer", "/reporting/queue", None),
    "incident-explorer": ("analyst", "/incidents?province=PK-KP&from=2009&to=2014", ".js-map path"),
    "assessment": ("analyst", "/assessment/2021?definition=picss", ".js-map path"),
    "risk-map": ("analyst", "/risk", ".js-map path"),
    "alerts": ("analyst", "/alerts", None),
    "foresight": ("analyst", "/foresight", None),
    "portal-en": (None, "/", None),
    "portal-ur": (None, "/ur/", None),
}


def optimised(png: bytes) -> bytes:
    image = Image.open(BytesIO(png)).convert("RGB")
    out = BytesIO()
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(out, format="PNG", optimize=True)
    return out.getvalue()


@pytest.mark.parametrize("name", list(PAGES))
def test_screenshot(browsing: Browsing, name: str) -> None:
    user, path, ready = PAGES[name]
    if user:
        browsing.sign_in(user)
    browsing.goto(path)
    page = browsing.page
    if ready:
        page.locator(ready).first.wait_for(state="attached", timeout=20_000)
    page.wait_for_load_state("networkidle")
    page.evaluate("document.fonts.ready")
    page.wait_for_timeout(500)  # chart and map animations
    picture = optimised(page.screenshot(full_page=False))
    target = write_bytes(SCREENSHOTS / f"{name}.png", picture, force=True)
    assert Image.open(target).size == (1280, 800)
