"""Walk each stage and decide, instruction by instruction, what build.sh does and what stays.

The planner tracks the builder's state the way the builder does (ENV names in force, ARGs
declared, WORKDIR, USER, SHELL), so that every folded step can run in build.sh with exactly that
state. Values are never guessed: variables whose value is only known at build time are rendered
as sh references (see ``squasher.render.sh``); the planner only needs *static* values to pick the
context files a COPY reads, and keeps a COPY unfolded when a variable it needs is unknown.

A stage is cut into several scripts (segments) when something must happen between two folded
steps as an instruction of its own:

- an instruction the script cannot perform (``COPY --from``, ADD of a URL, ``RUN --mount``,
  ``--network``, ``--security``): it stays in place;
- an ARG whose default reads an ENV set earlier in the same segment, whose name a metadata
  instruction of the segment reads, or that gives a new default to an ARG of the segment (ARGs are
  hoisted before the script's RUN, ENV and the rest are re-emitted after it; cutting keeps both
  orders);
- the classic builder and VOLUME: later changes under the volume are discarded by the classic
  builder, which only happens if the VOLUME instruction really precedes those steps.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import TYPE_CHECKING

from squasher.context.dockerignore import go_clean
from squasher.errors import RewriteRefused, SquasherError
from squasher.parse.model import Dockerfile, Instruction, Stage
from squasher.parse.words import Lit, Part, WordSyntaxError, arg_pairs, lex_word
from squasher.plan.model import Original, Segment, StagePlan
from squasher.plan.state import (
    SCRIPT_ADDED_VARS,
    PlanOptions,
    PlanResult,
    StageState,
    Unknown,
    stage_key,
    var_names,
)
from squasher.plan.steps import HANDLERS
from squasher.shell.names import NAME, SHELL_OWNED

if TYPE_CHECKING:
    from squasher.context.dockerignore import DockerIgnore

__all__ = ["PlanOptions", "PlanResult", "Planner", "StageState", "plan", "stage_key"]

_WINDOWS_BASE = re.compile(
    r"(^|/)(windows/(servercore|nanoserver|server)|windows(servercore|nanoserver)?)([:@/]|$)",
    re.IGNORECASE,
)
_DISTROLESS = re.compile(r"(^|/)distroless/(?!.*:debug)", re.IGNORECASE)


class Planner:
    def __init__(self, df: Dockerfile, options: PlanOptions) -> None:
        self.df = df
        self.opt = options
        self.notes: list[str] = []
        self.final_states: dict[int, StageState] = {}
        self.names: dict[str, int] = {}
        self._ignore: DockerIgnore | None = None
        self.user_noted: set[str] = set()
        self.triggers: list[Instruction] = []
        self._lexed: dict[str, tuple[Part, ...]] = {}  # word -> its template (Parts are frozen)

    # -- helpers ---------------------------------------------------------------------------
    def refuse(self, inst: Instruction, message: str) -> RewriteRefused:
        return RewriteRefused(message, self.opt.dockerfile_path, inst.start_line)

    def lex(self, inst: Instruction, word: str) -> list[Part]:
        parts = self._lexed.get(word)
        if parts is None:
            try:
                parts = tuple(lex_word(word, self.df.escape))
            except WordSyntaxError as err:
                raise SquasherError(
                    err.message, self.opt.dockerfile_path, inst.start_line
                ) from None
            self._lexed[word] = parts
        return list(parts)

    def static(self, parts: list[Part] | tuple[Part, ...], st: StageState) -> str:
        """The value the builder computes, when it is known at rewrite time (else ``Unknown``)."""
        from squasher.parse.words import evaluate

        env: dict[str, str] = {}
        for name in var_names(parts):
            if name in st.static_env:
                env[name] = st.static_env[name]
            elif name in st.env_names or name in st.args:
                raise Unknown(name)
            elif name in SHELL_OWNED or not NAME.fullmatch(name):
                continue  # the builder never sees these: unset
            else:
                raise Unknown(name)  # may come from the base image
        try:
            return evaluate(parts, env)
        except WordSyntaxError:
            raise Unknown("") from None

    # -- stages ------------------------------------------------------------------------------
    def plan(self) -> PlanResult:
        self.check_preamble()
        self.check_windows()
        plans: list[StagePlan] = []
        for stage in self.df.stages:
            plans.append(self.plan_stage(stage))
            if stage.name:
                self.names[stage.name] = stage.index
        return PlanResult(plans, self.notes, self.triggers)

    def check_preamble(self) -> None:
        """What the builder refuses before the first FROM: other instructions than ARG, or no
        FROM at all (an unknown or empty instruction there included)."""
        first_from = self.df.stages[0].from_.start_line if self.df.stages else None
        for inst in self.df.instructions:
            if first_from is not None and inst.start_line >= first_from:
                break
            if inst.keyword != "ARG":
                name = inst.written_keyword or inst.keyword or "(empty)"
                raise self.refuse(
                    inst, f"{name} before the first FROM: no build stage to run it in"
                )
        if not self.df.stages:
            last = self.df.instructions[-1].end_line if self.df.instructions else 1
            raise RewriteRefused(
                "no FROM: the Dockerfile has no build stage", self.opt.dockerfile_path, last
            )

    def check_windows(self) -> None:
        for stage in self.df.stages:
            plat = (stage.platform or "").lower()
            if plat.startswith("windows") or _WINDOWS_BASE.search(stage.base):
                raise self.refuse(
                    stage.from_,
                    f"cannot squash: {stage.base} is a Windows image (build.sh needs a POSIX /bin/sh)",
                )
            for inst in stage.instructions:
                if (
                    inst.keyword == "SHELL"
                    and inst.args
                    and re.search(
                        r"(^|[\\/])(cmd|powershell|pwsh)(\.exe)?$", inst.args[0], re.IGNORECASE
                    )
                ):
                    raise self.refuse(
                        inst,
                        f"cannot squash: SHELL {inst.args[0]} is a Windows shell "
                        "(build.sh needs a POSIX /bin/sh)",
                    )

    def base_ref(self, stage: Stage) -> str:
        """The FROM reference with the global ARG defaults applied (build args may differ)."""
        from squasher.parse.words import evaluate

        env: dict[str, str] = {}
        for inst in self.df.global_args:
            for name, default in arg_pairs(inst):
                if default is not None:
                    try:
                        env[name] = evaluate(lex_word(default, self.df.escape), env)
                    except WordSyntaxError:
                        continue
        try:
            return evaluate(lex_word(stage.base, self.df.escape), env)
        except WordSyntaxError:
            return stage.base

    def initial_state(self, stage: Stage) -> StageState:
        ref = self.base_ref(stage)
        base = ref.lower()
        if base in self.names:
            return copy.deepcopy(self.final_states[self.names[base]])
        st = StageState()
        if base == "scratch":
            st.no_shell = "FROM scratch has no /bin/sh"
            st.workdir = "/"
            return st
        if _DISTROLESS.search(ref):
            st.no_shell = f"{ref} is a distroless image without /bin/sh"
        info = self.opt.base_info(ref) if self.opt.base_info is not None else None
        if info is None:
            self.notes.append(
                f"{self.opt.dockerfile_path}:{stage.from_.start_line}: {ref} may carry ONBUILD "
                "triggers, which the builder runs at this FROM in the original and the squashed "
                "image alike; without the engine (--inspect-base) squasher cannot see what they set"
            )
            return st
        if info.os.lower() == "windows":
            raise self.refuse(
                stage.from_, f"cannot squash: {ref} is a Windows image (build.sh needs /bin/sh)"
            )
        if info.has_sh is False:
            st.no_shell = f"{ref} has no /bin/sh"
        st.workdir = go_clean(info.workdir) if info.workdir.startswith("/") else "/"
        for name, value in info.env.items():
            if NAME.fullmatch(name):
                st.env_names.add(name)
                st.static_env[name] = value
        if info.user and info.user not in ("root", "0", "root:root", "0:0"):
            st.user = [Lit(info.user)]
            st.user_line = f"USER {info.user}\n"
        st.switch_tools = info.switch_tools
        if info.onbuild:
            self.base_triggers(stage, ref, info.onbuild, st)
        return st

    def base_triggers(self, stage: Stage, ref: str, triggers: list[str], st: StageState) -> None:
        """The base image's ONBUILD triggers run at the FROM, before the stage's first step, in
        the original and (the same FROM) in the squashed build: the builder runs them, never
        build.sh. The planner only takes over the state they leave (WORKDIR, USER, ENV, ARG,
        SHELL); what they add to the image stays in their own layers in both images."""
        from squasher.parse import parse_text

        try:
            parsed = parse_text("FROM scratch\n" + "\n".join(triggers) + "\n")
        except SquasherError:
            parsed = None
        scratch_plan = StagePlan(stage, stage_key(stage))
        scratch = Segment(stage_key(stage), 0)
        for inst in parsed.stages[0].instructions if parsed and parsed.stages else []:
            self.triggers.append(inst)
            if inst.keyword == "ARG":
                st.args.update(name for name, _ in arg_pairs(inst))
            elif inst.keyword in ("ENV", "WORKDIR", "USER", "SHELL"):
                HANDLERS[inst.keyword](self, scratch_plan, scratch, st, inst)
        shown = "; ".join(" ".join(t.split()) for t in triggers)
        self.notes.append(
            f"{self.opt.dockerfile_path}:{stage.from_.start_line}: {ref} has {len(triggers)} "
            f"ONBUILD trigger(s) ({shown}): the builder runs them at this FROM before the stage's "
            "first step, in the original and the squashed build alike (build.sh cannot stop it, "
            "so they are not folded): their layers are the same in both images"
        )

    def plan_stage(self, stage: Stage) -> StagePlan:
        st = self.initial_state(stage)
        sp = StagePlan(stage, stage_key(stage))
        seg = self.new_segment(sp, st)
        for inst in stage.instructions:
            seg = self.step(sp, seg, st, inst)
        self.flush(sp, seg)
        self.final_states[stage.index] = st
        return sp

    def new_segment(self, sp: StagePlan, st: StageState) -> Segment:
        number = 1 + sum(1 for it in sp.items if isinstance(it, Segment) and it.has_steps)
        seg = Segment(sp.key, number)
        insts = sp.stage.instructions
        seg.stage_last_line = insts[-1].end_line if insts else sp.stage.from_.end_line
        seg.start_user = list(st.user) if st.user is not None else None
        seg.start_known = st.known_names()
        seg.start_home_env = "HOME" in st.env_names
        seg.start_unset_vars = [v for v in SCRIPT_ADDED_VARS if v not in st.env_names]
        if st.user is not None:
            seg.restore_user = st.user_line
        return seg

    def flush(self, sp: StagePlan, seg: Segment) -> None:
        """Close a segment: a script when it has steps, else its instructions re-emitted as written."""
        if seg.has_steps:
            seg.metadata = self.drop_superseded_workdirs(seg.metadata)
            sp.items.append(seg)
            return
        insts = sorted(seg.hoisted_args + seg.metadata, key=lambda i: i.start_line)
        sp.items.extend(Original(i) for i in insts)

    def drop_superseded_workdirs(self, metadata: list[Instruction]) -> list[Instruction]:
        """Leave out a WORKDIR that a later absolute WORKDIR of the same script replaces.

        The script already created its directory at the right moment and with the right owner;
        re-emitted, BuildKit would create it again after the script, even when a step removed it
        (a build directory). Nothing between them depends on the working directory: metadata
        does not, and an instruction that does (a kept COPY --from) ends the script.
        """
        keep: list[Instruction] = []
        for i, inst in enumerate(metadata):
            if inst.keyword == "WORKDIR" and any(
                later.keyword == "WORKDIR" and self.absolute_word(later)
                for later in metadata[i + 1 :]
            ):
                continue
            keep.append(inst)
        return keep

    def absolute_word(self, inst: Instruction) -> bool:
        parts = self.lex(inst, inst.args[0] if inst.args else "")
        return bool(parts) and isinstance(parts[0], Lit) and parts[0].text.startswith("/")

    def cut(self, sp: StagePlan, seg: Segment, st: StageState) -> Segment:
        self.flush(sp, seg)
        return self.new_segment(sp, st)

    def keep(
        self, sp: StagePlan, seg: Segment, st: StageState, inst: Instruction, why: str
    ) -> Segment:
        self.flush(sp, seg)
        sp.items.append(Original(inst, why))
        return self.new_segment(sp, st)

    def step(self, sp: StagePlan, seg: Segment, st: StageState, inst: Instruction) -> Segment:
        """Plan one instruction with its handler (``squasher.plan.steps.HANDLERS``)."""
        handler = HANDLERS.get(inst.keyword)
        if handler is None:
            # FROM never appears here; anything else is unknown to the builder as well
            raise self.refuse(inst, f"unknown instruction: {inst.written_keyword or inst.keyword}")
        return handler(self, sp, seg, st, inst)

    def ignore(self) -> DockerIgnore:
        from squasher.context.dockerignore import DockerIgnore

        if self._ignore is None:
            self._ignore = DockerIgnore.load(self.opt.context or Path("."))
        return self._ignore


def plan(df: Dockerfile, options: PlanOptions) -> PlanResult:
    """Plan the rewrite of every stage of ``df``."""
    return Planner(df, options).plan()
