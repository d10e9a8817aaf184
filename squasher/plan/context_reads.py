"""The context paths the squashed build reads through instructions the builder runs itself.

Folded COPY/ADD read their files through the staging (``Segment.context_paths``). Two kinds of
instruction read the build context directly and must find it whole in the squashed build too,
however small the staging: a COPY/ADD the rewrite keeps as an instruction (a WORKDIR known only at
build time, a ``$VAR`` in its paths ...), and a base image's ONBUILD COPY/ADD trigger, which the
builder runs at the FROM. Their sources are resolved exactly when they are plain paths; a source
with a variable, a wildcard or an escape reads the whole context (``"."``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from squasher.context.dockerignore import go_clean
from squasher.parse.model import Instruction
from squasher.plan.model import Original, StagePlan

_REMOTE = re.compile(r"^([a-z][a-z0-9+.-]*://|git@)", re.IGNORECASE)


def instruction_reads(inst: Instruction) -> list[str]:
    """Context-relative paths a COPY/ADD reads from the build context ([] for none)."""
    if inst.keyword not in ("COPY", "ADD") or any(f.name == "from" for f in inst.flags):
        return []
    reads: list[str] = []
    for src in inst.args[:-1]:
        if src.startswith("<<") or (inst.keyword == "ADD" and _REMOTE.match(src)):
            continue  # a heredoc or a download: nothing from the context
        if re.search(r"[$*?\[\\]", src):
            return ["."]
        rel = go_clean("/" + src).lstrip("/") or "."
        if rel == ".":
            return ["."]
        if rel not in reads:
            reads.append(rel)
    return reads


def builder_reads(stages: Iterable[StagePlan], triggers: Iterable[Instruction] = ()) -> list[str]:
    """What the kept COPY/ADD of ``stages`` and the base images' ONBUILD ``triggers`` read."""
    reads: list[str] = []
    insts = [it.inst for sp in stages for it in sp.items if isinstance(it, Original)]
    for inst in [*insts, *triggers]:
        for rel in instruction_reads(inst):
            if rel not in reads:
                reads.append(rel)
    return ["."] if "." in reads else sorted(reads)


def whole_context_warnings(stages: Iterable[StagePlan], name: str = "Dockerfile") -> list[str]:
    """A kept COPY/ADD that reads the whole context also copies what the rewrite generates."""
    return [
        f"{name}:{it.inst.start_line}: {it.inst.keyword} stays an instruction and reads the whole "
        "context: in the squashed build it also copies squasher's .squasher/ scripts and "
        "Dockerfile.squashed, which the original's does not hold (the staging needs them in "
        "the context)"
        for sp in stages
        for it in sp.items
        if isinstance(it, Original) and instruction_reads(it.inst) == ["."]
    ]
