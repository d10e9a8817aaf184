"""What a rewrite plan holds: per stage, an ordered list of output items.

An item is either an original instruction re-emitted as written (metadata, a kept instruction, a
hoisted ARG) or a *segment*: a run of folded instructions that becomes one staging COPY + one RUN
of a generated script. A segment's ``ops`` are what build.sh does, in order; they carry the
instruction they come from so every step in the script names its source line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from squasher.parse.model import Instruction, Stage
from squasher.parse.words import Part
from squasher.util.builders import Builder


@dataclass
class SetEnv:
    """ENV: every value computed with the environment before the instruction, then exported."""

    inst: Instruction
    pairs: list[tuple[str, list[Part]]]
    known: frozenset[str] = frozenset()  # names the Dockerfile defines at this point


@dataclass
class DeclareArg:
    """ARG: names whose (hidden) build-time values become visible from here on."""

    inst: Instruction
    reveal: list[str]


@dataclass
class SetWorkdir:
    inst: Instruction
    path: list[Part]
    known: frozenset[str] = frozenset()


@dataclass
class SetUser:
    inst: Instruction
    user: list[Part]
    known: frozenset[str] = frozenset()


@dataclass
class RunStep:
    """A RUN: ``argv`` exactly as the builder would start it (shell + text, or the exec form)."""

    inst: Instruction
    argv: list[str]
    pipe: tuple[str, str] | None = None  # (name, body): a '#!' heredoc run as /dev/pipes/NAME


@dataclass(frozen=True)
class Placement:
    """One thing a COPY/ADD puts into the image, with the builder's rules already decided.

    ``kind``: ``file`` (copied to ``target``, or to ``target/name`` when ``into`` or when
    ``target`` is a directory), ``dir`` (its contents copied into ``target``), ``archive``
    (unpacked into ``target``), ``heredoc`` (``body`` written as a file, like ``file``).
    ``owned_parents``/``owned_target``: the directories the copy creates get the ``--chown``
    owner (else root). ``generated``: squasher's own paths below ``target`` that a directory
    copy leaves out unless they were already there. ``link_times``: (path, mtime) of the
    symlinks an archive holds, set after unpacking.
    """

    kind: Literal["file", "dir", "archive", "heredoc"]
    source: str  # the staged path read; "" for a heredoc
    target: str  # absolute, cleaned
    name: str = ""
    into: bool = False
    owned_parents: bool = False
    owned_target: bool = False
    compression: str = ""  # archive: gzip | bzip2 | xz | "" (plain tar)
    body: str = ""  # heredoc: the file's text, expanded when its delimiter is unquoted
    generated: tuple[str, ...] = ()
    link_times: tuple[tuple[str, int], ...] = ()


@dataclass
class CopyOp:
    """A COPY/ADD from the context (or a COPY heredoc): what it places, owned and moded how."""

    inst: Instruction
    builder: Builder  # whose --chown lookup rules apply
    chown: str = ""  # the --chown spec, expanded; "" = none
    chmod: str = ""  # the --chmod mode, 4 octal digits; "" = none
    keep_special: bool = False  # setuid/setgid/sticky survive --chown/--chmod (BuildKit)
    placements: list[Placement] = field(default_factory=list)
    context_paths: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class SetVars:
    """Script bookkeeping that follows the state: ``__sq_home_env`` and ``__sq_unset_vars``."""

    home_env: bool
    unset_vars: list[str]


Op = SetEnv | DeclareArg | SetWorkdir | SetUser | RunStep | CopyOp | SetVars


@dataclass
class Segment:
    """Folded instructions that become one script (build.sh, build-2.sh, ...)."""

    stage_key: str
    number: int  # 1-based within the stage
    stage_last_line: int = 0  # the stage's last instruction ends here
    ops: list[Op] = field(default_factory=list)
    hidden_args: list[str] = field(default_factory=list)  # ARG values to hide until declared
    start_user: list[Part] | None = None  # USER in force when the script starts
    start_known: frozenset[str] = frozenset()
    start_home_env: bool = False
    start_unset_vars: list[str] = field(default_factory=list)
    restore_user: str | None = None  # USER line re-emitted after the RUN (the script runs as root)
    folded: list[Instruction] = field(default_factory=list)  # instructions the script performs
    hoisted_args: list[Instruction] = field(default_factory=list)
    metadata: list[Instruction] = field(default_factory=list)

    @property
    def script_name(self) -> str:
        return "build.sh" if self.number == 1 else f"build-{self.number}.sh"

    @property
    def has_steps(self) -> bool:
        return any(isinstance(op, (RunStep, CopyOp)) for op in self.ops)

    @property
    def context_paths(self) -> list[str]:
        paths: list[str] = []
        for op in self.ops:
            if isinstance(op, CopyOp):
                paths.extend(p for p in op.context_paths if p not in paths)
        return paths


@dataclass
class Original:
    """An instruction re-emitted exactly as written."""

    inst: Instruction
    why: str = ""  # for kept instructions: the reason it is not folded


Item = Original | Segment


@dataclass
class StagePlan:
    stage: Stage
    key: str  # directory under .squasher/: the stage name or stage-N
    items: list[Item] = field(default_factory=list)

    @property
    def segments(self) -> list[Segment]:
        return [it for it in self.items if isinstance(it, Segment) and it.has_steps]
