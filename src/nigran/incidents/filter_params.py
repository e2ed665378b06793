"""The incident filters as web query parameters (``from``, ``to``, ``province``, ``district``, ``type``
repeatable, ``actor``), shared by the JSON API, the pages and the map API.

Only parsing lives here; what a value means (names, codes, aliases, the closest matches of an unknown one) is
:func:`nigran.incidents.browse.web_filters`, the same resolver the CLI uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Query
from sqlalchemy.orm import Session

from nigran.incidents.analytics import Filters


@dataclass(frozen=True)
class FilterParams:
    date_from: str | None = None
    date_to: str | None = None
    province: str | None = None
    district: str | None = None
    types: tuple[str, ...] = ()
    actor: str | None = None

    def resolve(self, session: Session) -> Filters:
        from nigran.incidents.browse import web_filters

        return web_filters(
            session,
            date_from=self.date_from,
            date_to=self.date_to,
            province=self.province,
            district=self.district,
            types=self.types,
            actor=self.actor,
        )

    def as_form(self) -> dict[str, object]:
        """The values to put back into the filter form."""
        return {
            "from": self.date_from or "",
            "to": self.date_to or "",
            "province": self.province or "",
            "district": self.district or "",
            "type": list(self.types),
            "actor": self.actor or "",
        }


def filter_params(
    date_from: Annotated[
        str | None, Query(alias="from", max_length=10, description="YYYY, YYYY-MM or YYYY-MM-DD")
    ] = None,
    date_to: Annotated[
        str | None, Query(alias="to", max_length=10, description="YYYY, YYYY-MM or YYYY-MM-DD")
    ] = None,
    province: Annotated[str | None, Query(max_length=100, description="Code or name, e.g. PK-KP")] = None,
    district: Annotated[str | None, Query(max_length=100, description="Code or name, e.g. Quetta")] = None,
    type: Annotated[
        list[str] | None, Query(max_length=40, description="Event type (repeatable), e.g. bombing")
    ] = None,
    actor: Annotated[
        str | None, Query(max_length=100, description="Registry code or alias, e.g. TTP")
    ] = None,
) -> FilterParams:
    return FilterParams(date_from, date_to, province, district, tuple((type or [])[:20]), actor)
