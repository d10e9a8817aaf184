"""Reading files back out of an image, for the checks a hash cannot make (``verify_noise`` reads
the build noise with it): here, the shared libraries of purged packages that an ELF file the
build made still needs (its DT_NEEDED entries). Files are read through the archive endpoint of a created, never started,
container; a directory with many wanted files is read as one stream.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import posixpath
import re
from collections.abc import Iterator, Sequence
from typing import Any

from squasher.inspect.classify import (
    EXPECTED,
    REMOVED,
    UNEXPECTED,
    Classifier,
    Difference,
)
from squasher.inspect.layers import FinalFilesystem

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
