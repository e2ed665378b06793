"""Users and who may act: the rules a command line and a web front end must share, in one place.

Writes still go through the guard (only administrators may change accounts); the rules here are the ones the
guard cannot see: who acts for a user name, who may bootstrap the first account, who may list accounts, and
who may run the administrative work (demo, seeding, upgrades) on a database that already has users.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nigran.access.classification import Classification
from nigran.access.guard import principal_of
from nigran.access.models import User
from nigran.access.principal import Principal, Role
from nigran.core.errors import AccessDenied, Conflict, NotFound
from nigran.core.problems import InvalidInput, Problem

#: Column widths of ``user_account``: longer values are refused as input, not cut by the database.
USERNAME_MAX, DISPLAY_NAME_MAX = 80, 200


def _invalid(field: str, message: str) -> InvalidInput:
    return InvalidInput([Problem(0, message, field)])


def parse_role(value: Role | str) -> Role:
    try:
        return Role.parse(value) if isinstance(value, str) else value
    except ValueError as exc:
        raise _invalid("role", str(exc)) from None


def parse_clearance(value: Classification | str) -> Classification:
    try:
        return Classification.parse(value)
    except ValueError as exc:
        raise _invalid("clearance", str(exc)) from None


def _check_username(username: str) -> str:
    name = username.strip()
    if not name:
        raise _invalid("username", "a user name is required")
    if len(name) > USERNAME_MAX:
        raise _invalid("username", f"a user name has at most {USERNAME_MAX} characters")
    if not name.isprintable() or any(c.isspace() for c in name):
        raise _invalid("username", "a user name has no spaces or control characters")
    return name


def add_user(
    session: Session,
    username: str,
    *,
    role: Role | str,
    clearance: Classification | str = Classification.PUBLIC,
    entity_code: str | None = None,
    display_name: str = "",
    bootstrap: bool = False,
) -> User:
    """Create an account. ``bootstrap`` is the first account of a database, written by the system: it must
    be an administrator (or nobody could ever add another), and it is refused once any account exists."""
    from nigran.policy.service import entity_by_code  # deferred: policy's models import access

    name = _check_username(username)
    parsed_role, level = parse_role(role), parse_clearance(clearance)
    if len(display_name) > DISPLAY_NAME_MAX:
        raise _invalid("name", f"a display name has at most {DISPLAY_NAME_MAX} characters")
    if bootstrap:
        if user_count(session) > 0:
            raise Conflict("the first account already exists: an administrator adds the others")
        if parsed_role is not Role.ADMINISTRATOR:
            raise _invalid("role", "the first account must be an administrator, who then adds the others")
    if session.scalar(select(User.id).where(User.username == name)) is not None:
        raise Conflict(f"user {name!r} already exists")
    entity_id = entity_by_code(session, entity_code).id if entity_code else None
    if parsed_role is Role.FOCAL_PERSON and entity_id is None:
        raise _invalid("entity", "a focal person needs an entity: the one they report for")
    if parsed_role is Role.PUBLIC_READER and level > Classification.PUBLIC:
        raise _invalid("clearance", "a public reader has PUBLIC clearance")
    user = User(
        username=name,
        display_name=display_name or name,
        role=parsed_role.value,
        clearance=level,
        entity_id=entity_id,
    )
    session.add(user)
    session.flush()
    return user


def user_count(session: Session) -> int:
    return session.scalar(select(func.count(User.id))) or 0


def principal_for(session: Session, username: str) -> Principal:
    """The principal a user name acts as. Unknown names are :class:`NotFound`, disabled accounts
    :class:`AccessDenied`; neither message says how accounts are made (that is the front end's business)."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"no user {username!r}")
    if not user.active:
        raise AccessDenied(f"user {username!r} is disabled")
    return user.principal()


def acting_principal(session: Session, username: str | None) -> Principal:
    """Who acts: the named user, or the public reader when no one is named."""
    return principal_for(session, username) if username else Principal.anonymous()


def user_writer(session: Session, acting: Principal) -> tuple[Principal, bool]:
    """Who writes a new account, and whether it is the bootstrap: the system while no account exists (the
    first one), afterwards the acting administrator. Anyone else is refused before anything is written."""
    if user_count(session) == 0:
        return Principal.system(), True
    require_administrator(acting, "add users")
    return acting, False


def require_administrator(acting: Principal, doing: str) -> None:
    if not (acting.is_system or acting.role is Role.ADMINISTRATOR):
        raise AccessDenied(f"only administrators may {doing} ({acting.username} is {acting.role.value})")


def require_database_administrator(session: Session, acting: Principal, doing: str) -> None:
    """Administrative work on a database (demo data, reference data, schema) needs an administrator once
    the database has accounts; before the first account anyone may bootstrap it."""
    if user_count(session) > 0:
        require_administrator(acting, doing)


def list_users(session: Session) -> list[User]:
    """Every account, for administrators only: the list names people and their clearances."""
    require_administrator(principal_of(session), "list users")
    return list(session.scalars(select(User).order_by(User.username)))


def entity_codes(session: Session, users: list[User]) -> dict[int, str]:
    """Entity codes of the given users' entities, as the session's reader may see them."""
    from nigran.policy.models import Entity  # deferred: policy's models import access

    ids = {u.entity_id for u in users if u.entity_id is not None}
    if not ids:
        return {}
    rows = session.execute(select(Entity.id, Entity.code).where(Entity.id.in_(ids)))
    return {entity_id: code for entity_id, code in rows}
