"""The actor registry: bundled as YAML, upserted by code, and matched against the names sources write."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nigran.access.classification import Classification
from nigran.core.paths import data_path
from nigran.core.problems import InvalidInput, Problem
from nigran.core.yamldoc import load_yaml_bytes
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


def read_actor_rows(data: bytes, name: str) -> list[dict[str, Any]]:
    """The actor rows of a registry file, or :class:`InvalidInput` with every problem and its line."""
    doc = load_yaml_bytes(data, name)
    rows = doc.get("actors") if isinstance(doc, dict) else None
    if not isinstance(rows, list):
        raise InvalidInput([Problem(1, "expected a top-level 'actors:' list", name)])
    lines = getattr(rows, "item_lines", [])
    problems: list[Problem] = []
    for i, row in enumerate(rows):
        line = lines[i] if i < len(lines) else 1

        def problem(message: str, line: int = line, i: int = i) -> None:
            problems.append(Problem(line, f"actor #{i + 1}: {message}", name))

        if not isinstance(row, dict):
            problem("expected a mapping with code, name and kind")
            continue
        code, title = row.get("code"), row.get("name")
        if not isinstance(code, str) or not code.strip() or len(code) > 40:
            problem("'code' must be text of 1-40 characters")
        if not isinstance(title, str) or not title.strip() or len(title) > 300:
            problem("'name' must be text of 1-300 characters")
        if row.get("kind") not in KINDS:
            problem(f"kind {row.get('kind')!r} not in {sorted(KINDS)}")
        aliases = row.get("aliases") or []
        if not isinstance(aliases, list) or not all(isinstance(a, str | int) for a in aliases):
            problem("'aliases' must be a list of names")
    if problems:
        raise InvalidInput(problems)
    return rows


def load_actors(session: Session, data: bytes | None = None, name: str = "actors.yaml") -> int:
    """Upsert the registry by code (ORM writes, so every change is audited); returns rows written.

    ``data`` is the file's content (the bundled registry when ``None``), so a web upload and the CLI share it.
    """
    if data is None:
        data = data_path("actors.yaml").read_bytes()
    rows = read_actor_rows(data, name)
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


def registry_names(session: Session) -> dict[str, tuple[str, str]]:
    """Every name an actor the session may see goes by (code, name, aliases), :func:`norm`-keyed, mapped to
    ``(code, name)``. Read-only: unlike :meth:`ActorMatcher.from_session` it never loads the registry."""
    names: dict[str, tuple[str, str]] = {}
    for actor in session.scalars(select(Actor).order_by(Actor.code)):
        for name in [actor.code, actor.name, *(actor.aliases or [])]:
            names.setdefault(norm(name), (actor.code, actor.name))
    return names
