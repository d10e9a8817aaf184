"""One handler per instruction kind, registered in :data:`HANDLERS`.

A handler takes the planner (options, lexing, refusals, cutting), the stage's plan, the segment
being filled, the builder's state before the instruction, and the instruction; it updates the
state as the builder would and returns the segment the next instruction goes into (the same one,
or a new one when the instruction had to cut the stage).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from squasher.plan.steps import arg, copy_add, env, metadata, run, shell, user, workdir

if TYPE_CHECKING:
    from squasher.parse.model import Instruction
    from squasher.plan.model import Segment, StagePlan
    from squasher.plan.planner import Planner
    from squasher.plan.state import StageState

Handler = Callable[["Planner", "StagePlan", "Segment", "StageState", "Instruction"], "Segment"]

HANDLERS: dict[str, Handler] = {
    "RUN": run.plan_run,
    "COPY": copy_add.plan_copy_add,
    "ADD": copy_add.plan_copy_add,
    "ARG": arg.plan_arg,
    "ENV": env.plan_env,
    "WORKDIR": workdir.plan_workdir,
    "USER": user.plan_user,
    "SHELL": shell.plan_shell,
    "VOLUME": metadata.plan_volume,
    **{kw: metadata.plan_metadata for kw in metadata.AS_WRITTEN},
}
