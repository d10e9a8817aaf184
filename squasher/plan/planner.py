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
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from squasher.errors import RewriteRefused, SquasherError
from squasher.parse.model import Dockerfile, Instruction, Stage
from squasher.parse.words import Lit, Part, Var, WordSyntaxError, arg_pairs, env_pairs, lex_word
from squasher.plan.base import BaseInfo
from squasher.plan.model import (
    CopyOp,
    DeclareArg,
    Original,
    RunStep,
    Segment,
    SetEnv,
    SetUser,
    SetVars,
    SetWorkdir,
    StagePlan,
)
from squasher.render.dockerignore import go_clean
from squasher.render.sh import NAME, SHELL_OWNED

if TYPE_CHECKING:
    from squasher.render.dockerignore import DockerIgnore

METADATA = frozenset(
    {
        "ENV",
        "LABEL",
        "EXPOSE",
        "CMD",
        "ENTRYPOINT",
        "VOLUME",
        "USER",
        "WORKDIR",
        "SHELL",
        "STOPSIGNAL",
        "HEALTHCHECK",
        "ONBUILD",
        "MAINTAINER",
    }
)

# Build args the builders pass to every RUN without a declaration (never stored in the image).
PREDEFINED_ARGS = frozenset(
    {
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "FTP_PROXY",
        "ftp_proxy",
        "NO_PROXY",
        "no_proxy",
        "ALL_PROXY",
        "all_proxy",
    }
)

DEFAULT_SHELL = ["/bin/sh", "-c"]
SCRIPT_ADDED_VARS = ("PWD", "OLDPWD", "SHLVL")  # the script's own shell adds these; Docker doesn't

_RUN_KEEP_FLAGS = {
    "mount": "RUN --mount needs the builder's mounts",
    "network": "RUN --network changes the step's network",
    "security": "RUN --security changes the step's privileges",
    "device": "RUN --device needs the builder's devices",
}

_WINDOWS_BASE = re.compile(
    r"(^|/)(windows/(servercore|nanoserver|server)|windows(servercore|nanoserver)?)([:@/]|$)",
    re.IGNORECASE,
)
_DISTROLESS = re.compile(r"(^|/)distroless/(?!.*:debug)", re.IGNORECASE)


def _is_root(user: list[Part] | None) -> bool:
    """True when the USER in force certainly is root (None: the base image's, assumed root)."""
    if user is None:
        return True
    if all(isinstance(p, Lit) for p in user):
        return "".join(p.text for p in user if isinstance(p, Lit)) in ("", "root", "0")
    return False


class _Unknown(Exception):
    """A value needed at rewrite time depends on something only known at build time."""


@dataclass
class PlanOptions:
    builder: str = "buildkit"  # classic | buildkit
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


def _var_names(parts: list[Part] | tuple[Part, ...]) -> Iterator[str]:
    for p in parts:
        if isinstance(p, Var):
            yield p.name
            yield from _var_names(p.word)
            yield from _var_names(p.replacement)


