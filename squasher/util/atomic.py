"""Atomic file writes: a temporary file in the same directory, then rename over the target.

A reader sees the old file or the new one, never a half-written one; a failed write (disk full,
no permission) leaves the old file exactly as it was and no temporary file behind.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from squasher.errors import SquasherError


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes, mode: int | None = None) -> None:
    write_all_atomic([(Path(path), data, mode)])


def write_text_atomic(path: str | os.PathLike[str], text: str, mode: int | None = None) -> None:
    write_bytes_atomic(path, text.encode("utf-8"), mode)


def write_all_atomic(files: list[tuple[Path, bytes, int | None]]) -> None:
    """Write several files as one change: every temporary file is written and synced first, then
    all are renamed into place in the order given. A failure while writing (disk full, no
    permission) leaves every target exactly as it was and no temporary file behind."""
    staged: list[tuple[str, Path]] = []
    try:
        for target, data, mode in files:
            directory = target.parent if str(target.parent) else Path(".")
            try:
                fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
            except OSError as err:
                raise SquasherError(f"cannot write {target}: {err.strerror}") from None
            staged.append((tmp, target))
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                if mode is None and target.exists():
                    mode = target.stat().st_mode & 0o7777
                os.chmod(tmp, mode if mode is not None else 0o644)
            except OSError as err:
                raise SquasherError(f"cannot write {target}: {err.strerror}") from None
        while staged:
            tmp, target = staged[0]
            try:
                os.replace(tmp, target)
            except OSError as err:
                raise SquasherError(f"cannot write {target}: {err.strerror}") from None
            staged.pop(0)
    finally:
        for tmp, _target in staged:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
