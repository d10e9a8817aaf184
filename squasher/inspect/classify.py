"""Differences between two images and the rules that sort them into expected, protected, unexpected.

expected — what the rewrite was meant to remove or regenerate: files of packages it purged (owned by
  a package installed in the original and no longer in the squashed image, per the ORIGINAL's package
  database), package databases, caches and lists, package-manager logs, the staging files
  (``/.squasher``), temporary files, what the original's own cleanup names.
protected — present only in the squashed image because the rewrite kept a runtime package that the
  original's own purge removed; named with that package and the original line (from the rewrite
  report).
unexpected — everything else, path by path with what changed.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import posixpath
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from squasher.inspect.pkgdb import PackageDB, base_name

EXPECTED = "expected"
PROTECTED = "protected"
UNEXPECTED = "unexpected"
CATEGORIES = (EXPECTED, PROTECTED, UNEXPECTED)

REMOVED = "removed"  # only in the original
ADDED = "added"  # only in the squashed image
CHANGED = "changed"  # in both, differing (details say how)
CONFIG = "config"  # an image-config key
SMOKE = "smoke"  # a --smoke command behaved differently

STAGING_DIR = "/.squasher"


@dataclass(frozen=True)
class Difference:
    """One difference between the original and the squashed image, with its class and why."""

    path: str  # filesystem path, or "Env.FOO", "Cmd", ... for config, or the command for smoke
    change: str  # REMOVED | ADDED | CHANGED | CONFIG | SMOKE
    details: tuple[str, ...] = ()  # what changed: "mode 0644 -> 0755", "content", "Env FOO added"
    original_size: int | None = None  # bytes of the regular file in the original (None: absent)
    squashed_size: int | None = None
    category: str = UNEXPECTED
    reason: str = ""  # why it has its category: "purged package curl", "package caches and lists"
    package: str | None = None  # the package that explains it (purged or protected)
    line: int | None = None  # for protected: the original Dockerfile line whose purge it survived

    @property
    def size(self) -> int:
        """Bytes involved: the larger of the two sides' sizes (0 for config and smoke)."""
        return max(self.original_size or 0, self.squashed_size or 0)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "path": self.path,
            "change": self.change,
            "category": self.category,
            "details": list(self.details),
            "size": self.size,
        }
        if self.reason:
            out["reason"] = self.reason
        if self.package is not None:
            out["package"] = self.package
        if self.line is not None:
            out["line"] = self.line
        return out


@dataclass(frozen=True)
class ProtectedPackage:
    """A runtime package the rewrite kept although the original removed it at ``line``."""

    package: str
    line: int | None = None


@dataclass(frozen=True)
class PathRule:
    prefix: str
    reason: str
    changes: frozenset[str]  # which kinds of change the rule explains
    children_only: bool = False  # the prefix itself is not covered (/tmp: its contents are)
    exact: bool = False  # only the prefix itself is covered (/proc: not what lies below)

    def matches(self, path: str, change: str) -> bool:
        if change not in self.changes:
            return False
        if "*" in self.prefix:  # a glob: the path or one of its directories matches it
            probe = path
            while probe not in ("/", ""):
                if fnmatch.fnmatchcase(probe, self.prefix):
                    return probe != path or not self.children_only
                probe = posixpath.dirname(probe)
            return False
        if path == self.prefix:
            return not self.children_only
        if self.exact:
            return False
        return path.startswith(self.prefix.rstrip("/") + "/")


_ANY = frozenset({REMOVED, ADDED, CHANGED})
_GONE = frozenset({REMOVED})

