"""The package database of an image: which packages are installed and which paths each one owns.

Read from the image's final filesystem (the files are kept while the image streams, see
``is_database_file``): dpkg (``/var/lib/dpkg/status``,
``/var/lib/dpkg/info/*.list``, ``/var/lib/dpkg/alternatives/*``), apk (``/lib/apk/db/installed``) and,
best effort, rpm (the sqlite database of recent Fedora, ``/var/lib/rpm/rpmdb.sqlite``).

The parsers take text or bytes and are pure, so they are unit-tested without an engine.
"""

from __future__ import annotations

import os
import sqlite3
import struct
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field

# dpkg "Status:" third words meaning the package's files are on disk
_DPKG_PRESENT = {
    "installed",
    "half-installed",
    "unpacked",
    "half-configured",
    "triggers-awaited",
    "triggers-pending",
}


@dataclass(frozen=True)
class Alternative:
    """One update-alternatives group: its name and every link path it manages."""

    name: str
    links: tuple[
        str, ...
    ]  # /usr/bin/cc, /etc/alternatives/cc, slave links and their /etc/alternatives/*
    choices: tuple[str, ...] = ()  # the registered targets of the master link: /usr/bin/gcc


@dataclass
class PackageDB:
    """Installed packages and path ownership of one image. Empty when the image has no known manager."""

    managers: list[str] = field(default_factory=list)  # "dpkg", "apk", "rpm" — those found
    installed: dict[str, str] = field(default_factory=dict)  # package name -> version
    # removed but not purged (dpkg "config-files"): only conffiles left -> version
    config_files: dict[str, str] = field(default_factory=dict)
    owners: dict[str, list[str]] = field(default_factory=dict)  # absolute path -> owning packages
    alternatives: dict[str, Alternative] = field(default_factory=dict)  # name -> group
    purge_scripts: dict[str, str] = field(default_factory=dict)  # package -> its dpkg postrm text
    homes: dict[str, str] = field(default_factory=dict)  # home directory -> user (/etc/passwd)

    def add_owner(self, path: str, package: str) -> None:
        path = normalize(path)
        if not path:
            return
        names = self.owners.setdefault(path, [])
        if package not in names:
            names.append(package)


def normalize(path: str) -> str:
    """``./usr//bin/x/`` -> ``/usr/bin/x``; the root itself -> ``""`` (never reported)."""
    parts = [p for p in path.split("/") if p not in ("", ".")]
    return "/" + "/".join(parts) if parts else ""


def base_name(package: str) -> str:
    """``libc6:amd64`` -> ``libc6`` (multi-arch qualifier dropped)."""
    return package.split(":", 1)[0]


# ---------------------------------------------------------------- dpkg


def parse_dpkg_status(
    text: str, conffiles: dict[str, list[str]] | None = None
) -> tuple[dict[str, str], dict[str, str]]:
    """From ``/var/lib/dpkg/status``: packages whose files are on disk, and packages removed but not
    purged (only their conffiles are left); each name -> version. ``conffiles`` (when given) gets
    each package's conffile paths (the ``Conffiles:`` field, which outlives a removal)."""
    installed: dict[str, str] = {}
    config_files: dict[str, str] = {}
    for block in text.split("\n\n"):
        name = version = status = ""
        in_conffiles = False
        for line in block.splitlines():
            if in_conffiles and line.startswith(" "):
                path = line.split()[0] if line.split() else ""
                if conffiles is not None and name and path.startswith("/"):
                    conffiles.setdefault(name, []).append(path)
                continue
            in_conffiles = line.startswith("Conffiles:")
            if line.startswith("Package:"):
                name = line.split(":", 1)[1].strip()
            elif line.startswith("Version:"):
                version = line.split(":", 1)[1].strip()
            elif line.startswith("Status:"):
                status = line.split(":", 1)[1].strip()
        words = status.split()
        if name and len(words) == 3 and words[2] in _DPKG_PRESENT:
            installed[name] = version
        elif name and len(words) == 3 and words[2] == "config-files":
            config_files[name] = version
    return installed, config_files


def parse_dpkg_list(text: str) -> list[str]:
    """The paths of one ``/var/lib/dpkg/info/PKG.list`` (``/.`` dropped)."""
    return [p for p in (normalize(line) for line in text.splitlines()) if p]


