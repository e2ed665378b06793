"""The incident's fields, written once: every reader, the importer, exports, sync and de-duplication derive
their column lists from these tuples, so adding a figure is one edit here (plus the model's column and a
migration, which a test checks against these lists).
"""

from __future__ import annotations

#: The casualty figures every layout carries, in one order; ``killed`` is all deaths, attackers included.
#: A figure no source gives stays ``None`` (unknown is not zero).
CASUALTY_FIELDS = (
    "killed",
    "victims_killed",
    "civilians_killed",
    "security_killed",
    "militants_killed",
    "injured",
    "hostages",
)

#: Where and when, as the source wrote it (``province``/``district``/``place``) and as read.
PLACE_TIME_FIELDS = (
    "date",
    "date_end",
    "date_precision",
    "year",
    "month",
    "province",
    "district",
    "place",
    "lat",
    "lon",
    "geo_precision",
)

#: What happened and who did it.
EVENT_FIELDS = ("event_type", "actor", "claimed", "target_type")

#: The values an import sets on an incident, in the order the importer writes them.
INCIDENT_FIELDS = (*PLACE_TIME_FIELDS, *EVENT_FIELDS, *CASUALTY_FIELDS, "notes")

#: Fields resolved by Nigran rather than read from the file (gazetteer codes, the actor registry).
RESOLVED_FIELDS = ("province_code", "district_code", "actor_id")

#: Derived from the date, never given by a file.
_DERIVED = ("year", "month")

#: The generic CSV layout: the source's id, the incident fields a file may give, then the source's own.
CSV_FIELDS = (
    "id",
    *(f for f in INCIDENT_FIELDS if f not in _DERIVED),
    "url",
    "title",
    "classification",
)
