"""Faults on the output side of ``squasher rewrite``: a read-only output directory or context, and a
full disk. Each ends in one clear line and exit 2, and leaves every file exactly as it was — no
half-written output, no temporary file, no new directory. Real file systems: small tmpfs mounts,
remounted read-only (as root, permissions alone would not stop a write)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("mount") is None, reason="mounting a tmpfs needs root"
)

Mount = Callable[[str], Path]


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Mount]:
    """``tmpfs("64k")`` -> a fresh tmpfs of that size, unmounted afterwards."""
    mounted: list[Path] = []

    def mount(size: str) -> Path:
        point = tmp_path / f"fs{len(mounted)}"
        point.mkdir()
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point)], check=True
        )
        mounted.append(point)
        return point

    yield mount
    for point in reversed(mounted):
        subprocess.run(["umount", "-l", str(point)], check=False)


def _read_only(point: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(point)], check=True)


def _squasher(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "squasher", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _tree(root: Path) -> dict[str, bytes | str]:
    out: dict[str, bytes | str] = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        out[rel] = "dir" if p.is_dir() else p.read_bytes()
    return out


V1 = "FROM busybox\nCOPY app.txt /app.txt\nRUN cat /app.txt > /copy\n"
# changes both the squashed Dockerfile (a CMD) and the script (another RUN)
V2 = V1 + 'RUN echo more >> /copy\nCMD ["sh"]\n'


def _project(root: Path, text: str = V1) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "Dockerfile").write_text(text)
    (root / "app.txt").write_text("app\n")
    return root


def _assert_one_line_exit_2(proc: subprocess.CompletedProcess[str], reason: str) -> None:
    assert proc.returncode == 2, proc.stderr
    err = proc.stderr.strip()
    assert len(err.splitlines()) == 1, err
    assert "Traceback" not in err and reason in err, err


def test_read_only_output_directory_writes_nothing(tmpfs: Mount, tmp_path: Path) -> None:
    proj = _project(tmp_path / "proj")
    out = tmpfs("1m")
    _read_only(out)
    before = _tree(proj)
    proc = _squasher("rewrite", "-o", str(out / "Dockerfile.squashed"), cwd=proj)
    _assert_one_line_exit_2(proc, "Read-only file system")
    # all or nothing: the scripts, which would go to the (writable) context, are not there either
    assert _tree(proj) == before
    assert not (proj / ".squasher").exists()
    assert list(out.iterdir()) == []


def test_read_only_context_writes_nothing(tmpfs: Mount) -> None:
    proj = _project(tmpfs("1m") / "proj")
    assert _squasher("rewrite", "-q", cwd=proj).returncode == 0
    (proj / "Dockerfile").write_text(V2)
    before = _tree(proj)
    _read_only(proj.parent)
    proc = _squasher("rewrite", cwd=proj)
    _assert_one_line_exit_2(proc, "Read-only file system")
    assert _tree(proj) == before
    # --check still works on a read-only tree: it only reads
    assert _squasher("rewrite", "--check", "-q", cwd=proj).returncode == 1


def test_disk_full_keeps_every_file_as_it_was(tmpfs: Mount) -> None:
    proj = _project(tmpfs("64k") / "proj")
    assert _squasher("rewrite", "-q", cwd=proj).returncode == 0
    (proj / "Dockerfile").write_text(V2)
    # fill the file system, leaving less room than the new script needs
    free = shutil.disk_usage(proj).free
    (proj / "filler").write_bytes(b"\0" * max(free - 2048, 0))
    before = _tree(proj)
    proc = _squasher("rewrite", cwd=proj)
    _assert_one_line_exit_2(proc, "No space left on device")
    after = _tree(proj)
    assert after == before, sorted(set(after) ^ set(before))  # no .tmp left, nothing replaced
    (proj / "filler").unlink()
    assert _squasher("rewrite", "-q", cwd=proj).returncode == 0
    assert _squasher("rewrite", "--check", "-q", cwd=proj).returncode == 0


def test_disk_full_before_the_first_rewrite_leaves_no_directory(tmpfs: Mount) -> None:
    proj = _project(tmpfs("32k") / "proj")
    free = shutil.disk_usage(proj).free
    (proj / "filler").write_bytes(b"\0" * max(free - 1024, 0))
    before = _tree(proj)
    proc = _squasher("rewrite", cwd=proj)
    _assert_one_line_exit_2(proc, "No space left on device")
    assert _tree(proj) == before
    assert not (proj / ".squasher").exists()
