"""The one writer of files: refuses what would destroy data, and says so in one line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nigran.core.errors import OutputRefused
from nigran.core.outputs import check_target, protect, write_bytes, write_text


def test_existing_file_needs_force(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    write_text(target, "one")
    with pytest.raises(OutputRefused, match=r"already exists \(use --force"):
        write_text(target, "two")
    assert target.read_text() == "one"
    write_text(target, "two", force=True)
    assert target.read_text() == "two"


def test_the_open_database_is_never_a_target_even_with_force(tmp_path: Path) -> None:
    db = tmp_path / "nigran.db"
    db.write_bytes(b"SQLite format 3\x00")
    protect(db)
    for target in (db, tmp_path / "nigran.db-wal", tmp_path / "." / "nigran.db"):
        with pytest.raises(OutputRefused) as info:
            write_bytes(target, b"{}", force=True)
        assert str(info.value).count("open database") == 1 and "cannot write here" not in str(info.value)
    assert db.read_bytes() == b"SQLite format 3\x00"


def test_symlinks_are_refused_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("keep")
    link = tmp_path / "link.txt"
    link.symlink_to(outside)
    with pytest.raises(OutputRefused, match="symbolic link"):
        write_text(link, "x", force=True)
    assert outside.read_text() == "keep"


def test_missing_folder_long_name_and_folder_target(tmp_path: Path) -> None:
    with pytest.raises(OutputRefused, match="does not exist"):
        check_target(tmp_path / "no" / "where.csv")
    with pytest.raises(OutputRefused, match="cannot write here"):
        check_target(tmp_path / ("x" * 300))
    with pytest.raises(OutputRefused, match="is a folder"):
        check_target(tmp_path)


def test_a_failed_write_leaves_nothing_half_written(tmp_path: Path) -> None:
    from nigran.core.outputs import open_output

    target = tmp_path / "report.csv"
    target.write_text("old")
    with pytest.raises(RuntimeError), open_output(target, force=True) as fh:
        fh.write("half")
        raise RuntimeError("disk full")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.csv"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_unwritable_folder(tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    with pytest.raises(OutputRefused, match="not writable"):
        check_target(ro / "x.csv")
