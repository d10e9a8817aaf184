"""Which installed packages are build-only: the decision, with reasons.

The rule: build-only are the packages the original itself removes later, the known build tools
(:data:`squasher.pkg.known_build_tools.BUILD_TOOLS`), the runtime tools of
:data:`squasher.pkg.runtime.RUNTIME_TOOLS` (pip, git, curl, npm ...) that nothing the image runs
names (see :mod:`squasher.pkg.evidence`; the runtime such a tool runs on, nodejs for npm, stays),
and what the user says (``--purge PKG`` / ``--keep PKG`` on the command line,
``# squasher: purge PKG...`` / ``# squasher: keep PKG...`` comments in the Dockerfile, read by
:mod:`squasher.pkg.directives`). Everything else is kept. Precedence, first match wins:
``--keep``, ``--purge``, comment keep, comment purge, removed by the original, runtime tool,
build-tool list, kept. Each decision carries its ``kind`` for the report.

Only managers that purge (apt, apk, dnf) get decisions; pip and npm packages are never removed.
At build time the protection may still keep a build-only package because a new file needs it:
:func:`apply_protections` turns the build log's protection lines into the final decisions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from squasher.errors import SquasherError
from squasher.pkg.base import REMOVALS, PkgOp, Protection
from squasher.pkg.directives import Directive
from squasher.pkg.evidence import Evidence, named_by
from squasher.pkg.known_build_tools import build_tool
from squasher.pkg.runtime import tool_commands, tool_runtimes


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


@dataclass
class _Choices:
    """What the user decided: ``--purge`` / ``--keep`` and the Dockerfile's ``# squasher:``
    comments (package -> the comment's place)."""

    purge: set[str]
    keep: set[str]
    comment_keep: dict[str, str] = field(default_factory=dict)
    comment_purge: dict[str, str] = field(default_factory=dict)

    def named(self) -> list[str]:
        return sorted(self.purge | self.keep | set(self.comment_keep) | set(self.comment_purge))


@dataclass
class _History:
    """Per (manager, package): where the original last installs it, where it last removes it
    (after that install), and the members of an apk ``--virtual`` group."""

    installed: dict[tuple[str, str], str] = field(default_factory=dict)
    removed_at: dict[tuple[str, str], str] = field(default_factory=dict)
    groups: dict[tuple[str, str], list[str]] = field(default_factory=dict)


def _choices(
    purge: Iterable[str], keep: Iterable[str], directives: Iterable[Directive]
) -> _Choices:
    choices = _Choices(set(purge), set(keep))
    both = sorted(choices.purge & choices.keep)
    if both:
        raise SquasherError(f"--purge and --keep both name {', '.join(both)}")
    for d in directives:
        target = choices.comment_keep if d.verb == "keep" else choices.comment_purge
        for p in d.packages:
            target.setdefault(p, d.where)
    return choices


def _history(ops: Sequence[PkgOp]) -> _History:
    history = _History()
    installed, removed_at = history.installed, history.removed_at
    for op in ops:
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
            history.groups.setdefault(key, []).extend(op.packages)
    return history


def _decide_one(
    manager: str,
    package: str,
    where: str,
    *,
    choices: _Choices,
    history: _History,
    no_purge: bool,
    evidence: Sequence[Evidence],
) -> Decision:
    """The decision for one package, the first rule that applies winning: --no-purge, the
    user's choices, the original's own removal, a virtual group, a runtime tool, the build-tool
    list."""

    def made(build_only: bool, reason: str, kind: str = "") -> Decision:
        return Decision(manager, package, build_only, reason, where, kind if build_only else "")

    if no_purge:
        return made(False, "purging turned off (--no-purge)")
    if package in choices.keep:
        return made(False, "user override (--keep)")
    if package in choices.purge:
        return made(True, "user override (--purge)", "named-by-user")
    if package in choices.comment_keep:
        return made(False, f"user override ({choices.comment_keep[package]}: # squasher: keep)")
    if package in choices.comment_purge:
        return made(
            True,
            f"user override ({choices.comment_purge[package]}: # squasher: purge)",
            "named-by-user",
        )
    if (manager, package) in history.removed_at:
        at = history.removed_at[(manager, package)]
        why = f"removed by the original at {at}" if at else "removed by the original"
        return made(True, why, "removed-by-original")
    members = history.groups.get((manager, package))
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
    choices = _choices(purge, keep, directives)
    managers = set(purging_managers)
    relevant = [op for op in ops if op.manager in managers]
    history = _history(relevant)

    def one(manager: str, package: str, where: str) -> Decision:
        return _decide_one(
            manager,
            package,
            where,
            choices=choices,
            history=history,
            no_purge=no_purge,
            evidence=evidence,
        )

    decisions = [one(m, p, w) for (m, p), w in history.installed.items()]
    decisions = _hint_build_companions(decisions, relevant)
    for m, p in history.removed_at:
        if (m, p) not in history.installed:
            decisions.append(one(m, p, ""))
    seen = {(d.manager, d.package) for d in decisions}
    for m in sorted({op.manager for op in relevant}):
        for p in choices.named():
            if (m, p) not in seen:
                decisions.append(one(m, p, ""))
    return decisions + _runtimes_of_tools(decisions)


def _runtimes_of_tools(decisions: list[Decision]) -> list[Decision]:
    """A kept decision for the runtime each runtime tool runs on, unless one is decided already:
    purging the tool never takes its runtime along."""
    seen = {(d.manager, d.package) for d in decisions}
    added: list[Decision] = []
    for tool in decisions:
        if tool.kind != "runtime-tool":
            continue
        for runtime in tool_runtimes(tool.package):
            if (tool.manager, runtime) not in seen:
                seen.add((tool.manager, runtime))
                added.append(
                    Decision(
                        tool.manager,
                        runtime,
                        False,
                        f"the runtime {tool.package} runs on: stays when {tool.package} is purged",
                    )
                )
    return added


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
