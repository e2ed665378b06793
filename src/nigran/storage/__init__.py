"""Storage: the SQLAlchemy base, engines for SQLite and PostgreSQL, transactions and migrations.

Import ``nigran.storage.base`` or ``nigran.storage.db`` directly; this package imports nothing itself, so that
models can import the base without pulling in the session machinery (and its access guard) first.
"""
