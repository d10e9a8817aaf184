"""``--strategy stages``: the original stage runs as written in a build stage; a final stage
``FROM`` the same base copies in what the build added or changed (the delta) and carries the
original's metadata instructions.

Dockerfile.squashed, for the stage that becomes the image (the last, or ``target``)::

    FROM base AS <name>-squasher-build
    COPY .squasher/<stage>/begin.sh /.squasher-stages/begin.sh
    RUN ["/bin/sh", "/.squasher-stages/begin.sh"]     records the base's file system, installs
                                                      the protection wrappers
    ...every instruction of the original stage, as written; around each large COPY of the
    context (``large_copies``) a RUN of mark-copy.sh before and after, which records what it
    placed...
    COPY .squasher/<stage>/end.sh .squasher/<stage>/delta.awk /.squasher-stages/
    RUN ["/bin/sh", "/.squasher-stages/end.sh"]       purges, cleans, lays the delta out

    FROM base AS <name>
    COPY --from=<name>-squasher-build /.squasher-delta/packages/ /
    COPY --from=<name>-squasher-build /.squasher-delta/libraries/ /
    COPY --from=<name>-squasher-build /.squasher-delta/copy-<line>/ /   one per large COPY
    COPY --from=<name>-squasher-build /.squasher-delta/application/ /
    RUN ["/bin/sh", "-c", "cd /.squasher-remove && ..."]   removes the base paths the build
                                                      removed (listed as empty files)
    ...ENV, ARG, WORKDIR, USER, CMD, LABEL ... of the original stage, as written, in order...

The delta's layers go from what changes least (package-manager files and databases) to what
changes most (the application), with what each large COPY of the context placed (and nothing
changed since) in a layer of its own before the application, in the original's order: a
rebuild after a change of application files makes the same lower layers (delta.awk fixes the
times the final step touches). Other stages stay as written.
The build log carries what the delta holds (:func:`parse_delta_log`).

An instruction that reads the whole context (``COPY . .``, ``ADD .``, a wildcard COPY) reads
squasher's copy of it instead, a first ``FROM scratch`` stage without the files the rewrite
generates (``squasher.context.snapshot``): ``COPY --from=squasher-context . .``. Numeric stage
references then count that stage too.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from squasher.errors import SquasherError
from squasher.parse.model import Dockerfile, Instruction, Stage
from squasher.parse.words import Lit, WordSyntaxError, env_pairs, lex_word
from squasher.pkg import build_tools as bt
from squasher.plan.base import BaseInfo
from squasher.plan.purge import PurgeOptions
from squasher.render.dockerfile import read_context_stage, shift_stage_indexes
from squasher.render.stages.delta import DELTA_DIR, delta_layers
from squasher.render.stages.scripts import (
    begin_sh,
    end_sh,
    mark_copy_sh,
    sh_file,
    stage_packages,
)

if TYPE_CHECKING:
    from squasher.context.snapshot import ContextStage

SCRIPTS_DIR = "/.squasher-stages"
REMOVALS_DIR = "/.squasher-remove"  # an empty file per removed path: /.squasher-remove/etc/motd
# the final stage's RUN: remove what the list names, then the list and the layers' marks
REMOVE_SH = (
    f'cd {REMOVALS_DIR} && find . -type f | while IFS= read -r p; do rm -rf "${{p#.}}"; done'
    f" && cd / && rm -rf {REMOVALS_DIR} /.squasher-layers"
)

# instructions that only set the image's configuration (or the build's variables): the final
# stage repeats them so that its config is the original's
METADATA = frozenset(
    {
        "ENV",
        "ARG",
        "WORKDIR",
        "USER",
        "CMD",
        "ENTRYPOINT",
        "LABEL",
        "EXPOSE",
        "VOLUME",
        "HEALTHCHECK",
        "STOPSIGNAL",
        "SHELL",
        "ONBUILD",
        "MAINTAINER",
    }
)
_ROOT_USERS = ("", "root", "0", "root:root", "0:0", "root:0", "0:root")


@dataclass
class StagesOutput:
    """What the stages renderer makes: the Dockerfile text and the files under .squasher/."""

    dockerfile: str
    files: dict[str, str] = field(default_factory=dict)  # context-relative path -> text
    stage_key: str = ""
    build_stage: str = ""
    decisions: list[bt.Decision] = field(default_factory=list)
    unanalysed: list[tuple[int, str]] = field(default_factory=list)  # (line, bashlex's reason)


def target_stage(df: Dockerfile, target: str | None) -> Stage:
    """The stage that becomes the image: ``target`` (a name or an index), else the last."""
    if target is None:
        return df.stages[-1]
    for stage in df.stages:
        if stage.name == target.lower() or str(stage.index) == target:
            return stage
    raise SquasherError(f"{df.path}: no stage named {target!r} (--target)")


def _base_user(stage: Stage, base_info: BaseInfo | None) -> str:
    if base_info is None:
        return ""
    info = base_info(stage.base)
    return info.user if info is not None else ""


def _check_base(stage: Stage, name: str, base_info: BaseInfo | None) -> None:
    line = stage.from_.start_line
    if stage.base.lower() == "scratch":
        raise SquasherError(
            f"{name}:{line}: FROM scratch has no /bin/sh: --strategy stages runs its own steps "
            "in the base (use --strategy script, which refuses it too, or add a base)"
        )
    info = base_info(stage.base) if base_info is not None else None
    if info is not None and info.os.lower() == "windows":
        raise SquasherError(f"{name}:{line}: {stage.base} is a Windows image; squasher needs sh")
    if info is not None and info.has_sh is False:
        raise SquasherError(
            f"{name}:{line}: {stage.base} has no /bin/sh: --strategy stages needs one in the base"
        )


def _text(inst: Instruction) -> str:
    return inst.original if inst.original.endswith("\n") else inst.original + "\n"


def _from_line(stage: Stage, alias: str | None) -> str:
    flags = "".join(f" {f.raw}" for f in stage.from_.flags)
    return f"FROM{flags} {stage.base}" + (f" AS {alias}" if alias else "") + "\n"


def _shift_from(inst: Instruction, text: str, target: int | None, added: int = 0) -> str:
    """``--from=N`` / ``--mount=...,from=N`` of ``inst`` renumbered in ``text``: in a stage after
    the ``target`` (None: a stage before it or the target itself) the target's index and the
    later ones move up by one (the final stage follows the build stage, and takes the target's
    place as the stage later ones copy from); every index moves up by the ``added`` stages in
    front (squasher's copy of the context)."""
    if target is None and not added:
        return text

    def bump(n: int) -> int:
        return n + added + (1 if target is not None and n >= target else 0)

    return shift_stage_indexes(inst, text, bump)


def _user_line(user: str) -> str:
    return f"USER {user}\n"


def _leading_value(word: str, env: dict[str, str], escape: str) -> str | None:
    """What ``word`` expands to when every variable it names is known (ENV values of the stage),
    else None. A variable with a modifier (``${X:-...}``) counts as unknown."""
    try:
        parts = lex_word(word, escape)
    except WordSyntaxError:
        return None
    out = []
    for part in parts:
        if isinstance(part, Lit):
            out.append(part.text)
        elif part.op or part.name not in env:
            return None
        else:
            out.append(env[part.name])
    return "".join(out)


def superseded_workdirs(stage: Stage, escape: str = "\\") -> set[int]:
    """The start lines of the stage's WORKDIRs that a later WORKDIR known to be absolute
    replaces. The final stage leaves them out: re-emitted there, each would create its directory
    again after the delta, even one the build removed (a build directory under /tmp), while the
    image's working directory is the last one's either way.

    A value is known when it is literal or names only variables the stage's ENV set to known
    values; an ARG's value may come from ``--build-arg``, so it (and what uses it) is unknown."""
    env: dict[str, str] = {}
    absolute: list[int] = []
    workdirs: list[int] = []
    for inst in stage.instructions:
        # an ARG never replaces an ENV of the same name: the builder lets ENV win
        if inst.keyword == "ENV":
            for name, raw in env_pairs(inst):
                value = _leading_value(raw, env, escape)
                if value is None:
                    env.pop(name, None)
                else:
                    env[name] = value
        elif inst.keyword == "WORKDIR":
            workdirs.append(inst.start_line)
            value = _leading_value(inst.args[0] if inst.args else "", env, escape)
            if value is not None and value.startswith("/"):
                absolute.append(inst.start_line)
    if not absolute:
        return set()
    return {line for line in workdirs if line < absolute[-1]}


def _with_copy_marks(
    stage: Stage, kept: Callable[[Instruction, bool], str], copies: Collection[int], user: str
) -> list[str]:
    """The stage's instructions as kept, each COPY on the lines ``copies`` between the steps
    that record what it placed (as root: they list the whole file system; the USER in force,
    ``user`` at first, is restored after them)."""
    out: list[str] = []

    def mark(when: str, line: int) -> list[str]:
        step = f"RUN {json.dumps(['/bin/sh', f'{SCRIPTS_DIR}/mark-copy.sh', when, str(line)])}\n"
        return [_user_line("root"), step, user] if user else [step]

    for inst in stage.instructions:
        if inst.keyword == "USER":
            as_root = bool(inst.args) and inst.args[0] in _ROOT_USERS
            user = "" if as_root else _text(inst)
        if inst.start_line in copies:
            out += [*mark("before", inst.start_line), kept(inst, False)]
            out += mark("after", inst.start_line)
        else:
            out.append(kept(inst, False))
    return out


def render_stages(
    df: Dockerfile,
    *,
    name: str,
    output_name: str,
    marker: str,
    target: str | None = None,
    base_info: BaseInfo | None = None,
    options: PurgeOptions | None = None,
    context_stage: ContextStage | None = None,
    reading_context_stage: Collection[int] = (),
    large_copies: Collection[int] = (),
) -> StagesOutput:
    """Dockerfile.squashed and the scripts of the stages form (see the module docstring).
    ``reading_context_stage``: the ids of the instructions that read ``context_stage`` (the
    context without squasher's files, a first stage) instead of the build context.
    ``large_copies``: the start lines of the target stage's COPY/ADD instructions whose files
    get a layer of their own in the final stage."""
    options = options or PurgeOptions()
    stage = target_stage(df, target)
    _check_base(stage, name, base_info)
    key = stage.name or f"stage-{stage.index}"
    taken = {s.name for s in df.stages if s.name}
    build = f"{stage.name}-squasher-build" if stage.name else "squasher-build"
    while build in taken:
        build += "-1"
    label = f'stage {stage.index} "{stage.name}"' if stage.name else f"stage {stage.index}"
    pkgs = stage_packages(df, stage, name, options)
    rel = f".squasher/{key}"
    copies = sorted(
        inst.start_line for inst in stage.instructions if inst.start_line in large_copies
    )
    files = {
        f"{rel}/begin.sh": begin_sh(name, label, pkgs, options),
        f"{rel}/end.sh": end_sh(name, label, pkgs, options, copies),
        f"{rel}/delta.awk": sh_file("delta.awk"),
    }
    if copies:
        files[f"{rel}/mark-copy.sh"] = mark_copy_sh(name, label)
    base_user = _base_user(stage, base_info)
    root_switch = base_user not in _ROOT_USERS

    out: list[str] = [f"# {k}={v}\n" for k, v in df.directives.items()]
    out.append(f"{marker}{name} by squasher; build with: docker build -f {output_name} <context>\n")
    out += [_text(inst) for inst in df.global_args]
    added = 0
    if context_stage is not None:
        out.append("\n# the build context without the files squasher generated\n")
        out += context_stage.lines()
        added = 1

    def kept(inst: Instruction, later: bool) -> str:
        """An instruction of the original as written, but for the stage it reads: squasher's
        copy of the context, renumbered stage indexes (an ONBUILD trigger's name the stages of
        the build that uses the image: never renumbered)."""
        if context_stage is not None and id(inst) in reading_context_stage:
            text = read_context_stage(inst, context_stage.name)
        else:
            text = _text(inst)
        if inst.keyword == "ONBUILD":
            return text
        return _shift_from(inst, text, stage.index if later else None, added)

    for s in df.stages:
        out.append("\n")
        if s.index != stage.index:
            later = s.index > stage.index
            out.append(kept(s.from_, later))
            out += [kept(inst, later) for inst in s.instructions]
            continue
        run = ["/bin/sh", f"{SCRIPTS_DIR}/begin.sh"]
        out.append(_from_line(s, build))
        out.append("# squasher: record the base, protect what the build needs\n")
        if root_switch:
            out.append(_user_line("root"))
        if copies:
            out.append(f"COPY {rel}/begin.sh {rel}/mark-copy.sh {SCRIPTS_DIR}/\n")
        else:
            out.append(f"COPY {rel}/begin.sh {SCRIPTS_DIR}/begin.sh\n")
        out.append(f"RUN {json.dumps(run)}\n")
        if root_switch:
            out.append(_user_line(base_user))
        out += _with_copy_marks(s, kept, copies, _user_line(base_user) if root_switch else "")
        out.append("# squasher: purge the build tools, clean, collect the delta\n")
        if root_switch or any(inst.keyword == "USER" for inst in s.instructions):
            out.append(_user_line("root"))
        out.append(f"COPY {rel}/end.sh {rel}/delta.awk {SCRIPTS_DIR}/\n")
        out.append(f"RUN {json.dumps(['/bin/sh', f'{SCRIPTS_DIR}/end.sh'])}\n")
        out.append("\n")
        out.append(_from_line(s, s.name))
        for layer in delta_layers(copies):
            out.append(f"COPY --from={build} {DELTA_DIR}/{layer}/ /\n")
        if root_switch:
            out.append(_user_line("root"))
        out.append(f"RUN {json.dumps(['/bin/sh', '-c', REMOVE_SH])}\n")
        if root_switch:
            out.append(_user_line(base_user))
        dropped = superseded_workdirs(s, df.escape)
        out += [
            _text(inst)
            for inst in s.instructions
            if inst.keyword in METADATA
            and not (inst.keyword == "WORKDIR" and inst.start_line in dropped)
        ]
    return StagesOutput("".join(out), files, key, build, pkgs.decisions, pkgs.unanalysed)
