"""Vocabularies of the policy register, shared by the YAML format, the database and the exports."""

from __future__ import annotations

import re
from enum import StrEnum


class Direction(StrEnum):
    """Which way an indicator improves. ``maintain`` means: stay within the band [band_min, band_max]."""

    INCREASE = "increase"
    DECREASE = "decrease"
    MAINTAIN = "maintain"


class Frequency(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    BIANNUAL = "biannual"
    ANNUAL = "annual"


class Aggregation(StrEnum):
    """How an indicator's values add up over time, which decides how a quarter is judged against a year.

    ``flow``: a total over the period (deaths, incidents, convictions *per year*): a quarter holds a quarter's
    worth, and the year is the sum of its quarters. ``stock``: a level at the end of the period (personnel in
    post, cumulative cases, districts covered): the latest value stands for the year. ``rate``: a ratio or
    average (percentages, per-100,000 rates, response times): the year is the duration-weighted mean of its
    periods. See docs/methodology.md, "Periods and targets".
    """

    FLOW = "flow"
    STOCK = "stock"
    RATE = "rate"


_RATE_UNIT = re.compile(
    r"%|\bper ?cent|\b(ratios?|rates?|index|average|mean)\b|\bper (1[\d,]*|woman|capita)\b"
)
_FLOW_UNIT = re.compile(r"\b(per|a) (year|annum|quarter|month)\b|\bannual\b")


def default_aggregation(unit: str | None) -> Aggregation:
    """The aggregation an indicator without one gets, read from its unit (documented in framework-format.md).

    Percentages, ratios, rates, indices and averages are ``rate``; a count *per year* (or quarter, month) is a
    ``flow``; anything else (counts of things that exist, cumulative totals, amounts) is a ``stock``, which
    scores the latest value, as Nigran always did.

    >>> [default_aggregation(u).value for u in ("deaths per year", "percent of GDP", "persons (cumulative)")]
    ['flow', 'rate', 'stock']
    >>> [default_aggregation(u).value for u in ("offences per 100,000 population", "percent per year", None)]
    ['rate', 'rate', 'stock']
    >>> [default_aggregation(u).value for u in ("operations per year", "index score (0-100)", "hours")]
    ['flow', 'rate', 'stock']
    """
    text = " ".join((unit or "").lower().split())
    if _RATE_UNIT.search(text):
        return Aggregation.RATE
    if _FLOW_UNIT.search(text):
        return Aggregation.FLOW
    return Aggregation.STOCK


class ActionStatus(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    DELAYED = "delayed"
    CANCELLED = "cancelled"


class ResponsibilityRole(StrEnum):
    LEAD = "lead"
    SUPPORTING = "supporting"


class EntityKind(StrEnum):
    COMMITTEE = "committee"
    MINISTRY = "ministry"
    DIVISION = "division"
    AGENCY = "agency"
    PROVINCE = "province"
    REGION = "region"
    TERRITORY = "territory"
    FORCE = "force"
    DEPARTMENT = "department"
    OTHER = "other"
