"""RUN: the argv the builder would start (the SHELL in force + the text, or the exec form).

A RUN with a flag the script cannot reproduce (``--mount``, ``--network``, ...) stays an
instruction. A heredoc RUN runs its body; a single ``#!`` heredoc is written to /dev/pipes/NAME
and run from there, as BuildKit does.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from squasher.parse.words import Lit
from squasher.plan.model import RunStep
from squasher.plan.state import is_root

if TYPE_CHECKING:
    from squasher.parse.model import Instruction
    from squasher.plan.model import Segment, StagePlan
    from squasher.plan.planner import Planner
    from squasher.plan.state import StageState

_RUN_KEEP_FLAGS = {
    "mount": "RUN --mount needs the builder's mounts",
    "network": "RUN --network changes the step's network",
    "security": "RUN --security changes the step's privileges",
    "device": "RUN --device needs the builder's devices",
}


def run_argv(p: Planner, st: StageState, inst: Instruction) -> RunStep:
    """The step build.sh runs for ``inst``."""
    if inst.json_form:
        if not inst.args:
            raise p.refuse(inst, "RUN [] has no command to run")
        return RunStep(inst, list(inst.args))
    text = inst.args[0] if inst.args else ""
    if not inst.heredocs:
        return RunStep(inst, [*st.shell, text])
    docs = inst.heredocs
    if re.fullmatch(r"<<-?(['\"]?)[^'\"\s]+\1", text.strip()) and len(docs) == 1:
        doc = docs[0]
        if doc.body.startswith("#!"):
            name = doc.name
            if not re.fullmatch(r"[A-Za-z0-9._-]+", name) or name in (".", ".."):
                raise p.refuse(inst, f"heredoc name {name!r} cannot be a file name")
            return RunStep(inst, [f"/dev/pipes/{name}"], pipe=(name, doc.body))
        return RunStep(inst, [*st.shell, doc.body])
    full = text
    for doc in docs:
        full += "\n" + doc.body + doc.name
    return RunStep(inst, [*st.shell, full])


def plan_run(p: Planner, sp: StagePlan, seg: Segment, st: StageState, inst: Instruction) -> Segment:
    for flag in inst.flags:
        why = _RUN_KEEP_FLAGS.get(flag.name)
        if why is None:
            why = f"RUN --{flag.name} is not something build.sh can reproduce"
        return p.keep(sp, seg, st, inst, why)
    if st.no_shell:
        raise p.refuse(inst, f"cannot squash: {st.no_shell} to run build.sh")
    if not is_root(st.user) and not user_switch_ok(p, st):
        return p.keep(
            sp,
            seg,
            st,
            inst,
            "the image has no setpriv (util-linux), su or nsenter (busybox) that runs it as "
            f"{(st.user_line or 'USER').strip()} with the builder's uid, gid and groups",
        )
    seg.folded.append(inst)
    # the image's tools unknown (no engine): build.sh finds out, and stops if it cannot switch
    if not is_root(st.user) and st.switch_tools is None and sp.key not in p.user_noted:
        p.user_noted.add(sp.key)
        p.notes.append(
            f"{p.opt.dockerfile_path}:{inst.start_line}: steps under USER run through the "
            "image's setpriv (util-linux), nsenter and start-stop-daemon (busybox) or su; the "
            "build stops if it has none (with --inspect-base such steps stay instructions)"
        )
    seg.ops.append(run_argv(p, st, inst))
    return seg


def user_switch_ok(p: Planner, st: StageState) -> bool:
    """Whether build.sh can run a step as the USER in force (unknown tools: assumed it can)."""
    from squasher.plan.base import can_switch

    user = st.user or []
    text = "".join(part.text for part in user if isinstance(part, Lit))
    static = all(isinstance(part, Lit) for part in user)
    return can_switch(st.switch_tools, text if static else None, p.opt.builder)
