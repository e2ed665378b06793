"""How the portal writes figures and names in English and Urdu.

Decision (docs/portal.md): figures — counts, percentages, values, targets, changes — are written in the
reader's digits (Urdu: ۰۱۲۳۴۵۶۷۸۹ and the Arabic percent sign ٪), because that is how Urdu newspapers and
government notices print them. Identifiers stay in Latin letters and digits in both languages: framework,
section and indicator codes, cycle codes (``2025``), ISO months and dates (``2025-03``), because they are
what a reader types to search, quotes in a letter, or finds in a downloaded file. Names come from the
register's and gazetteer's own Urdu fields (``title_ur``, ``name_ur``), never from the interface catalogue;
where a record has no Urdu name, its English one is shown.
"""

from __future__ import annotations

from typing import Any

from nigran.web import i18n
from nigran.web.templating import N_

STATUS_LABELS = {
    "achieved": N_("Achieved"),
    "on_track": N_("On track"),
    "at_risk": N_("At risk"),
    "off_track": N_("Off track"),
    "no_data": N_("No data"),
}


def figure(value: Any) -> str:
    """A number in the page's digits: whole numbers without decimals, others with at most two."""
    if value is None:
        return "–"
    if isinstance(value, float):
        if value.is_integer():
            value = int(value)
        else:
            text = f"{value:,.2f}".rstrip("0").rstrip(".")
            return i18n.num(text)
    return i18n.num(value)


def pct(share: float | None) -> str:
    """A share 0..1 as a whole percentage: ``45%`` / ``۴۵٪``."""
    if share is None:
        return "–"
    text = i18n.num(round(share * 100))
    return f"{text}٪" if i18n.current() == "ur" else f"{text}%"


def points(delta: float | None) -> str:
    """A change of a share 0..1 in percentage points, signed: ``+5``, ``−3``, ``0``."""
    if delta is None:
        return "–"
    n = round(delta * 100)
    sign = "+" if n > 0 else ("−" if n < 0 else "")
    return sign + i18n.num(abs(n))


def status_label(status: str) -> str:
    return i18n.gettext(STATUS_LABELS.get(status, status))


def local(english: str | None, urdu: str | None) -> str:
    """The record's name in the page's language (the bundled Urdu name where there is one)."""
    if i18n.current() == "ur" and urdu:
        return urdu
    return english or ""


HELPERS = {"figure": figure, "pct": pct, "points": points, "status_label": status_label, "local": local}
