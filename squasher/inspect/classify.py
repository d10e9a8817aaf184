"""Differences between two images and the rules that sort them into classes.

expected — what the rewrite meant to remove or regenerate: files of build-only packages it purged
  (per the ORIGINAL's package database), of packages the original or the user removed; package
  databases, caches, logs, the staging files, temporary files, the original's own cleanup.
noise — what two builds never agree on, each proved from the images: byte code compiled again
  from an unchanged source, files written from the build host (mailname, machine-id, seeds, ssh
  host keys), logs and stamps no package ships, alternatives switched because their package was
  purged, caches in a user's home.
purged-tool — a tool with run-time uses that squasher's own decision purged (``runtime-tool``):
  named in the verdict with its commands and the ``# squasher: keep NAME`` override.
protected — only in the squashed image: a runtime package the rewrite kept although the original
  removed it, with that package and the original line.
unexpected — everything else, path by path; also a package the base image had, run-time data (CA
  store, zoneinfo ...) or a command the image's CMD, ENTRYPOINT, HEALTHCHECK or scripts call,
  gone from the squashed image: only a bug explains those.
"""

from __future__ import annotations

import bisect
import dataclasses
import fnmatch
import posixpath
import re
from collections.abc import Callable, Iterable

from squasher.inspect.pkgdb import PackageDB
from squasher.inspect.verify_difference import (
    CONFIG,
    EXPECTED,
    NAMED_BY_USER,
    NOISE,
    PROTECTED,
    PURGED_TOOL,
    REMOVED_BY_ORIGINAL,
    RUNTIME_TOOL,
    SMOKE,
    UNEXPECTED,
    Difference,
    Evidence,
    PurgeDecision,
)
from squasher.inspect.verify_rules import (
    ADDED,
    CHANGED,
    LOG_REASON,
    PATH_RULES,
    REMOVED,
    bytecode_source,
    command_name,
    home_cache_of,
    is_bytecode_dir,
    is_log_or_stamp,
    runtime_data_of,
)

# why the rewrite purged a package (the rewrite report's PackageDecision.kind)
PYC_SAME_SOURCE = "byte code compiled again from an unchanged source"
PYC_TIMESTAMP = "byte code differing only in its source timestamp"


