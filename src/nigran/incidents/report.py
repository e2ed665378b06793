"""The monthly security situation summary, written from the data in the style of think-tank monthly reports.

Every figure in the text carries a reference (``[F3]``) to the list of incident ids behind it, so a reader
can check any number; the JSON form carries the same figures with their ids.
"""

from __future__ import annotations

import calendar
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from nigran.core.problems import InvalidInput, Problem
from nigran.core.wording import noun
from nigran.incidents.analytics import Filters, _pct, _row_filters
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


#: Singular forms, for "1 bombing" rather than "1 bombings".
TYPE_WORD = {
    "suicide_bombing": "suicide bombing",
    "bombing": "bombing",
    "armed_assault": "armed assault",
    "targeted_killing": "targeted killing",
    "kidnapping": "kidnapping",
    "hijacking": "hijacking",
    "infrastructure_attack": "attack on infrastructure",
    "security_operation": "security operation",
    "clash": "clash",
    "cross_border_attack": "cross-border attack",
    "other": "other incident",
}
#: How the text names each figure, and the label of its reference.
WORDS = {
    "killed": "killed (all deaths)",
    "victims_killed": "victims killed",
    "civilians_killed": "civilians killed",
    "security_killed": "security personnel killed",
    "militants_killed": "militants killed",
    "injured": "injured",
    "hostages": "hostages",
}


@dataclass
class Figure:
    """A number in the text. ``value`` is None when no incident counted gives the figure; ``known`` is how
    many of the ``of`` incidents give it (the same for a count of incidents)."""

    ref: str
    label: str
    value: int | None
    incident_ids: list[int]
    known: int = 0
    of: int = 0


@dataclass
class Report:
    month: str
    text: str
    figures: list[Figure] = field(default_factory=list)
    #: per figure, for how many of the month's incidents the sources give it
    coverage: dict[str, dict[str, int]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "month": self.month,
            "text": self.text,
            "figures": [f.__dict__ for f in self.figures],
            "coverage": self.coverage,
        }


def _month_incidents(session: Session, year: int, month: int, f: Filters) -> list[Incident]:
    first, last = date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    window = replace(f, date_from=first, date_to=last)
    stmt = _row_filters(session, select(Incident).where(Incident.duplicate_of_id.is_(None)), window)
    stmt = stmt.options(selectinload(Incident.sources)).order_by(Incident.date, Incident.id)
    return list(session.scalars(stmt))


def _sum(incidents: list[Incident], measure: str) -> int | None:
    """The sum of a figure over the incidents that give it; None when none does (unknown, not 0)."""
    given = [getattr(i, measure) for i in incidents if getattr(i, measure) is not None]
    return sum(given) if given else None


def _known(incidents: list[Incident], measure: str) -> int:
    return sum(1 for i in incidents if getattr(i, measure) is not None)


def _ids(incidents: list[Incident], measure: str | None = None) -> list[int]:
    return [i.id for i in incidents if measure is None or (getattr(i, measure) or 0) > 0]


