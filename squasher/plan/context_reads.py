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


# the flags a kept ADD may have to be read as COPY --from: ADD of the context root extracts nothing
_COPY_FLAGS = frozenset({"chown", "chmod", "link"})


def reads_from_context_stage(inst: Instruction) -> bool:
    """Whether a kept COPY/ADD that reads the whole context can read squasher's copy of it (the
    context without the rewrite's files: ``squasher.context.snapshot``) instead: every COPY,
    and an ADD whose sources are all the context root (an ADD of a wildcard or a ``$VAR`` may
    name an archive, which ADD extracts and COPY does not)."""
    if instruction_reads(inst) != ["."]:
        return False
    if inst.keyword == "COPY":
        return True
    return all(f.name in _COPY_FLAGS for f in inst.flags) and all(
        not src.startswith("<<") and go_clean("/" + src) == "/" for src in inst.args[:-1]
    )


def whole_context_warnings(
    stages: Iterable[StagePlan], name: str = "Dockerfile", read_elsewhere: bool = False
) -> list[str]:
    """A kept COPY/ADD that reads the whole context also copies what the rewrite generates,
    unless it reads squasher's copy of the context (``read_elsewhere``) and can."""
    insts = [it.inst for sp in stages for it in sp.items if isinstance(it, Original)]
    return whole_context_copies(insts, name, read_elsewhere)


def whole_context_copies(
    insts: Iterable[Instruction], name: str = "Dockerfile", read_elsewhere: bool = False
) -> list[str]:
    """:func:`whole_context_warnings` for instructions kept as written."""
    return [
        f"{name}:{inst.start_line}: {inst.keyword} stays an instruction and reads the whole "
        "context: in the squashed build it also copies squasher's .squasher/ scripts and "
        "Dockerfile.squashed, which the original's does not hold (the staging needs them in "
        "the context)"
        for inst in insts
        if instruction_reads(inst) == ["."]
        and not (read_elsewhere and reads_from_context_stage(inst))
    ]