class Classifier:
    """Sorts differences; build once per pair of images (it indexes both package databases)."""

    def __init__(self, evidence: Evidence) -> None:
        self.ev = evidence
        orig_db, sq_db = evidence.original_db, evidence.squashed_db
        self._orig_owners = _real_owners(orig_db, evidence.resolve_original)
        self._sq_owners = _real_owners(sq_db, evidence.resolve_squashed)
        orig_pkgs, sq_pkgs = set(orig_db.installed), set(sq_db.installed)
        # only meaningful when both images have a package database to compare
        both = bool(orig_db.managers) and bool(sq_db.managers)
        self._purged = orig_pkgs - sq_pkgs if both else set()
        # removed in the original already (conffiles left), purged in the squashed image
        self._conffiles_gone = (
            set(orig_db.config_files) - sq_pkgs - set(sq_db.config_files) if both else set()
        )
        self._kept_extra = sq_pkgs - orig_pkgs if both else set()
        self._alt_links: dict[str, str] = {}  # link of a whole group gone -> group
        self._alt_kept: dict[str, str] = {}  # link of a group both images have -> group
        for name, alt in orig_db.alternatives.items():
            table = self._alt_kept if name in sq_db.alternatives else self._alt_links
            if both:
                for link in alt.links:
                    table[evidence.resolve_original(link)] = name
        self._commands: dict[str, set[str]] = {}  # purged package -> its command names
        self._data_of: dict[str, str] = {}  # purged package -> the run-time data it holds
        for path, owners in self._orig_owners.items():
            command, data = command_name(path), runtime_data_of(path)
            for package in owners:
                if package in self._purged and command:
                    self._commands.setdefault(package, set()).add(command)
                if package in self._purged and data:
                    self._data_of.setdefault(package, data)
        homes = {**orig_db.homes, **sq_db.homes}
        self._homes = dict(sorted(homes.items(), key=lambda kv: -len(kv[0])))  # deepest first
        # directories already explained, for files generated inside them (__pycache__, ...)
        self._explained_dirs: dict[str, Difference] = {}

    def classify(self, diff: Difference) -> Difference:
        """``diff`` with category, reason, package and line filled in."""
        found = self._classify(diff)
        if found.category == UNEXPECTED and (diff.path, diff.change) in self.ev.not_reproducible:
            return _as(found, NOISE, "differs between two builds of the original too")
        return found

    def _classify(self, diff: Difference) -> Difference:
        if diff.change in (CONFIG, SMOKE):
            return diff
        path, change = diff.path, diff.change
        if change == CHANGED and path in self.ev.noise:
            return _as(diff, NOISE, self.ev.noise[path])
        for rule in PATH_RULES:
            if rule.matches(path, change):
                return _as(diff, EXPECTED, rule.reason)
        noise = self._noise(diff)
        if noise is not None:
            return self._remember(noise)
        if change == REMOVED:
            found = self._removed(diff)
            if found is not None:
                return found
        if change == ADDED:
            owners = self._sq_owners.get(path, ())
            extra = [p for p in owners if p in self._kept_extra]
            if extra and len(extra) == len(owners):
                return self._remember(self._kept(diff, extra[0]))
        if change == CHANGED:
            moved = self._version_change(path) or self._changed_source(path)
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

    def _removed(self, diff: Difference) -> Difference | None:
        """A path only the original has: a purged package's file, what its purge script or the
        original's cleanup removed, an alternative gone with its packages; else None."""
        path = diff.path
        found = self._purged_owner(path)
        if found is not None:
            return self._remember(self._purged_file(diff, found))
        script_of = self._purge_script_mentioning(path)
        if script_of is not None:
            lost = self._lost(diff, script_of)
            if lost is not None:
                return self._remember(lost)
            why = f"removed by the purge script of package {script_of}"
            return self._remember(_as(diff, EXPECTED, why, script_of))
        if path in self._alt_links:
            why = f"alternative {self._alt_links[path]} removed with its packages"
            return _as(diff, EXPECTED, why)
        for pattern in self.ev.cleanup_globs:
            if fnmatch.fnmatchcase(path, pattern) or path.startswith(pattern.rstrip("/") + "/"):
                return _as(diff, EXPECTED, f"removed by the original's cleanup ({pattern})")
        return None

    def _purged_file(self, diff: Difference, package: str) -> Difference:
        """A file of a package the squashed image no longer has, by why it went."""
        if package not in self._purged:
            why = f"conffile of package {package} (removed by the original, purged here)"
            return _as(diff, EXPECTED, why, package)
        lost = self._lost(diff, package)
        if lost is not None:
            return lost
        decision = self.ev.decisions.get(package, PurgeDecision())
        if decision.kind == RUNTIME_TOOL:
            commands = ", ".join(self.commands_of(package)) or "no commands"
            why = f"tool {package} purged by squasher ({commands}); `# squasher: keep {package}`"
            return _as(diff, PURGED_TOOL, why, package)
        if decision.kind == REMOVED_BY_ORIGINAL:
            return _as(diff, EXPECTED, f"file of package {package} the original removes", package)
        if decision.kind == NAMED_BY_USER:
            return _as(diff, EXPECTED, f"file of package {package} purged as asked", package)
        return _as(diff, EXPECTED, f"file of purged package {package}", package)

    def _lost(self, diff: Difference, package: str) -> Difference | None:
        """The removal as a real difference when nothing but a bug explains it: the package was
        in the base image, holds run-time data, or provides a command the image calls. What the
        original or the user removed is never one."""
        kind = self.ev.decisions.get(package, PurgeDecision()).kind
        if kind in (REMOVED_BY_ORIGINAL, NAMED_BY_USER):
            return None
        base = self.ev.base_db
        if base is not None and package in base.installed:
            why = f"package {package} of the base image removed"
        elif runtime_data_of(diff.path) or package in self._data_of:
            why = f"{runtime_data_of(diff.path) or self._data_of[package]} lost with {package}"
        elif called := sorted(set(self.commands_of(package)) & self.ev.called):
            why = f"package {package} removed, but the image calls {', '.join(called)}"
        else:
            return None
        return _as(diff, UNEXPECTED, why, package)

    def commands_of(self, package: str) -> list[str]:
        """The commands a purged package provided: the report's list, else its files in the
        command directories."""
        listed = self.ev.decisions.get(package, PurgeDecision()).commands
        return sorted(set(listed) | self._commands.get(package, set()))

    def _noise(self, diff: Difference) -> Difference | None:
        """Build noise that evidence in the images proves (see the module docstring)."""
        path, change = diff.path, diff.change
        user = home_cache_of(path, self._homes)
        if user is not None:
            return _as(diff, NOISE, f"cache in the home of {user}")
        if is_log_or_stamp(path) and self._unowned_files(path):
            return _as(diff, NOISE, LOG_REASON)
        if change in (ADDED, REMOVED) and self._same_source(path):
            return _as(diff, NOISE, PYC_SAME_SOURCE)
        name = self._alt_kept.get(path)
        if name is not None and change in (CHANGED, REMOVED):
            target = self._alternative_target(name)
            gone = [p for p in self._orig_owners.get(target, ()) if p in self._purged]
            switched = change == REMOVED or _only_retargeted(diff)
            if gone and switched and self._points_to_a_choice(name):
                why = f"alternative {name} switched: {target} left with package {gone[0]}"
                return _as(diff, NOISE, why, gone[0])
        return None

    def _unowned_files(self, path: str) -> bool:
        """Regular files (or absent) on both sides, listed by no package of either image."""
        for fs in (self.ev.original_fs, self.ev.squashed_fs):
            entry = fs.entries.get(path) if fs is not None else None
            if entry is not None and entry.kind != "file":
                return False
        return not self._orig_owners.get(path) and not self._sq_owners.get(path)

    def _same_source(self, pyc: str) -> bool:
        """Whether the source of ``pyc`` is the same regular file in both images."""
        source = bytecode_source(pyc)
        if source is None or self.ev.original_fs is None or self.ev.squashed_fs is None:
            return False
        a, b = self.ev.original_fs.get(source), self.ev.squashed_fs.get(source)
        return (
            a is not None
            and b is not None
            and a.kind == b.kind == "file"
            and (a.sha256, a.mode, a.uid, a.gid) == (b.sha256, b.mode, b.uid, b.gid)
        )

    def _changed_source(self, path: str) -> str:
        """ "compiled from D/M.py, which changed" for byte code whose source differs."""
        source = bytecode_source(path)
        if source is None or self.ev.original_fs is None or self.ev.squashed_fs is None:
            return ""
        a, b = self.ev.original_fs.get(source), self.ev.squashed_fs.get(source)
        if a is not None and b is not None and a.sha256 != b.sha256:
            return f"compiled from {source}, which changed"
        return ""

    def _alternative_target(self, name: str) -> str:
        """Where the original's ``/etc/alternatives/NAME`` pointed (resolved), or ""."""
        fs = self.ev.original_fs
        entry = fs.get(f"/etc/alternatives/{name}") if fs is not None else None
        if entry is None or entry.kind != "symlink" or not entry.linkname:
            return ""
        target = posixpath.normpath(posixpath.join("/etc/alternatives", entry.linkname))
        return self.ev.resolve_original(target)

    def _points_to_a_choice(self, name: str) -> bool:
        """Whether the squashed image's ``/etc/alternatives/NAME`` points to a file it has that
        its alternatives database registers as a choice of group NAME (what update-alternatives
        falls back to when the chosen package goes)."""
        fs, group = self.ev.squashed_fs, self.ev.squashed_db.alternatives.get(name)
        entry = fs.get(f"/etc/alternatives/{name}") if fs is not None else None
        if fs is None or group is None or entry is None or not entry.linkname:
            return False
        if entry.kind != "symlink":
            return False
        resolve = self.ev.resolve_squashed
        target = resolve(posixpath.normpath(posixpath.join("/etc/alternatives", entry.linkname)))
        return target in {resolve(c) for c in group.choices} and target in fs.entries

    def classify_all(self, diffs: Iterable[Difference]) -> list[Difference]:
        """Classify in path order (parents before children, so generated files inherit); byte code
        in ``__pycache__`` after everything else, so it can follow its source file. The result is
        in path order."""

        def order(d: Difference) -> tuple[bool, str, str]:
            return ("/__pycache__/" in d.path or d.path.endswith("/__pycache__"), d.path, d.change)

        done = [self.classify(d) for d in sorted(diffs, key=order)]
        return _settle_bytecode_dirs(sorted(done, key=lambda d: (d.path, d.change)))

    # ------------------------------------------------------------ helpers

    def _purged_owner(self, path: str) -> str | None:
        owners = self._orig_owners.get(path)
        if not owners:
            return None
        gone = self._purged | self._conffiles_gone
        if any(p not in gone for p in owners):
            return None  # some owner is still installed: the path should still be there
        return owners[0]

    def owned_in_either(self, path: str) -> bool:
        """Whether a package database of either image lists ``path``."""
        return bool(self._orig_owners.get(path) or self._sq_owners.get(path))

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
        source = bytecode_source(path)
        if source is None:
            return None
        found = self._explained_dirs.get(source)
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


