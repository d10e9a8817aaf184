"""An image's layers and merged filesystem, read with bounded memory (``saved`` does the reading).

``docker save`` writes one tar holding every layer tar, the image config and ``manifest.json`` (which
comes last, so the layer order is known only at the end). The archive is read as a stream: each layer
tar is parsed while it passes by, its regular files are hashed (sha256) chunk by chunk and only the
metadata is kept, so a multi-GB image needs memory for its file list, never for its content. Callers
that need a few files' bytes (dpkg lists, the status database) ask for them with ``keep``.

Paths are absolute and normalised (``/usr/bin/env``; the root itself is never an entry).

Two views:

- per layer (``Image.layers``): the entries a layer adds or replaces, the paths it whites out
  (``.wh.NAME``) and the directories it makes opaque (``.wh..wh..opq``), with the history entry
  (instruction) that made it;
- merged (``final_filesystem``): what a container sees, after applying whiteouts, opaque
  directories and replacements in layer order, with hard-link groups.
"""

from __future__ import annotations

import gzip
import hashlib
import posixpath
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from squasher.errors import SquasherError
from squasher.inspect.tarstream import Readable, Source, TarFormatError, members

FileKind = Literal["file", "dir", "symlink", "hardlink", "char", "block", "fifo"]

WHITEOUT_PREFIX = ".wh."
OPAQUE_MARKER = ".wh..wh..opq"
_CHUNK = 1 << 20  # bytes read at a time from a member

# keep(path, size) -> True to hold that regular file's bytes in memory (FileEntry.content)
KeepContent = Callable[[str, int], bool]
# progress(bytes_read_so_far) while the archive streams
Progress = Callable[[int], None]


class ImageNotFound(SquasherError):
    """The engine has no image by that name."""


class ImageArchiveError(SquasherError):
    """The saved image archive is not what ``docker save`` writes."""


@dataclass(frozen=True, slots=True)
class FileEntry:
    """One filesystem entry of a layer tar (whiteout markers are not entries)."""

    path: str  # absolute, normalised: "/etc/passwd"
    kind: FileKind
    mode: int  # permission bits with setuid/setgid/sticky (0o7777)
    uid: int
    gid: int
    size: int  # content bytes of a file; for a hard link its target's size; 0 for the rest
    sha256: str | None  # hex digest of the content (files and hard links), else None
    linkname: str | None  # symlink target as written; hard-link target as an absolute path
    mtime: int = 0
    devmajor: int = 0
    devminor: int = 0
    xattrs: tuple[tuple[str, str], ...] = ()  # ("security.capability", value), sorted
    content: bytes | None = field(default=None, compare=False, repr=False)  # only when kept

    @property
    def tar_size(self) -> int:
        """The size the tar header states: the content size for files, 0 for everything else.

        This is what dive adds up (hard links and directories weigh nothing)."""
        return self.size if self.kind == "file" else 0


@dataclass(frozen=True)
class HistoryEntry:
    """One entry of the image config's history: the instruction and whether it made a layer."""

    created_by: str
    created: str = ""
    comment: str = ""
    empty_layer: bool = False
    layer_index: int | None = None  # index into Image.layers when this entry made a layer

    @property
    def instruction(self) -> str:
        """``created_by`` without the classic builder's ``/bin/sh -c `` and ``#(nop) `` noise."""
        text = self.created_by.strip()
        if text.startswith("/bin/sh -c "):
            text = text[len("/bin/sh -c ") :].lstrip()
        if text.startswith("#(nop)"):
            text = text[len("#(nop)") :].lstrip()
        if text.endswith("# buildkit"):
            text = text[: -len("# buildkit")].rstrip()
        return text


@dataclass
class Layer:
    """One layer tar of an image, in image order."""

    index: int
    tar_path: str  # member path inside the saved archive ("<id>/layer.tar", "blobs/sha256/..")
    diff_id: str  # "sha256:<hex>" of the uncompressed layer tar (rootfs.diff_ids), "" if unknown
    entries: list[FileEntry]  # in tar order
    whiteouts: list[str]  # paths this layer deletes from the layers below
    opaque_dirs: list[str]  # directories whose lower content this layer hides
    history: HistoryEntry | None = None

    @property
    def size(self) -> int:
        """Sum of the header sizes of the layer's entries (dive's and ``docker history``'s figure)."""
        return sum(e.tar_size for e in self.entries)

    @property
    def instruction(self) -> str:
        return self.history.instruction if self.history is not None else "(missing)"


@dataclass
class Image:
    """An image read from the engine or from a saved archive."""

    ref: str
    id: str  # "sha256:<config digest>" when known, else ""
    repo_tags: list[str]
    config: dict[str, Any]  # the image config JSON (config, rootfs, history, ...)
    layers: list[Layer]
    history: list[HistoryEntry]

    @property
    def size(self) -> int:
        return sum(layer.size for layer in self.layers)


