"""SHELL: the argv later shell-form RUN steps start with; re-emitted as written."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from squasher.parse.model import Instruction
    from squasher.plan.model import Segment, StagePlan
    from squasher.plan.planner import Planner
    from squasher.plan.state import StageState


def plan_shell(
    p: Planner, sp: StagePlan, seg: Segment, st: StageState, inst: Instruction
) -> Segment:
    seg.metadata.append(inst)
    st.shell = list(inst.args)
    return seg
