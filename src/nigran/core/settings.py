"""Settings in one typed object, read from the environment once, so the CLI, tests and web app agree.

Command-line options override the environment (``Settings.from_env(database_url=…)``). Secrets (API tokens)
are held here and never printed: ``repr`` masks them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

DEFAULT_SQLITE_FILE = "nigran.db"


def normalise_url(url: str) -> str:
    """Accept a bare file path or a plain ``postgresql://`` URL and pick the drivers we ship with."""
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=lambda: f"sqlite:///{Path.cwd() / DEFAULT_SQLITE_FILE}")
    acting_user: str | None = None
    ucdp_token: str | None = field(default=None, repr=False)
    acled_key: str | None = field(default=None, repr=False)
    acled_email: str | None = None
    debug: bool = False
    busy_timeout_s: float = 30.0  # how long a SQLite writer waits for another writer before "busy, retry"
    #: the background-job queue: ``redis://…`` for workers on several machines; unset, a SQLite queue file
    queue_url: str | None = field(default=None, repr=False)
    #: where files without a natural home go (the queue file of a PostgreSQL install without a queue URL)
    data_dir: Path | None = None

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: object) -> Settings:
        env = dict(os.environ if env is None else env)
        base = cls(
            database_url=normalise_url(env["NIGRAN_DATABASE_URL"])
            if env.get("NIGRAN_DATABASE_URL")
            else cls().database_url,
            acting_user=env.get("NIGRAN_USER") or None,
            ucdp_token=env.get("UCDP_API_TOKEN") or env.get("NIGRAN_UCDP_TOKEN") or None,
            acled_key=env.get("ACLED_API_KEY") or env.get("NIGRAN_ACLED_KEY") or None,
            acled_email=env.get("ACLED_EMAIL") or env.get("NIGRAN_ACLED_EMAIL") or None,
            debug=env.get("NIGRAN_DEBUG", "") not in ("", "0", "false"),
            busy_timeout_s=_seconds(env.get("NIGRAN_BUSY_TIMEOUT"), 30.0),
            queue_url=env.get("NIGRAN_QUEUE_URL") or None,
            data_dir=Path(env["NIGRAN_DATA_DIR"]).expanduser() if env.get("NIGRAN_DATA_DIR") else None,
        )
        given = {k: v for k, v in overrides.items() if v is not None}
        if "database_url" in given:
            given["database_url"] = normalise_url(str(given["database_url"]))
        unknown = set(given) - {f.name for f in fields(cls)}
        if unknown:
            raise TypeError(f"unknown settings: {sorted(unknown)}")
        return replace(base, **given)  # type: ignore[arg-type]

    @property
    def sqlite_path(self) -> Path | None:
        """The database file for SQLite URLs (``None`` for in-memory or server databases)."""
        if not self.database_url.startswith("sqlite:///"):
            return None
        path = self.database_url.split(":///", 1)[1].split("?", 1)[0]
        return Path(path) if path and path != ":memory:" else None


def _seconds(text: str | None, default: float) -> float:
    try:
        value = float(text) if text else default
    except ValueError:
        return default
    return value if 0 <= value <= 3600 else default