@dataclass
class FinalFilesystem:
    """The merged view of an image's layers: what a container of the image sees.

    Hard links are normalised: every name of a hard-linked inode appears as kind ``file`` with the
    inode's size and hash (which name the tar called the link is an accident of tar order), and
    ``hardlink_groups`` lists the names that share an inode. ``layer_of`` says which layer last wrote
    each path.
    """

    entries: dict[str, FileEntry]
    layer_of: dict[str, int]
    hardlink_groups: list[tuple[str, ...]]  # each sorted, the list sorted; only groups of 2+

    def __iter__(self) -> Iterator[FileEntry]:
        for path in sorted(self.entries):
            yield self.entries[path]

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, path: object) -> bool:
        return path in self.entries

    def get(self, path: str) -> FileEntry | None:
        return self.entries.get(path)

    def group_of(self, path: str) -> tuple[str, ...] | None:
        """The hard-link group ``path`` belongs to, or None."""
        for group in self.hardlink_groups:
            if path in group:
                return group
        return None

    @property
    def size(self) -> int:
        """Bytes of regular-file content, each hard-linked inode counted once."""
        total = sum(e.size for e in self.entries.values() if e.kind == "file")
        for group in self.hardlink_groups:
            total -= self.entries[group[0]].size * (len(group) - 1)
        return total


# ---------------------------------------------------------------------------------------------
# reading one layer tar


def normalize_path(name: str) -> str:
    """A tar member name as an absolute, normalised path ("./usr/bin/" -> "/usr/bin")."""
    if "//" not in name and "/." not in name and not name.startswith("."):
        return "/" + name.strip("/")  # nothing for normpath to do but the slashes at the ends
    path = posixpath.normpath("/" + name.lstrip("/"))
    if path.startswith("//"):
        path = path[1:]
    return path


_KINDS: dict[bytes, FileKind] = {
    b"0": "file",
    b"\0": "file",
    b"7": "file",
    b"S": "file",
    b"5": "dir",
    b"2": "symlink",
    b"1": "hardlink",
    b"3": "char",
    b"4": "block",
    b"6": "fifo",
}


def _xattrs(pax: dict[str, str]) -> tuple[tuple[str, str], ...]:
    found = []
    for key, value in pax.items():
        if key.startswith("SCHILY.xattr."):
            found.append((key[len("SCHILY.xattr.") :], value))
    return tuple(sorted(found))


@dataclass
class _ParsedLayer:
    entries: list[FileEntry]
    whiteouts: list[str]
    opaque_dirs: list[str]


def read_layer_tar(fileobj: Readable, keep: KeepContent | None = None) -> _ParsedLayer:
    """Parse one (uncompressed or gzip) layer tar from a stream, hashing file contents.

    The stream is read to its end (the archive reader needs that), but the layer tar itself is not
    hashed: its diff_id comes from the image config (``rootfs.diff_ids``, in layer order). A
    ``Source`` given is read in place (bounded by its ``limit``): contents go to the hash as
    memoryviews of the chunks that brought them."""
    entries: list[FileEntry] = []
    whiteouts: list[str] = []
    opaque: list[str] = []
    by_path: dict[str, FileEntry] = {}
    source = fileobj if isinstance(fileobj, Source) else Source(fileobj)
    sha256 = hashlib.sha256
    kinds = _KINDS
    try:
        if source.peek(2) == b"\x1f\x8b":
            source = Source(gzip.GzipFile(fileobj=source, mode="rb"))  # type: ignore[call-overload]
        for member, body in members(source):
            path = normalize_path(member.name)
            if path == "/":
                continue
            parent, _, base = path.rpartition("/")
            if base.startswith(WHITEOUT_PREFIX):
                if base == OPAQUE_MARKER:
                    opaque.append(parent or "/")
                elif not base.startswith(WHITEOUT_PREFIX + WHITEOUT_PREFIX):
                    whiteouts.append(f"{parent}/{base[len(WHITEOUT_PREFIX) :]}")
                continue  # other .wh..wh.* names are the storage driver's bookkeeping
            kind = kinds.get(member.type)
            if kind is None:
                continue  # volume labels, multi-volume continuations and the like
            size = 0
            digest: str | None = None
            content: bytes | None = None
            linkname: str | None = None
            if kind == "file":
                size = member.size
                if keep is not None and keep(path, size):
                    content = body.read()
                    digest = sha256(content).hexdigest()
                else:
                    h = sha256()
                    for view in body.views():
                        h.update(view)
                    digest = h.hexdigest()
            elif kind == "symlink":
                linkname = member.linkname
            elif kind == "hardlink":
                linkname = normalize_path(member.linkname)
                target = by_path.get(linkname)
                while target is not None and target.kind == "hardlink":
                    nxt = by_path.get(target.linkname or "")
                    if nxt is None or nxt is target:
                        break
                    linkname, target = target.linkname, nxt
                if target is not None:
                    size, digest, content = target.size, target.sha256, target.content
            device = kind == "char" or kind == "block"
            entry = FileEntry(
                path,
                kind,
                member.mode & 0o7777,
                member.uid,
                member.gid,
                size,
                digest,
                linkname,
                member.mtime,
                member.devmajor if device else 0,
                member.devminor if device else 0,
                _xattrs(member.pax) if member.pax else (),
                content,
            )
            entries.append(entry)
            by_path[path] = entry
        source.drain()  # the end-of-archive padding
    except (TarFormatError, OSError, EOFError) as err:
        raise ImageArchiveError(f"cannot read layer tar: {err}") from err
    return _ParsedLayer(
        entries=entries,
        whiteouts=whiteouts,
        opaque_dirs=opaque,
    )