def _refers_to(text: str, name: str) -> bool:
    return re.search(r"\$\{?" + re.escape(name) + r"(?![A-Za-z0-9_])", text) is not None


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

    # -- helpers ---------------------------------------------------------------------------
    def refuse(self, inst: Instruction, message: str) -> RewriteRefused:
        return RewriteRefused(message, self.opt.dockerfile_path, inst.start_line)

    def lex(self, inst: Instruction, word: str) -> list[Part]:
        try:
            return lex_word(word, self.df.escape)
        except WordSyntaxError as err:
            raise SquasherError(err.message, self.opt.dockerfile_path, inst.start_line) from None

    def static(self, parts: list[Part] | tuple[Part, ...], st: StageState) -> str:
        """The value the builder computes, when it is known at rewrite time (else ``_Unknown``)."""
        from squasher.parse.words import evaluate

        env: dict[str, str] = {}
        for name in _var_names(parts):
            if name in st.static_env:
                env[name] = st.static_env[name]
            elif name in st.env_names or name in st.args:
                raise _Unknown(name)
            elif name in SHELL_OWNED or not NAME.fullmatch(name):
                continue  # the builder never sees these: unset
            else:
                raise _Unknown(name)  # may come from the base image
        try:
            return evaluate(parts, env)
        except WordSyntaxError:
            raise _Unknown("") from None

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
        scratch = Segment(stage_key(stage), 0)
        for inst in parsed.stages[0].instructions if parsed and parsed.stages else []:
            self.triggers.append(inst)
            if inst.keyword == "ARG":
                st.args.update(name for name, _ in arg_pairs(inst))
            elif inst.keyword in ("ENV", "WORKDIR", "USER", "SHELL"):
                self.metadata(scratch, st, inst)
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

    # -- instructions ----------------------------------------------------------------------------
    def step(self, sp: StagePlan, seg: Segment, st: StageState, inst: Instruction) -> Segment:
        kw = inst.keyword
        if kw == "ARG":
            return self.arg(sp, seg, st, inst)
        if kw == "RUN":
            return self.run(sp, seg, st, inst)
        if kw in ("COPY", "ADD"):
            return self.copy_add(sp, seg, st, inst)
        if kw in METADATA:
            seg.metadata.append(inst)
            self.metadata(seg, st, inst)
            if kw == "VOLUME" and self.opt.builder == "classic":
                return self.cut(sp, seg, st)
            return seg
        # FROM never appears here; anything else is unknown to the builder as well
        raise self.refuse(inst, f"unknown instruction: {inst.written_keyword or kw}")

    def metadata(self, seg: Segment, st: StageState, inst: Instruction) -> None:
        kw = inst.keyword
        if kw == "ENV":
            known = st.known_names()
            pairs: list[tuple[str, list[Part]]] = []
            values: dict[str, str | None] = {}
            for key_raw, value_raw in env_pairs(inst):
                key_parts = self.lex(inst, key_raw)
                try:
                    key = self.static(key_parts, st)
                except _Unknown:
                    raise self.refuse(
                        inst, f"ENV name {key_raw!r} depends on a value known only at build time"
                    ) from None
                if not NAME.fullmatch(key):
                    raise self.refuse(
                        inst,
                        f"ENV name {key!r} cannot be set by a POSIX shell; "
                        "squasher cannot fold steps that need it",
                    )
                parts = self.lex(inst, value_raw)
                pairs.append((key, parts))
                try:
                    values[key] = self.static(parts, st)
                except _Unknown:
                    values[key] = None
            for key, val in values.items():
                st.env_names.add(key)
                if val is None:
                    st.static_env.pop(key, None)
                else:
                    st.static_env[key] = val
            seg.ops.append(SetEnv(inst, pairs, known))
            if {"HOME", *SCRIPT_ADDED_VARS} & set(values):
                seg.ops.append(
                    SetVars(
                        "HOME" in st.env_names,
                        [v for v in SCRIPT_ADDED_VARS if v not in st.env_names],
                    )
                )
        elif kw == "WORKDIR":
            word = inst.args[0] if inst.args else ""
            parts = self.lex(inst, word)
            seg.ops.append(SetWorkdir(inst, parts, st.known_names()))
            try:
                value = self.static(parts, st)
            except _Unknown:
                st.workdir = None
                return
            import posixpath

            if value.startswith("/"):
                st.workdir = go_clean(value)
            elif st.workdir is not None:
                st.workdir = go_clean(posixpath.join(st.workdir, value))
        elif kw == "USER":
            word = inst.args[0] if inst.args else ""
            parts = self.lex(inst, word)
            seg.ops.append(SetUser(inst, parts, st.known_names()))
            st.user = parts
            st.user_line = inst.original if inst.original.endswith("\n") else inst.original + "\n"
        elif kw == "SHELL":
            st.shell = list(inst.args)

    def arg(self, sp: StagePlan, seg: Segment, st: StageState, inst: Instruction) -> Segment:
        pairs = arg_pairs(inst)
        for name, _default in pairs:
            if not NAME.fullmatch(name):
                raise self.refuse(inst, f"ARG name {name!r} cannot be set by a POSIX shell")
        buildkit = self.opt.builder == "buildkit"
        # The classic builder lets an ENV win over an ARG of the same name, whatever their order;
        # BuildKit (checked on 20.10) lets the later of the two win.
        live = [
            n for n, _ in pairs if n not in PREDEFINED_ARGS and (buildkit or n not in st.env_names)
        ]
        if not live:
            # no RUN can see it (ENV wins over ARG; proxies are always passed): keep it in place
            st.args.update(n for n, _ in pairs)
            seg.metadata.append(inst)
            return seg
        set_here = {n for op in seg.ops if isinstance(op, SetEnv) for n, _ in op.pairs}
        must_cut = False
        for name, default in pairs:
            if name not in live:
                continue
            if any(_refers_to(m.original, name) for m in seg.metadata):
                must_cut = True
            if default is not None and set_here & set(_var_names(self.lex(inst, default))):
                must_cut = True
            if default is not None and (name in seg.hidden_args or name in st.args):
                must_cut = True  # a new default: steps before it must still see the old value
            if buildkit and name in st.env_names:
                must_cut = True  # it overrides that ENV from here on, not from the script's start
        if must_cut and (seg.has_steps or seg.metadata or seg.hoisted_args):
            seg = self.cut(sp, seg, st)
        reveal: list[str] = []
        for name in live:
            was_declared = name in st.args or name in seg.hidden_args
            st.args.add(name)
            if was_declared and name not in seg.hidden_args:
                continue  # declared before this script started: already in its environment
            if name not in reveal:
                reveal.append(name)
            if name not in seg.hidden_args:
                seg.hidden_args.append(name)
        st.args.update(n for n, _ in pairs)
        seg.hoisted_args.append(inst)
        seg.ops.append(DeclareArg(inst, reveal))
        return seg

    def no_shell_check(self, st: StageState, inst: Instruction) -> None:
        if st.no_shell and inst.keyword == "RUN":
            raise self.refuse(inst, f"cannot squash: {st.no_shell} to run build.sh")

    def run(self, sp: StagePlan, seg: Segment, st: StageState, inst: Instruction) -> Segment:
        for flag in inst.flags:
            why = _RUN_KEEP_FLAGS.get(flag.name)
            if why is None:
                why = f"RUN --{flag.name} is not something build.sh can reproduce"
            return self.keep(sp, seg, st, inst, why)
        self.no_shell_check(st, inst)
        if not _is_root(st.user) and not self.user_switch_ok(st):
            return self.keep(
                sp,
                seg,
                st,
                inst,
                "the image has no setpriv (util-linux), su or nsenter (busybox) that runs it as "
                f"{(st.user_line or 'USER').strip()} with the builder's uid, gid and groups",
            )
        seg.folded.append(inst)
        if not _is_root(st.user) and sp.key not in self.user_noted:
            self.user_noted.add(sp.key)
            self.notes.append(
                f"{self.opt.dockerfile_path}:{inst.start_line}: steps under USER run through the "
                "image's setpriv (util-linux), nsenter and start-stop-daemon (busybox) or su; the "
                "build stops if it has none (with --inspect-base such steps stay instructions)"
            )
        if inst.json_form:
            if not inst.args:
                raise self.refuse(inst, "RUN [] has no command to run")
            seg.ops.append(RunStep(inst, list(inst.args)))
            return seg
        text = inst.args[0] if inst.args else ""
        if inst.heredocs:
            docs = inst.heredocs
            if re.fullmatch(r"<<-?(['\"]?)[^'\"\s]+\1", text.strip()) and len(docs) == 1:
                doc = docs[0]
                if doc.body.startswith("#!"):
                    name = doc.name
                    if not re.fullmatch(r"[A-Za-z0-9._-]+", name) or name in (".", ".."):
                        raise self.refuse(inst, f"heredoc name {name!r} cannot be a file name")
                    seg.ops.append(RunStep(inst, [f"/dev/pipes/{name}"], pipe=(name, doc.body)))
                    return seg
                seg.ops.append(RunStep(inst, [*st.shell, doc.body]))
                return seg
            full = text
            for doc in docs:
                full += "\n" + doc.body + doc.name
            seg.ops.append(RunStep(inst, [*st.shell, full]))
            return seg
        seg.ops.append(RunStep(inst, [*st.shell, text]))
        return seg

    def user_switch_ok(self, st: StageState) -> bool:
        from squasher.plan.base import can_switch

        user = st.user or []
        text = "".join(p.text for p in user if isinstance(p, Lit))
        static = all(isinstance(p, Lit) for p in user)
        return can_switch(st.switch_tools, text if static else None, self.opt.builder)

    def copy_add(self, sp: StagePlan, seg: Segment, st: StageState, inst: Instruction) -> Segment:
        from squasher.render import copy as copymod

        ok, why = copymod.is_foldable(inst)
        if not ok:
            return self.keep(sp, seg, st, inst, why)
        if st.no_shell:
            return self.keep(sp, seg, st, inst, f"{st.no_shell}: the builder places it")
        if len(inst.args) < 2:
            raise self.refuse(inst, f"{inst.keyword} requires at least two arguments")
        try:
            words = [
                a if a.startswith("<<") else self.static(self.lex(inst, a), st) for a in inst.args
            ]
        except _Unknown as unk:
            return self.keep(
                sp,
                seg,
                st,
                inst,
                f"its paths use ${unk.args[0]}, whose value is known only at build time",
            )
        sources, dest = words[:-1], words[-1]
        if not dest.startswith("/") and st.workdir is None:
            return self.keep(
                sp,
                seg,
                st,
                inst,
                "its destination is relative to a WORKDIR known only at build time",
            )
        ok, why = copymod.is_foldable(inst, sources)
        if not ok:
            return self.keep(sp, seg, st, inst, why)

        def expand(value: str) -> str:
            return self.static(self.lex(inst, value), st)

        context = self.opt.context or Path(".")
        try:
            step = copymod.plan_copy(
                inst,
                sources,
                dest,
                workdir=st.workdir or "/",
                context=context,
                ignore=self.ignore(),
                staged_root=MOUNTED_CTX if self.opt.strategy == "mount" else STAGED_CTX,
                dockerfile_path=self.opt.script_name,
                builder=self.opt.builder,
                expand=expand,
            )
        except RewriteRefused as err:
            err.path = self.opt.dockerfile_path
            raise
        except _Unknown as unk:
            return self.keep(
                sp,
                seg,
                st,
                inst,
                f"it uses ${unk.args[0]}, whose value is known only at build time",
            )
        seg.folded.append(inst)
        seg.ops.append(CopyOp(inst, step.sh, step.context_paths, step.notes))
        return seg

    def ignore(self) -> DockerIgnore:
        from squasher.render.dockerignore import DockerIgnore

        if self._ignore is None:
            self._ignore = DockerIgnore.load(self.opt.context or Path("."))
        return self._ignore


STAGE_ROOT = "/.squasher"
STAGED_CTX = "/.squasher/ctx"
# The mount strategy binds the context under /dev: the runtime's tmpfs there keeps the mount point
# out of the image (a mount point elsewhere stays behind as an empty directory with BuildKit 0.8).
MOUNTED_CTX = "/dev/.squasher"


def plan(df: Dockerfile, options: PlanOptions) -> PlanResult:
    """Plan the rewrite of every stage of ``df``."""
    return Planner(df, options).plan()
