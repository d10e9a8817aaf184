"""The package-manager interface: what squasher reads in RUN lines and the sh it adds to build.sh.

Reading: ``PackageManager.detect(cmd)`` turns one :class:`~squasher.shell.query.SimpleCommand`
(wrappers already stripped by :func:`squasher.shell.query.strip_wrappers`) into :class:`PkgOp`
values. :func:`squasher.pkg.detect_ops` runs every registered manager over a whole script.

Writing: each manager gives POSIX sh snippets (dash and busybox sh; ``sh -n`` and shellcheck
clean; deterministic) that the renderer places in build.sh:

- ``snapshot_sh()`` once at the start, before any original step;
- ``protect_sh(where)`` before every purge/autoremove, the original's own ones and squasher's;
- ``purge_sh(build_only, keep)`` once after the last original step (it runs protection itself);
- ``clean_sh(skip)`` at the very end.

The snippets share state through files under ``$SQUASHER_STATE`` (a directory the renderer
creates and exports before the snapshot and removes at the end; it must not be under a path the
build wipes). The snapshot writes ``$SQUASHER_STATE/marker``: files whose status changed after it
(``find -cnewer``, so ``cp -p`` and package installs count) were created or changed by the build.

Protection prints one line per package it marks, for the report (see :func:`parse_protect_log`)::

    squasher-protect<TAB>MANAGER<TAB>PACKAGE<TAB>FILE<TAB>LIBRARY_OR_INTERPRETER<TAB>WHERE

Purges and cleanups print what they freed, in KiB (see :func:`parse_freed_log`)::

    squasher-freed<TAB>MANAGER<TAB>WHAT<TAB>KIB      (WHAT: "purge" or the cache path)
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from squasher.pkg.state import StatePaths
from squasher.shell.query import SimpleCommand, Word

Action = Literal["update", "install", "remove", "purge", "autoremove", "clean", "mark"]
ACTIONS: tuple[Action, ...] = (
    "update",
    "install",
    "remove",
    "purge",
    "autoremove",
    "clean",
    "mark",
)

# the actions before which protect_sh must run
REMOVALS: frozenset[str] = frozenset({"remove", "purge", "autoremove"})

STATE_VAR = "SQUASHER_STATE"
PROTECT_TAG = "squasher-protect"
FREED_TAG = "squasher-freed"
# protect_sh(WHERE_FROM_ENV): the step label is read at run time from $SQUASHER_WHERE
WHERE_FROM_ENV = "$SQUASHER_WHERE"


@dataclass
class PkgOp:
    """One package-manager operation found in a RUN command."""

    manager: str  # MANAGERS key: "apt", "apk", "dnf", "pip", "npm"
    action: Action
    packages: list[str] = field(default_factory=list)  # literal names, version pins removed
    specs: list[str] = field(default_factory=list)  # the literal operands as written
    unknown_packages: bool = False  # some operands are not literal ($PKGS) or come from xargs
    tool: str = ""  # the command as called: "apt-get", "microdnf", "yarn"
    no_install_recommends: bool = False  # apt --no-install-recommends / dnf weak deps off
    no_cache: bool = False  # apk --no-cache, pip --no-cache-dir, ...: leaves no cache behind
    auto_remove: bool = False  # purge --auto-remove, dnf remove (cleans deps)
    virtual: str | None = None  # apk --virtual NAME
    user_level: bool = False  # pip --user
    global_: bool = False  # npm -g, yarn global
    requirements: list[str] = field(default_factory=list)  # pip -r FILE, -c FILE
    mark: str | None = None  # for action "mark": "auto", "manual", "hold", "unhold"
    conditional: bool = False  # inside if/loop/|| : may not run
    command: SimpleCommand | None = None  # the command it came from
    where: str = ""  # "Dockerfile:12", filled by detect_ops' caller

    @property
    def is_removal(self) -> bool:
        return self.action in REMOVALS or (self.action == "mark" and self.mark == "auto")


@dataclass(frozen=True)
class Protection:
    """One package protection line printed by a protect snippet at build time."""

    manager: str
    package: str
    file: str  # the new file that needs it
    needs: str  # the library (or interpreter) through which it needs it
    where: str  # the step before which it ran ("Dockerfile:12", "final purge")


@dataclass(frozen=True)
class Freed:
    """What one purge or cache cleanup freed, printed at build time."""

    manager: str
    what: str  # "purge" or a cache path
    kib: int


class PackageManager(Protocol):
    """One family of package tools. Instances are stateless; see the module docstring."""

    name: str  # "apt"
    tools: frozenset[str]  # command names it reads: {"apt-get", "apt", "apt-mark", "dpkg"}
    purges: bool  # True when it can remove build-only packages (system managers)
    state: StatePaths  # databases, caches and logs in an image

    def detect(self, cmd: SimpleCommand) -> list[PkgOp]:
        """The operations of one (wrapper-stripped) command; [] when it is not this manager's."""
        ...

    def snapshot_sh(self) -> str:
        """sh run once at the start of build.sh: record what is there before the build."""
        ...

    def protect_sh(self, where: str = "") -> str:
        """sh run before a removal: keep packages that files built so far need."""
        ...

    def intercept_sh(self) -> str:
        """sh run once after the snapshot: wrappers that protect before the original's removals.

        It writes the protection to ``$SQUASHER_STATE/<manager>-protect.sh`` and wrapper scripts
        into ``$SQUASHER_STATE/bin`` (``apt-get``, ``apt``, ``dpkg``; ``apk``; ``dnf``, ``yum``,
        ``microdnf``) that run it when their arguments ask for a removal, then ``exec`` the real
        tool. ``squasher.plan.purge`` copies them into /usr/local/sbin for the build (ahead of
        the real tools on the standard PATH, never over an existing file) and writes the step
        being run (``Dockerfile:N``) to ``$SQUASHER_STATE/where``, so a purge inside the same RUN
        that built the program is protected too, without editing the step's text or its
        environment. Empty for pip and npm.
        """
        ...

    def purge_sh(
        self, build_only: Sequence[str], keep: Sequence[str], force: Sequence[str] = ()
    ) -> str:
        """sh run after the build: remove ``build_only``, keeping ``keep`` and what is needed.

        ``force`` lists packages to remove even when the base image had them installed by hand
        (the user's explicit ``--purge``); otherwise the base image's own packages stay.
        """
        ...

    def clean_sh(self, skip: Collection[str] = ()) -> str:
        """sh run at the end: drop caches, except the paths in ``skip`` the original keeps."""
        ...

    def cache_paths(self) -> list[str]:
        """The cache paths clean_sh empties (for the report and for ``skip``)."""
        ...


