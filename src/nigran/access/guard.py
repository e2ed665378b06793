"""The one layer that enforces clearance and roles, for every ORM read and write of a session.

Reads: every ORM ``SELECT`` (queries, ``session.get``, lazy and eager relationship loads, counts over a
mapped entity) gets ``classification <= clearance`` for every classified entity it touches, through
``with_loader_criteria``. A record above the reader's clearance therefore cannot be seen, counted, searched
or exported by any code path that goes through a session, because the filter is applied beneath them all.

Writes: ``before_flush`` checks each new, changed or deleted object against the principal's role, clearance
and (for focal persons) entity. A refusal raises, and the service's transaction rolls back.

Sessions without a principal raise instead of reading unfiltered (fail closed).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import (
    Mapped,
    ORMExecuteState,
    Session,
    mapped_column,
    object_session,
    with_loader_criteria,
)
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.sql.util import find_tables

from nigran.access.classification import Classification, ClassificationType
from nigran.access.errors import AccessDenied, NoPrincipal
from nigran.access.principal import Principal, Role
from nigran.storage.base import Base

PRINCIPAL_KEY = "nigran.principal"


class Classified:
    """Mixin for every record that carries a classification (PUBLIC, RESTRICTED or SECRET)."""

    classification: Mapped[Classification] = mapped_column(
        ClassificationType(), default=Classification.PUBLIC, nullable=False, index=True
    )

    #: Roles that may create, change or delete rows of this model. Subclasses narrow or widen it.
    __write_roles__: frozenset[Role] = frozenset({Role.ADMINISTRATOR, Role.ANALYST})

    def owning_entity_ids(self) -> Iterable[int]:
        """Entities on whose behalf this record is written; focal persons may write only their own."""
        return ()

    def classification_floor(self) -> Classification:
        """The lowest level this record may carry: its parent's. Overridden by child records."""
        return Classification.PUBLIC


def principal_of(session: Session) -> Principal:
    principal = session.info.get(PRINCIPAL_KEY)
    if principal is None:
        raise NoPrincipal("this session has no principal: open it with Database.session(principal)")
    return principal


def bind(session: Session, principal: Principal) -> None:
    session.info[PRINCIPAL_KEY] = principal


def _classified_tables(session: Session) -> set[str]:
    cache = session.info.get("nigran.classified_tables")
    if cache is None:
        cache = {m.local_table.name for m in _mappers() if issubclass(m.class_, Classified)}
        session.info["nigran.classified_tables"] = cache
    return cache


def _refuse_raw_reads(state: ORMExecuteState, principal: Principal) -> None:
    """Core or textual SQL escapes ``with_loader_criteria``; for a user's session it is refused outright."""
    statement = state.statement
    if isinstance(statement, TextClause):
        raise AccessDenied("textual SQL is not allowed in a user's session: query mapped classes")
    if state.is_select and not state.is_orm_statement:
        touched = {t.name for t in find_tables(statement, include_joins=True, include_aliases=True)}
        hidden = touched & _classified_tables(state.session)
        if hidden:
            raise AccessDenied(
                f"Core read of classified table(s) {sorted(hidden)} is not allowed for {principal.username}: "
                "select the mapped class so that clearance applies"
            )


def check_bulk_insert(principal: Principal, table_name: str, rows: Any) -> None:
    """The checks a statement-level INSERT gets instead of ``before_flush``: the role may write the table's
    model, and no row is above the principal's clearance. Also called by driver-level bulk loaders
    (``incidents/bulk.py``), so that every write path applies the same rule from this one module."""
    if principal.is_system:
        return
    mapper = next((m for m in _mappers() if m.local_table.name == table_name), None)
    roles = (
        getattr(mapper.class_, "__write_roles__", frozenset({Role.ADMINISTRATOR})) if mapper else frozenset()
    )
    if principal.role not in roles:
        raise AccessDenied(f"{principal.username} ({principal.role}) may not write {table_name} rows")
    for row in rows if isinstance(rows, list | tuple) else [rows or {}]:
        if "classification" in row and Classification.parse(row["classification"]) > principal.clearance:
            raise AccessDenied(
                f"{principal.username} may not write a {Classification.parse(row['classification']).name} "
                f"{table_name} row"
            )


