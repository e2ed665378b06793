"""Settings read from the environment, in one place, so that the CLI, tests and the web app agree."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_SQLITE_FILE = "nigran.db"


def database_url(explicit: str | None = None) -> str:
    """The database to use: an explicit URL, else ``NIGRAN_DATABASE_URL``, else a SQLite file here.

    The embedded default keeps the quickstart to one command; production points the variable at PostgreSQL.
    """
    if explicit:
        return normalise_url(explicit)
    env = os.environ.get("NIGRAN_DATABASE_URL")
    if env:
        return normalise_url(env)
    return f"sqlite:///{Path.cwd() / DEFAULT_SQLITE_FILE}"


def normalise_url(url: str) -> str:
    """Accept a bare file path or a plain ``postgresql://`` URL and pick the drivers we ship with."""
    if "://" not in url:
        return f"sqlite:///{Path(url).resolve()}"
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url
