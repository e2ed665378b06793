"""Turns a validated framework document into register rows, inside the caller's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nigran.access.classification import Classification
from nigran.policy import schema
from nigran.policy.models import (
    Action,
    Entity,
    Framework,
    Indicator,
    IndicatorTarget,
    Milestone,
    Objective,
    Responsibility,
    Section,
)


def _level(node: dict[str, Any], parent: Classification) -> Classification:
    value = node.get("classification")
    return Classification.parse(value) if value is not None else parent


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


_CONVERT = {"str": _text, "number": float, "int": int, "bool": bool, "dict": dict}


class FrameworkBuilder:
    """Builds ORM objects for one document; entity codes resolve through the (clearance-filtered) session."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.entities = {e.code: e for e in session.scalars(select(Entity))}
        self.framework: Framework | None = None

    def entity(self, code: Any) -> Entity | None:
        return None if code is None else self.entities[str(code)]

    def scalars(self, node: dict[str, Any], fields: dict[str, schema.Field]) -> dict[str, Any]:
        """Model attributes of every stored field (:mod:`schema`), converted; defaults for absent ones."""
        aliases = {f.alias_of: f.name for f in fields.values() if f.alias_of}
        out: dict[str, Any] = {}
        for f in schema.stored_fields(fields):
            value = node.get(f.name)
            if value is None and f.name in aliases:
                value = node.get(aliases[f.name])
            if value is None:
                out[f.attr] = f.default  # type: ignore[index]
            elif f.kind == "entity":
                out[f.attr] = self.entity(value)  # type: ignore[index]
            else:
                out[f.attr] = _CONVERT.get(f.kind, lambda v: v)(value)  # type: ignore[index]
        return out

    def build(self, doc: dict[str, Any]) -> Framework:
        fw = doc["framework"]
        level = _level(fw, Classification.PUBLIC)
        predecessor = None
        if fw.get("predecessor"):
            predecessor = self.session.scalar(
                select(Framework).where(Framework.code == str(fw["predecessor"]))
            )
        extra = {
            # a predecessor not (yet) in the database is kept as the file's text; one that is, only as the
            # link, so that a reader who may not see it learns nothing of it (export shows it only if visible)
            "predecessor_code": None if predecessor is not None else _text(fw.get("predecessor")),
            "illustrative": fw.get("illustrative"),
        }
        framework = Framework(
            **self.scalars(fw, schema.FRAMEWORK),
            period_start=fw["period"]["start"],
            period_end=fw["period"]["end"],
            predecessor=predecessor,
            classification=level,
            extra={k: v for k, v in extra.items() if v is not None},
        )
        self.framework = framework
        for pos, node in enumerate(fw["sections"]):
            self.section(node, level, pos, None)  # Section(framework=…) puts it in framework.sections
        self.session.add(framework)
        return framework

    def section(
        self, node: dict[str, Any], parent: Classification, pos: int, parent_section: Section | None
    ) -> Section:
        level = _level(node, parent)
        section = Section(
            **self.scalars(node, schema.SECTION),
            framework=self.framework,
            parent=parent_section,
            position=pos,
            classification=level,
        )
        for i, child in enumerate(node.get("sections") or []):
            self.section(child, level, i, section)
        for i, child in enumerate(node.get("objectives") or []):
            section.objectives.append(self.objective(child, level, i))
        return section

    def objective(self, node: dict[str, Any], parent: Classification, pos: int) -> Objective:
        level = _level(node, parent)
        objective = Objective(
            **self.scalars(node, schema.OBJECTIVE),
            framework=self.framework,
            position=pos,
            classification=level,
        )
        for i, child in enumerate(node.get("indicators") or []):
            objective.indicators.append(self.indicator(child, level, i))
        for i, child in enumerate(node.get("actions") or []):
            objective.actions.append(self.action(child, level, i))
        return objective

    def responsibilities(self, node: dict[str, Any], level: Classification) -> list[Responsibility]:
        out = []
        for item in node.get("responsible") or []:
            if isinstance(item, str):
                item = {"entity": item}
            out.append(
                Responsibility(
                    entity=self.entity(item["entity"]),
                    role=str(item.get("role") or "lead"),
                    classification=level,
                )
            )
        return out

    def indicator(self, node: dict[str, Any], parent: Classification, pos: int) -> Indicator:
        level = _level(node, parent)
        band = node.get("band") or {}
        baseline = node.get("baseline") or {}
        indicator = Indicator(
            **self.scalars(node, schema.INDICATOR),
            framework=self.framework,
            band_min=band.get("min"),
            band_max=band.get("max"),
            baseline_value=baseline.get("value"),
            baseline_date=baseline.get("date"),
            position=pos,
            classification=level,
        )
        for year, value in sorted((node.get("targets") or {}).items()):
            indicator.targets.append(
                IndicatorTarget(year=int(year), value=float(value), classification=level)
            )
        indicator.responsibilities.extend(self.responsibilities(node, level))
        return indicator

    def action(self, node: dict[str, Any], parent: Classification, pos: int) -> Action:
        level = _level(node, parent)
        action = Action(
            **self.scalars(node, schema.ACTION),
            framework=self.framework,
            position=pos,
            classification=level,
        )
        action.responsibilities.extend(self.responsibilities(node, level))
        for i, child in enumerate(node.get("milestones") or []):
            values = self.scalars(child, schema.MILESTONE)
            values["owner"] = values["owner"] or action.owner
            action.milestones.append(
                Milestone(
                    **values,
                    framework=self.framework,
                    position=i,
                    classification=_level(child, level),
                )
            )
        return action
