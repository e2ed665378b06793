"""Storage: the SQLAlchemy base, engines for SQLite and PostgreSQL, transactions and migrations."""

from nigran.storage.base import Base
from nigran.storage.db import Database

__all__ = ["Base", "Database"]
