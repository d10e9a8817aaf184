"""The builder's state as the planner tracks it along a stage, and the planner's options."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from squasher.parse.model import Instruction, Stage
from squasher.parse.words import Lit, Part, Var
from squasher.plan.base import BaseInfo
from squasher.plan.model import StagePlan
from squasher.util.builders import Builder

DEFAULT_SHELL = ["/bin/sh", "-c"]
SCRIPT_ADDED_VARS = ("PWD", "OLDPWD", "SHLVL")  # the script's own shell adds these; Docker doesn't


class Unknown(Exception):
    """A value needed at rewrite time depends on something only known at build time."""


@dataclass
class PlanOptions:
    builder: Builder = "buildkit"
    strategy: str = "script"  # script | mount
    context: Path | None = None
    dockerfile_path: str = "Dockerfile"  # as named in error messages
    base_info: BaseInfo | None = None  # what an engine knows of base images (squasher.plan.base)
    script_name: str = "Dockerfile"  # as named inside the generated scripts (no directories)


@dataclass
class StageState:
    """The builder's state at one point of a stage, as far as the rewrite needs it."""

    env_names: set[str] = field(default_factory=set)  # set by ENV in the Dockerfile
    static_env: dict[str, str] = field(default_factory=dict)  # ENV values known at rewrite time
    args: set[str] = field(default_factory=set)  # ARG names declared (in scope)
    workdir: str | None = None  # absolute, None = unknown (the base image's)
    user: list[Part] | None = None  # None = the base image's user (root assumed)
    user_line: str | None = None  # a USER line that sets ``user`` again (its original text)
    shell: list[str] = field(default_factory=lambda: list(DEFAULT_SHELL))
    no_shell: str = ""  # why the image has no /bin/sh (scratch, distroless), "" = it has one
    switch_tools: frozenset[str] | None = None  # the image's user-switch tools (None: unknown)

    def known_names(self) -> frozenset[str]:
        return frozenset(self.env_names | self.args)


@dataclass
class PlanResult:
    stages: list[StagePlan]
    notes: list[str] = field(default_factory=list)  # warnings for the report
    triggers: list[Instruction] = field(default_factory=list)  # base ONBUILD triggers, parsed


def stage_key(stage: Stage) -> str:
    if stage.name:
        key = re.sub(r"[^a-z0-9._-]", "_", stage.name)
        if key and key not in (".", ".."):
            return key
    return f"stage-{stage.index}"


def var_names(parts: list[Part] | tuple[Part, ...]) -> Iterator[str]:
    """Every variable a word template reads, nested defaults included."""
    for p in parts:
        if isinstance(p, Var):
            yield p.name
            yield from var_names(p.word)
            yield from var_names(p.replacement)


def refers_to(text: str, name: str) -> bool:
    """Whether ``text`` (an instruction as written) reads ``$name`` or ``${name...}``."""
    if name not in text:
        return False
    return re.search(r"\$\{?" + re.escape(name) + r"(?![A-Za-z0-9_])", text) is not None


def is_root(user: list[Part] | None) -> bool:
    """True when the USER in force certainly is root (None: the base image's, assumed root)."""
    if user is None:
        return True
    if all(isinstance(p, Lit) for p in user):
        return "".join(p.text for p in user if isinstance(p, Lit)) in ("", "root", "0")
    return False
