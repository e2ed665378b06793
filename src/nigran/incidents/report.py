"""The monthly security situation summary, written from the data in the style of think-tank monthly reports.

Every figure in the text carries a reference (``[F3]``) to the list of incident ids behind it, so a reader
can check any number; the JSON form carries the same figures with their ids.
"""

from __future__ import annotations

import calendar
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from nigran.incidents.analytics import _pct
from nigran.incidents.models import Actor, Incident

TYPE_WORDS = {
    "suicide_bombing": "suicide bombings",
    "bombing": "bombings",
    "armed_assault": "armed assaults",
    "targeted_killing": "targeted killings",
    "kidnapping": "kidnappings",
    "hijacking": "hijackings",
    "infrastructure_attack": "attacks on infrastructure",
    "security_operation": "security operations",
    "clash": "clashes",
    "cross_border_attack": "cross-border attacks",
    "other": "other incidents",
}


@dataclass
class Figure:
    ref: str
    label: str
    value: int
    incident_ids: list[int]


@dataclass
class Report:
    month: str
    text: str
    figures: list[Figure] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"month": self.month, "text": self.text, "figures": [f.__dict__ for f in self.figures]}


def _month_incidents(session: Session, year: int, month: int, province: str | None) -> list[Incident]:
    first, last = date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    stmt = (
        select(Incident)
        .where(Incident.date >= first, Incident.date <= last, Incident.duplicate_of_id.is_(None))
        .options(selectinload(Incident.sources))
        .order_by(Incident.date, Incident.id)
    )
    if province:
        stmt = stmt.where(Incident.province_code == province)
    return list(session.scalars(stmt))


def _sum(incidents: list[Incident], measure: str) -> int:
    return sum(getattr(i, measure) or 0 for i in incidents)


def _ids(incidents: list[Incident], measure: str | None = None) -> list[int]:
    return [i.id for i in incidents if measure is None or (getattr(i, measure) or 0) > 0]


