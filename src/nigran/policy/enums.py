"""Vocabularies of the policy register, shared by the YAML format, the database and the exports."""

from __future__ import annotations

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
