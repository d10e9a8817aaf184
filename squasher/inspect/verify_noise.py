"""Build noise recognised from the bytes of the two images: byte code compiled again from the same
source (the ``.pyc`` header's source size and hash or time), files written from the build host
(their shape), fontconfig caches rebuilt over the same fonts (their magic), and shadow files that
differ only in the day of the last password change. Each reader returns path -> reason for the
changed files it proves to be noise; the files are read back with ``verify_readback``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from squasher.inspect.classify import (
    CHANGED,
    PYC_SAME_SOURCE,
    PYC_TIMESTAMP,
    Difference,
)
from squasher.inspect.layers import FinalFilesystem
from squasher.inspect.verify_readback import iter_files, read_files
from squasher.inspect.verify_rules import (
    FONT_CACHE_REASON,
    HOST_REASON,
    SHADOW_FILES,
    SHADOW_REASON,
    bytecode_source,
    host_file_shape,
    is_font_cache,
    is_font_path,
)

_PYC_MAX_SIZE = 64 << 20  # larger .pyc files are not read back (none is that large)


def _content_changes(
    diffs: Sequence[Difference], wanted: Callable[[str], bool], max_size: int
) -> list[str]:
    """The paths ``wanted`` of files that changed in content (and size) only, none over
    ``max_size`` on either side: the candidates to read back."""
    return sorted(
        d.path
        for d in diffs
        if d.change == CHANGED
        and wanted(d.path)
        and all(x == "content" or x.startswith("size ") for x in d.details)
        and max(d.original_size or 0, d.squashed_size or 0) <= max_size
    )


def _pyc_digests(client: Any, image: str, paths: Sequence[str]) -> dict[str, tuple[bytes, str]]:
    """Path -> (the header, a hash of the bytes without the source-mtime field), every file
    streamed one at a time; a file whose header is of no known layout is left out."""
    out: dict[str, tuple[bytes, str]] = {}
    for path, data in iter_files(client, image, paths):
        layout = _pyc_layout(data)
        if layout is not None:
            mtime = layout[0]
            rest = data[: mtime.start] + data[mtime.stop :]
            out[path] = (data[: layout[1].stop], hashlib.sha256(rest).hexdigest())
    return out


def pyc_noise(
    client: Any,
    original: str,
    squashed: str,
    diffs: Sequence[Difference],
    original_fs: FinalFilesystem,
    squashed_fs: FinalFilesystem,
) -> dict[str, str]:
    """Changed ``.pyc`` files that are build noise, with the reason: compiled again from a source
    file that is the same in both images (same magic and flags, and the source size the header
    records, or the source hash, matches that file), or differing only in the source mtime of
    the header. Every changed ``.pyc`` is read back, streamed, from both images."""
    candidates = _content_changes(diffs, lambda p: p.endswith(".pyc"), _PYC_MAX_SIZE)
    if not candidates:
        return {}
    before = _pyc_digests(client, original, candidates)
    after = _pyc_digests(client, squashed, candidates)
    out: dict[str, str] = {}
    for path in candidates:
        if path not in before or path not in after:
            continue
        (ha, da), (hb, db) = before[path], after[path]
        layout = _pyc_layout(ha)
        if layout is None or ha[: layout[0].start] != hb[: layout[0].start]:
            continue  # another interpreter, or other flags
        mtime, size = layout
        pep552 = mtime.start == 8  # magic and flags come first
        hash_based = pep552 and bool(int.from_bytes(ha[4:8], "little") & 1)
        if not hash_based and da == db:
            out[path] = PYC_TIMESTAMP
            continue
        source = _source_of(path, original_fs, squashed_fs)
        if source is None:
            continue
        if hash_based:  # the source hash is recorded where the mtime and size are
            same = ha[8:16] == hb[8:16]
        else:  # the source size is recorded (mod 2**32)
            recorded = (source & 0xFFFFFFFF).to_bytes(4, "little")
            same = ha[size] == hb[size] == recorded
        if same:
            out[path] = PYC_SAME_SOURCE
    return out


def _source_of(pyc: str, a: FinalFilesystem, b: FinalFilesystem) -> int | None:
    """The size of the ``.py`` a ``__pycache__`` file was compiled from, when that source is the
    same regular file in both filesystems; else None."""
    source = bytecode_source(pyc)
    if source is None:
        return None
    x, y = a.get(source), b.get(source)
    if x is None or y is None or x.kind != "file" or y.kind != "file" or x.sha256 != y.sha256:
        return None
    return x.size


#: the magic numbers of CPython 3.7 and later, whose 16-byte header (PEP 552) holds magic, flags,
#: source mtime and source size (or, with flag 1, the source hash), and of CPython 3.3 to 3.6,
#: whose 12-byte header holds magic, source mtime and source size
_PEP552_MAGIC = range(3390, 20000)
_SIZED_MAGIC = range(3230, 3390)


def _pyc_layout(data: bytes) -> tuple[slice, slice] | None:
    """Where a ``.pyc``'s header keeps the source mtime and the source size, or None: not a
    CPython 3.3+ header (Python 2's records no size)."""
    if data[2:4] != b"\r\n":
        return None
    magic = int.from_bytes(data[:2], "little")
    if magic in _PEP552_MAGIC and len(data) >= 16:
        return slice(8, 12), slice(12, 16)
    if magic in _SIZED_MAGIC and len(data) >= 12:
        return slice(4, 8), slice(8, 12)
    return None


# ---------------------------------------------------------------- files from the build host

_HOST_MAX_SIZE = 64 << 10
#: the host name a build container has: its id (12 digits, the classic builder, buildah) or
#: BuildKit's sandbox name, with a domain when ``hostname --fqdn`` found one; a name a user
#: wrote (``mail.example.com``) has neither shape and stays a real difference
_BUILD_HOSTNAME = re.compile(
    rb"^([0-9a-f]{12}|[0-9a-f]{64}|buildkitsandbox)(\.[A-Za-z0-9.-]+)?\n?$"
)
_HEX_ID = re.compile(rb"^[0-9a-f]{32}\n?$")


def _has_shape(shape: str, data: bytes, other: bytes) -> bool:
    if shape == "hostname":
        return bool(_BUILD_HOSTNAME.match(data))
    if shape == "hex-id":
        return bool(_HEX_ID.match(data))
    if shape == "seed":
        return len(data) == len(other) >= 16
    if shape == "private-key":
        return data.startswith(b"-----BEGIN ") and b"PRIVATE KEY-----" in data
    if shape == "public-key":
        return data.startswith((b"ssh-", b"ecdsa-")) and data.rstrip(b"\n").count(b"\n") == 0
    return False


def _read_both(
    client: Any, original: str, squashed: str, paths: Sequence[str]
) -> Iterator[tuple[str, bytes, bytes]]:
    """Each path with its bytes in both images (paths either image lacks are left out)."""
    if not paths:
        return
    before = read_files(client, original, paths)
    after = read_files(client, squashed, paths)
    for path in paths:
        a, b = before.get(path), after.get(path)
        if a is not None and b is not None:
            yield path, a, b


def host_noise(
    client: Any,
    original: str,
    squashed: str,
    diffs: Sequence[Difference],
    owned: Callable[[str], bool],
) -> dict[str, str]:
    """Changed files that an install script wrote from the build host or from randomness
    (``verify_rules.HOST_FILES``): no package of either image ships them, and the content read
    back from both images has the shape such a file has (a host name, a 32-digit id, a key)."""
    paths = _content_changes(
        diffs, lambda p: host_file_shape(p) is not None and not owned(p), _HOST_MAX_SIZE
    )
    out: dict[str, str] = {}
    for path, a, b in _read_both(client, original, squashed, paths):
        shape = host_file_shape(path) or ""
        if _has_shape(shape, a, b) and _has_shape(shape, b, a):
            out[path] = HOST_REASON
    return out


# a cache file's first word: 0xFC02FC04 (FC_CACHE_MAGIC_MMAP), little- or big-endian
_FONT_CACHE_MAGIC = (b"\x04\xfc\x02\xfc", b"\xfc\x02\xfc\x04")
_FONT_CACHE_MAX_SIZE = 64 << 20


def font_cache_noise(
    client: Any,
    original: str,
    squashed: str,
    diffs: Sequence[Difference],
    owned: Callable[[str], bool],
) -> dict[str, str]:
    """Changed fontconfig caches that are build noise: no font differs between the images, no
    package ships the cache, and both files read back are fontconfig caches (their magic)."""
    if any(is_font_path(d.path) for d in diffs):
        return {}  # the fonts changed: their cache may rightly differ, the fonts are the question
    paths = _content_changes(
        diffs, lambda p: is_font_cache(p) and not owned(p), _FONT_CACHE_MAX_SIZE
    )
    out: dict[str, str] = {}
    for path, a, b in _read_both(client, original, squashed, paths):
        if a[:4] in _FONT_CACHE_MAGIC and b[:4] == a[:4]:
            out[path] = FONT_CACHE_REASON
    return out


def _without_change_dates(data: bytes) -> list[list[bytes]] | None:
    """The shadow file's entries with the last-change day blanked (None: not a shadow file)."""
    entries = []
    for line in data.splitlines():
        fields = line.split(b":")
        if len(fields) != 9 or (fields[2] != b"" and not fields[2].isdigit()):
            return None
        entries.append([*fields[:2], b"", *fields[3:]])
    return entries


def shadow_noise(
    client: Any, original: str, squashed: str, diffs: Sequence[Difference]
) -> dict[str, str]:
    """Changed shadow files whose entries are the same but for the day of the last password
    change (field 3, written from the build host's clock): read back from both images."""
    paths = _content_changes(diffs, lambda p: p in SHADOW_FILES, _HOST_MAX_SIZE)
    out: dict[str, str] = {}
    for path, a, b in _read_both(client, original, squashed, paths):
        entries = _without_change_dates(a)
        if entries is not None and entries == _without_change_dates(b):
            out[path] = SHADOW_REASON
    return out
