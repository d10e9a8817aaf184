"""Which installed packages are build-only: the known build-tool list and the decision, with reasons.

The rule: build-only are the packages the original itself removes later, the known build
tools listed in :data:`BUILD_TOOLS`, the runtime tools of :data:`squasher.pkg.runtime.RUNTIME_TOOLS`
(pip, git, curl, npm ...) that nothing the image runs names (see :mod:`squasher.pkg.evidence`;
the runtime such a tool runs on, nodejs for npm, stays), and what
the user says (``--purge PKG`` / ``--keep PKG`` on the command line, ``# squasher: purge PKG...`` /
``# squasher: keep PKG...`` comments in the Dockerfile). Everything else is kept. Precedence,
first match wins: ``--keep``, ``--purge``, comment keep, comment purge, removed by the original,
runtime tool, build-tool list, kept. Each decision carries its ``kind`` for the report.

Only managers that purge (apt, apk, dnf) get decisions; pip and npm packages are never removed.
At build time the protection may still keep a build-only package because a new file needs it:
:func:`apply_protections` turns the build log's protection lines into the final decisions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from fnmatch import fnmatchcase
from typing import Literal

from squasher.errors import SquasherError
from squasher.pkg.base import REMOVALS, PkgOp, Protection
from squasher.pkg.evidence import Evidence, named_by
from squasher.pkg.runtime import tool_commands, tool_runtimes

# (pattern, what it is). fnmatch patterns over package names, the ":arch" suffix removed.
# One list for apt, apk and dnf names; kept here and nowhere else.
BUILD_TOOLS: tuple[tuple[str, str], ...] = (
    # compiler meta-packages
    ("build-essential", "Debian compiler meta-package"),
    ("build-base", "Alpine compiler meta-package"),
    ("alpine-sdk", "Alpine SDK meta-package"),
    ("@development-tools", "dnf development group"),
    ("@development tools", "dnf development group"),
    # compilers and their drivers
    ("gcc", "C compiler"),
    ("gcc-[0-9]*", "C compiler"),
    ("g++", "C++ compiler"),
    ("g++-[0-9]*", "C++ compiler"),
    ("gcc-c++", "C++ compiler"),
    ("c++", "C++ compiler"),
    ("cpp", "C preprocessor"),
    ("cpp-[0-9]*", "C preprocessor"),
    ("clang", "C compiler"),
    ("clang-[0-9]*", "C compiler"),
    ("llvm", "compiler toolchain"),
    ("llvm-[0-9]*", "compiler toolchain"),
    ("lld", "linker"),
    ("lld-[0-9]*", "linker"),
    ("binutils", "assembler and linker"),
    ("binutils-*", "assembler and linker"),
    ("gfortran", "Fortran compiler"),
    ("gfortran-[0-9]*", "Fortran compiler"),
    ("rustc", "Rust compiler"),
    ("cargo", "Rust build tool"),
    ("golang", "Go compiler"),
    ("golang-[0-9]*", "Go compiler"),
    ("golang-go", "Go compiler"),
    ("nasm", "assembler"),
    ("yasm", "assembler"),
    ("cython", "Cython compiler"),
    ("cython3", "Cython compiler"),
    # build systems
    ("make", "build tool"),
    ("cmake", "build tool"),
    ("cmake-data", "build tool"),
    ("ninja-build", "build tool"),
    ("samurai", "build tool"),
    ("meson", "build tool"),
    ("scons", "build tool"),
    ("autoconf", "autotools"),
    ("automake", "autotools"),
    ("autotools-dev", "autotools"),
    ("autopoint", "autotools"),
    ("libtool", "autotools"),
    ("libtool-bin", "autotools"),
    ("m4", "macro processor for autotools"),
    ("pkg-config", "build flags tool"),
    ("pkgconf", "build flags tool"),
    ("pkgconf-pkg-config", "build flags tool"),
    ("pkgconfig", "build flags tool"),
    # parser generators and code tools
    ("bison", "parser generator"),
    ("byacc", "parser generator"),
    ("flex", "scanner generator"),
    ("re2c", "scanner generator"),
    ("gperf", "hash generator"),
    ("swig", "wrapper generator"),
    # packaging tools
    ("dpkg-dev", "Debian packaging tools"),
    ("debhelper", "Debian packaging tools"),
    ("fakeroot", "packaging tool"),
    ("abuild", "Alpine packaging tools"),
    ("rpm-build", "rpm packaging tools"),
    ("redhat-rpm-config", "rpm packaging tools"),
    # pip, git and the download tools are runtime tools (squasher.pkg.runtime): purged only when
    # nothing the image runs names them
    # headers and development files
    ("*-dev", "development files (*-dev)"),
    ("*-dev-*", "development files (*-dev-*)"),
    ("*-devel", "development files (*-devel)"),
    ("*-headers", "kernel or library headers"),
    ("linux-headers-*", "kernel headers"),
)

# runtime packages whose names look like build tools
NOT_BUILD_TOOLS: tuple[str, ...] = (
    "gcc-*-base",  # libgcc-s1's base package
    "cpp-*-base",
    "binutils-common",  # needed by libbinutils users at run time
    "libgcc*",
    "libstdc++*",
    "make-guile",  # a make variant some scripts run
)

Verb = Literal["keep", "purge"]


@dataclass(frozen=True)
class Directive:
    """A ``# squasher: keep PKG...`` / ``# squasher: purge PKG...`` comment."""

    verb: Verb
    packages: tuple[str, ...]
    path: str
    line: int

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class Decision:
    """Whether one package is build-only, and why (the report prints ``reason``)."""

    manager: str
    package: str
    build_only: bool
    reason: str
    where: str = ""  # where the original installed it ("Dockerfile:7"), if it did
    # why it is purged: "build-only", "runtime-tool", "removed-by-original", "named-by-user";
    # "" when kept
    kind: str = ""
    commands: tuple[str, ...] = ()  # a runtime tool's commands (pip, pip3)


