"""COPY/ADD: placed by build.sh when every source is in the context and every value it needs is
known at rewrite time (``squasher.plan.placements`` decides the placements); otherwise it stays
an instruction, with the reason."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from squasher.errors import RewriteRefused
from squasher.plan import placements
from squasher.plan.layout import MOUNTED_CTX, STAGED_CTX
from squasher.plan.state import Unknown

if TYPE_CHECKING:
    from squasher.parse.model import Instruction
    from squasher.plan.model import Segment, StagePlan
    from squasher.plan.planner import Planner
    from squasher.plan.state import StageState


def plan_copy_add(
    p: Planner, sp: StagePlan, seg: Segment, st: StageState, inst: Instruction
) -> Segment:
    ok, why = placements.is_foldable(inst)
    if not ok:
        return p.keep(sp, seg, st, inst, why)
    if st.no_shell:
        return p.keep(sp, seg, st, inst, f"{st.no_shell}: the builder places it")
    if len(inst.args) < 2:
        raise p.refuse(inst, f"{inst.keyword} requires at least two arguments")
    try:
        words = [a if a.startswith("<<") else p.static(p.lex(inst, a), st) for a in inst.args]
    except Unknown as unk:
        why = f"its paths use ${unk.args[0]}, whose value is known only at build time"
        return p.keep(sp, seg, st, inst, why)
    sources, dest = words[:-1], words[-1]
    if not dest.startswith("/") and st.workdir is None:
        why = "its destination is relative to a WORKDIR known only at build time"
        return p.keep(sp, seg, st, inst, why)
    ok, why = placements.is_foldable(inst, sources)
    if not ok:
        return p.keep(sp, seg, st, inst, why)

    def expand(value: str) -> str:
        return p.static(p.lex(inst, value), st)

    try:
        op = placements.plan_copy(
            inst,
            sources,
            dest,
            workdir=st.workdir or "/",
            context=p.opt.context or Path("."),
            ignore=p.ignore(),
            staged_root=MOUNTED_CTX if p.opt.strategy == "mount" else STAGED_CTX,
            dockerfile_path=p.opt.script_name,
            builder=p.opt.builder,
            expand=expand,
        )
    except RewriteRefused as err:
        err.path = p.opt.dockerfile_path
        raise
    except Unknown as unk:
        why = f"it uses ${unk.args[0]}, whose value is known only at build time"
        return p.keep(sp, seg, st, inst, why)
    seg.folded.append(inst)
    seg.ops.append(op)
    return seg
