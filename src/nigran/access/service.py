"""Managing the system's users. Writes go through the guard: only administrators may change accounts."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nigran.access.classification import Classification
from nigran.access.models import User
from nigran.access.principal import Role
from nigran.policy.service import entity_by_code


def add_user(
    session: Session,
    username: str,
    *,
    role: Role,
    clearance: Classification,
    entity_code: str | None = None,
    display_name: str = "",
) -> User:
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise ValueError(f"user {username!r} already exists")
    entity_id = entity_by_code(session, entity_code).id if entity_code else None
    if role is Role.FOCAL_PERSON and entity_id is None:
        raise ValueError("a focal person needs --entity: the entity they report for")
    if role is Role.PUBLIC_READER and clearance > Classification.PUBLIC:
        raise ValueError("a public reader has PUBLIC clearance")
    user = User(
        username=username,
        display_name=display_name or username,
        role=role.value,
        clearance=clearance,
        entity_id=entity_id,
    )
    session.add(user)
    session.flush()
    return user


def user_count(session: Session) -> int:
    return session.scalar(select(func.count(User.id))) or 0


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))
