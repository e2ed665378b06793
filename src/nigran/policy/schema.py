"""The fields each item of a framework file may have: the one list that validation, loading, export and the
Excel columns all derive from, so that a field added here is read, stored, written and laid out everywhere.

A :class:`Field` says what the file calls it (``name``), what it holds (``kind``), where it lives on the
model (``attr``; ``None`` for fields with a shape of their own that the loader and export build by hand:
period, band, baseline, targets, responsible, child lists), its default, and whether export writes it
even at its default. The order of each list is the order export writes keys and Excel lays out columns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]*$")

#: kinds whose value is a plain scalar the loader stores as it is (after conversion) and export writes back
SCALAR_KINDS = frozenset({"str", "int", "number", "bool", "date", "dict", "entity", "level"})
#: kinds holding children (nested items), not values
CHILD_KINDS = frozenset({"list"})


@dataclass(frozen=True)
class Field:
    name: str
    #: str, int, number, bool, date, list, dict, entity (an entity code), level (a classification),
    #: or a structured kind read by hand (period, band, baseline, targets, responsible, predecessor)
    kind: str
    required: bool = False
    help: str = ""
    #: the model attribute for scalar kinds; ``None`` when the field is structured or an input alias
    attr: str | None = None
    default: Any = None
    #: export writes it even when it equals the default (direction, status, frequency)
    always: bool = False
    #: another field this one is an input spelling of (indicator ``title`` for ``name``)
    alias_of: str | None = None

    @property
    def stored(self) -> bool:
        """Loaded from the file onto the model attribute and exported back by the generic code."""
        return self.attr is not None and self.alias_of is None


def _fields(*items: Field) -> dict[str, Field]:
    return {f.name: f for f in items}


F = Field
LEVEL_HELP = "PUBLIC, RESTRICTED or SECRET; empty = the parent's level"
STATUS_HELP = "not_started, in_progress, completed, delayed or cancelled"
CODE = F("code", "str", True, "unique code", attr="code")
LEVEL = F("classification", "level", help=LEVEL_HELP)
WEIGHT = F("weight", "number", help="weight in scoring (empty = 1)", attr="weight", default=1.0)


def _text(name: str, help: str, *, required: bool = False) -> Field:
    return F(name, "str", required, help, attr=name)


FRAMEWORK = _fields(
    F("code", "str", True, "unique code of the framework", attr="code"),
    _text("title", "title", required=True),
    _text("title_ur", "Urdu title"),
    F("classification", "level", help="PUBLIC, RESTRICTED or SECRET"),
    F("period", "period", True, "first and last day of the period, YYYY-MM-DD"),
    F("version", "int", help="version number (default 1)", attr="version", default=1, always=True),
    F("predecessor", "predecessor", help="code of the framework this one succeeds"),
    F("owner", "entity", help="entity code of the owner", attr="owner"),
    _text("description", "free text"),
    _text("source", "where the structure comes from"),
    F("illustrative", "bool", help="TRUE marks the whole framework as demo content"),
    F("sections", "list", True),
)

SECTION = _fields(
    CODE,
    _text("title", "title", required=True),
    _text("title_ur", "Urdu title"),
    LEVEL,
    _text("description", "free text"),
    WEIGHT,
    F("sections", "list"),
    F("objectives", "list"),
)

OBJECTIVE = _fields(
    CODE,
    _text("title", "title", required=True),
    _text("title_ur", "Urdu title"),
    LEVEL,
    _text("description", "free text"),
    WEIGHT,
    F("indicators", "list"),
    F("actions", "list"),
)

INDICATOR = _fields(
    CODE,
    F("name", "str", help="name of the indicator", attr="name"),
    F("title", "str", alias_of="name"),
    _text("name_ur", "Urdu name"),
    LEVEL,
    _text("definition", "what is counted, how"),
    _text("unit", "unit; required with a baseline or targets"),
    F(
        "direction",
        "str",
        help="increase, decrease or maintain",
        attr="direction",
        default="increase",
        always=True,
    ),
    F("band", "band", help="the band a 'maintain' indicator stays within"),
    F("baseline", "baseline", help="baseline value and date"),
    F("targets", "targets", help="target value per year"),
    F("source", "str", help="data source, e.g. PBS; NACTA", attr="data_source"),
    F(
        "frequency",
        "str",
        help="monthly, quarterly, biannual or annual",
        attr="frequency",
        default="annual",
        always=True,
    ),
    F("aggregation", "str", help="flow, stock or rate; empty = derived from the unit", attr="aggregation"),
    WEIGHT,
    F("responsible", "responsible", help="entities, e.g. MOI:lead; NACTA:supporting"),
    F("illustrative", "bool", help="TRUE when the values are demo data", attr="illustrative", default=False),
    F(
        "incident_query",
        "dict",
        help="JSON query for indicators computed from incidents",
        attr="incident_query",
    ),
)

ACTION = _fields(
    CODE,
    _text("title", "title", required=True),
    _text("title_ur", "Urdu title"),
    LEVEL,
    _text("description", "free text"),
    F("owner", "entity", help="entity code of the owner", attr="owner"),
    F("due", "date", help="due date, YYYY-MM-DD", attr="due_date"),
    F("status", "str", help=STATUS_HELP, attr="status", default="not_started", always=True),
    WEIGHT,
    F("responsible", "responsible", help="entities, e.g. MOI:lead; NACTA:supporting"),
    F("milestones", "list"),
)

MILESTONE = _fields(
    CODE,
    _text("title", "title", required=True),
    LEVEL,
    _text("description", "free text"),
    F("owner", "entity", help="entity code; empty = the action's owner", attr="owner"),
    F("due", "date", help="due date, YYYY-MM-DD", attr="due_date"),
    F("status", "str", help=STATUS_HELP, attr="status", default="not_started", always=True),
    F("completed_on", "date", help="date completed, YYYY-MM-DD", attr="completed_on"),
)

#: each kind of item: its fields, and the key of its children in its parent
KINDS = {
    "section": SECTION,
    "objective": OBJECTIVE,
    "indicator": INDICATOR,
    "action": ACTION,
    "milestone": MILESTONE,
}


def stored_fields(fields: dict[str, Field]) -> list[Field]:
    """The fields loaded onto and exported from model attributes by the generic code, in file order."""
    return [f for f in fields.values() if f.stored]
