"""Small helpers shared by tests: principals for each role and loading a fixture framework."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nigran.access.classification import Classification
from nigran.access.principal import Principal, Role
from nigran.core.problems import Problem
from nigran.policy import service
from nigran.policy.models import Entity, Framework
from nigran.storage.db import Database

FIXTURES = Path(__file__).parent / "fixtures"
CANARIES = [
    "CANARY-RESTRICTED-IND",
    "987654.321",
    "123456.789",
    "CANARY-SECRET-MS",
    "CANARY-SECRET-SEC",
    "CANARY-SECRET-OBJ",
    "CANARY-SECRET-IND",
    "424242.4242",
    "CANARY-SECRET-ACT",
]
SECRET_ONLY = [c for c in CANARIES if "SECRET" in c or c == "424242.4242"]

PUBLIC = Principal.anonymous()
ANALYST = Principal("analyst", Role.ANALYST, Classification.RESTRICTED)
ADMIN = Principal("admin", Role.ADMINISTRATOR, Classification.SECRET)
REVIEWER = Principal("reviewer", Role.REVIEWER, Classification.SECRET)


def focal(db: Database, entity_code: str) -> Principal:
    with db.session(Principal.system()) as s:
        entity_id = s.scalar(select(Entity.id).where(Entity.code == entity_code))
    return Principal(
        f"focal-{entity_code}", Role.FOCAL_PERSON, Classification.RESTRICTED, entity_id=entity_id
    )


def load_file(session: Session, path: Path) -> Framework:
    """Load a framework file as the CLI does: its bytes, named by its path in every problem."""
    return service.load_bytes(session, path.read_bytes(), str(path))


def validate_file(path: Path, session: Session | None) -> tuple[Any, list[Problem]]:
    return service.validate_bytes(path.read_bytes(), str(path), session)


def load_fixture(db: Database, name: str = "canary-framework.yaml") -> str:
    with db.session(Principal.system()) as s:
        return load_file(s, FIXTURES / name).code
