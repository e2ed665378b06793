"""When an incident happened, from the words of the report and its publication date.

Rules, in the order they are tried on the sentences of an incident (the first that matches wins):

1. An explicit calendar date: "on November 15", "15 November 2024", "Nov. 15". A date without a year takes
   the publication year, or the year before when that would put it after publication.
2. "yesterday", "last night", "on Friday night" (the night before a morning paper) → the day before
   publication for "yesterday"/"last night"; a weekday → the latest such day on or before publication
   ("late on Friday" in a Saturday paper is Friday; "on Saturday" in a Saturday paper is that day).
3. "today", "this morning", "earlier today", "tonight" → the publication date.
4. Nothing said → None ("right or absent"). Assuming the publication day instead (``ASSUME_PUBLICATION_DAY``)
   scored the same on the development set (date F1 0.74 against 0.75), because a report of a statement or of
   a toll often appears a day or more after the event; a reviewer fills the day in.

Without a publication date only an explicit date with a year gives an answer; otherwise the date is None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4, "may": 5,
    "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9, "sep": 9, "sept": 9,
    "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}  # fmt: skip
_MONTH = r"(?P<m>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<d>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?:,?\s+(?P<y>(?:19|20)\d\d))?"
ASSUME_PUBLICATION_DAY = False  # see rule 4
EXPLICIT = re.compile(
    rf"\b(?:{_MONTH}\s+{_DAY}\b{_YEAR}|{_DAY.replace('?P<d>', '?P<d2>')}\s+(?:of\s+)?"
    rf"{_MONTH.replace('?P<m>', '?P<m2>')}\b"
    rf"{_YEAR.replace('?P<y>', '?P<y2>')})",
    re.I,
)
WEEKDAY = re.compile(
    r"\b(?:(?:late|early)\s+)?(?:on\s+|last\s+|this\s+|past\s+)?(?:the\s+night\s+of\s+)?"
    r"(?P<w>monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b",
    re.I,
)
YESTERDAY = re.compile(
    r"\b(?:yesterday|last\s+night|previous\s+night|overnight|late\s+last\s+evening)\b", re.I
)
TODAY = re.compile(
    r"\b(?:today|this\s+morning|this\s+afternoon|this\s+evening|earlier\s+today|tonight)\b",
    re.I,
)


@dataclass(frozen=True)
class DateFind:
    value: date | None
    span: tuple[int, int] | None
    confidence: float


def _explicit(m: re.Match[str], published: date | None) -> date | None:
    month = MONTHS[(m.group("m") or m.group("m2")).casefold().rstrip(".")]
    day = int(m.group("d") or m.group("d2"))
    year_text = m.group("y") or m.group("y2")
    if year_text:
        year = int(year_text)
    elif published:
        year = published.year
    else:
        return None
    try:
        found = date(year, month, day)
    except ValueError:
        return None
    if not year_text and published and found > published + timedelta(days=1):
        try:
            found = date(year - 1, month, day)
        except ValueError:
            return None
    return found


def find_date(text: str, spans: list[tuple[int, int]], published: date | None) -> DateFind:
    """The incident date from the sentences ``spans`` of ``text`` (offsets), see the module's rules."""
    for start, end in spans:
        sentence = text[start:end]
        for m in EXPLICIT.finditer(sentence):
            found = _explicit(m, published)
            if found and (published is None or abs((published - found).days) <= 45):
                return DateFind(found, (start + m.start(), start + m.end()), 0.9)
    if published is None:
        return DateFind(None, None, 0.0)
    for start, end in spans:
        sentence = text[start:end]
        m = YESTERDAY.search(sentence)
        if m:
            return DateFind(published - timedelta(days=1), (start + m.start(), start + m.end()), 0.85)
        m = WEEKDAY.search(sentence)
        if m:
            wanted = WEEKDAYS.index(m.group("w").casefold())
            back = (published.weekday() - wanted) % 7
            return DateFind(published - timedelta(days=back), (start + m.start(), start + m.end()), 0.85)
        m = TODAY.search(sentence)
        if m:
            return DateFind(published, (start + m.start(), start + m.end()), 0.8)
    return DateFind(
        published if ASSUME_PUBLICATION_DAY else None, None, 0.4 if ASSUME_PUBLICATION_DAY else 0.0
    )
