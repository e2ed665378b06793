"""One event taxonomy, and how each source's own categories map onto it (documented in docs/incidents.md).

The tables are plain data so that an analyst can read them, and override them per import with
``--mapping FILE.yaml``; the functions add only the rules a flat table cannot express (who fired,
suicide flag).
"""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import Any


class EventType(StrEnum):
    SUICIDE_BOMBING = "suicide_bombing"
    BOMBING = "bombing"  # IED, remote-controlled, grenade, landmine
    ARMED_ASSAULT = "armed_assault"
    TARGETED_KILLING = "targeted_killing"
    KIDNAPPING = "kidnapping"
    HIJACKING = "hijacking"
    INFRASTRUCTURE_ATTACK = "infrastructure_attack"
    SECURITY_OPERATION = "security_operation"
    CLASH = "clash"
    CROSS_BORDER_ATTACK = "cross_border_attack"
    OTHER = "other"


EVENT_TYPES = frozenset(e.value for e in EventType)
SKIP = "skip"  # a mapping target meaning "not a security incident: do not import this row"

#: ACLED (event_type, sub_event_type) → taxonomy. "*" matches any sub-event type of that event type.
ACLED: dict[tuple[str, str], str] = {
    ("Battles", "Armed clash"): "clash",
    ("Battles", "Government regains territory"): "security_operation",
    ("Battles", "Non-state actor overtakes territory"): "clash",
    ("Explosions/Remote violence", "Suicide bomb"): "suicide_bombing",
    ("Explosions/Remote violence", "Remote explosive/landmine/IED"): "bombing",
    ("Explosions/Remote violence", "Grenade"): "bombing",
    ("Explosions/Remote violence", "Air/drone strike"): "cross_border_attack",  # Pakistani forces: see rule
    ("Explosions/Remote violence", "Shelling/artillery/missile attack"): "cross_border_attack",  # idem
    ("Explosions/Remote violence", "Chemical weapon"): "other",
    ("Violence against civilians", "Attack"): "armed_assault",
    ("Violence against civilians", "Abduction/forced disappearance"): "kidnapping",
    ("Violence against civilians", "Sexual violence"): "other",
    ("Riots", "Mob violence"): "other",
    ("Riots", "Violent demonstration"): SKIP,
    ("Protests", "*"): SKIP,
    ("Strategic developments", "Looting/property destruction"): "infrastructure_attack",
    ("Strategic developments", "*"): SKIP,
}

#: GTD attacktype1_txt → taxonomy (a bombing with ``suicide`` = 1 becomes suicide_bombing).
GTD: dict[str, str] = {
    "Assassination": "targeted_killing",
    "Armed Assault": "armed_assault",
    "Bombing/Explosion": "bombing",
    "Hijacking": "hijacking",
    "Hostage Taking (Barricade Incident)": "kidnapping",
    "Hostage Taking (Kidnapping)": "kidnapping",
    "Facility/Infrastructure Attack": "infrastructure_attack",
    "Unarmed Assault": "other",
    "Unknown": "other",
}

#: UCDP type_of_violence → taxonomy, before the side and headline rules of :func:`ucdp_event_type`.
UCDP: dict[str, str] = {"1": "clash", "2": "clash", "3": "armed_assault"}

#: Refinements from UCDP's headline/description, which is the only place UCDP says how people were killed.
UCDP_KEYWORDS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"suicide", re.I), "suicide_bombing"),
    (re.compile(r"\bdrone\b", re.I), "cross_border_attack"),
    (re.compile(r"kidnap|abduct|hostage", re.I), "kidnapping"),
    (re.compile(r"bomb|blast|explosi|\bied\b|grenade|landmine|mine\b", re.I), "bombing"),
    (re.compile(r"gunmen|shot dead|target(ed)? killing", re.I), "targeted_killing"),
]

PAKISTAN_STATE = re.compile(
    r"^(Government of Pakistan|Military Forces of Pakistan|Police Forces of Pakistan)", re.I
)
FOREIGN_STATE = re.compile(r"^(Government of (?!Pakistan)|Military Forces of (?!Pakistan))", re.I)


def acled_event_type(
    event_type: str, sub_event_type: str, actor1: str, table: dict[Any, str] | None = None
) -> str | None:
    """The taxonomy type of an ACLED row, :data:`SKIP` for rows outside scope, None when unmapped."""
    table = table if table is not None else ACLED
    mapped = table.get((event_type, sub_event_type)) or table.get((event_type, "*"))
    if mapped == "cross_border_attack" and PAKISTAN_STATE.match(actor1 or ""):
        return "security_operation"  # Pakistani air/artillery strikes are operations, not attacks from abroad
    return mapped


def gtd_event_type(attack_type: str, suicide: str | None, table: dict[str, str] | None = None) -> str | None:
    mapped = (table if table is not None else GTD).get(attack_type)
    if mapped in ("bombing", "armed_assault") and str(suicide or "").strip() == "1":
        return "suicide_bombing"
    return mapped


def ucdp_event_type(
    violence: str, side_a: str, side_b: str, text: str, table: dict[str, str] | None = None
) -> str | None:
    """Interstate and foreign-state dyads are cross-border; otherwise the headline refines the type."""
    mapped = (table if table is not None else UCDP).get(str(violence).strip())
    if mapped is None:
        return None
    a_state, b_state = (
        bool(FOREIGN_STATE.match(side_a) or PAKISTAN_STATE.match(side_a)),
        bool(FOREIGN_STATE.match(side_b) or PAKISTAN_STATE.match(side_b)),
    )
    if (a_state and b_state) or FOREIGN_STATE.match(side_a):
        return "cross_border_attack"
    for pattern, refined in UCDP_KEYWORDS:
        if pattern.search(text or ""):
            return refined
    if PAKISTAN_STATE.match(side_a) and mapped == "armed_assault":
        return "security_operation"  # one-sided violence by the state
    return mapped


def load_overrides(path: Path) -> dict[str, Any]:
    """Read ``--mapping FILE`` from a path: the same reader as every import (``mapping_file.read_overrides``),
    so a file is checked one way, with every problem and its line."""
    from nigran.incidents.mapping_file import read_overrides  # mapping_file imports this module

    return read_overrides(path.read_bytes(), str(path))


def merged_tables(overrides: dict[str, Any] | None) -> dict[str, dict[Any, str]]:
    overrides = overrides or {}
    acled = dict(ACLED)
    for key, value in (overrides.get("acled") or {}).items():
        event, _, sub = str(key).partition("/") if " / " not in str(key) else str(key).partition(" / ")
        acled[(event.strip(), sub.strip() or "*")] = value
    gtd = {**GTD, **{str(k): v for k, v in (overrides.get("gtd") or {}).items()}}
    ucdp = {**UCDP, **{str(k): v for k, v in (overrides.get("ucdp") or {}).items()}}
    return {"acled": acled, "gtd": gtd, "ucdp": ucdp}
