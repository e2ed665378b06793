"""Fixtures: every database test runs on SQLite and, when NIGRAN_TEST_POSTGRES_URL is set, on PostgreSQL.

Each test gets a database of its own, copied from a template that was migrated once per run (a file copy
for SQLite, ``CREATE DATABASE … TEMPLATE`` for PostgreSQL), so tests never clean up by deleting rows and
never see each other's data.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from nigran.access.principal import Principal
from nigran.storage.db import Database

PG_URL = os.environ.get("NIGRAN_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def _seed_demo(db: Database) -> None:
    from nigran.demo import seed_demo

    with db.session(Principal.system()) as session:
        seed_demo(session)


def _seed_reference(db: Database) -> None:
    from nigran.reference import load_admin_units, load_entities

    with db.session(Principal.system()) as session:
        load_admin_units(session)
        load_entities(session)


SEEDS = {"empty": lambda db: None, "reference": _seed_reference, "demo": _seed_demo}


class Templates:
    """Lazily built, migrated (and seeded) template databases, one per backend and seed."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.built: dict[tuple[str, str], str] = {}
        self.run_id = uuid.uuid4().hex[:8]

    def template(self, backend: str, seed: str) -> str:
        key = (backend, seed)
        if key not in self.built:
            if backend == "sqlite":
                url = f"sqlite:///{self.tmp / f'template-{seed}.db'}"
            else:
                url = self._pg_create(f"nigran_tpl_{self.run_id}_{seed}")
            db = Database(url)
            db.upgrade()
            SEEDS[seed](db)
            db.dispose()  # closing the last SQLite connection checkpoints the WAL into the file we copy
            self.built[key] = url
        return self.built[key]

    def _admin(self):  # type: ignore[no-untyped-def]
        return create_engine(Database(PG_URL).url, isolation_level="AUTOCOMMIT")

    def _pg_create(self, name: str, template: str | None = None) -> str:
        engine = self._admin()
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
        engine.dispose()
        return make_url(Database(PG_URL).url).set(database=name).render_as_string(hide_password=False)

    def pg_drop(self, name: str) -> None:
        engine = self._admin()
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()

    def copy(self, backend: str, seed: str, dest: Path) -> str:
        source = self.template(backend, seed)
        if backend == "sqlite":
            target = dest / "nigran.db"
            shutil.copyfile(source.removeprefix("sqlite:///"), target)
            return f"sqlite:///{target}"
        name = f"nigran_t_{uuid.uuid4().hex[:12]}"
        return self._pg_create(name, make_url(source).database)

    def cleanup(self) -> None:
        for (backend, _), url in self.built.items():
            if backend == "postgresql":
                self.pg_drop(make_url(url).database or "")


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Templates]:
    t = Templates(tmp_path_factory.mktemp("templates"))
    yield t
    t.cleanup()


def _database(templates: Templates, backend: str, seed: str, tmp_path: Path) -> Iterator[Database]:
    folder = tmp_path / f"db-{seed}"  # each fixture its own file, so a test may use two of them
    folder.mkdir(exist_ok=True)
    url = templates.copy(backend, seed, folder)
    db = Database(url)
    yield db
    db.dispose()
    if backend == "postgresql":
        templates.pg_drop(make_url(url).database or "")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def db(templates: Templates, backend: str, tmp_path: Path) -> Iterator[Database]:
    """A migrated database with the bundled entities and administrative units."""
    yield from _database(templates, backend, "reference", tmp_path)


@pytest.fixture
def empty_db(templates: Templates, backend: str, tmp_path: Path) -> Iterator[Database]:
    """A migrated database with no rows at all."""
    yield from _database(templates, backend, "empty", tmp_path)


@pytest.fixture
def demo_db(templates: Templates, backend: str, tmp_path: Path) -> Iterator[Database]:
    """The state ``nigran demo`` builds: reference data, bundled frameworks, demo users."""
    yield from _database(templates, backend, "demo", tmp_path)


@pytest.fixture
def second_db(templates: Templates, backend: str, tmp_path: Path) -> Iterator[Database]:
    """Another database with the bundled entities, beside ``db`` (in a folder of its own, so its own file)."""
    folder = tmp_path / "second"
    folder.mkdir()
    yield from _database(templates, backend, "reference", folder)


@pytest.fixture
def system() -> Principal:
    return Principal.system()


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI must have the shared evaluation data at {SHARED_DATA}")
        pytest.skip(f"shared evaluation data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(autouse=True, scope="session")
def no_outside_network() -> Iterator[None]:
    """Nigran runs air-gapped: any test that tries to reach a host other than this machine fails."""
    import socket

    original = socket.socket.connect

    def connect(self, address):  # type: ignore[no-untyped-def]
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and not (
            host.startswith("127.") or host in ("::1", "localhost") or host.startswith("/")
        ):
            raise OSError(f"test tried to reach {host}: tests never use the network")
        return original(self, address)

    socket.socket.connect = connect  # type: ignore[method-assign]
    yield
    socket.socket.connect = original  # type: ignore[method-assign]