PATH_RULES: tuple[PathRule, ...] = (
    PathRule(STAGING_DIR, "staging files", _ANY),
    *(
        PathRule(p, "package database", _ANY)
        for p in (
            "/var/lib/dpkg",
            "/var/lib/apt",
            "/var/lib/aptitude",
            "/lib/apk/db",
            "/etc/apk/world",
            "/var/lib/rpm",
            "/usr/lib/sysimage/rpm",
            "/var/lib/dnf",
            "/var/lib/yum",
        )
    ),
    *(
        PathRule(p, "package caches and lists", _ANY)
        for p in (
            "/var/cache/apt",
            "/var/cache/debconf",
            "/var/cache/apk",
            "/etc/apk/cache",
            "/var/cache/dnf",
            "/var/cache/yum",
            "/var/cache/man",
            "/root/.cache",
            "/root/.npm",
            "/usr/local/share/.cache",
            "/root/go/pkg/mod",
            "/go/pkg/mod",
        )
    ),
    *(
        PathRule(p, "regenerated linker cache", _ANY)
        for p in ("/etc/ld.so.cache", "/var/cache/ldconfig")
    ),
    # indexes that package triggers rebuild from the installed files (which are compared themselves)
    *(
        PathRule(p, "index regenerated by package triggers", _ANY)
        for p in (
            "/usr/share/info/dir",
            "/usr/share/info/dir.old",
            "/usr/share/glib-2.0/schemas/gschemas.compiled",
            "/usr/share/icons/*/icon-theme.cache",
            "/usr/lib/*/gdk-pixbuf-2.0/*/loaders.cache",
            "/usr/share/mime/*",
        )
    ),
    *(
        PathRule(p, "package-manager logs", _ANY)
        for p in (
            "/var/log/apt",
            "/var/log/dpkg.log",
            "/var/log/alternatives.log",
            "/var/log/dnf.log",
            "/var/log/dnf.librepo.log",
            "/var/log/dnf.rpm.log",
            "/var/log/hawkey.log",
            "/var/log/yum.log",
            "/var/log/apk.log",
        )
    ),
    *(
        PathRule(p, "service-enablement state (not used in containers)", _ANY)
        for p in (
            "/var/lib/systemd/deb-systemd-helper-enabled",
            "/var/lib/systemd/deb-systemd-user-helper-enabled",
            "/etc/systemd/system/*.wants",
            "/etc/systemd/user/*.wants",
        )
    ),
    *(
        PathRule(p, "mount point the engine covers at run time", _ANY, exact=True)
        for p in ("/proc", "/sys", "/dev", "/etc/hosts", "/etc/hostname", "/etc/resolv.conf")
    ),
    PathRule("/tmp", "temporary files", _GONE, children_only=True),
    PathRule("/run", "run-time state (locks, pid files)", _GONE, children_only=True),
    PathRule("/var/tmp", "temporary files", _GONE, children_only=True),
)


@dataclass
class Evidence:
    """What the classifier knows beyond the differences themselves."""

    original_db: PackageDB = field(default_factory=PackageDB)
    squashed_db: PackageDB = field(default_factory=PackageDB)
    protected: dict[str, ProtectedPackage] = field(default_factory=dict)  # package -> why kept
    cleanup_globs: list[str] = field(default_factory=list)  # paths the original's cleanup removes
    # map a package-database path to where it really is in that image (usrmerge: /lib -> /usr/lib)
    resolve_original: Callable[[str], str] = lambda p: p
    resolve_squashed: Callable[[str], str] = lambda p: p
    # changed .pyc files whose bytes differ only in the source-timestamp header field
    timestamp_only: frozenset[str] = frozenset()
    # (path, change) pairs that also differ between two builds of the original: not reproducible
    not_reproducible: frozenset[tuple[str, str]] = frozenset()