def _check_bulk_writes(state: ORMExecuteState, principal: Principal) -> None:
    """Statement-level writes skip ``before_flush``: bulk inserts are checked row by row here,
    bulk updates and deletes are left to the system principal (load the objects to change them)."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table_name = state.statement.table.name  # type: ignore[union-attr]
    if not state.is_insert:
        check_bulk_insert(principal, table_name, [])  # the role check, then refuse
        raise AccessDenied(
            "bulk UPDATE/DELETE bypasses per-record checks and the audit trail: change objects"
        )
    check_bulk_insert(principal, table_name, state.parameters)


def _mappers() -> list[Any]:
    return list(Base.registry.mappers)


def _filter_reads(state: ORMExecuteState) -> None:
    principal = principal_of(state.session)
    if principal.is_system:
        return
    _check_bulk_writes(state, principal)
    _refuse_raw_reads(state, principal)
    if not state.is_select or state.is_column_load or state.is_relationship_load:
        return
    clearance = int(principal.clearance)
    state.statement = state.statement.options(
        with_loader_criteria(
            Classified,
            lambda cls: cls.classification <= clearance,
            include_aliases=True,
            track_closure_variables=True,
        )
    )


def check_write(principal: Principal, obj: Any, *, deleting: bool = False) -> None:
    """Raise :class:`AccessDenied` if ``principal`` may not write ``obj``."""
    if principal.is_system:
        return
    name = type(obj).__name__
    roles = getattr(type(obj), "__write_roles__", frozenset({Role.ADMINISTRATOR}))
    if principal.role not in roles:
        raise AccessDenied(f"{principal.username} ({principal.role}) may not write {name} records")
    if isinstance(obj, Classified):
        levels = [Classification.parse(obj.classification)]
        history = inspect(obj).attrs.classification.history
        levels += [Classification.parse(v) for v in history.deleted or () if v is not None]
        if any(level > principal.clearance for level in levels):
            raise AccessDenied(
                f"{principal.username} (clearance {principal.clearance.name}) may not write a "
                f"{max(levels).name} {name}"
            )
        if not deleting:
            floor = obj.classification_floor()
            if Classification.parse(obj.classification) < floor:
                raise AccessDenied(
                    f"{name} {getattr(obj, 'code', '')!s} is {Classification.parse(obj.classification).name} "
                    f"but its parent is {floor.name}: a child is never less classified than its parent"
                )
        if principal.role is Role.FOCAL_PERSON:
            owners = set(obj.owning_entity_ids())
            if principal.entity_id is None or principal.entity_id not in owners:
                raise AccessDenied(
                    f"{principal.username} is a focal person and may write only for their own entity"
                )


def _check_flush(session: Session, flush_context: object, instances: object) -> None:
    principal = principal_of(session)
    for obj in list(session.new) + list(session.dirty):
        if session.is_modified(obj, include_collections=False) or obj in session.new:
            check_write(principal, obj)
    # deletes, cascaded ones included, are checked per row by _check_delete


class GuardedSession(Session):
    """The only session class Nigran uses. Listeners are attached to the class once, at import, rather than
    to each sessionmaker: a per-instance registration can be skipped silently when a new sessionmaker
    reuses the memory address of a collected one, which would leave a session unguarded."""


def _check_delete(mapper: Any, connection: Any, target: Any) -> None:
    """Deletes by cascade (an orphan removed from its parent's collection) are decided inside the flush,
    after ``before_flush``: this per-row event sees them too."""
    session = object_session(target)
    if session is not None:
        check_write(principal_of(session), target, deleting=True)


event.listen(GuardedSession, "do_orm_execute", _filter_reads)
event.listen(GuardedSession, "before_flush", _check_flush)
event.listen(Base, "before_delete", _check_delete, propagate=True)


def key_taken(
    session: Session, model: type, column: str, value: str, *, scope: dict[str, Any] | None = None
) -> bool:
    """Whether any row of ``model``, at any level, holds ``value`` in the unique ``column`` (compared without
    regard to case), within ``scope`` (e.g. ``{"framework_id": 3}``).

    Unique keys span every classification level, so a new record's code can clash with one the reader may
    not see. This answers yes or no and never returns the record, so that a service can refuse the code
    with a message of its own instead of a driver ``IntegrityError`` that names the hidden row.
    """
    from sqlalchemy import func, select

    with GuardedSession(bind=session.connection(), info={PRINCIPAL_KEY: Principal.system()}) as system:
        ident, attr = model.id, getattr(model, column)  # type: ignore[attr-defined]
        statement = select(ident).where(func.lower(attr) == value.lower())
        for name, wanted in (scope or {}).items():
            statement = statement.where(getattr(model, name) == wanted)
        return system.scalar(statement.limit(1)) is not None
