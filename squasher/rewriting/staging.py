"""What the rewrite's staging carries: the bytes the staging COPYs put in their layers (script
form), the context files they stage, and the stage that holds the context without squasher's
own files (for kept COPY/ADD that read the whole context)."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

from squasher.context.staging import looks_secret_file, staged_context_files, unread_context_files
from squasher.parse.model import Dockerfile
from squasher.report.rewrite import RewriteReport

if TYPE_CHECKING:
    from squasher.context.dockerignore import DockerIgnore
    from squasher.context.snapshot import ContextStage
    from squasher.plan.model import StagePlan


def staged_script_bytes(
    files: dict[str, bytes], staged: list[tuple[str, bool]], runtime: str
) -> int:
    """The bytes of squasher's scripts the staging COPYs carry, all of them together: a COPY of
    the context takes every script, the COPY of one script takes it and runtime.sh."""
    every = sum(len(v) for k, v in files.items() if k.endswith(".sh"))
    return sum(
        every if with_context else len(files[rel]) + len(files.get(runtime, b""))
        for rel, with_context in staged
    )


def account_staging(
    report: RewriteReport,
    files: dict[str, bytes],
    staged: list[tuple[str, bool]],
    all_paths: list[str],
    ctx: Path,
    builder: str,
    source: Path,
    out_path: Path,
) -> None:
    """What the staging COPYs carry into their layers (script strategy), and warnings about it:
    every byte they carry stays there, under the script's own copy of what it reads."""
    from squasher.render.dockerfile import RUNTIME_FILE

    report.staged_script_bytes = staged_script_bytes(files, staged, RUNTIME_FILE)
    whole = bool(all_paths) and builder == "classic"
    account_staged_files(report, ctx, {source.name, out_path.name})
    if whole:
        report.warnings.append(
            "classic builder: the staging COPY carries the whole build context (after "
            ".dockerignore) into a layer of its own; BuildKit reads "
            f"{out_path.name}.dockerignore and stages only the files the script reads"
        )
        unread = unread_context_files(ctx, report.context_paths, {source.name, out_path.name})
        if unread:
            secret = [p for p in unread if looks_secret_file(p)]
            shown = ", ".join((secret or unread)[:5]) + (", ..." if len(unread) > 5 else "")
            report.warnings.append(
                f"classic builder: {len(unread)} context file(s) no step reads go into the "
                f"squashed image's staging layer, where `docker save` shows them: {shown}"
                + (" (these look like secrets)" if secret else "")
                + "; list them in .dockerignore, or use --builder buildkit"
            )


def account_staged_files(report: RewriteReport, ctx: Path, dockerfiles: set[str]) -> None:
    """``report.staged_files`` and ``staging_bytes`` for a build of ``ctx`` (script strategy):
    the classic builder's `COPY . ` stages what the context's .dockerignore lets through (it has
    no per-Dockerfile ignore file), BuildKit only the files the scripts read."""
    from squasher.report.rewrite import StagedFile

    read_paths = report.staging_paths
    whole = bool(read_paths) and report.builder == "classic"
    sent = staged_context_files(ctx, ["."] if whole else read_paths)
    copied = {path for path, _size in (staged_context_files(ctx, read_paths) if whole else sent)}
    generated = {*dockerfiles, *(f"{name}.dockerignore" for name in dockerfiles)}
    report.staged_files = sorted(
        (StagedFile(path, size, path in copied) for path, size in sent if path not in generated),
        key=lambda f: (-f.bytes, f.path),
    )
    report.staging_bytes = report.staged_script_bytes + sum(f.bytes for f in report.staged_files)


def context_stage_for(
    df: Dockerfile,
    stages: list[StagePlan],
    ctx: Path,
    out_path: Path,
    files: dict[str, bytes],
    report: RewriteReport,
) -> tuple[ContextStage | None, set[int]]:
    """The stage holding the context without the rewrite's files, for the kept COPY/ADD that
    read the whole context (the ids of their instructions), or (None, ()) when none does; its
    archive goes into ``files``, and a kept COPY/ADD that still reads the context is warned of."""
    from squasher.context.snapshot import SKELETON_FILE
    from squasher.plan.context_reads import reads_from_context_stage, whole_context_warnings
    from squasher.plan.model import Original

    readers = {
        id(item.inst)
        for sp in stages
        for item in sp.items
        if isinstance(item, Original) and reads_from_context_stage(item.inst)
    }
    stage: ContextStage | None = None
    if readers:
        stage, ignore = context_snapshot(df, ctx, out_path, {*files, SKELETON_FILE})
        if stage is None:
            readers = set()
        elif stage.skeleton:
            files[SKELETON_FILE] = stage.skeleton
            own_ignore = f"{out_path.name}.dockerignore" in {Path(f).name for f in files}
            if ignore.excluded(SKELETON_FILE) and (report.builder == "classic" or not own_ignore):
                report.warnings.append(
                    f"{ctx}/.dockerignore excludes {SKELETON_FILE}, which the squashed build's "
                    f"{stage.name} stage adds; add '!.squasher' to it"
                )
    report.warnings.extend(whole_context_warnings(stages, Path(df.path).name, bool(readers)))
    return stage, readers


def context_snapshot(
    df: Dockerfile, ctx: Path, out_path: Path, outputs: set[str]
) -> tuple[ContextStage | None, DockerIgnore]:
    """The stage that holds ``ctx`` as its .dockerignore lets it through, without ``outputs``
    (the rewrite's files, context-relative) nor the squashed Dockerfile, under a stage name no
    stage of ``df`` uses; None when the context cannot be copied so (a name that reads as a
    pattern). The context's ignore rules come with it."""
    from squasher.context.dockerignore import DockerIgnore
    from squasher.context.snapshot import context_stage, free_stage_name, generated_paths

    ignore = DockerIgnore.load(ctx)
    outputs = set(outputs)
    with contextlib.suppress(ValueError):
        outputs.add(out_path.resolve().relative_to(ctx.resolve()).as_posix())
    name = free_stage_name({s.name for s in df.stages if s.name})
    return context_stage(ctx, ignore, generated_paths(ctx, ignore, outputs), name), ignore