def parse_protect_log(log: str) -> list[Protection]:
    """The protection lines in a build log (other lines ignored), in order: one per package and
    step (the first file that needed it)."""
    found: list[Protection] = []
    seen: set[tuple[str, str, str]] = set()
    for line in log.splitlines():
        start = line.find(PROTECT_TAG + "\t")
        if start < 0:
            continue
        fields = line[start:].rstrip("\r").split("\t")
        if len(fields) < 6:
            continue
        package = fields[2].split(":", 1)[0]  # libpq5:amd64 -> libpq5
        p = Protection(fields[1], package, fields[3], fields[4], fields[5])
        if (p.manager, p.package, p.where) not in seen:
            seen.add((p.manager, p.package, p.where))
            found.append(p)
    return found


def parse_freed_log(log: str) -> list[Freed]:
    """The ``squasher-freed`` lines in a build log, in order (malformed ones ignored)."""
    found: list[Freed] = []
    for line in log.splitlines():
        start = line.find(FREED_TAG + "\t")
        if start < 0:
            continue
        fields = line[start:].rstrip("\r").split("\t")
        if len(fields) == 4 and fields[3].lstrip("-").isdigit():
            found.append(Freed(fields[1], fields[2], int(fields[3])))
    return found


def subcommand(operands: Sequence[Word]) -> tuple[str, Sequence[Word]] | None:
    """The subcommand a package tool's first operand names (``apk add gcc``: ``add``) and the
    operands after it; None when there is none, or it is not known at rewrite time."""
    if not operands or not operands[0].literal:
        return None
    return operands[0].text, operands[1:]


def package_specs(operands: Sequence[Word], cmd: SimpleCommand) -> tuple[list[str], bool]:
    """The package specs among ``operands`` known at rewrite time, and whether there are others:
    an operand that expands, or operands xargs supplies."""
    specs = [w.text for w in operands if w.literal]
    return specs, any(not w.literal for w in operands) or "xargs" in cmd.wrapped_by


def where_sh(where: str) -> str:
    """The sh word for a protection's step label (see :data:`WHERE_FROM_ENV`)."""
    if where == WHERE_FROM_ENV:
        return '"${SQUASHER_WHERE:-removal}"'
    return sh_quote(where or "removal")


def sh_quote(text: str) -> str:
    """Quote for sh: plain words stay bare, others in single quotes."""
    if text and all(c.isalnum() or c in "@%+=:,./_-" for c in text):
        return text
    return "'" + text.replace("'", "'\\''") + "'"


def sh_words(items: Sequence[str]) -> str:
    """Quoted words, sorted and de-duplicated (deterministic output)."""
    return " ".join(sh_quote(i) for i in sorted(set(items)))


def strip_version(spec: str, separators: str) -> str:
    """The name part of ``name=1.2`` / ``name>=1`` / ``name/bookworm``; first separator wins."""
    cut = len(spec)
    for sep in separators:
        i = spec.find(sep, 1)
        if 0 < i < cut:
            cut = i
    return spec[:cut]