def _real_owners(db: PackageDB, resolve: Callable[[str], str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for path, owners in db.owners.items():
        real = resolve(path)
        names = out.setdefault(real, [])
        for o in owners:
            if o not in names:
                names.append(o)
    return out


def _as(diff: Difference, category: str, reason: str, package: str | None = None) -> Difference:
    return dataclasses.replace(diff, category=category, reason=reason, package=package)


def _only_retargeted(diff: Difference) -> bool:
    return all(d.startswith("symlink target ") for d in diff.details) and bool(diff.details)


def _settle_bytecode_dirs(diffs: list[Difference]) -> list[Difference]:
    """A ``__pycache__`` directory only one image has, otherwise unexplained, is noise when every
    file in it is byte code of an unchanged source (``diffs`` in path order)."""
    out = list(diffs)
    paths = [d.path for d in out]
    for i, d in enumerate(out):
        if d.category != UNEXPECTED or d.change not in (ADDED, REMOVED):
            continue
        if not is_bytecode_dir(d.path):
            continue
        # the paths below D sort between "D/" and "D0" ("0" follows "/")
        start, end = (
            bisect.bisect_left(paths, d.path + "/"),
            bisect.bisect_left(paths, d.path + "0"),
        )
        below = out[start:end]
        if all(x.category == NOISE and x.change == d.change for x in below):
            out[i] = _as(d, NOISE, PYC_SAME_SOURCE)
    return out


LINKER_CACHE = "/etc/ld.so.cache"
_LIBRARY = re.compile(r"^lib[^/]*\.so(\.\d+)*$")


def settle_linker_cache(diffs: list[Difference]) -> list[Difference]:
    """``/etc/ld.so.cache`` by the libraries it indexes: noise when no shared library differs,
    a real difference when one does unexplained, else expected (regenerated after a purge)."""
    libraries = [d for d in diffs if _LIBRARY.match(d.path.rsplit("/", 1)[-1])]
    real = [d for d in libraries if d.category == UNEXPECTED]
    out = []
    for d in diffs:
        if d.path == LINKER_CACHE and d.change == CHANGED and d.category == EXPECTED:
            if real:
                d = _as(d, UNEXPECTED, f"linker cache differs along with {real[0].path}")
            elif not libraries:
                d = _as(d, NOISE, "linker cache rebuilt over the same libraries")
        out.append(d)
    return out