_DIRECTIVE = re.compile(r"^\s*#\s*squasher\s*:\s*(?P<verb>\S*)(?P<rest>.*)$", re.IGNORECASE)


def parse_directives(source: str, path: str = "Dockerfile") -> list[Directive]:
    """The ``# squasher: keep|purge PKG...`` comment lines of a Dockerfile, in order.

    Packages are separated by spaces or commas. Another verb, or no package, is an error at that
    line. Comments that do not start with ``squasher:`` are not directives.
    """
    found: list[Directive] = []
    for number, line in enumerate(source.splitlines(), start=1):
        m = _DIRECTIVE.match(line)
        if m is None:
            continue
        verb = m.group("verb").lower()
        packages = tuple(p for p in re.split(r"[\s,]+", m.group("rest")) if p)
        if verb not in ("keep", "purge"):
            raise SquasherError(
                f"unknown squasher directive {m.group('verb')!r}: "
                "write '# squasher: keep PKG...' or '# squasher: purge PKG...'",
                path,
                number,
            )
        if not packages:
            raise SquasherError(f"'# squasher: {verb}' names no package", path, number)
        found.append(Directive(verb, packages, path, number))  # type: ignore[arg-type]
    return found


def build_tool(package: str) -> str | None:
    """What the build-tool list says ``package`` is ("C compiler"), or None when not listed."""
    name = package.split(":", 1)[0].lower()
    if any(fnmatchcase(name, p) for p in NOT_BUILD_TOOLS):
        return None
    for pattern, what in BUILD_TOOLS:
        if fnmatchcase(name, pattern):
            return what if pattern == name else f"{what}, matches {pattern}"
    return None