def monthly_report(
    session: Session, month: str, *, province: str | None = None, gazetteer: Any = None
) -> Report:
    """``month`` is ``YYYY-MM``. Only incidents the session's principal may see contribute."""
    year, mon = (int(p) for p in month.split("-"))
    now = _month_incidents(session, year, mon, province)
    py, pm = (year, mon - 1) if mon > 1 else (year - 1, 12)
    prev = _month_incidents(session, py, pm, province)
    last = _month_incidents(session, year - 1, mon, province)
    figures: list[Figure] = []

    def fig(label: str, value: int, ids: list[int]) -> str:
        ref = f"F{len(figures) + 1}"
        figures.append(Figure(ref, label, value, ids))
        return f"{value} [{ref}]"

    name = f"{calendar.month_name[mon]} {year}"
    where = f" in {_province_name(province, gazetteer)}" if province else " in Pakistan"
    paras = []
    if not now:
        paras.append(f"No incidents are recorded{where} for {name} in the data you may see.")
        return Report(month, "\n\n".join(paras), figures)

    def stat(label: str, members: list[Incident], measure: str | None = None) -> str:
        """A count of incidents (no measure) or a sum of a measure, as a referenced figure."""
        if measure is None:
            return fig(label, len(members), _ids(members))
        return fig(label, _sum(members, measure), _ids(members, measure))

    killed = _sum(now, "killed")
    first = (
        f"In {name}, {stat('incidents', now)} security incidents were recorded{where}, in which "
        f"{stat('killed (all deaths)', now, 'killed')} people were killed"
    )  # figures are numbered in reading order, so the paragraph is built in that order
    if any(i.injured is not None for i in now):
        first += f" and {stat('injured', now, 'injured')} injured"
    else:
        first += " (the sources give no injury figures)"
    paras.append(
        f"{first}. The dead include {stat('victims killed', now, 'victims_killed')} victims — "
        f"{stat('civilians killed', now, 'civilians_killed')} civilians and "
        f"{stat('security personnel killed', now, 'security_killed')} security personnel — and "
        f"{stat('militants killed', now, 'militants_killed')} militants."
    )
    if _sum(now, "hostages"):
        paras[-1] += f" {stat('hostages', now, 'hostages')} people were taken hostage or kidnapped."
    paras.append(
        f"Compared with {calendar.month_name[pm]} {py} ({stat('incidents previous month', prev)} incidents, "
        f"{stat('killed previous month', prev, 'killed')} killed), incidents {_trend(len(now), len(prev))} "
        f"and deaths {_trend(killed, _sum(prev, 'killed'))}. Against {calendar.month_name[mon]} {year - 1} "
        f"({stat('incidents same month last year', last)} incidents, "
        f"{stat('killed same month last year', last, 'killed')} killed), incidents "
        f"{_trend(len(now), len(last))}."
    )
    by_type = Counter(i.event_type for i in now)
    words = [
        f"{stat(TYPE_WORDS.get(t, t), [i for i in now if i.event_type == t])} {TYPE_WORDS.get(t, t)}"
        for t, _ in by_type.most_common()
    ]
    paras.append("By type: " + ", ".join(words) + ".")
    if not province:
        parts = []
        for code, _ in Counter(i.province_code or "unknown" for i in now).most_common():
            members = [i for i in now if (i.province_code or "unknown") == code]
            parts.append(
                f"{_province_name(code, gazetteer)} {stat(f'incidents {code}', members)} incidents "
                f"({stat(f'killed {code}', members, 'killed')} killed)"
            )
        paras.append("By region: " + "; ".join(parts) + ".")
    by_district: dict[str, list[Incident]] = {}
    for i in now:
        if i.district_code:
            by_district.setdefault(i.district_code, []).append(i)
    if by_district:
        ranked = sorted(by_district, key=lambda d: (-_sum(by_district[d], "killed"), d))[:5]
        parts = [
            f"{by_district[c][0].district or c} ({stat(f'killed {c}', by_district[c], 'killed')})"
            for c in ranked
        ]
        paras.append("Deadliest districts: " + ", ".join(parts) + ".")
    actors = {a.id: a.name for a in session.scalars(select(Actor))}
    by_actor = Counter(i.actor_id for i in now if i.actor_id)
    if by_actor:
        parts = [
            f"{actors.get(a, a)} {stat(f'incidents actor {a}', [i for i in now if i.actor_id == a])}"
            for a, _ in by_actor.most_common(5)
        ]
        claimed = [i for i in now if i.claimed]
        paras.append(
            f"Attributed incidents: {', '.join(parts)}; "
            f"responsibility was claimed for {stat('claimed', claimed)}."
        )
    deadliest = [i for i in sorted(now, key=lambda i: (-(i.killed or 0), i.id))[:3] if i.killed]
    if deadliest:
        lines = [
            f"{i.date.isoformat()} {i.place or i.district or i.province or ''}: "
            f"{i.event_type.replace('_', ' ')}, {stat(f'killed incident {i.id}', [i], 'killed')} killed"
            for i in deadliest
        ]
        paras.append("Deadliest incidents: " + "; ".join(lines) + ".")
    datasets = sorted({s.dataset for i in now for s in i.sources})
    paras.append(f"Sources: {', '.join(datasets)} (as imported into Nigran; see each incident's sources).")
    refs = "\n".join(
        f"[{f.ref}] {f.label} = {f.value}: incidents {_compact(f.incident_ids)}" for f in figures
    )
    return Report(month, "\n\n".join(paras) + "\n\nFigures and their incidents:\n" + refs, figures)


def _trend(now: int, before: int) -> str:
    if before == 0:
        return "rose from none" if now else "stayed at none"
    pct = _pct(now, before)
    if pct == 0:
        return "were unchanged"
    return f"{'rose' if (pct or 0) > 0 else 'fell'} by {abs(pct or 0):g}%"


def _compact(ids: list[int], limit: int = 40) -> str:
    shown = ", ".join(str(i) for i in ids[:limit])
    return shown + (f" … (+{len(ids) - limit} more)" if len(ids) > limit else "") if ids else "none"


def _province_name(code: str | None, gazetteer: Any) -> str:
    if gazetteer is not None and code:
        return gazetteer.province_name(code) or code
    return code or "unknown"


def parse_month(text: str) -> str:
    try:
        d = date(int(text[:4]), int(text[5:7]), 1)
    except (ValueError, IndexError):
        raise ValueError(f"month must be YYYY-MM, not {text!r}") from None
    return f"{d.year}-{d.month:02d}"
