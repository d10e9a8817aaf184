"""Reading files back out of an image, for the checks a hash cannot make: ``.pyc`` headers (compiled
from the same source), files written from the build host (their shape), fontconfig caches (their
magic), and shared libraries of purged packages that an ELF file the build made still needs (its
DT_NEEDED entries). Files are read through the archive endpoint of a created, never started,
container; a directory with many wanted files is read as one stream.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import posixpath
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from squasher.inspect.classify import (
    CHANGED,
    EXPECTED,
    PYC_SAME_SOURCE,
    PYC_TIMESTAMP,
    REMOVED,
    UNEXPECTED,
    Classifier,
    Difference,
)
from squasher.inspect.layers import FinalFilesystem
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

# ---------------------------------------------------------------- purged libraries still needed

ELF_READ_LIMIT = 3000  # unowned ELF candidates read back from the squashed image, at most
_ELF_MAX_SIZE = 256 << 20
_SONAME = re.compile(r"^lib[^/]*\.so(\.\d+)*$")


def elf_needed(data: bytes) -> list[str]:
    """The DT_NEEDED entries of a little-endian ELF64 or ELF32 file ([] when it is not ELF)."""
    if len(data) < 64 or data[:4] != b"\x7fELF" or data[5] != 1:
        return []
    is64 = data[4] == 2
    try:
        if is64:
            phoff, phentsize, phnum = (
                int.from_bytes(data[32:40], "little"),
                int.from_bytes(data[54:56], "little"),
                int.from_bytes(data[56:58], "little"),
            )
        else:
            phoff, phentsize, phnum = (
                int.from_bytes(data[28:32], "little"),
                int.from_bytes(data[42:44], "little"),
                int.from_bytes(data[44:46], "little"),
            )
        loads: list[tuple[int, int, int]] = []  # (vaddr, offset, filesz)
        dynamic: tuple[int, int] | None = None  # (offset, size)
        for i in range(phnum):
            h = data[phoff + i * phentsize : phoff + (i + 1) * phentsize]
            ptype = int.from_bytes(h[0:4], "little")
            if is64:
                off, vaddr, filesz = (
                    int.from_bytes(h[8:16], "little"),
                    int.from_bytes(h[16:24], "little"),
                    int.from_bytes(h[32:40], "little"),
                )
            else:
                off, vaddr, filesz = (
                    int.from_bytes(h[4:8], "little"),
                    int.from_bytes(h[8:12], "little"),
                    int.from_bytes(h[16:20], "little"),
                )
            if ptype == 1:
                loads.append((vaddr, off, filesz))
            elif ptype == 2:
                dynamic = (off, filesz)
        if dynamic is None:
            return []
        size = 16 if is64 else 8
        half = size // 2
        needed: list[int] = []
        strtab = None
        for pos in range(dynamic[0], dynamic[0] + dynamic[1], size):
            tag = int.from_bytes(data[pos : pos + half], "little")
            val = int.from_bytes(data[pos + half : pos + size], "little")
            if tag == 0:
                break
            if tag == 1:
                needed.append(val)
            elif tag == 5:
                strtab = val
        if strtab is None:
            return []
        base = next((off + strtab - va for va, off, sz in loads if va <= strtab < va + sz), None)
        if base is None:
            return []
        out = []
        for n in needed:
            end = data.index(b"\0", base + n)
            out.append(data[base + n : end].decode("utf-8", "replace"))
        return out
    except (ValueError, IndexError):
        return []


def purged_but_needed(
    client: Any,
    squashed: str,
    sq_fs: FinalFilesystem,
    classifier: Classifier,
    diffs: list[Difference],
) -> list[Difference]:
    """Turn the removal of a purged package's shared library into an unexpected difference when an
    ELF file the build made (owned by no package) in the squashed image still needs it."""
    gone: dict[str, Difference] = {}
    for d in diffs:
        name = d.path.rsplit("/", 1)[-1]
        if d.category == EXPECTED and d.change == REMOVED and d.package and _SONAME.match(name):
            gone.setdefault(name, d)
    if not gone:
        return diffs
    for path in sq_fs.entries:  # a library of that name elsewhere still serves
        gone.pop(path.rsplit("/", 1)[-1], None)
    if not gone:
        return diffs
    candidates = [
        e.path
        for e in sq_fs.entries.values()
        if e.kind == "file"
        and 64 <= e.size <= _ELF_MAX_SIZE
        and (e.mode & 0o111 or ".so" in e.path.rsplit("/", 1)[-1])
        and not classifier.owned_in_squashed(e.path)
    ][:ELF_READ_LIMIT]
    needers: dict[str, list[str]] = {}
    for path, data in iter_files(client, squashed, candidates):
        for lib in elf_needed(data):
            if lib in gone:
                needers.setdefault(lib, []).append(path)
    if not needers:
        return diffs
    out = []
    for d in diffs:
        lib = d.path.rsplit("/", 1)[-1]
        if lib in needers and gone.get(lib) is d:
            users = needers[lib]
            more = f" and {len(users) - 1} more" if len(users) > 1 else ""
            d = dataclasses.replace(
                d,
                category=UNEXPECTED,
                reason=f"{d.reason}, but {users[0]}{more} still needs it",
            )
        out.append(d)
    return out


_PYC_MAX_SIZE = 64 << 20  # larger .pyc files are not read back (none is that large)


def _pyc_candidates(diffs: Sequence[Difference]) -> list[str]:
    return [
        d.path
        for d in diffs
        if d.change == CHANGED
        and d.path.endswith(".pyc")
        and all(x == "content" or x.startswith("size ") for x in d.details)
        and max(d.original_size or 0, d.squashed_size or 0) <= _PYC_MAX_SIZE
    ]


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
    candidates = _pyc_candidates(diffs)
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
    shapes = {
        d.path: shape
        for d in diffs
        if d.change == CHANGED
        and (shape := host_file_shape(d.path)) is not None
        and all(x == "content" or x.startswith("size ") for x in d.details)
        and max(d.original_size or 0, d.squashed_size or 0) <= _HOST_MAX_SIZE
        and not owned(d.path)
    }
    if not shapes:
        return {}
    before = read_files(client, original, sorted(shapes))
    after = read_files(client, squashed, sorted(shapes))
    out: dict[str, str] = {}
    for path, shape in shapes.items():
        a, b = before.get(path), after.get(path)
        if a is not None and b is not None and _has_shape(shape, a, b) and _has_shape(shape, b, a):
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
    paths = sorted(
        d.path
        for d in diffs
        if d.change == CHANGED
        and is_font_cache(d.path)
        and all(x == "content" or x.startswith("size ") for x in d.details)
        and max(d.original_size or 0, d.squashed_size or 0) <= _FONT_CACHE_MAX_SIZE
        and not owned(d.path)
    )
    if not paths:
        return {}
    before = read_files(client, original, paths)
    after = read_files(client, squashed, paths)
    out: dict[str, str] = {}
    for path in paths:
        a, b = before.get(path), after.get(path)
        if a is not None and b is not None and a[:4] in _FONT_CACHE_MAGIC and b[:4] == a[:4]:
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
    paths = sorted(
        d.path
        for d in diffs
        if d.change == CHANGED
        and d.path in SHADOW_FILES
        and all(x == "content" or x.startswith("size ") for x in d.details)
        and max(d.original_size or 0, d.squashed_size or 0) <= _HOST_MAX_SIZE
    )
    if not paths:
        return {}
    before = read_files(client, original, paths)
    after = read_files(client, squashed, paths)
    out: dict[str, str] = {}
    for path in paths:
        a, b = before.get(path), after.get(path)
        if a is None or b is None:
            continue
        entries = _without_change_dates(a)
        if entries is not None and entries == _without_change_dates(b):
            out[path] = SHADOW_REASON
    return out


_GROUP_DEPTH = 5  # "/usr/local/lib/python3.11" -> 5 components counting the leading ""
_BULK_FROM = 16  # files under one such directory read as one archive


class _Chunks(io.RawIOBase):
    """A readable stream over an iterator of byte chunks (the archive endpoint's answer)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buf = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._buf:
            try:
                self._buf = next(self._chunks)
            except StopIteration:
                return 0
        n = min(len(buffer), len(self._buf))
        buffer[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n


def read_files(client: Any, image: str, paths: Sequence[str]) -> dict[str, bytes]:
    """Regular files of ``image`` by path (all held in memory: for a few small files)."""
    return dict(iter_files(client, image, paths))


def iter_files(client: Any, image: str, paths: Sequence[str]) -> Iterator[tuple[str, bytes]]:
    """Regular files of ``image``, one at a time, through the archive endpoint of a container that
    is never started (and always removed)."""
    import tarfile

    import docker.errors

    if not paths:
        return
    from squasher.inspect.saved import is_archive_path, read_archive_files

    if is_archive_path(image):  # an image archive: read from the file, not from a container
        yield from sorted(read_archive_files(image, paths).items())
        return
    # many files under one directory: one streamed archive of it instead of a request per file
    groups: dict[str, list[str]] = {}
    for path in paths:
        groups.setdefault("/".join(path.split("/")[:_GROUP_DEPTH]), []).append(path)
    cid = client.api.create_container(image, command=["/squasher-verify-never-runs"])["Id"]
    try:
        for root, members in sorted(groups.items()):
            if len(members) >= _BULK_FROM and root.count("/") == _GROUP_DEPTH - 1:
                wanted = set(members)
                try:
                    chunks, _stat = client.api.get_archive(cid, root)
                except docker.errors.APIError:
                    continue
                parent = posixpath.dirname(root)
                stream = io.BufferedReader(_Chunks(iter(chunks)), 1 << 20)
                with tarfile.open(fileobj=stream, mode="r|") as tar:
                    for member in tar:
                        path = posixpath.normpath(posixpath.join(parent, member.name))
                        if member.isfile() and path in wanted:
                            f = tar.extractfile(member)
                            if f is not None:
                                yield path, f.read()
                continue
            for path in members:
                try:
                    chunks, _stat = client.api.get_archive(cid, path)
                except docker.errors.APIError:
                    continue
                data = b"".join(chunks)
                with tarfile.open(fileobj=io.BytesIO(data)) as tar:
                    first = tar.next()
                    f = tar.extractfile(first) if first is not None else None
                    if f is not None:
                        yield path, f.read()
    finally:
        with contextlib.suppress(docker.errors.APIError):
            client.api.remove_container(cid, force=True)