def decide(
    ops: Sequence[PkgOp],
    *,
    purge: Iterable[str] = (),
    keep: Iterable[str] = (),
    directives: Iterable[Directive] = (),
    no_purge: bool = False,
    purging_managers: Iterable[str] = ("apt", "apk", "dnf"),
    evidence: Sequence[Evidence] = (),
) -> list[Decision]:
    """One decision per package the original installs (plus user-named ones), in install order.

    ``ops`` are all the Dockerfile's operations in build order (``where`` filled in); ``purge`` and
    ``keep`` are the user's ``--purge`` / ``--keep``; ``directives`` the Dockerfile comments.
    ``evidence`` is what the image and its context run (CMD, compose files ...): a runtime tool
    stays when it names one of the tool's commands.
    A package the user names that the original does not install gets a decision for each
    purging manager the Dockerfile uses. An apk ``--virtual`` group is build-only when the
    original deletes it or every package in it is build-only.
    """
    purge_set = set(purge)
    keep_set = set(keep)
    both = sorted(purge_set & keep_set)
    if both:
        raise SquasherError(f"--purge and --keep both name {', '.join(both)}")
    comment_keep: dict[str, str] = {}
    comment_purge: dict[str, str] = {}
    for d in directives:
        target = comment_keep if d.verb == "keep" else comment_purge
        for p in d.packages:
            target.setdefault(p, d.where)
    managers = set(purging_managers)
    relevant = [op for op in ops if op.manager in managers]

    # last install and last removal of each (manager, package), in order
    installed: dict[tuple[str, str], str] = {}
    removed_at: dict[tuple[str, str], str] = {}
    groups: dict[tuple[str, str], list[str]] = {}
    for op in relevant:
        for p in op.packages:
            key = (op.manager, p)
            if op.action == "install":
                installed.setdefault(key, op.where)
                removed_at.pop(key, None)
            elif op.action in REMOVALS:
                removed_at[key] = op.where
        if op.action == "install" and op.virtual:
            key = (op.manager, op.virtual)
            installed.setdefault(key, op.where)
            removed_at.pop(key, None)
            groups.setdefault(key, []).extend(op.packages)

    def one(manager: str, package: str, where: str) -> Decision:
        def made(build_only: bool, reason: str, kind: str = "") -> Decision:
            return Decision(manager, package, build_only, reason, where, kind if build_only else "")

        if no_purge:
            return made(False, "purging turned off (--no-purge)")
        if package in keep_set:
            return made(False, "user override (--keep)")
        if package in purge_set:
            return made(True, "user override (--purge)", "named-by-user")
        if package in comment_keep:
            return made(False, f"user override ({comment_keep[package]}: # squasher: keep)")
        if package in comment_purge:
            return made(
                True,
                f"user override ({comment_purge[package]}: # squasher: purge)",
                "named-by-user",
            )
        if (manager, package) in removed_at:
            at = removed_at[(manager, package)]
            why = f"removed by the original at {at}" if at else "removed by the original"
            return made(True, why, "removed-by-original")
        members = groups.get((manager, package))
        if members is not None:
            if members and all(build_tool(m) for m in members):
                return made(True, "virtual group of build tools", "build-only")
            return made(False, "virtual group holding runtime packages")
        commands = tool_commands(package)
        if commands:
            return _runtime_tool(made(True, ""), commands, evidence)
        what = build_tool(package)
        if what is not None:
            return made(True, f"build-tool list ({what})", "build-only")
        return made(False, "not a build tool")

    decisions = [one(m, p, w) for (m, p), w in installed.items()]
    decisions = _hint_build_companions(decisions, relevant)
    for m, p in removed_at:
        if (m, p) not in installed:
            decisions.append(one(m, p, ""))
    seen = {(d.manager, d.package) for d in decisions}
    used = sorted({op.manager for op in relevant})
    named = sorted(purge_set | keep_set | set(comment_keep) | set(comment_purge))
    for m in used:
        for p in named:
            if (m, p) not in seen:
                decisions.append(one(m, p, ""))
    seen = {(d.manager, d.package) for d in decisions}
    for tool in list(decisions):
        if tool.kind != "runtime-tool":
            continue
        for runtime in tool_runtimes(tool.package):
            if (tool.manager, runtime) not in seen:
                seen.add((tool.manager, runtime))
                decisions.append(
                    Decision(
                        tool.manager,
                        runtime,
                        False,
                        f"the runtime {tool.package} runs on: stays when {tool.package} is purged",
                    )
                )
    return decisions


