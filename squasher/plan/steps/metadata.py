"""Instructions that only set image metadata: re-emitted as written after the script's RUN.

They change nothing the script's steps see, so they never cut a stage, with one exception: the
classic builder discards later changes under a VOLUME, which only happens when the VOLUME
instruction really precedes those steps, so there it ends the script.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from squasher.parse.model import Instruction
    from squasher.plan.model import Segment, StagePlan
    from squasher.plan.planner import Planner
    from squasher.plan.state import StageState

AS_WRITTEN = (
    "LABEL",
    "EXPOSE",
    "CMD",
    "ENTRYPOINT",
    "STOPSIGNAL",
    "HEALTHCHECK",
    "ONBUILD",
    "MAINTAINER",
)


def plan_metadata(
    p: Planner, sp: StagePlan, seg: Segment, st: StageState, inst: Instruction
) -> Segment:
    seg.metadata.append(inst)
    return seg


def plan_volume(
    p: Planner, sp: StagePlan, seg: Segment, st: StageState, inst: Instruction
) -> Segment:
    seg.metadata.append(inst)
    if p.opt.builder == "classic":
        return p.cut(sp, seg, st)
    return seg
