"""Dockerfile.squashed: the original's directives, global ARGs and stages, each stage folded.

Per stage: the FROM line as written, then for each item of the plan either the original
instruction's text (metadata, kept instructions, ARGs) or a segment::

    ARG ...                                   hoisted ARG declarations (as written)
    USER root                                 only when a USER other than root is in force
    COPY .squasher/runtime.sh .squasher/<stage>/build.sh /.squasher/   (script, no context files)
    COPY . /.squasher/ctx/                                      (script, context files needed)
    RUN ["/bin/sh", "/.squasher/build.sh"]
    RUN --mount=type=bind,target=/dev/.squasher ["/bin/sh", ...]  (mount strategy: no COPY)
    USER <as before>                          restores the USER in force
    ENV ... LABEL ... CMD ...                 the segment's metadata, as written, in order

A kept COPY/ADD that reads the whole context reads squasher's copy of it instead (the context
without the files the rewrite generates, rebuilt in a first ``FROM scratch`` stage: see
``squasher.context.snapshot``): ``COPY --from=squasher-context <its sources> <dest>``. The
original's numeric stage references (``--from=0``) then count that stage.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

from squasher.context.snapshot import GENERATED_DOCKERFILE_MARKER
from squasher.parse.model import Dockerfile, Instruction
from squasher.plan.layout import MOUNTED_CTX, STAGE_ROOT, STAGED_CTX
from squasher.plan.model import Original, Segment, StagePlan

if TYPE_CHECKING:
    from squasher.context.snapshot import ContextStage

MARKER = GENERATED_DOCKERFILE_MARKER


RUNTIME_FILE = ".squasher/runtime.sh"  # context-relative: the helpers every build.sh sources


@dataclass
class SegmentFiles:
    """Where a segment's script and the runtime live, in the context and in the image."""

    context_path: str  # .squasher/<stage>/build.sh
    run_path: str  # the path the RUN executes
    runtime_path: str  # where the script finds runtime.sh in the image
    copy_line: str | None  # the staging COPY, None with the mount strategy
    run_line: str


def segment_files(seg: Segment, strategy: str) -> SegmentFiles:
    rel = f".squasher/{seg.stage_key}/{seg.script_name}"
    if strategy == "mount":
        run_path = f"{MOUNTED_CTX}/{rel}"
        argv = json.dumps(["/bin/sh", run_path])
        run_line = f"RUN --mount=type=bind,target={MOUNTED_CTX} {argv}\n"
        return SegmentFiles(rel, run_path, f"{MOUNTED_CTX}/{RUNTIME_FILE}", None, run_line)
    if seg.context_paths:
        run_path = f"{STAGED_CTX}/{rel}"
        runtime_path = f"{STAGED_CTX}/{RUNTIME_FILE}"
        copy_line = f"COPY . {STAGED_CTX}/\n"
    else:
        run_path = f"{STAGE_ROOT}/{seg.script_name}"
        runtime_path = f"{STAGE_ROOT}/runtime.sh"
        copy_line = f"COPY {RUNTIME_FILE} {rel} {STAGE_ROOT}/\n"
    run_line = f"RUN {json.dumps(['/bin/sh', run_path])}\n"
    return SegmentFiles(rel, run_path, runtime_path, copy_line, run_line)


def _text(inst: Instruction) -> str:
    text = inst.original
    return text if text.endswith("\n") else text + "\n"


_STAGE_INDEX = re.compile(r"^\d+$")
_MOUNT_FROM_INDEX = re.compile(r"(^|,)from=(\d+)(?=,|$)")
_KEYWORD = re.compile(r"\s*\S+")


def _shift_stage_indexes(inst: Instruction, text: str) -> str:
    """``text`` with the numeric stage references of the instruction's flags one higher."""
    for flag in inst.flags:
        value = flag.value or ""
        if flag.name == "from" and _STAGE_INDEX.match(value):
            new = f"{flag.raw[: len(flag.raw) - len(value)]}{int(value) + 1}"
        elif flag.name == "mount" and _MOUNT_FROM_INDEX.search(value):
            shifted = _MOUNT_FROM_INDEX.sub(lambda m: f"{m[1]}from={int(m[2]) + 1}", value)
            new = f"{flag.raw[: len(flag.raw) - len(value)]}{shifted}"
        else:
            continue
        text = text.replace(flag.raw, new, 1)
    return text


def _read_context_stage(inst: Instruction, stage_name: str) -> str:
    """The kept COPY/ADD as a COPY of the context stage, sources and flags as written."""
    text = _text(inst)
    keyword = _KEYWORD.match(text)
    assert keyword is not None  # an instruction starts with its keyword
    indent = keyword.group(0)[: len(keyword.group(0)) - len(keyword.group(0).lstrip())]
    return f"{indent}COPY --from={stage_name}{text[keyword.end() :]}"


def needs_root_switch(seg: Segment) -> bool:
    from squasher.parse.words import Lit

    user = seg.start_user
    if user is None:
        return False
    if all(isinstance(p, Lit) for p in user):
        value = "".join(p.text for p in user if isinstance(p, Lit))
        return value not in ("", "root", "0", "root:root", "0:0")
    return True


def render_dockerfile(
    df: Dockerfile,
    plans: list[StagePlan],
    strategy: str,
    source_name: str,
    output_name: str,
    context_stage: ContextStage | None = None,
    reading_context_stage: Collection[int] = (),
) -> str:
    """The squashed Dockerfile. ``reading_context_stage``: the ids of the kept instructions
    that read ``context_stage`` instead of the build context."""
    out: list[str] = []
    for name, value in df.directives.items():
        out.append(f"# {name}={value}\n")
    out.append(
        f"{MARKER}{source_name} by squasher; build with: docker build -f {output_name} <context>\n"
    )
    for inst in df.global_args:
        out.append(_text(inst))
    if context_stage is not None:
        out.append("\n# the build context without the files squasher generated\n")
        out.extend(context_stage.lines())
    for sp in plans:
        out.append("\n")
        out.append(_text(sp.stage.from_))
        for item in sp.items:
            if isinstance(item, Original):
                if context_stage is None:
                    out.append(_text(item.inst))
                elif id(item.inst) in reading_context_stage:
                    text = _read_context_stage(item.inst, context_stage.name)
                    out.append(_shift_stage_indexes(item.inst, text))
                else:
                    out.append(_shift_stage_indexes(item.inst, _text(item.inst)))
                continue
            files = segment_files(item, strategy)
            for inst in item.hoisted_args:
                out.append(_text(inst))
            switch = needs_root_switch(item)
            if switch:
                out.append("USER root\n")
            if files.copy_line:
                out.append(files.copy_line)
            out.append(files.run_line)
            if switch and item.restore_user is not None:
                out.append(item.restore_user)
            for inst in item.metadata:
                out.append(_text(inst))
    return "".join(out)


def is_squashed(source: str) -> bool:
    """True for a file squasher generated (rewriting it again changes nothing)."""
    return any(line.startswith(MARKER) for line in source.splitlines()[:8])