class Classifier:
    """Sorts differences; build once per pair of images (it indexes both package databases)."""

    def __init__(self, evidence: Evidence) -> None:
        self.ev = evidence
        self._orig_owners = _real_owners(evidence.original_db, evidence.resolve_original)
        self._sq_owners = _real_owners(evidence.squashed_db, evidence.resolve_squashed)
        orig_pkgs = set(evidence.original_db.installed)
        sq_pkgs = set(evidence.squashed_db.installed)
        # only meaningful when both images have a package database to compare
        both = bool(evidence.original_db.managers) and bool(evidence.squashed_db.managers)
        self._purged = orig_pkgs - sq_pkgs if both else set()
        # removed in the original already (conffiles left), purged in the squashed image
        self._conffiles_gone = (
            set(evidence.original_db.config_files)
            - sq_pkgs
            - set(evidence.squashed_db.config_files)
            if both
            else set()
        )
        self._kept_extra = sq_pkgs - orig_pkgs if both else set()
        self._alt_links: dict[str, str] = {}
        for name, alt in evidence.original_db.alternatives.items():
            if both and name not in evidence.squashed_db.alternatives:
                for link in alt.links:
                    self._alt_links[evidence.resolve_original(link)] = name
        # directories already explained, for files generated inside them (__pycache__, ...)
        self._explained_dirs: dict[str, Difference] = {}

    def classify(self, diff: Difference) -> Difference:
        """``diff`` with category, reason, package and line filled in."""
        found = self._classify(diff)
        if found.category == UNEXPECTED and (diff.path, diff.change) in self.ev.not_reproducible:
            return dataclasses.replace(
                found, category=EXPECTED, reason="differs between two builds of the original too"
            )
        return found

    def _classify(self, diff: Difference) -> Difference:
        if diff.change in (CONFIG, SMOKE):
            return diff
        path, change = diff.path, diff.change
        if change == CHANGED and path in self.ev.timestamp_only:
            return dataclasses.replace(
                diff, category=EXPECTED, reason="byte code differing only in its source timestamp"
            )
        for rule in PATH_RULES:
            if rule.matches(path, change):
                return dataclasses.replace(diff, category=EXPECTED, reason=rule.reason)
        if change == REMOVED:
            found = self._purged_owner(path)
            if found is not None:
                reason = (
                    f"file of purged package {found}"
                    if found in self._purged
                    else f"conffile of package {found} (removed by the original, purged here)"
                )
                return self._remember(
                    dataclasses.replace(diff, category=EXPECTED, reason=reason, package=found)
                )
            script_of = self._purge_script_mentioning(path)
            if script_of is not None:
                return self._remember(
                    dataclasses.replace(
                        diff,
                        category=EXPECTED,
                        reason=f"removed by the purge script of package {script_of}",
                        package=script_of,
                    )
                )
            if path in self._alt_links:
                name = self._alt_links[path]
                return dataclasses.replace(
                    diff, category=EXPECTED, reason=f"alternative {name} removed with its packages"
                )
            for pattern in self.ev.cleanup_globs:
                if fnmatch.fnmatchcase(path, pattern) or path.startswith(pattern.rstrip("/") + "/"):
                    return dataclasses.replace(
                        diff,
                        category=EXPECTED,
                        reason=f"removed by the original's cleanup ({pattern})",
                    )
        if change == ADDED:
            owners = self._sq_owners.get(path, ())
            extra = [p for p in owners if p in self._kept_extra]
            if extra and len(extra) == len(owners):
                return self._remember(self._kept(diff, extra[0]))
        if change == CHANGED:
            moved = self._version_change(path)
            if moved:
                return dataclasses.replace(diff, reason=moved)
        parent = (
            self._explained_parent(path, change)
            or self._source_of_bytecode(path, change)
            or self._init_script_of_link(path, change)
        )
        if parent is not None:
            return self._remember(
                dataclasses.replace(
                    diff,
                    category=parent.category,
                    reason=parent.reason,
                    package=parent.package,
                    line=parent.line,
                )
            )
        return diff

    def classify_all(self, diffs: Iterable[Difference]) -> list[Difference]:
        """Classify in path order (parents before children, so generated files inherit); byte code
        in ``__pycache__`` after everything else, so it can follow its source file. The result is
        in path order."""

        def order(d: Difference) -> tuple[bool, str, str]:
            return ("/__pycache__/" in d.path or d.path.endswith("/__pycache__"), d.path, d.change)

        done = [self.classify(d) for d in sorted(diffs, key=order)]
        return sorted(done, key=lambda d: (d.path, d.change))

    # ------------------------------------------------------------ helpers

    def _purged_owner(self, path: str) -> str | None:
        owners = self._orig_owners.get(path)
        if not owners:
            return None
        gone = self._purged | self._conffiles_gone
        if any(p not in gone for p in owners):
            return None  # some owner is still installed: the path should still be there
        return owners[0]

    def owned_in_squashed(self, path: str) -> bool:
        """Whether the squashed image's package database lists ``path``."""
        return bool(self._sq_owners.get(path))

    def _purge_script_mentioning(self, path: str) -> str | None:
        """A purged package whose postrm names ``path`` or one of its directories (``rm -f PATH``)."""
        scripts = self.ev.original_db.purge_scripts
        probe = path
        while probe.count("/") >= 2:  # never match on a top-level directory alone
            pattern = re.compile(r"(?<![\w./-])" + re.escape(probe) + r"(?![\w./-])")
            for package in sorted(self._purged | self._conffiles_gone):
                text = scripts.get(package)
                if text and probe in text and pattern.search(text):
                    return package
            probe = posixpath.dirname(probe)
        return None

    def _version_change(self, path: str) -> str:
        """ "package P A -> B" when a changed path's package has another version in the squashed image."""
        orig, sq = self.ev.original_db.installed, self.ev.squashed_db.installed
        for p in self._orig_owners.get(path, ()):
            if p in orig and p in sq and orig[p] != sq[p]:
                return f"package {p} {orig[p]} -> {sq[p]}"
        return ""

    def _kept(self, diff: Difference, package: str) -> Difference:
        why = self.ev.protected.get(package)
        if why is not None:
            at = f" at line {why.line}" if why.line is not None else ""
            return dataclasses.replace(
                diff,
                category=PROTECTED,
                reason=f"runtime package {package} kept; the original removes it{at}",
                package=package,
                line=why.line,
            )
        return dataclasses.replace(
            diff,
            category=UNEXPECTED,
            reason=f"package {package} is installed only in the squashed image",
            package=package,
        )

    def _init_script_of_link(self, path: str, change: str) -> Difference | None:
        """For ``/etc/rc2.d/S01dbus``: how ``/etc/init.d/dbus`` was explained (update-rc.d made the
        link in the package's postinst; no package database lists it)."""
        match = _RC_LINK.match(path)
        if match is None:
            return None
        found = self._explained_dirs.get(f"/etc/init.d/{match['name']}")
        return found if found is not None and found.change == change else None

    def _source_of_bytecode(self, path: str, change: str) -> Difference | None:
        """For ``D/__pycache__/M.cpython-311.pyc``: how ``D/M.py`` was explained (compiled at install
        time by the package's own scripts, so no package database lists it)."""
        match = _PYC.match(path)
        if match is None:
            return None
        found = self._explained_dirs.get(f"{match['dir']}/{match['module']}.py")
        return found if found is not None and found.change == change else None

    def _remember(self, diff: Difference) -> Difference:
        self._explained_dirs[diff.path] = diff
        return diff

    def _explained_parent(self, path: str, change: str) -> Difference | None:
        parent = posixpath.dirname(path)
        while parent not in ("/", ""):
            found = self._explained_dirs.get(parent)
            if found is not None and found.change == change:
                return found
            parent = posixpath.dirname(parent)
        return None


