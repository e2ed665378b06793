"""Reading a ``--mapping`` file (mapping overrides, CSV column names) with a ``FILE:LINE`` for each problem.

The file comes from whoever runs the import, so it is read like every other outside input: bytes in, the
hardened line-aware YAML of :mod:`nigran.core.yamldoc` (no aliases, no duplicate keys, bounded size), every
problem listed with its line, and plain dicts of text out. Sections: ``acled``, ``gtd``, ``ucdp`` and
``event_types`` map a source's value to a taxonomy event type (or ``skip``); ``columns`` renames the generic
CSV layout's fields to the file's column names; ``dataset`` names a generic CSV's dataset.
"""

from __future__ import annotations

from typing import Any

from nigran.core.problems import InvalidInput, Problem
from nigran.core.yamldoc import LineDict, load_yaml_bytes
from nigran.incidents.fields import CSV_FIELDS
from nigran.incidents.mappings import EVENT_TYPES, SKIP

_TYPE_SECTIONS = ("acled", "gtd", "ucdp", "event_types")
SECTIONS = (*_TYPE_SECTIONS, "columns", "dataset")


def read_overrides(data: bytes, name: str) -> dict[str, Any]:
    """The overrides in ``data``; :class:`InvalidInput` lists every problem (``name`` is the file's)."""
    doc = load_yaml_bytes(data, name)
    if doc is None:
        return {}
    if not isinstance(doc, LineDict):
        raise InvalidInput([Problem(1, f"expected sections ({', '.join(SECTIONS)}) at the top level", name)])
    problems: list[Problem] = []
    out: dict[str, Any] = {}
    allowed = ", ".join(sorted(EVENT_TYPES))
    for section, body in doc.items():
        line = doc.line_of(section)
        if section not in SECTIONS:
            problems.append(
                Problem(line, f"unknown section {section!r} (one of {', '.join(SECTIONS)})", name)
            )
            continue
        if section == "dataset":
            if not isinstance(body, str) or not body.strip() or len(body) > 20:
                problems.append(Problem(line, "dataset: a name of 1 to 20 characters", name))
            else:
                out[section] = body.strip()
            continue
        if body is None:
            continue
        if not isinstance(body, LineDict):
            problems.append(Problem(line, f"{section}: expected 'source value: replacement' lines", name))
            continue
        table: dict[str, str] = {}
        for key, value in body.items():
            at = body.line_of(key)
            if not isinstance(value, str) or not value.strip():
                problems.append(Problem(at, f"{section}.{key}: expected text, not {value!r}", name))
            elif section in _TYPE_SECTIONS and value not in EVENT_TYPES and value != SKIP:
                problems.append(
                    Problem(
                        at, f"{section}.{key}: unknown event type {value!r} (one of {allowed}, skip)", name
                    )
                )
            elif section == "columns" and str(key) not in CSV_FIELDS:
                fields = ", ".join(CSV_FIELDS)
                problems.append(Problem(at, f"columns.{key}: not a field of the CSV layout ({fields})", name))
            else:
                table[str(key)] = value.strip()
        out[section] = table
    if problems:
        raise InvalidInput(problems)
    return out