def parse_dpkg_alternative(name: str, text: str) -> Alternative | None:
    """One ``/var/lib/dpkg/alternatives/NAME`` file: mode, master link, then (slave name, link) pairs."""
    lines = text.splitlines()
    if len(lines) < 2:
        return None
    links = [normalize(lines[1]), f"/etc/alternatives/{name}"]
    i = 2
    while i + 1 < len(lines) and lines[i] != "":
        links.append(normalize(lines[i + 1]))
        links.append(f"/etc/alternatives/{lines[i]}")
        i += 2
    slaves = (i - 2) // 2
    # then one block per choice: its path, its priority, one line per slave (empty: none)
    choices: list[str] = []
    i += 1
    while i < len(lines) and lines[i] != "":
        choices.append(normalize(lines[i]))
        i += 2 + slaves
    return Alternative(
        name=name,
        links=tuple(sorted(set(filter(None, links)))),
        choices=tuple(sorted(set(filter(None, choices)))),
    )


def parse_passwd_homes(text: str) -> dict[str, str]:
    """``/etc/passwd``: home directory -> the first user with that home (``/`` and
    ``/nonexistent`` left out: no cache lives there)."""
    homes: dict[str, str] = {}
    for line in text.splitlines():
        fields = line.split(":")
        if len(fields) >= 7 and fields[5].startswith("/"):
            home = normalize(fields[5])
            if home and home != "/nonexistent":
                homes.setdefault(home, fields[0])
    return homes


# ---------------------------------------------------------------- apk


def parse_apk_installed(text: str, db: PackageDB) -> None:
    """``/lib/apk/db/installed``: blocks of ``P:`` name, ``V:`` version, ``F:`` dir, ``R:`` file."""
    for block in text.split("\n\n"):
        name = version = ""
        directory = ""
        paths: list[str] = []
        for line in block.splitlines():
            key, _, value = line.partition(":")
            if key == "P":
                name = value
            elif key == "V":
                version = value
            elif key == "F":
                directory = value
                paths.append(value)
            elif key == "R":
                paths.append(f"{directory}/{value}" if directory else value)
        if name:
            db.installed[name] = version
            for p in paths:
                db.add_owner(p, name)


# ---------------------------------------------------------------- rpm (best effort)

_RPMTAG_NAME = 1000
_RPMTAG_VERSION = 1001
_RPMTAG_RELEASE = 1002
_RPMTAG_BASENAMES = 1117
_RPMTAG_DIRNAMES = 1118
_RPMTAG_DIRINDEXES = 1116


def parse_rpm_header(blob: bytes) -> tuple[str, str, list[str]] | None:
    """Name, version-release and file paths from one rpm header blob (as stored in rpmdb.sqlite)."""
    try:
        count, data_len = struct.unpack(">II", blob[:8])
        index_end = 8 + 16 * count
        data = blob[index_end : index_end + data_len]
        tags: dict[int, tuple[int, int, int]] = {}
        for i in range(count):
            tag, typ, off, cnt = struct.unpack(">IIiI", blob[8 + 16 * i : 24 + 16 * i])
            tags[tag] = (typ, off, cnt)

        def strings(tag: int) -> list[str]:
            if tag not in tags:
                return []
            _typ, off, cnt = tags[tag]
            out: list[str] = []
            pos = off
            for _ in range(cnt):
                end = data.index(b"\0", pos)
                out.append(data[pos:end].decode("utf-8", "replace"))
                pos = end + 1
            return out

        def int32s(tag: int) -> list[int]:
            if tag not in tags:
                return []
            _typ, off, cnt = tags[tag]
            return list(struct.unpack(f">{cnt}I", data[off : off + 4 * cnt]))

        names = strings(_RPMTAG_NAME)
        if not names:
            return None
        version = "-".join(strings(_RPMTAG_VERSION) + strings(_RPMTAG_RELEASE))
        dirs = strings(_RPMTAG_DIRNAMES)
        paths = [
            dirs[d] + b
            for b, d in zip(strings(_RPMTAG_BASENAMES), int32s(_RPMTAG_DIRINDEXES), strict=False)
            if d < len(dirs)
        ]
        return names[0], version, paths
    except (struct.error, ValueError, IndexError):
        return None


