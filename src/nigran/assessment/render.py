"""The assessment as a file: JSON (every figure with its incident ids), self-contained HTML, and PDF.

The HTML is the page's own tables (``templates/assessment/_body.html``) in a document that refers to
nothing outside itself, so that WeasyPrint never fetches anything; incident numbers are listed per figure
at the end, since a file has no links into the database.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from nigran.assessment.service import Assessment
from nigran.core.jsonout import dumps

FORMATS = ("html", "pdf", "json")


def _num(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


@cache
def environment() -> Environment:
    from nigran.web.templating import TEMPLATES

    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(("html", "xml"), default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    env.globals["num"] = _num
    return env


def _district_names() -> dict[str, str]:
    from nigran.geo.gazetteer import Gazetteer

    return {d.code: d.name for d in Gazetteer.bundled().districts}


def render_json(a: Assessment) -> str:
    return dumps(a.as_dict()) + "\n"


def render_html(a: Assessment) -> str:
    return (
        environment()
        .get_template("assessment/standalone.html")
        .render(
            a=a,
            figures=a.figures(),
            link=lambda key: None,
            inc_url=lambda i: None,
            district_names=_district_names(),
        )
    )


def render_pdf(a: Assessment) -> bytes:
    from nigran.reports.render import render_pdf as pdf

    return pdf(render_html(a))


def render(a: Assessment, fmt: str) -> bytes:
    if fmt == "json":
        return render_json(a).encode()
    if fmt == "html":
        return render_html(a).encode()
    return render_pdf(a)
