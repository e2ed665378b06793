"""The foresight register: load a register from YAML (problems with their lines), export it, list and show
scenarios. Every read goes through the caller's guarded session: a scenario above the reader's clearance,
and its signposts and crossings, answer like ones that do not exist."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from nigran.access.classification import Classification
from nigran.access.guard import key_taken, principal_of
from nigran.core.errors import AccessDenied, NotFound
from nigran.core.problems import InvalidInput, Problem
from nigran.core.yamldoc import LineDict, dump_yaml, load_yaml_bytes
from nigran.foresight.models import Scenario, Signpost
from nigran.incidents.analytics import ALL_MEASURES

KINDS = ("indicator", "incidents")
COMPARISONS = (">", ">=", "<", "<=")
QUERY_KEYS = ("province", "district", "event_types", "actor", "from", "to")
SCENARIO_KEYS = (
    "code",
    "title",
    "narrative",
    "horizon_year",
    "drivers",
    "uncertainties",
    "classification",
    "signposts",
)
SIGNPOST_KEYS = (
    "code",
    "description",
    "kind",
    "framework",
    "indicator",
    "query",
    "months",
    "measure",
    "comparison",
    "threshold",
    "classification",
)


def _line(d: Any, key: str, default: int) -> int:
    return d.line_of(key) if isinstance(d, LineDict) else default


def _strings(value: Any) -> list[str] | None:
    if value is None:
        return []
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return [str(v).strip() for v in value if str(v).strip()]
    return None


def read_register(session: Session, data: bytes, name: str) -> list[dict[str, Any]]:
    """The scenarios of a register document, checked; :class:`InvalidInput` lists every problem."""
    from nigran.incidents.filters import from_query

    doc = load_yaml_bytes(data, name)
    problems: list[Problem] = []

    def add(line: int, message: str) -> None:
        problems.append(Problem(line, message, name))

    items = doc.get("scenarios") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        raise InvalidInput([Problem(1, "expected a mapping with a list 'scenarios'", name)])
    out: list[dict[str, Any]] = []
    codes: dict[str, int] = {}
    for item in items:
        line = getattr(item, "line", 0) or items.line
        if not isinstance(item, dict):
            add(line, "a scenario must be a mapping")
            continue
        for key in item:
            if key not in SCENARIO_KEYS:
                add(_line(item, key, line), f"unknown key {key!r} (allowed: {', '.join(SCENARIO_KEYS)})")
        code = str(item.get("code") or "").strip()
        if not code or len(code) > 60:
            add(_line(item, "code", line), "code: required, at most 60 characters")
        elif code.casefold() in codes:
            add(_line(item, "code", line), f"code {code!r} repeats line {codes[code.casefold()]}")
        codes[code.casefold()] = line
        title = str(item.get("title") or "").strip()
        if not title:
            add(_line(item, "title", line), "title: required")
        year = item.get("horizon_year")
        if year is not None and (
            not isinstance(year, int) or isinstance(year, bool) or not 2000 <= year <= 2100
        ):
            add(_line(item, "horizon_year", line), f"horizon_year: {year!r} is not a year 2000..2100")
        drivers, uncertainties = _strings(item.get("drivers")), _strings(item.get("uncertainties"))
        if drivers is None:
            add(_line(item, "drivers", line), "drivers: a list of texts")
        if uncertainties is None:
            add(_line(item, "uncertainties", line), "uncertainties: a list of texts")
        try:
            level = Classification.parse(item.get("classification", "PUBLIC"))
        except ValueError as exc:
            add(_line(item, "classification", line), str(exc))
            level = Classification.PUBLIC
        signposts = []
        sp_items = item.get("signposts") or []
        if not isinstance(sp_items, list):
            add(_line(item, "signposts", line), "signposts: a list")
            sp_items = []
        sp_codes: set[str] = set()
        for sp in sp_items:
            sline = getattr(sp, "line", 0) or line
            if not isinstance(sp, dict):
                add(sline, "a signpost must be a mapping")
                continue
            for key in sp:
                if key not in SIGNPOST_KEYS:
                    add(_line(sp, key, sline), f"unknown key {key!r} (allowed: {', '.join(SIGNPOST_KEYS)})")
            scode = str(sp.get("code") or "").strip()
            if not scode or len(scode) > 60:
                add(_line(sp, "code", sline), "code: required, at most 60 characters")
            elif scode.casefold() in sp_codes:
                add(_line(sp, "code", sline), f"signpost code {scode!r} repeats in this scenario")
            sp_codes.add(scode.casefold())
            description = str(sp.get("description") or "").strip()
            if not description:
                add(_line(sp, "description", sline), "description: required")
            kind = sp.get("kind")
            comparison = sp.get("comparison")
            if comparison not in COMPARISONS:
                add(
                    _line(sp, "comparison", sline),
                    f"comparison: {comparison!r} is not one of {' '.join(COMPARISONS)}",
                )
            threshold = sp.get("threshold")
            if isinstance(threshold, bool) or not isinstance(threshold, int | float):
                add(_line(sp, "threshold", sline), f"threshold: {threshold!r} is not a number")
                threshold = 0.0
            try:
                sp_level = max(level, Classification.parse(sp.get("classification", level)))
            except ValueError as exc:
                add(_line(sp, "classification", sline), str(exc))
                sp_level = level
            params: dict[str, Any] = {}
            measure = "value"
            if kind == "indicator":
                fw, ind = str(sp.get("framework") or "").strip(), str(sp.get("indicator") or "").strip()
                if not fw or not ind:
                    add(sline, "an indicator signpost needs framework and indicator (codes)")
                elif not _indicator_exists(session, fw, ind):
                    add(_line(sp, "indicator", sline), f"no indicator {ind!r} in framework {fw!r}")
                params = {"framework": fw, "indicator": ind}
            elif kind == "incidents":
                query = sp.get("query") or {}
                measure = str(sp.get("measure") or "incidents")
                if measure not in ALL_MEASURES:
                    add(
                        _line(sp, "measure", sline),
                        f"measure: {measure!r} is not one of {', '.join(ALL_MEASURES)}",
                    )
                if not isinstance(query, dict):
                    add(_line(sp, "query", sline), "query: a mapping of " + ", ".join(QUERY_KEYS))
                    query = {}
                for key in query:
                    if key not in QUERY_KEYS:
                        add(
                            _line(query, key, sline),
                            f"query: unknown key {key!r} (allowed: {', '.join(QUERY_KEYS)})",
                        )
                clean_query = {
                    k: (list(v) if isinstance(v, list) else v) for k, v in query.items() if k in QUERY_KEYS
                }
                try:
                    from_query(session, clean_query, source=name)
                except InvalidInput as exc:
                    for p in exc.problems:
                        add(_line(sp, "query", sline), p.message)
                months = sp.get("months")
                if months is not None and (
                    not isinstance(months, int) or isinstance(months, bool) or not 1 <= months <= 120
                ):
                    add(_line(sp, "months", sline), f"months: {months!r} is not 1..120")
                if months is None and not (query.get("from") or query.get("to")):
                    months = 3
                params = {"query": clean_query, "months": months}
            else:
                add(_line(sp, "kind", sline), f"kind: {kind!r} is not one of {', '.join(KINDS)}")
            signposts.append(
                {
                    "code": scode,
                    "description": description,
                    "kind": kind,
                    "params": params,
                    "measure": measure,
                    "comparison": comparison,
                    "threshold": float(threshold),
                    "classification": sp_level,
                }
            )
        out.append(
            {
                "code": code,
                "title": title[:400],
                "narrative": item.get("narrative"),
                "horizon_year": year,
                "drivers": drivers or [],
                "uncertainties": uncertainties or [],
                "classification": level,
                "signposts": signposts,
            }
        )
    if problems:
        raise InvalidInput(problems)
    return out


def _indicator_exists(session: Session, framework: str, indicator: str) -> bool:
    from nigran.policy.models import Framework, Indicator

    stmt = select(Indicator.id).join(Framework, Indicator.framework_id == Framework.id)
    return session.scalar(stmt.where(Framework.code == framework, Indicator.code == indicator)) is not None


def load_register(session: Session, data: bytes, name: str) -> tuple[int, int]:
    """Add the register's scenarios, or update those whose code exists (their signposts by code; a signpost
    no longer in the file is removed with its crossings). Returns (added, updated)."""
    who = principal_of(session)
    if not who.is_system and who.role not in Scenario.__write_roles__:
        raise AccessDenied(f"{who.username} ({who.role}) may not change the foresight register")
    added = updated = 0
    for spec in read_register(session, data, name):
        scenario = session.scalar(select(Scenario).where(Scenario.code == spec["code"]))
        if scenario is None:
            if key_taken(session, Scenario, "code", spec["code"]):
                raise InvalidInput([Problem(0, f"scenario code {spec['code']!r} is taken", name)])
            scenario = Scenario(code=spec["code"])
            session.add(scenario)
            added += 1
        else:
            updated += 1
        for key in ("title", "narrative", "horizon_year", "drivers", "uncertainties", "classification"):
            setattr(scenario, key, spec[key])
        existing = {s.code: s for s in scenario.signposts}
        keep = []
        for position, sp in enumerate(spec["signposts"]):
            signpost = existing.get(sp["code"]) or Signpost(code=sp["code"], status="unchecked")
            for key in (
                "description",
                "kind",
                "params",
                "measure",
                "comparison",
                "threshold",
                "classification",
            ):
                setattr(signpost, key, sp[key])
            signpost.position = position
            keep.append(signpost)
        scenario.signposts = keep
        session.flush()
    return added, updated


EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "foresight" / "example.yaml"


def load_example(session: Session) -> tuple[int, int]:
    """The bundled example register (for the demo); safe to run again."""
    return load_register(session, EXAMPLE.read_bytes(), "example.yaml")


def list_scenarios(session: Session) -> list[Scenario]:
    stmt = select(Scenario).options(selectinload(Scenario.signposts)).order_by(Scenario.code)
    return list(session.scalars(stmt))


def get_scenario(session: Session, scenario_id: int) -> Scenario:
    scenario = session.get(Scenario, scenario_id) if 0 < scenario_id < 2**63 else None
    if scenario is None:
        raise NotFound(f"no scenario {scenario_id}")
    return scenario


def signpost_dict(sp: Signpost) -> dict[str, Any]:
    return {
        "id": sp.id,
        "code": sp.code,
        "description": sp.description,
        "kind": sp.kind,
        "params": sp.params,
        "measure": sp.measure,
        "comparison": sp.comparison,
        "threshold": sp.threshold,
        "status": sp.status,
        "last_value": sp.last_value,
        "last_checked_at": sp.last_checked_at,
        "classification": Classification.parse(sp.classification).name,
        "crossings": [
            {
                "crossed_at": c.crossed_at,
                "period": c.period,
                "value": c.value,
                "evidence": c.evidence,
                "classification": Classification.parse(c.classification).name,
            }
            for c in sp.crossings
        ],
    }


def scenario_dict(s: Scenario, *, signposts: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": s.id,
        "code": s.code,
        "title": s.title,
        "narrative": s.narrative,
        "horizon_year": s.horizon_year,
        "drivers": s.drivers,
        "uncertainties": s.uncertainties,
        "classification": Classification.parse(s.classification).name,
        "crossed": sum(1 for sp in s.signposts if sp.status == "crossed"),
        "signposts_total": len(s.signposts),
    }
    if signposts:
        out["signposts"] = [signpost_dict(sp) for sp in s.signposts]
    return out


def export_register(session: Session) -> str:
    scenarios = []
    for s in list_scenarios(session):
        sps = []
        for sp in s.signposts:
            item: dict[str, Any] = {"code": sp.code, "description": sp.description, "kind": sp.kind}
            if sp.kind == "indicator":
                item.update(framework=sp.params.get("framework"), indicator=sp.params.get("indicator"))
            else:
                item.update(query=sp.params.get("query") or {}, measure=sp.measure)
                if sp.params.get("months") is not None:
                    item["months"] = sp.params["months"]
            item.update(
                comparison=sp.comparison,
                threshold=sp.threshold,
                classification=Classification.parse(sp.classification).name,
            )
            sps.append(item)
        scenarios.append(
            {
                "code": s.code,
                "title": s.title,
                "classification": Classification.parse(s.classification).name,
                "horizon_year": s.horizon_year,
                "narrative": s.narrative,
                "drivers": s.drivers,
                "uncertainties": s.uncertainties,
                "signposts": sps,
            }
        )
    return dump_yaml({"scenarios": scenarios})
