"""Bytes dive cannot see: files that sit in the final filesystem but serve no purpose at run time.

dive only charges bytes that a later layer overwrites or deletes. A squashed image (docker-squash,
``--squash``) has one layer and scores ~1.0, yet still carries the package lists, the package
caches, the pip/npm/yarn caches, leftovers in /tmp and the compilers that only the build needed.
This module measures those, per category, in the merged filesystem of an image:

- ``apt-lists`` ``/var/lib/apt/lists``; ``apt-cache`` ``/var/cache/apt`` (archives, pkgcache.bin);
- ``apk-cache`` ``/var/cache/apk``, ``/etc/apk/cache``; ``dnf-cache`` ``/var/cache/dnf``, ``yum``;
- ``pip-cache`` ``~/.cache/pip``; ``npm-cache`` ``~/.npm``; ``yarn-cache`` ``~/.cache/yarn`` and
  ``/usr/local/share/.cache/yarn``; ``go-cache`` ``~/.cache/go-build``, ``~/go/pkg/mod``,
  ``/go/pkg/mod``;
- ``tmp`` ``/tmp`` and ``/var/tmp``;
- ``build-packages``: files owned (dpkg/apk/rpm database in the image) by installed packages that
  only a build needs (compilers, ``-dev`` headers, make, ...: the list of ``squasher.pkg.build_tools``).

Only regular-file content counts (what ``find -type f`` sizes add up to), each hard-linked inode
once; a file counts in the first category that claims it, in the order above.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field

from squasher.inspect.layers import FinalFilesystem
from squasher.pkg import MANAGERS

# the home directories a "~/" cache path of a manager stands for
_HOME = r"(?:/root|/home/[^/]+|/usr/local/share|/var/lib/[^/]+)"


def _pattern(paths: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = [_HOME + re.escape(p[1:]) if p.startswith("~/") else re.escape(p) for p in paths]
    return re.compile(rf"^(?:{'|'.join(alternatives)})/")


# (category, description, pattern on an absolute path): what each manager declares
# (``squasher.pkg.MANAGERS``, in registry order), then the temporary directories
_RULES: list[tuple[str, str, re.Pattern[str]]] = [
    *(
        (r.category, r.description, _pattern(r.paths))
        for manager in MANAGERS.values()
        for r in manager.state.reclaimable
    ),
    ("tmp", "leftovers in /tmp and /var/tmp", _pattern(("/tmp", "/var/tmp"))),
]
BUILD_PACKAGES = "build-packages"
CATEGORIES: list[str] = [name for name, _, _ in _RULES] + [BUILD_PACKAGES]


@dataclass(frozen=True)
class ReclaimableCategory:
    """The reclaimable bytes of one category."""

    name: str  # "apt-lists"
    description: str
    bytes: int
    files: int
    largest: list[tuple[str, int]] = field(default_factory=list)  # (path, bytes), largest first
    packages: list[str] = field(default_factory=list)  # build-packages: the packages counted


@dataclass(frozen=True)
class Reclaimable:
    """Reclaimable bytes of an image by category (categories without bytes are left out)."""

    total: int
    categories: list[ReclaimableCategory]

    def bytes_of(self, name: str) -> int:
        for category in self.categories:
            if category.name == name:
                return category.bytes
        return 0


def category_of(path: str) -> str | None:
    """The cache/leftover category a path falls in, or None."""
    for name, _, pattern in _RULES:
        if pattern.match(path):
            return name
    return None


def default_is_build_package() -> Callable[[str], bool]:
    """The build-tool list of ``squasher.pkg.known_build_tools`` (the one the rewrite purges by)."""
    from squasher.pkg.known_build_tools import build_tool

    return lambda name: build_tool(name) is not None


def reclaimable(
    fs: FinalFilesystem,
    owners: dict[str, list[str]] | None = None,
    build_packages: Collection[str] | Callable[[str], bool] | None = None,
    top: int = 5,
) -> Reclaimable:
    """Measure reclaimable bytes in ``fs``.

    ``owners`` maps absolute paths to their owning packages (``pkgdb.PackageDB.owners``); without
    it the build-packages category is not measured. ``build_packages`` says which packages are
    build-only (names, or a predicate); by default ``default_is_build_package()``.
    """
    if build_packages is None:
        is_build = default_is_build_package()
    elif callable(build_packages):
        is_build = build_packages
    else:
        wanted = set(build_packages)

        def is_build(name: str) -> bool:
            return name in wanted

    seen_inodes: set[str] = set()
    group_head: dict[str, str] = {}
    for group in fs.hardlink_groups:
        for path in group:
            group_head[path] = group[0]

    found: dict[str, list[tuple[str, int]]] = {name: [] for name in CATEGORIES}
    packages_counted: set[str] = set()
    for path, entry in fs.entries.items():
        if entry.kind != "file":
            continue
        name = category_of(path)
        pkgs: list[str] = []
        if name is None and owners is not None:
            pkgs = [p for p in owners.get(path, ()) if is_build(p)]
            if pkgs and len(pkgs) == len(owners.get(path, ())):
                name = BUILD_PACKAGES
        if name is None:
            continue
        head = group_head.get(path, path)
        if head in seen_inodes:
            continue
        seen_inodes.add(head)
        found[name].append((path, entry.size))
        if name == BUILD_PACKAGES:
            packages_counted.update(pkgs)

    descriptions = {name: text for name, text, _ in _RULES}
    descriptions[BUILD_PACKAGES] = "files of build-only packages"
    categories: list[ReclaimableCategory] = []
    for name in CATEGORIES:
        files = found[name]
        if not sum(size for _, size in files):
            continue  # empty lock files and the like: nothing to reclaim
        largest = sorted(files, key=lambda item: (-item[1], item[0]))[:top]
        categories.append(
            ReclaimableCategory(
                name=name,
                description=descriptions[name],
                bytes=sum(size for _, size in files),
                files=len(files),
                largest=largest,
                packages=sorted(packages_counted) if name == BUILD_PACKAGES else [],
            )
        )
    return Reclaimable(total=sum(c.bytes for c in categories), categories=categories)


def owners_from(fs: FinalFilesystem) -> dict[str, list[str]] | None:
    """Path owners from the package databases held (with content) in ``fs``, or None."""
    from squasher.inspect import pkgdb

    members: Iterable[tuple[str, bytes]] = (
        (e.path, e.content) for e in fs if e.content is not None and pkgdb.is_database_file(e.path)
    )
    db = pkgdb.from_contents(members)
    if not db.managers:
        return None
    owners: dict[str, list[str]] = {}
    for path, names in db.owners.items():
        merged = owners.setdefault(canonical_path(fs, path), [])
        merged.extend(n for n in names if n not in merged)
    return owners


def canonical_path(fs: FinalFilesystem, path: str) -> str:
    """``path`` with symlinked top-level directories resolved (merged /usr: /bin -> usr/bin)."""
    top, sep, rest = path[1:].partition("/")
    entry = fs.get("/" + top)
    if sep and entry is not None and entry.kind == "symlink" and entry.linkname:
        target = posixpath.normpath(posixpath.join("/", entry.linkname))
        return posixpath.join(target, rest)
    return path
