"""The Jinja2 environment of every page, and :func:`render`.

Templates live in ``web/templates/`` (``<domain>/<page>.html`` for domain pages) and extend ``base.html``.
Autoescaping is on. Context every page gets: ``request``, ``principal``, ``lang``, ``dir``, ``csrf_token``,
``url(path)`` (the path in the page's language), ``switch_url`` (the same page in the other language),
``nav`` (the sections the reader's role may open), ``num`` (numbers as the language writes them) and
``mark(level)``, which a template calls for each classified thing it shows: the banner at the top and
bottom of the page then shows the highest level marked (it is filled in after the page is rendered).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from nigran.access.classification import Classification
from nigran.access.principal import Principal, Role
from nigran.web import i18n

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
BANNER = "<!--nigran:classification-->"
URDU_FONT_CSS = "vendor/noto-nastaliq-urdu/noto-nastaliq-urdu.css"


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated where it is shown (``_(label)`` in a template)."""
    return message


#: Texts shown through a variable (``_(level.name)``, ``_(title)``): marked here so that extraction sees them.
MARKED = (
    N_("PUBLIC"),
    N_("RESTRICTED"),
    N_("SECRET"),
    N_("Not found"),
    N_("Access denied"),
    N_("Invalid input"),
    N_("Conflict"),
    N_("Sign-in required"),
    N_("Too many requests"),
    N_("Internal error"),
    N_("Service unavailable"),
    N_("Bad request"),
    N_("Method not allowed"),
    # submission states and workflow steps
    N_("open"), N_("draft"), N_("submitted"), N_("returned"), N_("resubmitted"), N_("verified"),
    N_("edit"), N_("submit"), N_("verify"), N_("return"), N_("resubmit"),
    # casualty figures
    N_("killed"), N_("victims_killed"), N_("civilians_killed"), N_("security_killed"),
    N_("militants_killed"), N_("injured"), N_("hostages"),
    # framework diff: what changed, and of which kind of item
    N_("added"), N_("removed"), N_("changed"),
    N_("framework"), N_("section"), N_("objective"), N_("indicator"), N_("action"), N_("milestone"),
    # roles, kinds of entity, background jobs
    N_("public_reader"), N_("analyst"), N_("focal_person"), N_("reviewer"), N_("administrator"),
    N_("committee"), N_("ministry"), N_("division"), N_("agency"), N_("province"), N_("region"),
    N_("territory"), N_("force"), N_("department"), N_("other"),
    N_("queued"), N_("running"), N_("succeeded"), N_("failed"),
    N_("incidents.import"), N_("incidents.export"), N_("reports.annual"), N_("framework.export"),
)  # fmt: skip


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str  # an English msgid, translated when rendered
    path: str
    roles: frozenset[Role] | None  # None: anyone, signed in or not


SIGNED_IN = frozenset(Role) - {Role.PUBLIC_READER}
ANALYSTS = frozenset({Role.ANALYST, Role.REVIEWER, Role.ADMINISTRATOR})
#: The header's sections. Domain helpers own the pages behind the paths; the platform only links them.
NAV: list[NavItem] = [
    NavItem("overview", N_("Overview"), "/overview", frozenset(Role)),
    NavItem("register", N_("Register"), "/register", frozenset(Role)),
    NavItem(
        "reporting",
        N_("Reporting"),
        "/reporting",
        frozenset({Role.FOCAL_PERSON, Role.REVIEWER, Role.ADMINISTRATOR, Role.ANALYST}),
    ),
    NavItem("reports", N_("Reports"), "/reports", frozenset(Role)),
    NavItem("incidents", N_("Security situation"), "/incidents", frozenset(Role)),
    NavItem("news", N_("Open sources"), "/news", ANALYSTS),
    NavItem("assessment", N_("Assessment"), "/assessment", frozenset(Role)),
    NavItem("risk", N_("Risk"), "/risk", frozenset(Role)),
    NavItem("alerts", N_("Alerts"), "/alerts", SIGNED_IN),
    NavItem("foresight", N_("Foresight"), "/foresight", SIGNED_IN),
    NavItem("admin", N_("Administration"), "/admin", frozenset({Role.ADMINISTRATOR, Role.REVIEWER})),
]


def nav_for(principal: Principal) -> list[NavItem]:
    signed_in = principal.user_id is not None
    return [item for item in NAV if item.roles is None or (signed_in and principal.role in item.roles)]


def _gettext(message: str) -> str:
    return i18n.translations(i18n.current()).gettext(message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return i18n.translations(i18n.current()).ngettext(singular, plural, n)


def _make_env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(("html", "xml"), default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters["num"] = lambda value: i18n.num(value)
    env.globals["num"] = i18n.num
    env.globals["Classification"] = Classification
    return env


ENV = _make_env()


def page_level(request: Request) -> Classification | None:
    return getattr(request.state, "page_level", None)


def mark(request: Request, level: Classification | str | int | None) -> str:
    """Record that the page shows material at ``level``; returns "" so templates can call it inline."""
    if level is None:
        return ""
    parsed = Classification.parse(level if not isinstance(level, int) else Classification(level))
    current = page_level(request)
    request.state.page_level = parsed if current is None else max(current, parsed)
    return ""


def banner_html(level: Classification | None) -> Markup:
    if level is None:
        return Markup("")
    name = level.name
    label = i18n.gettext(name)
    return Markup(
        f'<div class="classification classification-{escape(name.lower())}" role="note">{escape(label)}</div>'
    )


def context(request: Request, **extra: Any) -> dict[str, Any]:
    from nigran.web.deps import csrf_token_of, principal_of_request

    principal = principal_of_request(request)
    lang = i18n.current()
    path = request.url.path
    query = ("?" + request.url.query) if request.url.query else ""
    other = "en" if lang == "ur" else "ur"
    return {
        "request": request,
        "principal": principal,
        "signed_in": principal.user_id is not None,
        "lang": lang,
        "dir": "rtl" if lang in i18n.RTL else "ltr",
        "other_lang": other,
        "switch_url": i18n.localise(path, other) + query,
        "url": lambda p: i18n.localise(p, lang),
        "csrf_token": csrf_token_of(request),
        "nav": nav_for(principal),
        "current_path": path,
        "mark": lambda level: mark(request, level),
        "urdu_font": lang == "ur" and (STATIC / URDU_FONT_CSS).exists(),
        "urdu_font_css": URDU_FONT_CSS,
        **extra,
    }


def render(request: Request, template: str, *, status_code: int = 200, **ctx: Any) -> HTMLResponse:
    """Render ``template`` with the platform context, then put the classification banner in place."""
    if "page_level" in ctx and ctx["page_level"] is not None:
        mark(request, ctx.pop("page_level"))
    else:
        ctx.pop("page_level", None)
    html = ENV.get_template(template).render(context(request, **ctx))
    html = html.replace(BANNER, str(banner_html(page_level(request))))
    response = HTMLResponse(html, status_code=status_code)
    from nigran.web.deps import finish

    finish(request, response)
    return response