def parse_rpm_sqlite(path: str, db: PackageDB) -> None:
    """Every package of an rpm sqlite database file; unreadable databases are skipped silently."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return
    try:
        for (blob,) in conn.execute("SELECT blob FROM Packages"):
            parsed = parse_rpm_header(bytes(blob))
            if parsed is None:
                continue
            name, version, paths = parsed
            db.installed[name] = version
            for p in paths:
                db.add_owner(p, name)
    except sqlite3.Error:
        return
    finally:
        conn.close()


# ---------------------------------------------------------------- reading an image


def read_members(members: Iterable[tuple[str, bytes]], db: PackageDB | None = None) -> PackageDB:
    """Fill a PackageDB from (absolute path, content) pairs of the package-database files."""
    db = db if db is not None else PackageDB()
    lists: list[tuple[str, bytes]] = []
    for path, content in members:
        if path == "/var/lib/dpkg/status":
            if "dpkg" not in db.managers:
                db.managers.append("dpkg")
            conffiles: dict[str, list[str]] = {}
            installed, config_files = parse_dpkg_status(
                content.decode("utf-8", "replace"), conffiles
            )
            db.installed.update(installed)
            db.config_files.update(config_files)
            for package, paths in conffiles.items():
                for p in paths:
                    db.add_owner(p, package)
        elif path.startswith("/var/lib/dpkg/info/") and path.endswith(".list"):
            lists.append((path, content))
        elif path.startswith("/var/lib/dpkg/info/") and path.endswith(".postrm"):
            package = base_name(path.rsplit("/", 1)[1][: -len(".postrm")])
            db.purge_scripts[package] = content.decode("utf-8", "replace")
        elif path.startswith("/var/lib/dpkg/alternatives/"):
            name = path.rsplit("/", 1)[1]
            alt = parse_dpkg_alternative(name, content.decode("utf-8", "replace"))
            if alt is not None:
                db.alternatives[name] = alt
        elif path == PASSWD:
            db.homes.update(parse_passwd_homes(content.decode("utf-8", "replace")))
        elif path == "/lib/apk/db/installed":
            if "apk" not in db.managers:
                db.managers.append("apk")
            parse_apk_installed(content.decode("utf-8", "replace"), db)
    for path, content in lists:
        package = base_name(path.rsplit("/", 1)[1][: -len(".list")])
        for p in parse_dpkg_list(content.decode("utf-8", "replace")):
            db.add_owner(p, package)
    return db


_RPM_DBS = ("/var/lib/rpm/rpmdb.sqlite", "/usr/lib/sysimage/rpm/rpmdb.sqlite")
PASSWD = "/etc/passwd"  # read too: whose home a cache is in


def is_database_file(path: str, size: int = 0) -> bool:
    """Whether ``path`` is one of the package-database files this module reads.

    Has the signature of ``layers.KeepContent``: pass it as ``keep`` when streaming an image.
    """
    return (
        path == "/var/lib/dpkg/status"
        or (path.startswith("/var/lib/dpkg/info/") and path.endswith((".list", ".postrm")))
        or path.startswith("/var/lib/dpkg/alternatives/")
        or path == "/lib/apk/db/installed"
        or path in _RPM_DBS
    )


def is_database_or_passwd(path: str, size: int = 0) -> bool:
    """``is_database_file``, and ``/etc/passwd`` (verify: whose home a cache is in)."""
    return path == PASSWD or is_database_file(path, size)


def from_contents(contents: Iterable[tuple[str, bytes]]) -> PackageDB:
    """A PackageDB from (path, content) pairs of an image's final filesystem (rpm included)."""
    members = list(contents)
    db = read_members((p, c) for p, c in members if p not in _RPM_DBS)
    for path, content in members:
        if path in _RPM_DBS:
            with tempfile.TemporaryDirectory(prefix="squasher-rpmdb-") as tmp:
                target = os.path.join(tmp, "rpmdb.sqlite")
                with open(target, "wb") as out:
                    out.write(content)
                if "rpm" not in db.managers:
                    db.managers.append("rpm")
                parse_rpm_sqlite(target, db)
    return db
