"""The fields of an extracted incident, written once: the extractor's output, the evaluation and the review
queue all follow this order (evidence and confidence aside)."""

from __future__ import annotations

FIELDS = (
    "date",
    "province",
    "district",
    "place",
    "event_type",
    "perpetrator",
    "claimed",
    "victims_killed",
    "militants_killed",
    "injured",
    "hostages",
    "target",
)
#: The figures among them (counts: a number the text does not give is ``None``, never 0).
COUNT_FIELDS = ("victims_killed", "militants_killed", "injured", "hostages")
