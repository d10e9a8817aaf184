"""The structured report of a rewrite: what was folded, what was kept and why, warnings, staging.

The rewritten Dockerfile passes hadolint except for these rules, broken on purpose:

- DL3002 (last USER should not be root) cannot come from squasher: a ``USER root`` it adds before
  a script is always followed by the original USER again.
- DL3059 (multiple consecutive RUN): only where the original itself has an instruction that must
  stay (``RUN --mount``, ``COPY --from`` ...) next to a script's RUN.
- Everything hadolint says about the commands inside RUN (DL3008 pinning, DL3009 apt lists, ...)
  now applies to build.sh, which hadolint does not read; run hadolint on the original.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any

from squasher.util.units import human_bytes

if TYPE_CHECKING:
    from squasher.pkg.build_tools import Decision


@dataclass
class FoldedStep:
    stage: str
    line: int
    instruction: str
    script: str  # context-relative path of the script that performs it


@dataclass
class StagedFile:
    """A context file a staging COPY carries into a layer of its own (script strategy)."""

    path: str  # context-relative
    bytes: int
    # True: a folded COPY/ADD reads it, so the image stores it twice (the staging layer keeps
    # it under the copy the script makes); False: staged with the whole context, read by nothing
    copied: bool


@dataclass
class KeptInstruction:
    stage: str
    line: int
    instruction: str
    reason: str


@dataclass
class PackageDecision:
    """A package the stage installs (or the user names): purged at the end, or kept, and why."""

    stage: str
    manager: str
    package: str
    purged: bool
    reason: str  # "build-tool list (C compiler)", "removed by the original at Dockerfile:12", ...
    where: str = ""  # where the original installed it
    # Why the package was purged, as verify classifies its missing files:
    #   "build-only"          compilers, -dev headers, build systems (files gone: expected)
    #   "runtime-tool"        a tool with common run-time uses (pip, git, curl ...) purged by
    #                         squasher's own decision; `commands` lists what it provided
    #   "removed-by-original" the original's own removal, completed by the purge
    #   "named-by-user"       --purge PKG / `# squasher: purge PKG`
    # and "" for a package that is kept.
    kind: str = ""
    commands: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, stage: str, decision: Decision) -> PackageDecision:
        """The report's entry for one of the purge's decisions in ``stage``."""
        d = decision
        return cls(
            stage, d.manager, d.package, d.build_only, d.reason, d.where, d.kind, list(d.commands)
        )


@dataclass
class PurgeSplit:
    """Packages installed in a script before an instruction that must stay: the stage's purge and
    cleanup run in a later script, a later layer, and free none of the bytes the earlier layer
    holds (``--strategy stages`` builds in a stage of its own and copies only the result)."""

    stage: str
    kept_line: int  # the instruction that cuts the stage
    kept_instruction: str
    install_lines: list[int]  # where the packages were installed
    script: str  # the script whose layer holds them
    purge_script: str  # the script that purges, later
    layer_bytes: int | None = None  # diff-size: the size of ``script``'s layer
    purge_freed_bytes: int | None = None  # diff-size: what the purge removed, from view only


@dataclass
class RewriteReport:
    dockerfile: str
    output: str
    builder: str
    strategy: str
    stages: int = 0
    scripts: list[str] = field(default_factory=list)
    # the scripts that run inline, from their RUN instruction (script strategy, nothing staged)
    inline_scripts: list[str] = field(default_factory=list)
    folded: list[FoldedStep] = field(default_factory=list)
    kept: list[KeptInstruction] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    staging_paths: list[str] = field(default_factory=list)  # context paths the scripts read
    # every context path the squashed build reads: the staging's, and what kept COPY/ADD and the
    # base images' ONBUILD triggers read ("." for the whole context)
    context_paths: list[str] = field(default_factory=list)
    # what the staging COPYs carry, all of it kept in their layers (0 with the mount strategy and
    # for scripts run inline): the context files, and squasher's scripts (staged_script_bytes)
    staging_bytes: int = 0
    staged_script_bytes: int = 0
    staged_files: list[StagedFile] = field(default_factory=list)  # the largest first
    unchanged: bool = False  # the input already was squasher's output
    packages: list[PackageDecision] = field(default_factory=list)
    unanalysed: list[str] = field(default_factory=list)  # RUN steps bashlex could not read
    purge_splits: list[PurgeSplit] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RewriteReport:
        """The report from its ``to_dict`` form (keys it does not know are ignored)."""
        nested = {
            "folded": FoldedStep,
            "kept": KeptInstruction,
            "packages": PackageDecision,
            "staged_files": StagedFile,
        }
        names = {f.name for f in fields(cls)}
        values: dict[str, Any] = {k: v for k, v in data.items() if k in names}
        for key, kind in nested.items():
            known = {f.name for f in fields(kind)}
            values[key] = [
                kind(**{k: v for k, v in item.items() if k in known})
                for item in values.get(key) or []
            ]
        return cls(**values)

    def summary(self) -> str:
        """A few lines for the terminal."""
        if self.unchanged:
            return f"{self.dockerfile}: already squashed by squasher; nothing to do"
        lines = [
            f"{self.dockerfile} -> {self.output} ({self.builder}, {self.strategy}): "
            f"{len(self.folded)} instruction(s) folded into {len(self.scripts)} script(s) "
            f"in {self.stages} stage(s)",
        ]
        if self.strategy in ("script", "mount"):
            lines += staging_lines(self.to_dict())
        elif self.strategy == "stages":
            lines[0] = (
                f"{self.dockerfile} -> {self.output} ({self.builder}, stages): the original "
                f"stage builds as written; a final stage copies its delta ({len(self.scripts)} "
                "script(s))"
            )
        for k in self.kept:
            lines.append(f"kept {self.dockerfile}:{k.line}: {k.instruction}: {k.reason}")
        purged = [p.package for p in self.packages if p.purged]
        kept_pkgs = [p.package for p in self.packages if not p.purged]
        if purged:
            lines.append(f"purged at the end: {', '.join(purged)}")
        if kept_pkgs:
            lines.append(f"kept: {', '.join(kept_pkgs)}")
        from squasher.pkg.build_tools import KEPT_WITH_BUILD_TOOLS

        for p in self.packages:
            if not p.purged and KEPT_WITH_BUILD_TOOLS in p.reason:
                where = f" ({p.where})" if p.where else ""
                lines.append(f"note: kept {p.package}{where}: {p.reason}")
        for u in self.unanalysed:
            lines.append(f"warning: {u}")
        for w in self.warnings:
            lines.append(f"warning: {w}")
        return "\n".join(lines)


def staging_lines(data: Mapping[str, Any], *, shown: int = 3) -> list[str]:
    """What the staging costs, in a few lines (a rewrite report in its ``to_dict`` form, script
    and mount strategies): what stays in the staging COPY's layer, and the files stored twice."""
    if data.get("strategy") == "mount":
        return ["staging: none (the scripts and the files they read are bind-mounted into the RUN)"]
    inline = len(data.get("inline_scripts") or [])
    if not data.get("staging_bytes") and not data.get("staged_script_bytes"):
        return [f"staging: none ({inline} script(s) run inline from their RUN instruction)"]
    files = [f for f in data.get("staged_files") or []]
    context = sum(int(f["bytes"]) for f in files)
    lines = [
        f"staging: {human_bytes(int(data.get('staging_bytes') or 0))} stay in the staging COPY's "
        f"layer: squasher's scripts {human_bytes(int(data.get('staged_script_bytes') or 0))}, "
        f"{len(files)} context file(s) {human_bytes(context)}"
        + (f"; {inline} script(s) run inline" if inline else "")
    ]
    twice = [f for f in files if f["copied"]]
    if twice:
        named = ", ".join(f"{f['path']} {human_bytes(int(f['bytes']))}" for f in twice[:shown])
        rest = twice[shown:]
        if rest:
            named += f" (+{len(rest)} more, {human_bytes(sum(int(f['bytes']) for f in rest))})"
        avoid = (
            "--strategy mount or stages avoids it"
            if data.get("builder") == "buildkit"
            else ("--strategy stages avoids it")
        )
        lines.append(f"staged twice: {named}; {avoid}")
    return lines
