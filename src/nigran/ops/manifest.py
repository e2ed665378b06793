"""What a backup says about itself, and the archive that holds it beside the payload.

A backup is an uncompressed tar archive with two members:

- ``manifest.json``: Nigran's version, the backend, the schema revisions (Alembic heads), the row count of
  every table, the audit chain's head, when it was taken, and the SHA-256 and size of the payload;
- the payload: ``payload.sqlite`` (a SQLite database file, taken with SQLite's online backup API) or
  ``payload.pgdump`` (``pg_dump`` in its custom format).

Counts and head are read from the same point in time as the payload (the copied SQLite file itself; for
PostgreSQL, the snapshot ``pg_dump`` uses), so a restore can check the payload against them exactly.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from nigran.core.jsonout import dumps
from nigran.core.problems import InvalidInput, Problem
from nigran.ops.audit_head import AuditHead

FORMAT = "nigran-backup/1"
MANIFEST = "manifest.json"
PAYLOADS = {"sqlite": "payload.sqlite", "postgresql": "payload.pgdump"}
VERSION_TABLE = "alembic_version"


@dataclass
class Manifest:
    nigran_version: str
    backend: str
    revisions: list[str]
    counts: dict[str, int]
    audit_head: AuditHead
    audit_verified: bool
    created_at: str
    payload: str
    payload_sha256: str = ""
    payload_bytes: int = 0
    format: str = field(default=FORMAT)

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "nigran_version": self.nigran_version,
            "backend": self.backend,
            "revisions": sorted(self.revisions),
            "created_at": self.created_at,
            "payload": self.payload,
            "payload_sha256": self.payload_sha256,
            "payload_bytes": self.payload_bytes,
            "counts": dict(sorted(self.counts.items())),
            "audit_head": self.audit_head.as_dict(),
            "audit_verified": self.audit_verified,
        }

    def to_json(self) -> str:
        return dumps(self.as_dict(), indent=2) + "\n"

    @classmethod
    def from_json(cls, raw: bytes, source: str) -> Manifest:
        where = f"{source}:{MANIFEST}"
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InvalidInput([Problem(0, f"the manifest is not JSON ({exc})", where)]) from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise InvalidInput([Problem(0, f"not a Nigran backup manifest (format {FORMAT})", where)])
        problems: list[Problem] = []

        def need(name: str, kind: type | tuple[type, ...]) -> Any:
            value = data.get(name)
            if not isinstance(value, kind) or isinstance(value, bool):
                problems.append(Problem(0, f"field {name!r} is missing or of the wrong kind", where))
            return value

        version, backend = need("nigran_version", str), need("backend", str)
        revisions, counts = need("revisions", list), need("counts", dict)
        created, payload = need("created_at", str), need("payload", str)
        sha, size = need("payload_sha256", str), need("payload_bytes", int)
        if backend not in PAYLOADS:
            problems.append(Problem(0, f"unknown backend {backend!r}", where))
        elif payload != PAYLOADS[backend]:
            problems.append(Problem(0, f"a {backend} backup's payload is {PAYLOADS[backend]}", where))
        if isinstance(counts, dict) and not all(
            isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in counts.values()
        ):
            problems.append(Problem(0, "every row count must be a whole number, 0 or more", where))
        if isinstance(revisions, list) and not all(isinstance(r, str) for r in revisions):
            problems.append(Problem(0, "every schema revision must be text", where))
        if problems:
            raise InvalidInput(problems)
        head = AuditHead.from_dict(data.get("audit_head"), where)
        return cls(
            nigran_version=version,
            backend=backend,
            revisions=list(revisions),
            counts={str(k): int(v) for k, v in counts.items()},
            audit_head=head,
            audit_verified=bool(data.get("audit_verified")),
            created_at=created,
            payload=payload,
            payload_sha256=sha,
            payload_bytes=size,
        )


def table_counts(conn: Connection) -> dict[str, int]:
    """Rows in every table of the database (Alembic's version table included), read through ``conn``."""
    counts: dict[str, int] = {}
    preparer = conn.dialect.identifier_preparer
    for name in sorted(inspect(conn).get_table_names()):
        counts[name] = int(conn.execute(text(f"SELECT count(*) FROM {preparer.quote(name)}")).scalar_one())
    return counts


def revisions_of(conn: Connection) -> list[str]:
    if VERSION_TABLE not in inspect(conn).get_table_names():
        return []
    return sorted(r for (r,) in conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")))


def sha256_file(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def pack(out: IO[bytes], manifest: Manifest, payload: Path) -> None:
    """Write the archive (manifest first, so a reader can check it before unpacking the payload)."""
    manifest.payload_sha256, manifest.payload_bytes = sha256_file(payload)
    raw = manifest.to_json().encode("utf-8")
    with tarfile.open(fileobj=out, mode="w|") as tar:
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mode = len(raw), 0o644
        tar.addfile(info, io.BytesIO(raw))
        tar.add(payload, arcname=manifest.payload, recursive=False)


@contextmanager
def unpack(archive: Path, into: Path) -> Iterator[tuple[Manifest, Path]]:
    """The manifest and the payload (extracted into ``into``) of a backup whose payload matches its
    manifest; any other file is one clear problem naming it. Nothing outside ``into`` is written."""
    name = str(archive)
    try:
        if archive.is_dir():
            raise InvalidInput([Problem(0, "is a folder, not a backup file", name)])
        tar = tarfile.open(archive, mode="r:")  # noqa: SIM115 (closed by the with below)
    except FileNotFoundError:
        raise InvalidInput([Problem(0, "file not found", name)]) from None
    except (tarfile.TarError, OSError) as exc:
        raise InvalidInput([Problem(0, f"not a Nigran backup (not a tar archive: {exc})", name)]) from None
    with tar:
        try:
            members = {m.name: m for m in tar.getmembers()}
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise InvalidInput([Problem(0, f"damaged backup archive ({exc})", name)]) from None
        member = members.get(MANIFEST)
        if member is None or not member.isfile():
            raise InvalidInput([Problem(0, "not a Nigran backup (no manifest.json)", name)])
        handle = tar.extractfile(member)
        manifest = Manifest.from_json(handle.read() if handle else b"", name)
        payload_member = members.get(manifest.payload)
        if payload_member is None or not payload_member.isfile():
            raise InvalidInput([Problem(0, f"the payload {manifest.payload} is missing", name)])
        target = into / manifest.payload
        source = tar.extractfile(payload_member)
        if source is None:
            raise InvalidInput([Problem(0, f"the payload {manifest.payload} is unreadable", name)])
        digest, size = hashlib.sha256(), 0
        try:
            with target.open("wb") as fh:
                while chunk := source.read(1 << 20):
                    digest.update(chunk)
                    size += len(chunk)
                    fh.write(chunk)
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise InvalidInput([Problem(0, f"damaged backup archive ({exc})", name)]) from None
    if digest.hexdigest() != manifest.payload_sha256 or size != manifest.payload_bytes:
        raise InvalidInput(
            [Problem(0, "the payload does not match its manifest (SHA-256 or size differ)", name)]
        )
    yield manifest, target
