"""Policy-register services: what the CLI and the web call. Each takes a session the caller opened.

The caller (``Database.session(principal)``) owns the transaction; these functions only flush, so an error
anywhere rolls back everything, and every read is filtered by the principal's clearance beneath them.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from pathlib import PurePath
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from nigran.access.guard import key_taken
from nigran.core import jsonout
from nigran.core.errors import NotFound
from nigran.core.problems import InvalidInput, Problem
from nigran.core.yamldoc import MAX_DOCUMENT_BYTES, dump_yaml, load_yaml_bytes
from nigran.policy.export import framework_to_dict
from nigran.policy.loader import FrameworkBuilder
from nigran.policy.models import (
    Action,
    Entity,
    Framework,
    Indicator,
    Milestone,
    Objective,
    Responsibility,
    Section,
)
from nigran.policy.validate import validate_document

#: the formats a file's suffix names
SUFFIX_FORMATS = {
    ".yaml": "yaml",
    ".yml": "yaml",
    ".json": "json",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".csv": "csv",
}
FRAMEWORK_FORMATS = ("yaml", "json", "xlsx")
WORKBOOK_MAGIC = b"PK\x03\x04"  # a zip archive, as every xlsx workbook is


def known_entity_codes(session: Session | None) -> set[str]:
    """Entity codes a framework may refer to: those in the database that the reader may see.

    Without a database (``session=None``, a pure file check) the bundled list stands in. With one, only its
    own entities count, so that a framework naming entities this database lacks gets a problem for each,
    with its line, rather than a failed foreign key when it is written.
    """
    if session is None:
        from nigran.reference import bundled_entity_codes

        return bundled_entity_codes()
    return set(session.scalars(select(Entity.code)))


def is_workbook(data: bytes, name: str) -> bool:
    """Whether a file is an Excel workbook: its name's suffix says so, or failing that its bytes do (every
    xlsx is a zip archive), so that an upload without a telling name is still read the right way."""
    suffix = PurePath(name).suffix.lower()
    if suffix in SUFFIX_FORMATS:
        return SUFFIX_FORMATS[suffix] == "xlsx"
    return data.startswith(WORKBOOK_MAGIC)


def read_document(data: bytes, name: str) -> tuple[Any, list[Problem]]:
    """A framework from the bytes of a YAML, JSON or Excel file into the document form, with problems.

    ``name`` (the file's name as the user gave it) is the ``FILE`` of every problem.
    """
    if is_workbook(data, name):
        from nigran.policy.excel import workbook_to_document

        return workbook_to_document(data, name)
    return parse_document(data, name)


def parse_document(data: bytes, name: str = "<document>") -> tuple[Any, list[Problem]]:
    """A YAML or JSON framework from bytes (JSON is YAML, so one reader serves both with line numbers)."""
    if len(data) > MAX_DOCUMENT_BYTES:
        return None, [Problem(1, f"file too large (limit {MAX_DOCUMENT_BYTES:,} bytes)", name)]
    try:
        return load_yaml_bytes(data, name), []
    except InvalidInput as exc:
        return None, exc.problems


def _code_line(doc: Any) -> int:
    fw = doc["framework"]
    return fw.line_of("code") if hasattr(fw, "line_of") else 1


def code_problem(session: Session, doc: Any, filename: str) -> Problem | None:
    """The framework's code may not be in use, by a framework the reader sees or one they may not see.

    For a hidden one the message says only that the code is not available: codes are unique across every
    level, so the refusal itself cannot be avoided, but it names nothing else (docs/framework-format.md).
    Codes are compared without regard to case, as the command line finds them.
    """
    code = str(doc["framework"]["code"])
    visible = _find_framework(session, code)
    if visible is not None:
        return Problem(_code_line(doc), f"framework {visible.code} is already loaded", filename)
    if key_taken(session, Framework, "code", code):
        return Problem(_code_line(doc), f"framework code {code} is not available: choose another", filename)
    return None


def validate_bytes(data: bytes, name: str, session: Session | None) -> tuple[Any, list[Problem]]:
    """Every problem of a framework file (its bytes, named ``name``), nothing written; the document if none.

    With a session, its entities and framework codes count; without one (a pure file check) the bundled
    entities stand in.
    """
    if is_workbook(data, name):
        from nigran.policy.excel import validate_workbook

        doc, problems = validate_workbook(data, name, known_entity_codes(session))
    else:
        doc, problems = parse_document(data, name)
        if not problems:
            problems = validate_document(doc, name, known_entity_codes(session))
    if not problems and session is not None:
        clash = code_problem(session, doc, name)
        problems = [clash] if clash else []
    return doc, problems


def load_document(
    session: Session, doc: Any, filename: str = "<document>", *, validated: bool = False
) -> Framework:
    problems = [] if validated else validate_document(doc, filename, known_entity_codes(session))
    if problems:
        raise InvalidInput(problems)
    clash = code_problem(session, doc, filename)
    if clash is not None:
        raise InvalidInput([clash])
    framework = FrameworkBuilder(session).build(doc)
    session.flush()
    return framework


def load_bytes(session: Session, data: bytes, name: str) -> Framework:
    """Validate and load a framework file's bytes; any problem raises ``InvalidInput`` and writes nothing."""
    doc, problems = validate_bytes(data, name, session)
    if problems:
        raise InvalidInput(problems)
    return load_document(session, doc, name, validated=True)


def _find_framework(session: Session, code: str) -> Framework | None:
    """The visible framework with this code: exactly, else the one that matches without regard to case."""
    code = code.strip()
    exact = session.scalar(select(Framework).where(Framework.code == code))
    if exact is not None:
        return exact
    found = list(session.scalars(select(Framework).where(func.lower(Framework.code) == code.lower())))
    return found[0] if len(found) == 1 else None


def get_framework(session: Session, code: str) -> Framework:
    framework = _find_framework(session, code)
    if framework is None:
        raise NotFound(f"no framework {code!r}")
    return framework


@dataclass
class FrameworkSummary:
    code: str
    title: str
    period: str
    version: int
    classification: str
    sections: int
    objectives: int
    indicators: int
    actions: int


def list_frameworks(session: Session) -> list[FrameworkSummary]:
    """Counts are computed through the session, so they include only records the reader may see."""

    def counts(model: type) -> dict[int, int]:
        rows = session.execute(select(model.framework_id, func.count(model.id)).group_by(model.framework_id))
        return {fid: n for fid, n in rows}

    sections, objectives, indicators, actions = (counts(m) for m in (Section, Objective, Indicator, Action))
    return [
        FrameworkSummary(
            fw.code,
            fw.title,
            f"{fw.period_start.isoformat()}..{fw.period_end.isoformat()}",
            fw.version,
            fw.classification.name,
            sections.get(fw.id, 0),
            objectives.get(fw.id, 0),
            indicators.get(fw.id, 0),
            actions.get(fw.id, 0),
        )
        for fw in session.scalars(select(Framework).order_by(Framework.period_start, Framework.code))
    ]


def export_document(session: Session, code: str) -> dict[str, Any]:
    """Loads the whole tree in a fixed number of queries (one per level), then converts it."""
    return framework_to_dict(load_tree(session, code))


def load_tree(session: Session, code: str) -> Framework:
    """The framework with every item the reader may see, loaded in a fixed number of queries (one per
    level), so that walking the tree (export, the register's page) issues no query per item."""
    framework = session.scalar(
        select(Framework)
        .where(Framework.id == get_framework(session, code).id)
        .options(
            selectinload(Framework.sections).selectinload(Section.subsections),
            selectinload(Framework.sections)
            .selectinload(Section.objectives)
            .selectinload(Objective.indicators)
            .options(
                selectinload(Indicator.targets),
                selectinload(Indicator.responsibilities).joinedload(Responsibility.entity),
            ),
            selectinload(Framework.sections)
            .selectinload(Section.objectives)
            .selectinload(Objective.actions)
            .options(
                selectinload(Action.milestones).joinedload(Milestone.owner),
                selectinload(Action.responsibilities).joinedload(Responsibility.entity),
                joinedload(Action.owner),
            ),
        )
    )
    if framework is None:
        raise NotFound(f"no framework {code!r}")
    return framework


def derive(
    session: Session,
    old_code: str,
    new_code: str,
    *,
    title: str | None = None,
    start: date | None = None,
    end: date | None = None,
) -> Framework:
    """Start the next policy cycle from the previous one: same structure, new period, unfinished work carried.

    Item codes that begin with the old framework's code are renamed to begin with the new one; everything
    else keeps its code so that ``diff`` can follow items across cycles. Targets outside the new period are
    dropped; completed or cancelled actions and completed milestones stay behind; baselines are kept.
    """
    from nigran.policy.derive import derive_document

    old = get_framework(session, old_code)
    doc = derive_document(framework_to_dict(old), new_code, title=title, start=start, end=end)
    return load_document(session, doc, f"derived from {old_code}")


def entity_by_code(session: Session, code: str) -> Entity:
    """The visible entity with this code, exactly or without regard to case (``moi`` finds ``MOI``)."""
    code = code.strip()
    entity = session.scalar(select(Entity).where(Entity.code == code))
    if entity is None:
        found = list(session.scalars(select(Entity).where(func.lower(Entity.code) == code.lower())))
        entity = found[0] if len(found) == 1 else None
    if entity is None:
        raise NotFound(f"no entity {code!r}")
    return entity


def export_framework(session: Session, code: str, fmt: str) -> bytes:
    """The framework as the reader may see it, as a file's bytes: YAML, JSON (never NaN) or an xlsx workbook.

    Every front end writes these bytes where it likes; formula-like text in the workbook is neutralised by
    the one rule of :mod:`nigran.core.cells`.
    """
    if fmt not in FRAMEWORK_FORMATS:
        raise InvalidInput([Problem(0, f"unknown format {fmt!r} (yaml, json or xlsx)", "format")])
    doc = export_document(session, code)
    if fmt == "yaml":
        return dump_yaml(doc).encode("utf-8")
    if fmt == "json":
        return (jsonout.dumps(doc, indent=2) + "\n").encode("utf-8")
    from nigran.policy.excel import document_to_workbook

    buffer = io.BytesIO()
    document_to_workbook(doc).save(buffer)
    return buffer.getvalue()


#: The kinds of item a framework holds, by the name the web and the API use for them.
ITEM_MODELS: dict[str, type[Section | Objective | Indicator | Action | Milestone]] = {
    "section": Section,
    "objective": Objective,
    "indicator": Indicator,
    "action": Action,
    "milestone": Milestone,
}


def get_item(session: Session, framework_code: str, kind: str, code: str) -> Any:
    """The visible item of ``kind`` with this code in the framework, exactly or without regard to case.

    A hidden item is not found exactly like a missing one, so that the answer reveals nothing about it.
    """
    model = ITEM_MODELS.get(kind)
    if model is None:
        raise InvalidInput([Problem(0, f"unknown kind of item {kind!r} ({', '.join(ITEM_MODELS)})", "kind")])
    framework = get_framework(session, framework_code)
    code = code.strip()
    where = model.framework_id == framework.id
    item = session.scalar(select(model).where(where, model.code == code))
    if item is None:
        found = list(session.scalars(select(model).where(where, func.lower(model.code) == code.lower())))
        item = found[0] if len(found) == 1 else None
    if item is None:
        raise NotFound(f"{framework.code} has no {kind} {code!r}")
    return item


#: Each kind's parent, by the column that links them: the ``parent`` filter of item lists.
PARENTS = {
    "section": ("section", "parent_id"),
    "objective": ("section", "section_id"),
    "indicator": ("objective", "objective_id"),
    "action": ("objective", "objective_id"),
    "milestone": ("action", "action_id"),
}


def items_query(session: Session, framework_code: str, kind: str, *, parent: str | None = None) -> Any:
    """A ``select`` of the framework's items of one kind, in document order, optionally only the children
    of ``parent`` (a section, objective or action code); the caller pages or sorts it (through the session,
    so the access guard filters both the rows and their count). An unknown parent is invalid input, never
    an empty list, and a hidden one is unknown."""
    model = ITEM_MODELS.get(kind)
    if model is None:
        raise InvalidInput([Problem(0, f"unknown kind of item {kind!r} ({', '.join(ITEM_MODELS)})", "kind")])
    framework = get_framework(session, framework_code)
    stmt = select(model).where(model.framework_id == framework.id).order_by(model.id)
    if parent:
        parent_kind, column = PARENTS[kind]
        try:
            found = get_item(session, framework.code, parent_kind, parent)
        except NotFound as exc:
            raise InvalidInput([Problem(0, exc.message, "parent")]) from None
        stmt = stmt.where(getattr(model, column) == found.id)
    return stmt


def diff_frameworks(session: Session, earlier: str, later: str) -> list[Any]:
    """What was added, removed and changed from one framework to another (items matched by code), as the
    reader may see both; :class:`nigran.policy.derive.Change` rows."""
    from nigran.policy.derive import diff_documents

    return diff_documents(export_document(session, earlier), export_document(session, later))


def require_register_writer(principal: Any) -> None:
    """Loading frameworks and importing indicator tables changes the register: analysts and administrators
    only (the roles the access guard lets write its rows). Checked before a file is read, so that a refused
    user learns nothing from the file's problems."""
    from nigran.access.guard import Classified
    from nigran.core.errors import AccessDenied

    if principal.is_system or principal.role in Classified.__write_roles__:
        return
    raise AccessDenied(f"only analysts and administrators may change the register ({principal.role.value})")


def framework_level(session: Session, code: str) -> Any:
    """The highest classification among the framework and the items of it the reader may see: the marking
    of a page or file that shows the framework's items without naming each one's level (a diff)."""
    framework = get_framework(session, code)
    levels = {framework.classification}
    for model in ITEM_MODELS.values():
        stmt = select(model.classification).where(model.framework_id == framework.id).distinct()
        levels.update(session.scalars(stmt))
    return max(levels)
