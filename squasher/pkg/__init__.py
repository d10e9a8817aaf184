"""Package managers: what RUN lines install and remove, and the sh that purges and cleans after.

``MANAGERS`` is the one registry (name -> manager). The interface is
:class:`squasher.pkg.base.PackageManager`; the build-only decision is in
:mod:`squasher.pkg.build_tools` (the build-tool list in :mod:`squasher.pkg.known_build_tools`,
the Dockerfile's ``# squasher:`` comments in :mod:`squasher.pkg.directives`).

Typical use by the rewrite (planner/renderer) and the report::

    analysis = detect_ops(script_of_the_RUN, where="Dockerfile:12")   # never raises
    if analysis.error: ...        # bashlex failed: step stays verbatim, report it as unanalysed
    ops += analysis.ops           # PkgOp: manager, action, packages, where, ...

    directives = parse_directives(dockerfile.source, dockerfile.path)  # squasher.pkg.directives
    decisions = build_tools.decide(ops, purge=cli_purge, keep=cli_keep,
                                   directives=directives, no_purge=cli_no_purge)
    used = sorted({op.manager for op in ops})

build.sh, in this order (all snippets are POSIX sh; the renderer exports ``SQUASHER_STATE``, a
state directory outside /tmp, before the first and removes it after the last):

1. ``MANAGERS[m].snapshot_sh()`` for each used manager (``Apt.no_recommends_sh()`` for
   ``--no-recommends``);
2. ``MANAGERS[m].intercept_sh()`` unless ``--exact``; ``squasher.plan.purge`` copies the
   wrappers into /usr/local/sbin for the build and writes ``Dockerfile:N`` to
   ``$SQUASHER_STATE/where`` before each step: the original's own purges/autoremoves then run
   ``protect_sh`` first, without editing the step or its environment.
   (Without the wrappers, put ``MANAGERS[m].protect_sh("Dockerfile:N")`` before each step that
   has ``op.is_removal``.);
3. unless ``--no-purge``: ``MANAGERS[m].purge_sh(build_tools.build_only(decisions, m),
   build_tools.kept(decisions, m), build_tools.forced(decisions, m))`` for purging managers;
4. ``cleanup_sh(used, skip=...)`` (caches, /tmp), ``Apt.no_recommends_end_sh()`` if used.

Report: ``base.parse_protect_log(build_log)`` and ``base.parse_freed_log(build_log)`` read what
the script printed; ``build_tools.apply_protections(decisions, protections)`` gives the final
kept/purged list with a reason for each package.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from squasher.pkg.apk import Apk
from squasher.pkg.apt import Apt
from squasher.pkg.base import PackageManager, PkgOp
from squasher.pkg.common import tmp_clean_sh
from squasher.pkg.dnf import Dnf
from squasher.pkg.gomod import GoModules
from squasher.pkg.npm import Npm
from squasher.pkg.pip import Pip
from squasher.shell.query import SimpleCommand, parse_commands, strip_wrappers

MANAGERS: dict[str, PackageManager] = {
    "apt": Apt(),
    "apk": Apk(),
    "dnf": Dnf(),
    "pip": Pip(),
    "npm": Npm(),
    "go": GoModules(),
}


@dataclass
class ScriptOps:
    """The package operations of one shell script (one RUN), or why it could not be read."""

    ops: list[PkgOp] = field(default_factory=list)
    error: str | None = None  # bashlex's reason: the step is unanalysed

    def managers(self) -> list[str]:
        return sorted({op.manager for op in self.ops})

    def removals(self) -> list[PkgOp]:
        return [op for op in self.ops if op.is_removal]


def cleanup_sh(managers: Iterable[str], skip: Collection[str] = ()) -> str:
    """The cache cleaning of the named managers, then what the build left in /tmp and /var/tmp.

    ``skip`` holds paths the original wants kept (a cache it mounts or reuses, /tmp content the
    image needs); see each manager's ``cache_paths()``.
    """
    parts = [MANAGERS[name].clean_sh(skip) for name in sorted(set(managers))]
    parts.append(tmp_clean_sh(skip))
    return "".join(p for p in parts if p)


def detect_ops(script: str, where: str = "") -> ScriptOps:
    """Every manager's operations in ``script``, in execution order. Never raises."""
    parse = parse_commands(script)
    if parse.error is not None:
        return ScriptOps(error=parse.error)
    ops: list[PkgOp] = []
    for cmd in parse.commands:
        real = strip_wrappers(cmd)
        if not real.words:
            continue
        found: list[PkgOp] = []
        for manager in MANAGERS.values():
            found.extend(manager.detect(real))
        if not found and real.name == "rm":
            found = _cache_removals(real)
        for op in found:
            op.where = where
            ops.append(op)
    return ScriptOps(ops=ops)


def _cache_removals(cmd: SimpleCommand) -> list[PkgOp]:
    """``rm -rf /var/lib/apt/lists/*``, ``rm -rf ~/.cache/pip``: the original's own cache cleaning."""
    ops: list[PkgOp] = []
    targets = [w.text.replace("~/", "/root/", 1) for w in cmd.args if not w.text.startswith("-")]
    for manager in MANAGERS.values():
        paths = [
            p
            for p in manager.cache_paths()
            if any(t.rstrip("/*") == p or t.startswith(p + "/") for t in targets)
        ]
        if paths:
            ops.append(
                PkgOp(
                    manager=manager.name,
                    action="clean",
                    specs=paths,
                    tool="rm",
                    conditional=cmd.conditional,
                    command=cmd,
                )
            )
    return ops