def monthly_report(
    session: Session,
    month: str,
    *,
    province: str | None = None,
    gazetteer: Any = None,
    filters: Filters | None = None,
) -> Report:
    """``month`` is ``YYYY-MM``. Only incidents the session's principal may see contribute.

    ``filters`` (resolved by :mod:`nigran.incidents.filters`) narrow the incidents by province, district,
    type or actor; their dates are replaced by the month's. A figure no source gives is said to be unknown,
    and one that only some incidents give says for how many ("known for 3 of 5 incidents").
    """
    f = filters or Filters()
    if province:
        f = replace(f, province=province)
    province = f.province
    year, mon = (int(p) for p in month.split("-"))
    now = _month_incidents(session, year, mon, f)
    py, pm = (year, mon - 1) if mon > 1 else (year - 1, 12)
    prev = _month_incidents(session, py, pm, f)
    last = _month_incidents(session, year - 1, mon, f)
    figures: list[Figure] = []

    def fig(label: str, value: int | None, ids: list[int], known: int, of: int) -> str:
        ref = f"F{len(figures) + 1}"
        figures.append(Figure(ref, label, value, ids, known, of))
        return f"{value} [{ref}]"

    def count(label: str, members: list[Incident]) -> str:
        return fig(label, len(members), _ids(members), len(members), len(members))

    def total(label: str, members: list[Incident], measure: str, words: str = "") -> str:
        """A referenced sum and its ``words``, saying for how many incidents it is known when not for all
        (never a 0 for a figure no source gives: callers check :func:`_known` first)."""
        known = _known(members, measure)
        text = fig(label, _sum(members, measure), _ids(members, measure), known, len(members)) + words
        if known < len(members):
            text += f" (known for {known} of {len(members)} {noun(len(members), 'incident')})"
        return text

    name = f"{calendar.month_name[mon]} {year}"
    where = f" in {_province_name(province, gazetteer)}" if province else " in Pakistan"
    coverage = {m: {"known": _known(now, m), "incidents": len(now)} for m in WORDS}
    coverage["claimed"] = {"known": _known(now, "claimed"), "incidents": len(now)}
    paras = []
    scope = _scope(f)
    if not now:
        paras.append(f"No incidents are recorded{where}{scope} for {name} in the data you may see.")
        return Report(month, "\n\n".join(paras), figures, coverage)

    n = len(now)
    first = (
        f"In {name}, {count('incidents', now)} security {noun(n, 'incident')} "
        f"{noun(n, 'was', 'were')} recorded{where}{scope}"
    )  # figures are numbered in reading order, so the paragraph is built in that order
    if _known(now, "killed"):
        first += f", in which {total('killed (all deaths)', now, 'killed', ' people were killed')}"
    else:
        first += " (the sources give no death toll)"
    if _known(now, "injured"):
        first += f" and {total('injured', now, 'injured', ' injured')}"
    else:
        first += " (the sources give no injury figures)"
    paras.append(first + ".")
    dead = [
        f"{WORDS[m].removesuffix(' killed')} {total(WORDS[m], now, m)}"
        for m in ("victims_killed", "civilians_killed", "security_killed", "militants_killed")
        if _known(now, m)
    ]
    if dead:
        paras[-1] += " Among the dead: " + "; ".join(dead) + "."
    if _sum(now, "hostages"):
        paras[-1] += f" {total('hostages', now, 'hostages', ' people were taken hostage or kidnapped')}."
    paras.append(_comparison(now, prev, last, (py, pm), (year, mon), count, total))
    by_type = Counter(i.event_type for i in now)
    words = []
    for t, k in by_type.most_common():
        label = TYPE_WORDS.get(t, t)
        shown = label if k != 1 else TYPE_WORD.get(t, t)
        words.append(f"{count(label, [i for i in now if i.event_type == t])} {shown}")
    paras.append("By type: " + ", ".join(words) + ".")
    if not province:
        parts = []
        for code, k in Counter(i.province_code or "unknown" for i in now).most_common():
            members = [i for i in now if (i.province_code or "unknown") == code]
            part = f"{_province_name(code, gazetteer)} {count(f'incidents {code}', members)}"
            part += f" {noun(k, 'incident')}"
            if _known(members, "killed"):
                part += f" ({total(f'killed {code}', members, 'killed')} killed)"
            parts.append(part)
        paras.append("By region: " + "; ".join(parts) + ".")
    by_district: dict[str, list[Incident]] = {}
    for i in now:
        if i.district_code and i.killed is not None:
            by_district.setdefault(i.district_code, []).append(i)
    if by_district:
        ranked = sorted(by_district, key=lambda d: (-(_sum(by_district[d], "killed") or 0), d))[:5]
        parts = [
            f"{by_district[c][0].district or c} ({total(f'killed {c}', by_district[c], 'killed')})"
            for c in ranked
        ]
        paras.append("Deadliest districts: " + ", ".join(parts) + ".")
    actors = {a.id: a.name for a in session.scalars(select(Actor))}
    by_actor = Counter(i.actor_id for i in now if i.actor_id)
    if by_actor:
        parts = [
            f"{actors.get(a, a)} {count(f'incidents actor {a}', [i for i in now if i.actor_id == a])}"
            for a, _ in by_actor.most_common(5)
        ]
        paras.append(f"Attributed incidents: {', '.join(parts)}; {_claims(now, count)}.")
    deadliest = [i for i in sorted(now, key=lambda i: (-(i.killed or 0), i.id))[:3] if i.killed]
    if deadliest:
        lines = [
            f"{i.date.isoformat()} {i.place or i.district or i.province or ''}: "
            f"{i.event_type.replace('_', ' ')}, {total(f'killed incident {i.id}', [i], 'killed')} killed"
            for i in deadliest
        ]
        paras.append("Deadliest incidents: " + "; ".join(lines) + ".")
    datasets = sorted({s.dataset for i in now for s in i.sources})
    paras.append(f"Sources: {', '.join(datasets)} (as imported into Nigran; see each incident's sources).")
    refs = "\n".join(
        f"[{f.ref}] {f.label} = {_shown(f)}: incidents {_compact(f.incident_ids)}" for f in figures
    )
    return Report(month, "\n\n".join(paras) + "\n\nFigures and their incidents:\n" + refs, figures, coverage)