# ---------------------------------------------------------------------------------------------
# the merged view


class MergedTree:
    """The merged filesystem while layers are laid on it one by one.

    Keeps a child index, so removing a directory removes its subtree in O(subtree). Each method
    returns how many paths it took away, which is what ``analyze`` reports per layer.
    """

    def __init__(self) -> None:
        self.entries: dict[str, FileEntry] = {}
        self.layer_of: dict[str, int] = {}
        self.children: dict[str, set[str]] = {}

    def remove(self, path: str) -> int:
        """Remove ``path`` and everything below it; the number of entries removed."""
        removed = 0
        for child in list(self.children.pop(path, ())):
            removed += self.remove(child)
        if path in self.entries:
            del self.entries[path]
            del self.layer_of[path]
            removed += 1
        parent = posixpath.dirname(path)
        if parent in self.children:
            self.children[parent].discard(path)
        return removed

    def clear_below(self, path: str) -> int:
        """Empty directory ``path`` (an opaque directory); the number of entries removed."""
        return sum(self.remove(child) for child in list(self.children.get(path, ())))

    def put(self, entry: FileEntry, layer: int) -> int:
        """Lay ``entry`` on the tree; the number of entries it displaced below it (a non-directory
        replacing a directory takes the directory's subtree with it)."""
        removed = 0
        old = self.entries.get(entry.path)
        if old is not None and not (old.kind == "dir" and entry.kind == "dir"):
            removed = self.remove(entry.path) - 1  # the path itself is replaced, not removed
        self.entries[entry.path] = entry
        self.layer_of[entry.path] = layer
        path = entry.path
        while path != "/":
            parent = posixpath.dirname(path)
            kids = self.children.setdefault(parent, set())
            if path in kids:
                break
            kids.add(path)
            path = parent
        return removed


def final_filesystem(source: Image | Sequence[Layer]) -> FinalFilesystem:
    """Merge layers in order: whiteouts and opaque directories of a layer hide what lies below it,
    then its entries are laid on top (a non-directory replaces a directory with all it held)."""
    layers = source.layers if isinstance(source, Image) else list(source)
    tree = MergedTree()
    inode: dict[str, tuple[int, str]] = {}  # path -> (layer, first name) of its inode
    for position, layer in enumerate(layers):
        for directory in layer.opaque_dirs:
            tree.clear_below(directory)
        for path in layer.whiteouts:
            tree.remove(path)
        for entry in layer.entries:
            if entry.kind == "file":
                inode[entry.path] = (position, entry.path)
            elif entry.kind == "hardlink":
                target = entry.linkname or entry.path
                inode[entry.path] = (position, target)
                lower = tree.entries.get(target)
                if entry.sha256 is None and lower is not None and target in inode:
                    # a link to a name the layer itself does not hold (not what the engine writes,
                    # but other tools do): it joins the inode that name has below
                    inode[entry.path] = inode[target]
                    entry = replace(entry, size=lower.size, sha256=lower.sha256)
            tree.put(entry, position)
    entries: dict[str, FileEntry] = {}
    groups: dict[tuple[int, str], list[str]] = {}
    for path, entry in tree.entries.items():
        if entry.kind in ("file", "hardlink"):
            groups.setdefault(inode[path], []).append(path)
        if entry.kind == "hardlink":
            entry = replace(entry, kind="file", linkname=None)
        entries[path] = entry
    hardlink_groups = sorted(tuple(sorted(g)) for g in groups.values() if len(g) > 1)
    return FinalFilesystem(
        entries=dict(sorted(entries.items())),
        layer_of=dict(sorted(tree.layer_of.items())),
        hardlink_groups=hardlink_groups,
    )