_RC_LINK = re.compile(r"^/etc/rc[0-6S]\.d/[SK]\d\d(?P<name>[^/]+)$")
_PYC = re.compile(r"^(?P<dir>.*)/__pycache__/(?P<module>[^/.]+)\.[^/]*pyc$")


def _real_owners(db: PackageDB, resolve: Callable[[str], str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for path, owners in db.owners.items():
        real = resolve(path)
        names = out.setdefault(real, [])
        for o in owners:
            if o not in names:
                names.append(o)
    return out


# ---------------------------------------------------------------- the rewrite report


def evidence_from_report(report: Any) -> tuple[dict[str, ProtectedPackage], list[str]]:
    """Protected packages and cleanup paths named in a rewrite report (object, dict or parsed JSON).

    Looks for a ``protected`` list anywhere in it, of package names or objects with ``package`` (or
    ``name``) and ``line`` (or ``where``: ``"Dockerfile:12"``); for protection records anywhere
    (``squasher.pkg.base.Protection``: ``package`` and ``where``, as ``parse_protect_log`` returns
    them from a build log); and for ``cleanup`` / ``cleanup_paths`` lists of path globs.
    """
    protected: dict[str, ProtectedPackage] = {}
    cleanup: list[str] = []

    def walk(node: Any) -> None:
        if dataclasses.is_dataclass(node) and not isinstance(node, type):
            node = dataclasses.asdict(node)
        if isinstance(node, dict) and {"package", "where"} <= set(node):
            # one protection line of a build log (squasher.pkg.base.Protection)
            p = _protected_item(node)
            if p is not None and p.package not in protected:
                protected[p.package] = p
            return
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "protected" and isinstance(value, list):
                    for item in value:
                        p = _protected_item(item)
                        if p is not None and p.package not in protected:
                            protected[p.package] = p
                elif key in ("cleanup", "cleanup_paths") and isinstance(value, list):
                    cleanup.extend(v for v in value if isinstance(v, str) and v.startswith("/"))
                else:
                    walk(value)
        elif isinstance(node, list | tuple):
            for item in node:
                walk(item)

    walk(report)
    return protected, sorted(set(cleanup))


def _protected_item(item: Any) -> ProtectedPackage | None:
    if dataclasses.is_dataclass(item) and not isinstance(item, type):
        item = dataclasses.asdict(item)
    if isinstance(item, str):
        return ProtectedPackage(base_name(item))
    if isinstance(item, dict):
        name = item.get("package") or item.get("name")
        line = item.get("line")
        if line is None:
            line = _line_of(item.get("where"))
        if isinstance(name, str):
            return ProtectedPackage(base_name(name), line if isinstance(line, int) else None)
    return None


def _line_of(where: Any) -> int | None:
    """``"Dockerfile:12"`` -> 12; anything else (``"final purge"``) -> None."""
    if isinstance(where, str):
        _, _, tail = where.rpartition(":")
        if tail.isdigit():
            return int(tail)
    return None