def _shown(figure: Figure) -> str:
    if figure.value is None:
        return "unknown"
    if figure.known < figure.of:
        return f"{figure.value} (known for {figure.known} of {figure.of})"
    return str(figure.value)


def _claims(now: list[Incident], count: Any) -> str:
    """Claims of responsibility, only where the data records claims: a dataset without them (UCDP) must
    not read as "claimed for 0"."""
    recorded = [i for i in now if i.claimed is not None]
    if not recorded:
        return "the sources do not record claims of responsibility"
    claimed = [i for i in recorded if i.claimed]
    text = f"responsibility was claimed for {count('claimed', claimed)}"
    if len(recorded) < len(now):
        text += f" of the {len(recorded)} {noun(len(recorded), 'incident')} whose sources record claims"
    return text


def _comparison(
    now: list[Incident],
    prev: list[Incident],
    last: list[Incident],
    before: tuple[int, int],
    current: tuple[int, int],
    count: Any,
    total: Any,
) -> str:
    (py, pm), (year, mon) = before, current

    def period(members: list[Incident], label: str) -> str:
        text = f"{count(f'incidents {label}', members)} {noun(len(members), 'incident')}"
        if _known(members, "killed"):
            text += f", {total(f'killed {label}', members, 'killed')} killed"
        return text

    killed_now = _sum(now, "killed")
    killed_prev = _sum(prev, "killed") if prev else 0  # no incidents: no deaths; incidents without: unknown
    deaths = f" and deaths {_trend(killed_now, killed_prev)}" if killed_now is not None else ""
    return (
        f"Compared with {calendar.month_name[pm]} {py} ({period(prev, 'previous month')}), incidents "
        f"{_trend(len(now), len(prev))}{deaths}. Against {calendar.month_name[mon]} {year - 1} "
        f"({period(last, 'same month last year')}), incidents {_trend(len(now), len(last))}."
    )


def _scope(f: Filters) -> str:
    parts = []
    if f.district:
        parts.append(f"district {f.district}")
    if f.event_types:
        parts.append("type " + ", ".join(f.event_types))
    if f.actor:
        parts.append(f"actor {f.actor}")
    return f" ({'; '.join(parts)})" if parts else ""


def _trend(now: int | None, before: int | None) -> str:
    if now is None or before is None:
        return "cannot be compared (not recorded)"
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
        raise InvalidInput([Problem(0, f"month must be YYYY-MM, not {text!r}", "--month")]) from None
    return f"{d.year}-{d.month:02d}"
