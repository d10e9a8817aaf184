"""``rewrite(..., strategy="stages")``: the result of :mod:`squasher.render.stages` as a
:class:`squasher.rewriting.result.RewriteResult` with its report."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from squasher.context.snapshot import SKELETON_FILE
from squasher.parse.model import Dockerfile, Instruction
from squasher.plan.base import BaseInfo
from squasher.plan.purge import PurgeOptions
from squasher.report.rewrite import PackageDecision, RewriteReport

if TYPE_CHECKING:
    from squasher.context.snapshot import ContextStage


def rewrite_stages(
    df: Dockerfile,
    source: Path,
    out_path: Path,
    context: Path,
    report: RewriteReport,
    *,
    target: str | None,
    base_info: BaseInfo | None,
    options: PurgeOptions,
    warnings: Sequence[str] = (),
) -> tuple[str, dict[str, bytes]]:
    """The squashed Dockerfile's text and the files to write, relative to ``context``; fills
    ``report``."""
    from squasher.context.dockerignore import DockerIgnore
    from squasher.render.dockerfile import MARKER
    from squasher.render.stages import render_stages, target_stage

    name = source.name
    ignore_path = out_path.with_name(out_path.name + ".dockerignore")
    rel_ignore = Path(os.path.relpath(ignore_path.resolve(), context.resolve())).as_posix()
    stage, readers = _context_stage(df, context, out_path, rel_ignore)
    rendered = render_stages(
        df,
        name=name,
        output_name=out_path.name,
        marker=MARKER,
        target=target,
        base_info=base_info,
        options=options,
        context_stage=stage,
        reading_context_stage=readers,
        large_copies=large_context_copies(target_stage(df, target).instructions, context),
    )
    report.warnings.extend(warnings)
    from squasher.plan.context_reads import whole_context_copies

    kept = [inst for s in df.stages for inst in s.instructions]
    report.warnings.extend(whole_context_copies(kept, name, stage is not None))
    for d in rendered.decisions:
        report.packages.append(PackageDecision.of(rendered.stage_key, d))
    for line, why in rendered.unanalysed:
        report.unanalysed.append(f"{name}:{line}: not analysed (bashlex: {why})")
    files = {rel: text.encode("utf-8") for rel, text in rendered.files.items()}
    report.scripts = sorted(rel for rel in files if rel.endswith(".sh"))
    if stage is not None and stage.skeleton:
        files[SKELETON_FILE] = stage.skeleton
    # the original's instructions read the context as they always did: all of it
    report.staging_paths = ["."]
    report.context_paths = ["."]
    report.staging_bytes = 0
    ignore = DockerIgnore.load(context)
    if any(ignore.excluded(rel) for rel in files):
        report.warnings.append(
            f"{context}/.dockerignore excludes .squasher/: the builder will not see the "
            "build stage's scripts; add '!.squasher' to it"
        )
    # BuildKit reads <output>.dockerignore first: the original's own rules, so that a file
    # left by an earlier rewrite never narrows the context
    own = context / ".dockerignore"
    rules = own.read_text(encoding="utf-8") if own.is_file() else ""
    files[rel_ignore] = (
        "# the build context's .dockerignore, as the original build reads it (squasher)\n" + rules
    ).encode("utf-8")
    return rendered.dockerfile, files


# a COPY of the context that carries at least this much gets a layer of its own in the final
# stage; smaller ones go with the application (re-sent on a deploy, they cost less than this)
OWN_LAYER_BYTES = 1 << 20


def large_context_copies(instructions: Sequence[Instruction], context: Path) -> list[int]:
    """The start lines of the COPY/ADD instructions that read at least ``OWN_LAYER_BYTES`` of
    the context (a wildcard or a variable counts as the whole context)."""
    from squasher.context.staging import staged_context_bytes
    from squasher.plan.context_reads import instruction_reads

    lines = []
    for inst in instructions:
        reads = instruction_reads(inst)
        if reads and staged_context_bytes(context, reads) >= OWN_LAYER_BYTES:
            lines.append(inst.start_line)
    return lines


def _context_stage(
    df: Dockerfile, context: Path, out_path: Path, rel_ignore: str
) -> tuple[ContextStage | None, set[int]]:
    """The stage holding the context without squasher's files, for the instructions of every
    stage (all kept as written) that read the whole context (the ids of those instructions),
    or (None, ()) when none does or the context cannot be copied so (a name that reads as a
    pattern)."""
    from squasher.plan.context_reads import reads_from_context_stage
    from squasher.rewriting.staging import context_snapshot

    readers = {
        id(inst) for s in df.stages for inst in s.instructions if reads_from_context_stage(inst)
    }
    if not readers:
        return None, set()
    stage, _ignore = context_snapshot(df, context, out_path, {SKELETON_FILE, rel_ignore})
    return (stage, readers) if stage is not None else (None, set())
