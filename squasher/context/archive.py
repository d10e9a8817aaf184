"""Which local files ADD unpacks: Docker's archive detection, by content, never by name.

The builders open the source, detect the compression from its first bytes (gzip, bzip2, xz; a
newer engine also zstd), decompress, and ask Go's ``archive/tar`` for the first header. Only when
that succeeds is the file unpacked; anything else (a ``.tar.gz`` that is really text, a
gzip-compressed non-tar file) is copied as-is. This module reproduces that decision at rewrite
time so the generated script knows exactly what to do.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import tarfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from squasher.context.dockerignore import go_clean

BLOCK = 512

# magic bytes -> compression name (pkg/archive DetectCompression)
_MAGIC: list[tuple[bytes, str]] = [
    (b"\x42\x5a\x68", "bzip2"),
    (b"\x1f\x8b\x08", "gzip"),
    (b"\xfd\x37\x7a\x58\x5a\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
]


@dataclass(frozen=True)
class ArchiveInfo:
    """What ADD does with one local file."""

    is_archive: bool
    compression: str  # "" (plain tar or not an archive), "gzip", "bzip2", "xz", "zstd"


def detect_compression(head: bytes) -> str:
    """The compression the builder detects from the file's first bytes ("" = none)."""
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    return ""


def _decompress_head(path: Path, compression: str, want: int) -> bytes:
    """Up to ``want`` decompressed bytes from the start of ``path`` (raises on bad data)."""
    if compression == "":
        with path.open("rb") as fh:
            return fh.read(want)
    if compression == "gzip":
        with gzip.open(path, "rb") as gz:
            return gz.read(want)
    if compression == "bzip2":
        with bz2.open(path, "rb") as bz:
            return bz.read(want)
    if compression == "xz":
        with lzma.open(path, "rb") as xz:
            return xz.read(want)
    raise ValueError(compression)


def _parse_octal(field: bytes) -> int | None:
    text = field.replace(b"\x00", b" ").strip()
    if not text:
        return 0
    try:
        return int(text, 8)
    except ValueError:
        return None


def is_tar_header(block: bytes) -> bool:
    """Go's ``tar.Reader.Next`` accepting the first header block (checksum and format)."""
    if len(block) < BLOCK:
        return False
    block = block[:BLOCK]
    stored = _parse_octal(block[148:156])
    if stored is None:
        return False
    unsigned = sum(block[:148]) + 8 * 0x20 + sum(block[156:])
    signed = sum(b - 256 if b > 127 else b for b in block[:148]) + 8 * 0x20
    signed += sum(b - 256 if b > 127 else b for b in block[156:])
    return stored in (unsigned, signed)


def inspect_archive(path: Path) -> ArchiveInfo:
    """Would ``ADD path`` unpack this file? (detected by content, as the builder does)."""
    with path.open("rb") as fh:
        head = fh.read(8)
    compression = detect_compression(head)
    if compression == "zstd":
        # the 20.10 engine does not know zstd: such a file is copied as-is there; newer
        # engines unpack it. We copy it as a file and let the caller note it.
        return ArchiveInfo(False, "zstd")
    try:
        data = _decompress_head(path, compression, 2 * BLOCK)
    except (OSError, EOFError, lzma.LZMAError, zlib.error, ValueError):
        return ArchiveInfo(False, compression)
    if len(data) < BLOCK:
        return ArchiveInfo(False, compression)
    first = data[:BLOCK]
    if first == bytes(BLOCK):
        # a zero block: EOF when the next one is zero too, a header error otherwise
        return ArchiveInfo(False, compression)
    return ArchiveInfo(is_tar_header(first), compression)


def symlink_times(path: Path, compression: str) -> list[tuple[str, int]]:
    """(member path, mtime) of every symlink in the archive, in archive order.

    Some tar implementations (busybox) do not set a symlink's own mtime; the script sets it after
    unpacking, as Docker's untar does. Member paths are cleaned and relative; ones that would
    escape the destination are left out (Docker refuses those archives anyway).
    """
    mode = {"": "r:", "gzip": "r:gz", "bzip2": "r:bz2", "xz": "r:xz"}.get(compression)
    if mode is None:
        return []
    out: list[tuple[str, int]] = []
    try:
        with tarfile.open(path, mode) as tar:  # type: ignore[call-overload]
            for member in tar:
                if not member.issym():
                    continue
                name = go_clean("/" + member.name).lstrip("/")
                if name and name != ".":
                    out.append((name, int(member.mtime)))
    except (tarfile.TarError, OSError, EOFError, lzma.LZMAError, zlib.error):
        return out
    return out