def _runtime_tool(
    decision: Decision, commands: Sequence[str], evidence: Sequence[Evidence]
) -> Decision:
    """A runtime tool: kept when the evidence names one of its commands, else purged, saying
    what was looked at and how to keep it."""
    listed = ", ".join(commands)
    hit = named_by(evidence, commands)
    if hit is not None:
        source, command = hit
        return replace(
            decision,
            build_only=False,
            kind="",
            reason=f"runtime tool ({listed}): {source} runs {command}",
        )
    looked = ", ".join(dict.fromkeys(e.source for e in evidence)) or (
        "no CMD, ENTRYPOINT or HEALTHCHECK, no compose file, Procfile or entrypoint script"
    )
    return replace(
        decision,
        kind="runtime-tool",
        commands=tuple(commands),
        reason=(
            f"runtime tool ({listed}) that nothing the image runs names (looked at: {looked}; "
            f"scripts the build writes are checked when it runs): "
            f"'# squasher: keep {decision.package}' or --keep {decision.package} keeps it"
        ),
    )


KEPT_WITH_BUILD_TOOLS = "installed with"


def _hint_build_companions(decisions: list[Decision], ops: Sequence[PkgOp]) -> list[Decision]:
    """Say so when a package kept as "not a build tool" was installed in one command with
    packages the original removes later but not with it (``apt-get install python3 make g++``,
    then ``apt-get remove make g++``): often only the build needs it, which squasher cannot know.
    It stays; the reason names the companions and the override."""
    build_only = {
        (d.manager, d.package)
        for d in decisions
        if d.build_only and d.reason.startswith("removed by the original")
    }
    out = []
    for d in decisions:
        if d.build_only or d.reason != "not a build tool":
            out.append(d)
            continue
        companions: list[str] = []
        for op in ops:
            if op.action == "install" and op.manager == d.manager and d.package in op.packages:
                companions = [p for p in op.packages if (op.manager, p) in build_only]
                break
        if companions:
            reason = (
                f"not a build tool; {KEPT_WITH_BUILD_TOOLS} {', '.join(companions)}, which the "
                f"original removes later: if only the build needs it, "
                f"'# squasher: purge {d.package}' or --purge {d.package}"
            )
            d = replace(d, reason=reason)
        out.append(d)
    return out


def apply_protections(
    decisions: Sequence[Decision], protections: Iterable[Protection]
) -> list[Decision]:
    """The final decisions once the build ran: a protected package is kept, with its reason.

    Protected packages without a decision (dependencies such as ``libpq5``) are added.
    """
    reason: dict[tuple[str, str], str] = {}
    for p in protections:
        reason.setdefault((p.manager, p.package), f"needed by {p.file} through {p.needs}")
    out = []
    for d in decisions:
        r = reason.pop((d.manager, d.package), None)
        if r is not None and d.build_only:
            d = replace(d, build_only=False, reason=r, kind="", commands=())
        out.append(d)
    for (m, name), r in reason.items():
        if not any(d.manager == m and d.package == name for d in out):
            out.append(Decision(m, name, False, r))
    return out


def build_only(decisions: Iterable[Decision], manager: str) -> list[str]:
    """The build-only package names of one manager (for ``purge_sh``)."""
    return sorted({d.package for d in decisions if d.manager == manager and d.build_only})


def kept(decisions: Iterable[Decision], manager: str) -> list[str]:
    """The kept package names of one manager (for ``purge_sh``)."""
    return sorted({d.package for d in decisions if d.manager == manager and not d.build_only})


def forced(decisions: Iterable[Decision], manager: str) -> list[str]:
    """Packages the user asked to purge (``--purge``, ``# squasher: purge``): removed even when
    the base image had them (``purge_sh``'s ``force``)."""
    return sorted(
        {
            d.package
            for d in decisions
            if d.manager == manager and d.build_only and d.reason.startswith("user override")
        }
    )
