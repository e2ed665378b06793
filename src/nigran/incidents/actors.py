"""The actor registry: bundled as YAML, upserted by code, and matched against the names sources write."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from nigran.access.classification import Classification
from nigran.core.paths import data_path
from nigran.core.problems import InvalidInput, Problem
from nigran.incidents.models import Actor

KINDS = {
    "militant",
    "separatist",
    "sectarian",
    "transnational",
    "state",
    "foreign_state",
    "political",
    "criminal",
}
_NOISE = re.compile(r"\b(the|group|faction)\b|[^\w]+", re.I)


def norm(name: str) -> str:
    """Compare names without case, punctuation or filler words: "TTP - TA" and "ttp ta" are the same key."""
    return " ".join(_NOISE.sub(" ", name.casefold()).split())


def load_actors(session: Session, path: Path | None = None) -> int:
    """Upsert the registry by code (ORM writes, so every change is audited); returns rows written."""
    path = path or data_path("actors.yaml")
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    rows = doc.get("actors") if isinstance(doc, dict) else None
    if not isinstance(rows, list):
        raise InvalidInput([Problem(1, "expected a top-level 'actors:' list", str(path))])
    problems = []
    for i, row in enumerate(rows, 1):
        if not isinstance(row, dict) or not row.get("code") or not row.get("name"):
            problems.append(Problem(i, f"actor #{i}: 'code' and 'name' are required", str(path)))
        elif row.get("kind") not in KINDS:
            problems.append(
                Problem(i, f"actor {row['code']}: kind {row.get('kind')!r} not in {sorted(KINDS)}", str(path))
            )
    if problems:
        raise InvalidInput(problems)
    existing = {a.code: a for a in session.scalars(select(Actor))}
    written = 0
    for row in rows:
        actor = existing.get(row["code"]) or Actor(code=row["code"], classification=Classification.PUBLIC)
        fields = dict(
            name=row["name"],
            kind=row["kind"],
            parent_code=row.get("parent_code"),
            aliases=[str(a) for a in row.get("aliases") or []],
            notes=row.get("notes"),
        )
        if actor.id is None or any(getattr(actor, k) != v for k, v in fields.items()):
            for key, value in fields.items():
                setattr(actor, key, value)
            session.add(actor)
            written += 1
    session.flush()
    return written


@dataclass
class ActorMatcher:
    """Resolves a name as written to a registry actor (``code``/``id``); unknown names stay unresolved."""

    by_key: dict[str, tuple[int, str]]

    @classmethod
    def from_session(cls, session: Session) -> ActorMatcher:
        actors = list(session.scalars(select(Actor)))
        if not actors:
            load_actors(session)
            actors = list(session.scalars(select(Actor)))
        by_key: dict[str, tuple[int, str]] = {}
        for actor in actors:
            for name in [actor.code, actor.name, *actor.aliases]:
                by_key.setdefault(norm(name), (actor.id, actor.code))
        return cls(by_key)

    def match(self, name: str | None) -> tuple[int, str] | None:
        if not name:
            return None
        key = norm(name)
        if key in self.by_key:
            return self.by_key[key]
        for part in re.split(
            r"\s*(?:;|\(|\)|:)\s*", name
        ):  # "TTP: Tehrik-i-Taliban Pakistan", "X (Pakistan)"
            if part and norm(part) in self.by_key:
                return self.by_key[norm(part)]
        return None
