"""Atomic writes leave the old file intact and no temporary file behind when they fail."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from squasher.errors import SquasherError
from squasher.util.atomic import write_text_atomic


def test_replaces_and_keeps_mode(tmp_path: Path) -> None:
    target = tmp_path / "build.sh"
    target.write_text("old")
    target.chmod(0o755)
    write_text_atomic(target, "new")
    assert target.read_text() == "new"
    assert target.stat().st_mode & 0o777 == 0o755
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build.sh"]


@pytest.fixture
def tiny_tmpfs(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A 64 KiB tmpfs (needs root, as in CI): the real disk-full case."""
    import shutil
    import subprocess

    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)], check=True)
    try:
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], check=True)


def test_disk_full_on_tmpfs_keeps_old_file(tiny_tmpfs: Path) -> None:
    target = tiny_tmpfs / "Dockerfile.squashed"
    target.write_text("old content\n")
    with pytest.raises(SquasherError, match=r"cannot write .*No space left"):
        write_text_atomic(target, "x" * 200_000)
    assert target.read_text() == "old content\n"
    assert sorted(p.name for p in tiny_tmpfs.iterdir()) == ["Dockerfile.squashed"]


def test_full_disk_leaves_old_file(tmp_path: Path) -> None:
    """/dev/full fails every write with ENOSPC: simulate by writing into a directory path that
    cannot hold a temp file (a file path used as directory)."""
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(SquasherError, match="cannot write"):
        write_text_atomic(blocker / "child", "data")
    assert blocker.read_text() == "x"
