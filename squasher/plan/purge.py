"""Purging build tools and cleaning caches in the scripts: the package-manager layer
(``squasher.pkg``) wired into build.sh through the script hooks (``squasher.plan.hooks``).

Per stage, over all its folded RUN steps:

- the first script of the stage records what is installed by hand and the build's start
  (``snapshot_sh`` of each package manager the stage uses);
- right before every removal of the original's own (``apt-get purge``/``autoremove``, ``apk del``
  ...), even inside the RUN that built the program, wrappers of the package tools protect the
  packages that the files built so far need (``intercept_sh`` → ``protect_sh``), unless
  ``exact``;
- the last script of the stage removes the build-only packages (``purge_sh``) and cleans the
  caches and /tmp (``cleanup_sh``), then its state directory.

A stage split by an instruction that must stay (``COPY --from`` ...) into several scripts purges
and cleans only in its last script, so later scripts still find the tools and package lists.
The state lives in an unexported shell variable: the original steps never see it.
"""

from __future__ import annotations

import copy
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from squasher.parse.model import Dockerfile, Instruction
from squasher.pkg import MANAGERS, ScriptOps, cleanup_sh, detect_ops
from squasher.pkg import build_tools as bt
from squasher.pkg.apt import Apt
from squasher.pkg.base import PkgOp
from squasher.pkg.common import python_build_scripts_sh
from squasher.pkg.directives import parse_directives
from squasher.pkg.evidence import Evidence, context_evidence, python_build_scripts
from squasher.plan.hooks import ScriptHooks
from squasher.plan.model import CopyOp, RunStep, Segment, StagePlan

STATE_DIR = "/.squasher-state"

# The package layer's wrappers (``intercept_sh``) go into /usr/local/sbin for the time of the build
# and come out before squasher's own purge: runtime helpers (squasher/render/runtime/wrappers.sh).
INSTALL_WRAPPERS_SH = "__sq_install_wrappers"
REMOVE_WRAPPERS_SH = "__sq_remove_wrappers"


@dataclass
class PurgeOptions:
    purge: bool = True  # False: --no-purge (caches are still cleaned)
    purge_packages: Sequence[str] = ()  # --purge PKG
    keep_packages: Sequence[str] = ()  # --keep PKG
    exact: bool = False  # --exact: no protection; reproduce the original's removals
    no_recommends: bool = False  # --no-recommends
    context: str = ""  # the build context: its compose files, Procfile, entrypoint scripts


@dataclass
class StagePackages:
    """What one stage's folded RUN steps do with packages."""

    ops: list[PkgOp] = field(default_factory=list)
    removal_steps: dict[int, list[str]] = field(default_factory=dict)  # line -> managers
    unanalysed: list[tuple[int, str]] = field(default_factory=list)  # (line, bashlex's reason)
    decisions: list[bt.Decision] = field(default_factory=list)
    first_segment: int = 1
    last_segment: int = 1

    def managers(self) -> list[str]:
        return sorted({op.manager for op in self.ops})


def run_text(inst: Instruction) -> str:
    """The shell text of a RUN as the package layer reads it."""
    if inst.heredocs:
        return "\n".join(h.body for h in inst.heredocs)
    if inst.json_form:
        return shlex.join(inst.args)
    return inst.rest


# What a RUN must name, somewhere in its text, for the package layer to find anything in it: a
# command of one of the managers, or ``rm`` together with one of their cache paths (the original's
# own cache cleaning; ``~/`` stands for root's home). Text naming neither is not parsed at all: its
# package operations are known to be none.
_TOOL_WORDS = tuple(sorted({t for m in MANAGERS.values() for t in m.tools}))
_CACHE_WORDS = tuple(
    sorted(
        {p for m in MANAGERS.values() for p in m.cache_paths()}
        | {
            "~/" + p[len("/root/") :]
            for m in MANAGERS.values()
            for p in m.cache_paths()
            if p.startswith("/root/")
        }
    )
)


def names_a_package_tool(text: str) -> bool:
    """False only when no command of ``text`` can be a package tool (or an ``rm`` of a cache):
    the shell joins ``a\\<newline>b`` and removes quotes and backslashes before it sees a command
    name or a path, so the test runs on the text without them; any occurrence counts, even
    inside a word."""
    bare = text.replace("\\\n", "")
    for ch in "\\'\"":
        bare = bare.replace(ch, "")
    if any(word in bare for word in _TOOL_WORDS):
        return True
    return "rm" in bare and any(path in bare for path in _CACHE_WORDS)


@lru_cache(maxsize=4096)
def _ops_of_text(text: str) -> ScriptOps:
    return detect_ops(text)


def forget_parsed_runs() -> None:
    """Empty the cache of parsed RUN text, so that the next rewrite parses as a fresh process
    would (what the rewrite-speed benchmark times)."""
    _ops_of_text.cache_clear()


