"""USER: later steps run as this user (resolved by build.sh when they run); re-emitted after."""

from __future__ import annotations

from typing import TYPE_CHECKING

from squasher.plan.model import SetUser

if TYPE_CHECKING:
    from squasher.parse.model import Instruction
    from squasher.plan.model import Segment, StagePlan
    from squasher.plan.planner import Planner
    from squasher.plan.state import StageState


def plan_user(
    p: Planner, sp: StagePlan, seg: Segment, st: StageState, inst: Instruction
) -> Segment:
    seg.metadata.append(inst)
    parts = p.lex(inst, inst.args[0] if inst.args else "")
    seg.ops.append(SetUser(inst, parts, st.known_names()))
    st.user = parts
    st.user_line = inst.original if inst.original.endswith("\n") else inst.original + "\n"
    return seg
