"""The database URL, from the one settings object (``nigran.core.settings``)."""

from __future__ import annotations

from nigran.core.settings import DEFAULT_SQLITE_FILE, Settings, normalise_url

__all__ = ["DEFAULT_SQLITE_FILE", "database_url", "normalise_url"]


def database_url(explicit: str | None = None) -> str:
    """The database to use: an explicit URL, else ``NIGRAN_DATABASE_URL``, else a SQLite file here.

    The embedded default keeps the quickstart to one command; production points the variable at PostgreSQL.
    """
    return Settings.from_env(database_url=explicit).database_url