def detect_step(text: str, where: str, prefilter: bool = True) -> ScriptOps:
    """The package operations of one RUN's text (``detect_ops``), skipping bashlex for text that
    names no package tool and parsing a text repeated across RUNs once."""
    if prefilter and not names_a_package_tool(text):
        return ScriptOps()
    found = _ops_of_text(text)
    ops: list[PkgOp] = []
    for op in found.ops:
        ops.append(copy.copy(op))  # the cached operations stay as detect_ops made them
        ops[-1].where = where
    return ScriptOps(ops, found.error)


RUNS_AT_START = ("CMD", "ENTRYPOINT", "HEALTHCHECK")


def run_evidence(df: Dockerfile, context: str = "") -> list[Evidence]:
    """What the image runs (every stage's CMD, ENTRYPOINT, HEALTHCHECK) and what its context
    runs with it (compose files, Procfile, entrypoint scripts): a runtime tool named there stays."""
    found: list[Evidence] = []
    words: list[str] = []
    for stage in df.stages:
        for inst in stage.instructions:
            if inst.keyword in RUNS_AT_START:
                text = " ".join(inst.args) if inst.json_form else inst.rest
                found.append(Evidence(f"{_where(df, inst)} {inst.keyword}", text))
                words.extend(text.split())
    return found + context_evidence(Path(context) if context else None, words)


def _where(df: Dockerfile, inst: Instruction) -> str:
    return f"{df.path.rsplit('/', 1)[-1]}:{inst.start_line}"


class PurgeHooks(ScriptHooks):
    """The purge/clean/protect snippets, per segment, from the whole plan."""

    def __init__(
        self,
        df: Dockerfile,
        stages: Sequence[StagePlan],
        options: PurgeOptions,
        prefilter: bool = True,  # False: every RUN goes through bashlex (for tests)
    ) -> None:
        self.options = options
        self.stages: dict[str, StagePackages] = {}
        directives = parse_directives(df.source, df.path)
        evidence = run_evidence(df, options.context)
        self.build_scripts = python_build_scripts(evidence)
        for sp in stages:
            info = StagePackages()
            numbers: list[int] = []
            for item in sp.items:
                if not isinstance(item, Segment) or not item.has_steps:
                    continue
                numbers.append(item.number)
                for op in item.ops:
                    if not isinstance(op, RunStep):
                        continue
                    where = _where(df, op.inst)
                    found = detect_step(run_text(op.inst), where, prefilter)
                    if found.error is not None:
                        info.unanalysed.append((op.inst.start_line, found.error))
                        continue
                    info.ops.extend(found.ops)
                    removing = sorted(
                        {o.manager for o in found.removals() if MANAGERS[o.manager].purges}
                    )
                    if removing:
                        info.removal_steps[op.inst.start_line] = removing
            if numbers:
                info.first_segment, info.last_segment = min(numbers), max(numbers)
            info.decisions = bt.decide(
                info.ops,
                purge=options.purge_packages,
                keep=options.keep_packages,
                directives=directives,
                no_purge=not options.purge,
                evidence=evidence,
            )
            self.stages[sp.key] = info

    def _info(self, seg: Segment) -> StagePackages | None:
        info = self.stages.get(seg.stage_key)
        return info if info is not None and info.ops else None

    def prologue(self, seg: Segment) -> list[str]:
        info = self._info(seg)
        if info is None:
            return []
        lines = [f"SQUASHER_STATE={STATE_DIR}"]
        if seg.number == info.first_segment:
            for name in info.managers():
                lines.append(MANAGERS[name].snapshot_sh().rstrip("\n"))
            lines.append(python_build_scripts_sh(self.build_scripts).rstrip("\n"))
            if self.options.no_recommends and "apt" in info.managers():
                lines.append(Apt().no_recommends_sh().rstrip("\n"))
            if not self.options.exact:
                for name in info.managers():
                    if MANAGERS[name].purges:
                        lines.append(MANAGERS[name].intercept_sh().rstrip("\n"))
                lines.append(INSTALL_WRAPPERS_SH.rstrip("\n"))
        return lines

    def before_step(self, seg: Segment, op: RunStep | CopyOp) -> list[str]:
        """Tell the wrappers which step runs, so protections name its line."""
        info = self._info(seg)
        if info is None or self.options.exact or not isinstance(op, RunStep):
            return []
        return [f"__sq_where {op.inst.start_line}"]

    def epilogue(self, seg: Segment) -> list[str]:
        info = self._info(seg)
        if info is None or seg.number != info.last_segment:
            return []
        lines: list[str] = [REMOVE_WRAPPERS_SH.rstrip("\n")]
        used = info.managers()
        if self.options.purge:
            for name in used:
                manager = MANAGERS[name]
                if not manager.purges:
                    continue
                lines.append(
                    manager.purge_sh(
                        bt.build_only(info.decisions, name),
                        bt.kept(info.decisions, name),
                        bt.forced(info.decisions, name),
                    ).rstrip("\n")
                )
        lines.append(cleanup_sh(used).rstrip("\n"))
        if self.options.no_recommends and "apt" in used:
            lines.append(Apt().no_recommends_end_sh().rstrip("\n"))
        lines.append('rm -rf "$SQUASHER_STATE"')
        return lines
