"""Policy-register services: what the CLI and the web call. Each takes a session the caller opened.

The caller (``Database.session(principal)``) owns the transaction; these functions only flush, so an error
anywhere rolls back everything, and every read is filtered by the principal's clearance beneath them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from nigran.core.errors import NotFound
from nigran.core.problems import InvalidInput, Problem
from nigran.core.yamldoc import YamlSyntaxError, load_yaml
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


def known_entity_codes(session: Session | None) -> set[str]:
    """Entity codes a framework may refer to: the database's, or the bundled list on an empty database."""
    from nigran.reference import bundled_entity_codes

    codes: set[str] = set(session.scalars(select(Entity.code))) if session is not None else set()
    return codes or bundled_entity_codes()


def read_document(path: Path) -> tuple[Any, list[Problem]]:
    """Read a framework from YAML, JSON or an Excel workbook into the document form, with problems."""
    name = str(path)
    if not path.exists():
        return None, [Problem(0, "file not found", name)]
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from nigran.policy.excel import workbook_to_document

        return workbook_to_document(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return None, [Problem(1, f"not UTF-8 text: {exc.reason}", name)]
    try:
        return load_yaml(text), []  # JSON is YAML, so one reader serves both with line numbers
    except YamlSyntaxError as exc:
        return None, [Problem(exc.line, exc.message, name)]


def validate_path(path: Path, session: Session | None) -> tuple[Any, list[Problem]]:
    if path.suffix.lower() in (".xlsx", ".xlsm") and path.exists():
        from nigran.policy.excel import validate_workbook

        doc, problems = validate_workbook(path, known_entity_codes(session))
    else:
        doc, problems = read_document(path)
        if not problems:
            problems = validate_document(doc, str(path), known_entity_codes(session))
    if not problems and session is not None:
        code = str(doc["framework"]["code"])
        if session.scalar(select(Framework.id).where(Framework.code == code)) is not None:
            line = doc["framework"].line_of("code") if hasattr(doc["framework"], "line_of") else 1
            problems = [Problem(line, f"framework {code} is already loaded", str(path))]
    return doc, problems


def load_document(
    session: Session, doc: Any, filename: str = "<document>", *, validated: bool = False
) -> Framework:
    problems = [] if validated else validate_document(doc, filename, known_entity_codes(session))
    if problems:
        raise InvalidInput(problems)
    code = str(doc["framework"]["code"])
    if session.scalar(select(Framework.id).where(Framework.code == code)) is not None:
        raise InvalidInput([Problem(1, f"framework {code} is already loaded", filename)])
    framework = FrameworkBuilder(session).build(doc)
    session.flush()
    return framework


def load_path(session: Session, path: Path) -> Framework:
    doc, problems = validate_path(path, session)
    if problems:
        raise InvalidInput(problems)
    return load_document(session, doc, str(path), validated=True)


def get_framework(session: Session, code: str) -> Framework:
    framework = session.scalar(select(Framework).where(Framework.code == code))
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
    framework = session.scalar(
        select(Framework)
        .where(Framework.code == code)
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
    return framework_to_dict(framework)


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
    entity = session.scalar(select(Entity).where(Entity.code == code))
    if entity is None:
        raise NotFound(f"no entity {code!r}")
    return entity
