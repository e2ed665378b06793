"""The fields each item of a framework file may have: the single description validation and export share."""

from __future__ import annotations

import re
from dataclasses import dataclass

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]*$")


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # str, int, number, bool, date, list, dict, or a structured kind (period, band, …)
    required: bool = False


def _fields(*items: Field) -> dict[str, Field]:
    return {f.name: f for f in items}


COMMON = (Field("code", "str", True), Field("classification", "str"))

FRAMEWORK = _fields(
    *COMMON,
    Field("title", "str", True),
    Field("title_ur", "str"),
    Field("period", "period", True),
    Field("version", "int"),
    Field("predecessor", "str"),
    Field("owner", "str"),
    Field("description", "str"),
    Field("source", "str"),
    Field("illustrative", "bool"),
    Field("sections", "list", True),
)

SECTION = _fields(
    *COMMON,
    Field("title", "str", True),
    Field("title_ur", "str"),
    Field("description", "str"),
    Field("weight", "number"),
    Field("sections", "list"),
    Field("objectives", "list"),
)

OBJECTIVE = _fields(
    *COMMON,
    Field("title", "str", True),
    Field("title_ur", "str"),
    Field("description", "str"),
    Field("weight", "number"),
    Field("indicators", "list"),
    Field("actions", "list"),
)

INDICATOR = _fields(
    *COMMON,
    Field("name", "str"),
    Field("title", "str"),
    Field("name_ur", "str"),
    Field("definition", "str"),
    Field("unit", "str"),
    Field("direction", "str"),
    Field("band", "band"),
    Field("baseline", "baseline"),
    Field("targets", "targets"),
    Field("source", "str"),
    Field("frequency", "str"),
    Field("weight", "number"),
    Field("responsible", "responsible"),
    Field("illustrative", "bool"),
    Field("incident_query", "dict"),
)

ACTION = _fields(
    *COMMON,
    Field("title", "str", True),
    Field("title_ur", "str"),
    Field("description", "str"),
    Field("owner", "str"),
    Field("due", "date"),
    Field("status", "str"),
    Field("weight", "number"),
    Field("responsible", "responsible"),
    Field("milestones", "list"),
)

MILESTONE = _fields(
    *COMMON,
    Field("title", "str", True),
    Field("description", "str"),
    Field("owner", "str"),
    Field("due", "date"),
    Field("status", "str"),
    Field("completed_on", "date"),
)
