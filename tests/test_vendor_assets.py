"""The vendored front-end libraries: what MANIFEST.json says is what is committed, and nothing in them makes a
page fetch from outside the server (the CSP allows only 'self'; ministries run offline)."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "src" / "nigran" / "web" / "static" / "vendor"
MANIFEST = json.loads((VENDOR / "MANIFEST.json").read_text(encoding="utf-8"))
LOCK = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))

# A block comment that carries a licence or a banner; minifiers keep these and they may name a home page.
_LICENCE_COMMENT = re.compile(
    r"/\*(?:(?!\*/).)*?(?:licen[cs]e|@preserve|\(c\)|copyright)(?:(?!\*/).)*\*/", re.I | re.S
)
_OUTSIDE = re.compile(
    r"""url\(\s*['"]?\s*(?:https?:)?//"""  # CSS url(...) and JS strings building one
    r"""|@import\s+(?:url\()?\s*['"]?\s*(?:https?:)?//"""  # CSS @import
    r"""|\bsrc\s*[:=]\s*['"]\s*(?:https?:)?//"""  # src="…", src: '…', el.src = '…'
    r"""|\bimport\s*(?:\(\s*|[\w{}*,\s]+from\s*)['"]\s*(?:https?:)?//""",  # ES import / import()
    re.I,
)


def outside_references(text: str) -> list[str]:
    """The places in a CSS/JS text that would load something from another host (licence comments aside)."""
    text = _LICENCE_COMMENT.sub("", text)
    return [text[max(0, m.start() - 30) : m.end() + 30] for m in _OUTSIDE.finditer(text)]


def manifest_files() -> dict[str, str]:
    return {path: digest for p in MANIFEST["packages"] for path, digest in p["files"].items()}


def test_the_manifest_lists_exactly_the_committed_files_with_their_hashes() -> None:
    listed = manifest_files()
    on_disk = {p.relative_to(VENDOR).as_posix() for p in VENDOR.rglob("*") if p.is_file()} - {"MANIFEST.json"}
    assert on_disk == set(listed), "files vendored but not listed, or listed but missing"
    for path, digest in listed.items():
        assert hashlib.sha256((VENDOR / path).read_bytes()).hexdigest() == digest, path


def test_the_manifest_versions_are_the_locked_ones() -> None:
    locked = LOCK["packages"]
    for p in MANIFEST["packages"]:
        entry = locked[f"node_modules/{p['package']}"]
        assert (p["version"], p["integrity"]) == (entry["version"], entry["integrity"]), p["package"]
        assert p["license"], p["package"]
    assert "resolved" not in json.dumps(LOCK), "the lock names download addresses"


def test_the_libraries_the_pages_need_are_there_and_small() -> None:
    names = {p["package"]: p["version"] for p in MANIFEST["packages"]}
    assert names["htmx.org"].startswith("2.")
    assert names["leaflet"].startswith("1.9.")
    assert names["chart.js"].startswith("4.")
    assert "@fontsource/noto-nastaliq-urdu" in names
    for path in ("htmx/htmx.min.js", "leaflet/leaflet.js", "leaflet/leaflet.css", "chartjs/chart.umd.js"):
        assert (VENDOR / path).stat().st_size > 1000, path
    total = sum(p.stat().st_size for p in VENDOR.rglob("*") if p.is_file())
    assert total < 3 * 1024 * 1024


@pytest.mark.parametrize(
    "path", sorted(p.relative_to(VENDOR).as_posix() for p in VENDOR.rglob("*") if p.suffix in (".css", ".js"))
)
def test_no_vendored_file_loads_from_outside(path: str) -> None:
    assert outside_references((VENDOR / path).read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("path", ["leaflet/leaflet.css", "noto-nastaliq-urdu/noto-nastaliq-urdu.css"])
def test_every_local_url_in_the_css_exists(path: str) -> None:
    css = VENDOR / path
    urls = re.findall(r"url\(\s*['\"]?([^'\")]+)", css.read_text(encoding="utf-8"))
    local = [u for u in urls if not u.startswith(("data:", "#"))]  # "#default#VML": old IE behaviour
    assert local, "the CSS should reference its images or fonts"
    for u in local:
        assert (css.parent / u).is_file(), u


def test_the_font_css_serves_woff2_only_for_the_shipped_weights() -> None:
    css = (VENDOR / "noto-nastaliq-urdu/noto-nastaliq-urdu.css").read_text(encoding="utf-8")
    assert "'Noto Nastaliq Urdu'" in css
    assert ".woff)" not in css
    assert set(re.findall(r"font-weight:\s*(\d+)", css)) == {"400", "700"}


@pytest.mark.parametrize(
    "text",
    [
        "a{background:url(https://cdn.example/x.png)}",
        "@font-face{src:url('//fonts.example/f.woff2')}",
        '@import "https://cdn.example/a.css";',
        'i.src="https://tiles.example/1/2/3.png"',
        'import x from "https://esm.example/x.js"',
        'import("//esm.example/y.js")',
    ],
)
def test_the_outside_reference_check_catches_remote_loads(text: str) -> None:
    assert outside_references(text)


def test_the_outside_reference_check_ignores_licence_comments_and_links() -> None:
    text = "/*! Chart.js https://www.chartjs.org (c) Contributors, MIT License */ a={prefix:'<a href=\"https://x\">'}"
    assert outside_references(text) == []
