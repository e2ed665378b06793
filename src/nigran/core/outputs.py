"""Every file Nigran writes goes through here: no silent overwrite, never the database, never through a link.

A command run by anyone who can type it must not be able to destroy data: an existing file is replaced only
with ``force=True``; the open database file (and its ``-wal``/``-shm``/``-journal`` companions) is never a
target, whatever ``force`` says; a symbolic link at the target is refused rather than followed; and the
content is written to a temporary file in the same folder and renamed into place, so that a failure half-way
leaves the old file (or nothing) behind, never half a file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from nigran.core.errors import OutputRefused

_PROTECTED: set[Path] = set()
_COMPANIONS = ("", "-wal", "-shm", "-journal")


def protect(path: str | os.PathLike[str]) -> None:
    """Never write to ``path`` (an open database file) or its SQLite companions."""
    base = Path(path).resolve()
    for suffix in _COMPANIONS:
        _PROTECTED.add(Path(str(base) + suffix))


def check_target(path: str | os.PathLike[str], *, force: bool = False) -> Path:
    """The resolved path to write, or :class:`OutputRefused` saying why not (before any work is done)."""
    try:
        return _check_target(path, force=force)
    except OutputRefused:
        raise
    except OSError as exc:  # a name too long, a path through a file, a folder we may not look into
        raise OutputRefused(f"{path}: cannot write here: {exc.strerror or exc}") from None


def _check_target(path: str | os.PathLike[str], *, force: bool) -> Path:
    target = Path(path)
    if str(path) in ("", "-"):
        raise OutputRefused("no output file named")
    if target.is_symlink():
        raise OutputRefused(f"{target}: is a symbolic link; refusing to write through it")
    resolved = target.resolve()
    if resolved in _PROTECTED or any(
        resolved.samefile(p) for p in _PROTECTED if p.exists() and resolved.exists()
    ):
        raise OutputRefused(f"{target}: is the open database; refusing to overwrite it")
    if resolved.exists() and resolved.is_dir():
        raise OutputRefused(f"{target}: is a folder, not a file")
    if resolved.exists() and not force:
        raise OutputRefused(f"{target}: already exists (use --force to replace it)")
    parent = resolved.parent
    if not parent.is_dir():
        raise OutputRefused(f"{target}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise OutputRefused(f"{target}: folder {parent} is not writable")
    return resolved


@contextlib.contextmanager
def open_output(
    path: str | os.PathLike[str],
    mode: str = "w",
    *,
    force: bool = False,
    encoding: str | None = "utf-8",
    newline: str | None = None,
) -> Iterator[IO]:
    """Open a temporary file beside ``path``; on success it replaces ``path`` atomically, on error it goes."""
    target = check_target(path, force=force)
    binary = "b" in mode
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    except OSError as exc:
        raise OutputRefused(f"{path}: cannot write: {exc.strerror}") from None
    try:
        with os.fdopen(
            fd,
            "wb" if binary else "w",
            encoding=None if binary else encoding,
            newline=None if binary else newline,
        ) as fh:
            yield fh
        os.chmod(tmp, 0o644)
        if target.is_symlink():  # appeared while we wrote: still never follow it
            raise OutputRefused(f"{path}: became a symbolic link; refusing to write through it")
        if target.exists() and not force:
            raise OutputRefused(f"{path}: already exists (use --force to replace it)")
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_text(path: str | os.PathLike[str], text: str, *, force: bool = False) -> Path:
    with open_output(path, "w", force=force) as fh:
        fh.write(text)
    return Path(path)


def write_bytes(path: str | os.PathLike[str], data: bytes, *, force: bool = False) -> Path:
    with open_output(path, "wb", force=force) as fh:
        fh.write(data)
    return Path(path)


def write_with(
    path: str | os.PathLike[str], writer: Callable[[IO[bytes]], object], *, force: bool = False
) -> Path:
    """Let ``writer`` fill a binary stream (``Workbook.save`` takes one) that becomes ``path``."""
    with open_output(path, "wb", force=force) as fh:
        writer(fh)
    return Path(path)
