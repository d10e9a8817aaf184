"""ARG: hoisted before the script's RUN (the builder declares it there), its value hidden in the
script until the line that declares it.

An ARG no RUN can see (the classic builder lets an ENV of the same name win whatever the order;
the proxy variables are always passed) stays in place as written. An ARG cuts the stage when
hoisting it would change what an earlier step or metadata instruction of the segment sees.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from squasher.parse.words import arg_pairs
from squasher.plan.model import DeclareArg, SetEnv
from squasher.plan.state import refers_to, var_names
from squasher.shell.names import NAME

if TYPE_CHECKING:
    from squasher.parse.model import Instruction
    from squasher.plan.model import Segment, StagePlan
    from squasher.plan.planner import Planner
    from squasher.plan.state import StageState

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


def _must_cut(p: Planner, seg: Segment, st: StageState, inst: Instruction, live: list[str]) -> bool:
    """Whether hoisting this ARG to the script's start would change what comes before it."""
    buildkit = p.opt.builder == "buildkit"
    pairs = arg_pairs(inst)
    set_here: set[str] = set()
    if any(default is not None for _, default in pairs):
        set_here = {n for op in seg.ops if isinstance(op, SetEnv) for n, _ in op.pairs}
    # one text for every metadata instruction: a reference never spans two of them
    metadata = "\n".join(m.original for m in seg.metadata)
    cut = False
    for name, default in pairs:
        if name not in live:
            continue
        if refers_to(metadata, name):
            cut = True
        if default is not None and set_here & set(var_names(p.lex(inst, default))):
            cut = True
        if default is not None and (name in seg.hidden_args or name in st.args):
            cut = True  # a new default: steps before it must still see the old value
        if buildkit and name in st.env_names:
            cut = True  # it overrides that ENV from here on, not from the script's start
    return cut


def plan_arg(p: Planner, sp: StagePlan, seg: Segment, st: StageState, inst: Instruction) -> Segment:
    pairs = arg_pairs(inst)
    for name, _default in pairs:
        if not NAME.fullmatch(name):
            raise p.refuse(inst, f"ARG name {name!r} cannot be set by a POSIX shell")
    buildkit = p.opt.builder == "buildkit"
    # The classic builder lets an ENV win over an ARG of the same name, whatever their order;
    # BuildKit (checked on 20.10) lets the later of the two win.
    live = [n for n, _ in pairs if n not in PREDEFINED_ARGS and (buildkit or n not in st.env_names)]
    if not live:
        # no RUN can see it (ENV wins over ARG; proxies are always passed): keep it in place
        st.args.update(n for n, _ in pairs)
        seg.metadata.append(inst)
        return seg
    if _must_cut(p, seg, st, inst, live) and (seg.has_steps or seg.metadata or seg.hoisted_args):
        seg = p.cut(sp, seg, st)
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
