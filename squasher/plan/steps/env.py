"""ENV: every value computed with the environment before the instruction, then exported.

The name must be known at rewrite time and be one a POSIX shell can set; values known at rewrite
time are remembered (a later COPY may need them), the others become unknown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from squasher.parse.words import Part, env_pairs
from squasher.plan.model import SetEnv, SetVars
from squasher.plan.state import SCRIPT_ADDED_VARS, Unknown
from squasher.shell.names import NAME

if TYPE_CHECKING:
    from squasher.parse.model import Instruction
    from squasher.plan.model import Segment, StagePlan
    from squasher.plan.planner import Planner
    from squasher.plan.state import StageState


def plan_env(p: Planner, sp: StagePlan, seg: Segment, st: StageState, inst: Instruction) -> Segment:
    seg.metadata.append(inst)
    known = st.known_names()
    pairs: list[tuple[str, list[Part]]] = []
    values: dict[str, str | None] = {}
    for key_raw, value_raw in env_pairs(inst):
        try:
            key = p.static(p.lex(inst, key_raw), st)
        except Unknown:
            raise p.refuse(
                inst, f"ENV name {key_raw!r} depends on a value known only at build time"
            ) from None
        if not NAME.fullmatch(key):
            raise p.refuse(
                inst,
                f"ENV name {key!r} cannot be set by a POSIX shell; "
                "squasher cannot fold steps that need it",
            )
        parts = p.lex(inst, value_raw)
        pairs.append((key, parts))
        try:
            values[key] = p.static(parts, st)
        except Unknown:
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
    return seg
