"""WORKDIR: build.sh changes (and creates) the directory; the planner follows its value when it
is known at rewrite time, since relative COPY destinations need it."""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING

from squasher.context.dockerignore import go_clean
from squasher.plan.model import SetWorkdir
from squasher.plan.state import Unknown

if TYPE_CHECKING:
    from squasher.parse.model import Instruction
    from squasher.plan.model import Segment, StagePlan
    from squasher.plan.planner import Planner
    from squasher.plan.state import StageState


def plan_workdir(
    p: Planner, sp: StagePlan, seg: Segment, st: StageState, inst: Instruction
) -> Segment:
    seg.metadata.append(inst)
    parts = p.lex(inst, inst.args[0] if inst.args else "")
    seg.ops.append(SetWorkdir(inst, parts, st.known_names()))
    try:
        value = p.static(parts, st)
    except Unknown:
        st.workdir = None
        return seg
    if value.startswith("/"):
        st.workdir = go_clean(value)
    elif st.workdir is not None:
        st.workdir = go_clean(posixpath.join(st.workdir, value))
    return seg
