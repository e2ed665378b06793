"""The access matrix: every route of the application, for every role, on a database with canaries.

The routes are discovered from the application at run time, so a route added later is walked without
editing this file; a route whose path parameter has no filler below fails with a message naming it. For
every role (the anonymous public, a signed-in public reader, focal persons of KP and of MOI, an analyst and
a reviewer cleared to RESTRICTED, an administrator cleared to SECRET) the walker checks that:

- no request is answered with a server error (5xx);
- a canary string reaches only users cleared to its level (and entity canaries only their entity's focal
  person, analysts, reviewers, administrators; the account canary only user administrators and audit
  readers); xlsx and zip downloads are searched inside;
- a classified record the user may not see answers exactly like a record that does not exist (its
  existence cannot be inferred from a 403 against a 404);
- routes that need sign-in send the anonymous to ``/login`` (pages) or answer 401 (API);
- a state-changing request without the CSRF token is refused with 403, and an empty or malformed body with
  the token is a 4xx, never a 5xx.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fastapi.routing
import pytest
from fastapi.testclient import TestClient
from starlette.routing import Mount
from tests.conftest import BACKENDS
from tests.web_canaries import CLEARANCE, ENTITY_CANARIES, LEVEL_CANARIES, USER_CANARY, Planted, leaked
from tests.web_canaries import planted_database as _planted_database
from tests.web_support import client_for, csrf, sign_in

from nigran.access.classification import Classification
from nigran.demo import DEMO_PASSWORDS
from nigran.web import deps

ROLES: list[str | None] = [None, "reader", "focal-kp", "focal-moi", "analyst", "reviewer", "admin"]
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}

#: Kinds of record a path parameter names, by the parameter's name.
PARAM_KINDS: dict[str, tuple[str, ...]] = {
    "framework": ("framework",),
    "framework_code": ("framework",),
    "fw": ("framework",),
    "section": ("section",),
    "section_code": ("section",),
    "objective": ("objective",),
    "objective_code": ("objective",),
    "indicator": ("indicator",),
    "indicator_code": ("indicator",),
    "action": ("step",),  # /submissions/{id}/{action}; under /actions/ it is an action's code (ITEMS)
    "step": ("step",),
    "action_code": ("action",),
    "milestone": ("milestone",),
    "milestone_code": ("milestone",),
    "item": ("indicator", "milestone"),
    "item_code": ("indicator", "milestone"),
    "entity": ("entity",),
    "entity_code": ("entity",),
    "incident_id": ("incident",),
    "submission_id": ("submission", "pending_submission"),
    "cycle_id": ("cycle",),
    "cycle": ("cycle_code",),
    "cycle_code": ("cycle_code",),
    "username": ("username",),
    "token_id": ("number",),
    "job_id": ("number",),
    "candidate_id": ("number",),
    "pair_id": ("number",),
    "year": ("year",),
    "edition": ("edition",),
    "province": ("province",),
    "district": ("district",),
    "fmt": ("fmt",),
    "format": ("fmt",),
    "lang": ("lang",),
    "article_id": ("number",),
    "feed_id": ("number",),
    "alert_id": ("number",),
    "rule_id": ("number",),
    "scenario_id": ("number",),
    "signpost_id": ("number",),
    "subscription_id": ("number",),
    "reference_id": ("number",),
    "run_id": ("number",),
    "month": ("month",),
    "definition": ("definition",),
    "horizon": ("horizon",),
    "model": ("model",),
}
#: For generic names (``{code}``, ``{id}``, ``{key}``): the kind follows the collection segment before it.
SEGMENT_KINDS: dict[str, str] = {
    "frameworks": "framework",
    "sections": "section",
    "objectives": "objective",
    "indicators": "indicator",
    "actions": "action",
    "milestones": "milestone",
    "entities": "entity",
    "incidents": "incident",
    "submissions": "submission",
    "cycles": "cycle",
    "users": "username",
    "jobs": "number",
    "tokens": "number",
    "candidates": "number",
    "provinces": "province",
    "districts": "district",
    "reports": "framework",
    "register": "framework",
    "articles": "number",
    "feeds": "number",
    "alerts": "number",
    "rules": "number",
    "scenarios": "number",
    "signposts": "number",
    "subscriptions": "number",
    "references": "number",
    "runs": "number",
    "definitions": "definition",
    "models": "model",
}
GENERIC = {"code", "id", "key", "name", "slug"}
ITEMS = {"item", "item_code", "action"}
#: Values for kinds that are not planted records: (value, level).
CONSTANTS: dict[str, list[tuple[str, Classification]]] = {
    "cycle_code": [("2024", Classification.PUBLIC), ("2025", Classification.PUBLIC)],
    "username": [("focal-kp", Classification.PUBLIC), ("canary-user", Classification.PUBLIC)],
    "number": [("1", Classification.PUBLIC)],
    "year": [("2025", Classification.PUBLIC)],
    "edition": [("public", Classification.PUBLIC), ("classified", Classification.PUBLIC)],
    "province": [("KP", Classification.PUBLIC), ("Khyber Pakhtunkhwa", Classification.PUBLIC)],
    "district": [("Peshawar", Classification.PUBLIC)],
    "fmt": [(f, Classification.PUBLIC) for f in ("html", "pdf", "csv", "json", "xlsx")],
    "lang": [("en", Classification.PUBLIC), ("ur", Classification.PUBLIC)],
    "step": [(s, Classification.PUBLIC) for s in ("verify", "return", "resubmit")],
    "month": [("2021-06", Classification.PUBLIC)],
    "definition": [(d, Classification.PUBLIC) for d in ("pips", "picss", "crss")],
    "horizon": [(h, Classification.PUBLIC) for h in ("1", "3")],
    "model": [(m, Classification.PUBLIC) for m in ("no_change", "conflictology", "gbm")],
}
HUGE = "1" + "0" * 30
NUMERIC = {"incident", "submission", "pending_submission", "cycle", "number"}


@dataclass(frozen=True)
class Walk:
    """One route the walker calls: its path template, method, and whether it needs a signed-in user."""

    path: str
    method: str
    needs_sign_in: bool
    params: tuple[str, ...]


def _depends_on(dependant: Any, call: Any) -> bool:
    return any(d.call is call or _depends_on(d, call) for d in getattr(dependant, "dependencies", []))


def _routes(app: Any) -> Iterator[Any]:
    contexts = getattr(fastapi.routing, "iter_route_contexts", None)  # FastAPI ≥ 0.16x includes lazily
    yield from (contexts(app.routes) if contexts else app.routes)


def walks(app: Any) -> list[Walk]:
    found = []
    for route in _routes(app):
        if isinstance(getattr(route, "original_route", route), Mount) or route.path == "/api/openapi.json":
            continue
        dependant = getattr(route, "dependant", None)
        params = tuple(re.findall(r"{(\w+)(?::\w+)?}", route.path))
        for method in sorted((route.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append(Walk(route.path, method, _depends_on(dependant, deps.signed_in), params))
    return found


def kinds_of(path: str, param: str) -> tuple[str, ...]:
    """What a parameter names: for a generic name (``{code}``, ``{item}``) the collection before it decides
    (``/indicators/{item}``), else the name itself (``{incident_id}``)."""
    if param in GENERIC or param in ITEMS or param.endswith("_code"):
        before = path.split("{" + param)[0].rstrip("/").rsplit("/", 1)[-1]
        if before in SEGMENT_KINDS:
            return (SEGMENT_KINDS[before],)
    return PARAM_KINDS.get(param, ())


def values_for(planted: Planted, path: str, param: str) -> list[tuple[str, Classification]] | None:
    kinds = kinds_of(path, param)
    if not kinds:
        return None
    out: list[tuple[str, Classification]] = []
    for kind in kinds:
        out += planted.keys.get(kind) or CONSTANTS.get(kind, [])
    return out


def bogus(planted: Planted, path: str, param: str) -> str:
    kind = kinds_of(path, param)[0]
    return "987001" if kind in NUMERIC else "NOSUCH-9Z"


class Unfillable(Exception):
    """A route whose path parameter no rule fills: the walker cannot call it, which is a test failure."""


@dataclass(frozen=True)
class Call:
    url: str
    echoed: tuple[str, ...]
    level: Classification  # the highest level among the records the URL names
    twin: str | None  # the same URL with that record replaced by one that does not exist


def calls(planted: Planted, walk: Walk) -> list[Call]:
    """The URLs that exercise ``walk``: every parameter at its first value, then one parameter at a time
    varied through its other values and a value naming nothing."""
    if not walk.params:
        return [Call(walk.path, (), Classification.PUBLIC, None)]
    options = {}
    for p in walk.params:
        found = values_for(planted, walk.path, p)
        if not found:
            raise Unfillable(
                f"route {walk.method} {walk.path}: no filler for path parameter {{{p}}}; add its kind to "
                "PARAM_KINDS or SEGMENT_KINDS in tests/test_web_access_matrix.py"
            )
        options[p] = found

    def url(chosen: dict[str, str]) -> str:
        out = walk.path
        for p, v in chosen.items():
            out = re.sub(r"{" + p + r"(?::\w+)?}", v, out)
        return out

    base = {p: options[p][0][0] for p in walk.params}
    result = [Call(url(base), tuple(base.values()), Classification.PUBLIC, None)]
    for p in walk.params:
        for value, level in options[p][1:]:
            chosen = base | {p: value}
            twin = url(base | {p: bogus(planted, walk.path, p)})
            result.append(Call(url(chosen), tuple(chosen.values()), level, twin))
        missing = base | {p: bogus(planted, walk.path, p)}
        result.append(Call(url(missing), tuple(missing.values()), Classification.PUBLIC, None))
        if kinds_of(walk.path, p)[0] in NUMERIC:  # beyond any integer the database holds
            huge = base | {p: HUGE}
            result.append(Call(url(huge), tuple(huge.values()), Classification.PUBLIC, None))
    return result


def body_text(response: Any) -> str:
    """The text of a response, with xlsx/zip members unpacked (a spreadsheet is a zip of XML)."""
    content = response.content
    if content[:2] == b"PK":
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as z:
                return "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
        except zipfile.BadZipFile:
            pass
    headers = " ".join(f"{k}: {v}" for k, v in response.headers.items() if k.lower() != "set-cookie")
    return headers + "\n" + content.decode("utf-8", "replace")


class Findings:
    def __init__(self, user: str | None) -> None:
        self.user = user
        self.problems: list[str] = []
        self.seen: set[str] = set()

    def check(self, method: str, url: str, response: Any, echoed: tuple[str, ...] = ()) -> None:
        who = self.user or "anonymous"
        text = body_text(response)
        if response.status_code >= 500:
            self.problems.append(f"{who} {method} {url}: {response.status_code} {response.text[-160:]!r}")
        leaks = leaked(self.user, text, echoed)
        if leaks:
            self.problems.append(f"{who} {method} {url}: {response.status_code} shows {leaks}")
        lowered = text.lower()
        for canary in (*LEVEL_CANARIES[Classification.RESTRICTED], *LEVEL_CANARIES[Classification.SECRET]):
            if canary.lower() in lowered:
                self.seen.add(canary)
        self.seen |= {c for c in (USER_CANARY, *ENTITY_CANARIES.values()) if c.lower() in lowered}

    def expect(self, ok: bool, message: str) -> None:
        if not ok:
            self.problems.append(f"{self.user or 'anonymous'} {message}")

    def assert_none(self) -> None:
        assert not self.problems, f"{len(self.problems)} problems:\n" + "\n".join(self.problems[:80])


@pytest.fixture(scope="module", params=BACKENDS)
def planted(templates: Any, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    folder: Path = tmp_path_factory.mktemp(f"matrix-{request.param}")
    with _planted_database(templates, request.param, folder) as p:
        yield p


def _client(planted: Planted, user: str | None) -> TestClient:
    return client_for(planted.db, user)


def _is_api(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


@pytest.mark.slow
@pytest.mark.parametrize("user", ROLES, ids=lambda u: u or "anonymous")
def test_every_get_route_for_every_role(planted: Planted, user: str | None) -> None:
    client = _client(planted, user)
    findings = Findings(user)
    routes = [w for w in walks(client.app) if w.method == "GET"]
    assert len(routes) > 10, "the walker found almost no routes: is route discovery broken?"
    for walk in routes:
        try:
            to_call = calls(planted, walk)
        except Unfillable as exc:
            findings.problems.append(str(exc))
            continue
        for call in to_call:
            response = client.get(call.url, follow_redirects=False)
            findings.check("GET", call.url, response, call.echoed)
            if user is None and walk.needs_sign_in:
                if _is_api(walk.path):
                    findings.expect(
                        response.status_code == 401, f"GET {call.url}: {response.status_code}, not 401"
                    )
                else:
                    findings.expect(
                        response.status_code == 303
                        and response.headers.get("location", "").startswith("/login"),
                        f"GET {call.url}: {response.status_code}, not a redirect to /login",
                    )
            if call.twin is not None and call.level > CLEARANCE[user] and response.status_code < 500:
                twin = client.get(call.twin, follow_redirects=False)
                findings.expect(
                    twin.status_code == response.status_code,
                    f"GET {call.url}: {response.status_code} for a record above the clearance, but "
                    f"{twin.status_code} for one that does not exist ({call.twin}): its existence shows",
                )
        if not walk.params and not _is_api(walk.path) and walk.path != "/":
            response = client.get("/ur" + walk.path, follow_redirects=False)
            findings.check("GET", "/ur" + walk.path, response)
    findings.assert_none()
    # the canaries are there to be found: the users cleared for them do find them somewhere
    if user == "admin":
        for canary in ("CANARY-SECRET", "CANARY-RESTRICTED", USER_CANARY):
            assert canary in findings.seen, f"the administrator saw no {canary}: are the canaries planted?"
    if user == "analyst":
        assert "CANARY-RESTRICTED" in findings.seen, "the analyst saw no RESTRICTED canary anywhere"


def _still_signed_in(client: TestClient, user: str | None) -> None:
    """Empty requests to sign-out routes end the session: sign in again for the next route."""
    if user is not None and client.get("/api/session").json().get("signed_in") is not True:
        client.cookies.clear()
        sign_in(client, user, DEMO_PASSWORDS[user])


@pytest.mark.slow
@pytest.mark.parametrize("user", ROLES, ids=lambda u: u or "anonymous")  # the administrator last
def test_state_changing_routes_need_csrf_and_survive_bad_bodies(planted: Planted, user: str | None) -> None:
    client = _client(planted, user)
    findings = Findings(user)
    routes = [w for w in walks(client.app) if w.method in STATE_CHANGING]
    for walk in routes:
        try:
            call = calls(planted, walk)[0]
        except Unfillable as exc:
            findings.problems.append(str(exc))
            continue
        api = _is_api(walk.path)
        body: dict[str, Any] = {"json": {}} if api else {"data": {}}
        refused = client.request(walk.method, call.url, follow_redirects=False, **body)
        findings.check(walk.method, call.url, refused, call.echoed)
        allowed = {403} if user is not None else {401, 403, 303}
        findings.expect(
            refused.status_code in allowed,
            f"{walk.method} {call.url} without the CSRF token: {refused.status_code}, not 403",
        )
        token = {"X-CSRF-Token": csrf(client)}
        for extra in (body, {"content": b"{not json", "headers": {"content-type": "application/json"}}):
            headers = token | extra.get("headers", {})
            kwargs = {k: v for k, v in extra.items() if k != "headers"}
            response = client.request(
                walk.method, call.url, headers=headers, follow_redirects=False, **kwargs
            )
            findings.check(walk.method, call.url, response, call.echoed)
            _still_signed_in(client, user)
    findings.assert_none()


def test_every_path_parameter_has_a_filler(planted: Planted) -> None:
    """Fails, naming the route, when a new route's path parameter cannot be filled from the canaries."""
    client = _client(planted, None)
    missing = [
        f"{w.method} {w.path} {{{p}}}"
        for w in walks(client.app)
        for p in w.params
        if not values_for(planted, w.path, p)
    ]
    assert not missing, "add a filler to PARAM_KINDS/SEGMENT_KINDS for: " + ", ".join(missing)


def test_an_id_beyond_the_database_integers_is_invalid_input(db: Any) -> None:
    """SQLite's driver raises OverflowError and PostgreSQL "out of range" for such a number: both are the
    input's fault (422 on the web, exit 2 on the CLI), never an internal error."""
    from nigran.access.principal import Principal
    from nigran.core.errors import InvalidInput
    from nigran.incidents.models import Incident

    for readonly in (True, False):
        with (
            pytest.raises(InvalidInput, match="too large"),
            db.session(Principal.system(), readonly=readonly) as s,
        ):
            s.get(Incident, int(HUGE))
