"""Pagination and sorting for list routes: ``?page=1&per_page=50&sort=-field``.

The response shape is ``{"items": [...], "page", "per_page", "total"}``. Sorting takes only fields from the
route's allow-list; an unknown field or a page out of bounds is a 422 naming the parameter (never an empty
or silently different result).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Query
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from nigran.core.problems import InvalidInput, Problem

MAX_PER_PAGE = 500
T = TypeVar("T")


@dataclass(frozen=True)
class PageParams:
    page: int = 1
    per_page: int = 50
    sort: str | None = None

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    def sort_key(self, allowed: Sequence[str]) -> tuple[str, bool] | None:
        """``(field, descending)`` from ``?sort=``, checked against ``allowed``."""
        if not self.sort:
            return None
        descending = self.sort.startswith("-")
        field = self.sort.lstrip("-+")
        if field not in allowed:
            raise InvalidInput(
                [Problem(0, f"cannot sort by {field!r} (allowed: {', '.join(allowed)})", "sort")]
            )
        return field, descending


def page_params(
    page: Annotated[int, Query(ge=1, le=1_000_000, description="Page number, from 1")] = 1,
    per_page: Annotated[int, Query(ge=1, le=MAX_PER_PAGE, description="Items per page")] = 50,
    sort: Annotated[str | None, Query(max_length=60, description="field or -field")] = None,
) -> PageParams:
    return PageParams(page, per_page, sort)


def envelope(items: list[Any], params: PageParams, total: int) -> dict[str, Any]:
    return {"items": items, "page": params.page, "per_page": params.per_page, "total": total}


def paginate_list(
    items: Sequence[T],
    params: PageParams,
    *,
    sortable: dict[str, Callable[[T], Any]] | None = None,
    serialise: Callable[[T], Any] = lambda item: item,
) -> dict[str, Any]:
    """One page of an in-memory list the service returned (already filtered by the access guard)."""
    rows = list(items)
    key = params.sort_key(list(sortable or {}))
    if key is not None and sortable:
        getter = sortable[key[0]]
        rows.sort(key=lambda row: _none_last(getter(row)), reverse=key[1])
    chunk = rows[params.offset : params.offset + params.per_page]
    return envelope([serialise(row) for row in chunk], params, len(rows))


def paginate_select(
    session: Session,
    statement: Select[Any],
    params: PageParams,
    *,
    sortable: dict[str, Any] | None = None,
    serialise: Callable[[Any], Any] = lambda item: item,
) -> dict[str, Any]:
    """One page of an ORM ``select`` of mapped classes, counted and fetched through the session (so the
    access guard applies to both the count and the rows). ``sortable`` maps names to columns."""
    key = params.sort_key(list(sortable or {}))
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0
    if key is not None and sortable:
        column = sortable[key[0]]
        statement = statement.order_by(None).order_by(column.desc() if key[1] else column.asc())
    rows = session.scalars(statement.offset(params.offset).limit(params.per_page)).all()
    return envelope([serialise(row) for row in rows], params, total)


def _none_last(value: Any) -> tuple[bool, Any]:
    return (value is None, value if value is not None else 0)
