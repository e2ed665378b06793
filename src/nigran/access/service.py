"""Users and who may act: the rules a command line and a web front end must share, in one place.

Writes still go through the guard (only administrators may change accounts); the rules here are the ones the
guard cannot see: who acts for a user name, who may bootstrap the first account, who may list accounts, and
who may run the administrative work (demo, seeding, upgrades) on a database that already has users.
"""

from __future__ import annotations

from typing import Any

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


def get_user(session: Session, username: str) -> User:
    """One account, for administrators (or the user themself)."""
    who = principal_of(session)
    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None or not (who.is_system or who.role is Role.ADMINISTRATOR or who.user_id == user.id):
        raise NotFound(f"no user {username!r}")
    return user


def update_user(
    session: Session,
    username: str,
    *,
    role: Role | str | None = None,
    clearance: Classification | str | None = None,
    entity_code: str | None = None,
    display_name: str | None = None,
    active: bool | None = None,
) -> User:
    """Change an account's role, clearance, entity, name or whether it is active (administrators only).

    ``entity_code=""`` removes the entity. The same rules as for a new account hold for the result, and an
    administrator may not deactivate or demote themself (the last administrator could lock everyone out).
    """
    from nigran.policy.service import entity_by_code  # deferred: policy's models import access

    who = principal_of(session)
    require_administrator(who, "change users")
    user = get_user(session, username)
    new_role = parse_role(role) if role is not None else Role(user.role)
    level = parse_clearance(clearance) if clearance is not None else Classification.parse(user.clearance)
    if who.user_id == user.id and (active is False or new_role is not Role.ADMINISTRATOR):
        raise _invalid("role", "an administrator may not deactivate or demote their own account")
    entity_id = user.entity_id
    if entity_code is not None:
        entity_id = entity_by_code(session, entity_code).id if entity_code.strip() else None
    if new_role is Role.FOCAL_PERSON and entity_id is None:
        raise _invalid("entity", "a focal person needs an entity: the one they report for")
    if new_role is Role.PUBLIC_READER and level > Classification.PUBLIC:
        raise _invalid("clearance", "a public reader has PUBLIC clearance")
    if display_name is not None:
        if len(display_name) > DISPLAY_NAME_MAX:
            raise _invalid("name", f"a display name has at most {DISPLAY_NAME_MAX} characters")
        user.display_name = display_name.strip() or user.username
    user.role, user.clearance, user.entity_id = new_role.value, level, entity_id
    if active is not None:
        user.active = active
    session.flush()
    return user


def set_password(
    session: Session, username: str, password: str, *, current_password: str | None = None
) -> User:
    """Set a user's password (Argon2id hash; the password itself is never stored or logged).

    An administrator sets anyone's; any other user only their own, and must give the current one (ASVS
    2.1.6). Accounts are written by administrators only, so a person's own change is written by the program
    on their behalf, on the same transaction, and the audit trail names them as the actor.
    """
    from dataclasses import replace

    from nigran.access import passwords
    from nigran.access.guard import PRINCIPAL_KEY, GuardedSession

    who = principal_of(session)
    user = session.scalar(select(User).where(User.username == username.strip()))
    own = user is not None and who.user_id == user.id and not who.is_system
    if user is None or not (own or who.is_system or who.role is Role.ADMINISTRATOR):
        raise NotFound(f"no user {username!r}")
    wrong = passwords.problems(password, user.username)
    if wrong:
        raise InvalidInput([Problem(0, message, "password") for message in wrong])
    if own and who.role is not Role.ADMINISTRATOR:
        if current_password is None or not passwords.verify_password(user.password_hash, current_password):
            raise _invalid("current_password", "the current password is not right")
        on_behalf = replace(who, is_system=True)  # the guard lets only administrators write accounts
        with GuardedSession(bind=session.connection(), info={PRINCIPAL_KEY: on_behalf}) as writer:
            mine = writer.get(User, user.id)
            assert mine is not None
            mine.password_hash = passwords.hash_password(password)
            writer.flush()
        session.expire(user)
        return user
    if (
        own
        and current_password is not None
        and not passwords.verify_password(user.password_hash, current_password)
    ):
        raise _invalid("current_password", "the current password is not right")
    user.password_hash = passwords.hash_password(password)
    session.flush()
    return user


def list_entities(session: Session) -> list[Any]:
    """The entities the session's reader may see, by code (for pickers and the administration pages)."""
    from nigran.policy.models import Entity  # deferred: policy's models import access

    return list(session.scalars(select(Entity).order_by(Entity.code)))
