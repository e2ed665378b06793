"""Turns a validated framework document into register rows, inside the caller's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nigran.access.classification import Classification
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


class FrameworkBuilder:
    """Builds ORM objects for one document; entity codes resolve through the (clearance-filtered) session."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.entities = {e.code: e for e in session.scalars(select(Entity))}
        self.framework: Framework | None = None

    def entity(self, code: Any) -> Entity | None:
        return None if code is None else self.entities[str(code)]

    def build(self, doc: dict[str, Any]) -> Framework:
        fw = doc["framework"]
        level = _level(fw, Classification.PUBLIC)
        predecessor = None
        if fw.get("predecessor"):
            predecessor = self.session.scalar(
                select(Framework).where(Framework.code == str(fw["predecessor"]))
            )
        framework = Framework(
            code=str(fw["code"]),
            title=str(fw["title"]),
            title_ur=_text(fw.get("title_ur")),
            description=_text(fw.get("description")),
            period_start=fw["period"]["start"],
            period_end=fw["period"]["end"],
            version=int(fw.get("version") or 1),
            predecessor=predecessor,
            owner=self.entity(fw.get("owner")),
            source=_text(fw.get("source")),
            classification=level,
            extra={
                k: v
                for k, v in {
                    "predecessor_code": _text(fw.get("predecessor")),
                    "illustrative": fw.get("illustrative"),
                }.items()
                if v is not None
            },
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
            framework=self.framework,
            parent=parent_section,
            code=str(node["code"]),
            title=str(node["title"]),
            title_ur=_text(node.get("title_ur")),
            description=_text(node.get("description")),
            weight=float(node.get("weight") or 1.0),
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
            framework=self.framework,
            code=str(node["code"]),
            title=str(node["title"]),
            title_ur=_text(node.get("title_ur")),
            description=_text(node.get("description")),
            weight=float(node.get("weight") or 1.0),
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
            framework=self.framework,
            code=str(node["code"]),
            name=str(node.get("name") or node.get("title")),
            name_ur=_text(node.get("name_ur")),
            definition=_text(node.get("definition")),
            unit=_text(node.get("unit")),
            direction=str(node.get("direction") or "increase"),
            band_min=band.get("min"),
            band_max=band.get("max"),
            baseline_value=baseline.get("value"),
            baseline_date=baseline.get("date"),
            data_source=_text(node.get("source")),
            frequency=str(node.get("frequency") or "annual"),
            weight=float(node.get("weight") or 1.0),
            illustrative=bool(node.get("illustrative", False)),
            incident_query=dict(node["incident_query"]) if node.get("incident_query") else None,
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
            framework=self.framework,
            code=str(node["code"]),
            title=str(node["title"]),
            title_ur=_text(node.get("title_ur")),
            description=_text(node.get("description")),
            owner=self.entity(node.get("owner")),
            due_date=node.get("due"),
            status=str(node.get("status") or "not_started"),
            weight=float(node.get("weight") or 1.0),
            position=pos,
            classification=level,
        )
        action.responsibilities.extend(self.responsibilities(node, level))
        for i, child in enumerate(node.get("milestones") or []):
            m_level = _level(child, level)
            action.milestones.append(
                Milestone(
                    framework=self.framework,
                    code=str(child["code"]),
                    title=str(child["title"]),
                    description=_text(child.get("description")),
                    owner=self.entity(child.get("owner")) or action.owner,
                    due_date=child.get("due"),
                    status=str(child.get("status") or "not_started"),
                    completed_on=child.get("completed_on"),
                    position=i,
                    classification=m_level,
                )
            )
        return action
