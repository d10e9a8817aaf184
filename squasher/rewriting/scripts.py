"""The script and mount forms' scripts: every segment's build.sh (or the RUN that runs it
inline), the shared runtime.sh, the purge hooks, and what the report says of them."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from squasher.parse.model import Dockerfile
from squasher.plan.hooks import ScriptHooks
from squasher.plan.state import PlanResult
from squasher.report.rewrite import FoldedStep, KeptInstruction, PackageDecision, RewriteReport

if TYPE_CHECKING:
    from squasher.plan.model import StagePlan
    from squasher.plan.purge import PurgeOptions
    from squasher.render.script import ScriptOptions


def _stage_label(df: Dockerfile, index: int) -> str:
    stage = df.stages[index]
    return f'stage {index} "{stage.name}"' if stage.name else f"stage {index}"


def purge_hooks(
    df: Dockerfile, stages: list[StagePlan], report: RewriteReport, options: PurgeOptions
) -> ScriptHooks:
    """squasher's purge and cleanup as the scripts' hooks; its decisions go into the report."""
    from squasher.plan.purge import PurgeHooks

    hooks = PurgeHooks(df, stages, options)
    name = Path(df.path).name
    for key, info in sorted(hooks.stages.items()):
        for d in info.decisions:
            report.packages.append(PackageDecision.of(key, d))
        for line, why in info.unanalysed:
            report.unanalysed.append(f"{name}:{line}: not analysed (bashlex: {why})")
    return hooks


def render_scripts(
    df: Dockerfile,
    stages: list[StagePlan],
    strategy: str,
    opts: ScriptOptions,
    hooks: ScriptHooks,
    report: RewriteReport,
) -> tuple[dict[str, bytes], list[tuple[str, bool]], list[str], dict[int, str]]:
    """Every segment's script and the shared runtime.sh: (files, per staged script its path and
    whether its COPY takes the context, the context paths the scripts read, by ``id()`` of a
    segment the RUN line that runs its script inline).

    With the script strategy a segment that reads no context file runs its script inline, with
    the helpers it calls: nothing is staged, so nothing stays behind in a layer."""
    from squasher.plan.model import CopyOp, Original, Segment
    from squasher.render.dockerfile import (
        INLINE_SUFFIX,
        RUNTIME_FILE,
        inline_run_line,
        segment_files,
    )
    from squasher.render.runtime import called_blocks, runtime_functions, runtime_sh
    from squasher.render.script import HookFunctions, describe, render_script, with_runtime

    name = opts.dockerfile_name
    files: dict[str, bytes] = {}
    functions = HookFunctions()
    staged: list[tuple[str, bool]] = []
    all_paths: list[str] = []
    inline: dict[int, str] = {}
    for sp in stages:
        for item in sp.items:
            if isinstance(item, Original):
                if item.why:
                    report.kept.append(
                        KeptInstruction(
                            sp.key,
                            item.inst.start_line,
                            describe(item.inst.original, 120),
                            item.why,
                        )
                    )
                continue
            if not isinstance(item, Segment) or not item.has_steps:
                continue
            sf = segment_files(item, strategy)
            label = _stage_label(df, sp.stage.index)
            run_line = None
            if strategy == "script" and not item.context_paths:
                seg_opts = replace(opts, stage_label=label, runtime_path="", stage_root="")
                text = render_script(item, seg_opts, hooks, functions)
                helpers = runtime_functions([text], called_blocks([text], functions.definitions))
                script = with_runtime(text, helpers, sf.context_path + INLINE_SUFFIX)
                run_line = inline_run_line(script, df.escape)
                if run_line is None:
                    report.warnings.append(
                        f"{sf.context_path} cannot run inline (longer than one command argument "
                        "may be, or not UTF-8): it is staged, and its bytes stay in the staging "
                        "COPY's layer"
                    )
            if run_line is not None:
                inline[id(item)] = run_line
                report.scripts.append(sf.context_path + INLINE_SUFFIX)
                report.inline_scripts.append(sf.context_path)
            else:
                staged.append((sf.context_path, bool(item.context_paths)))
                seg_opts = replace(opts, stage_label=label, runtime_path=sf.runtime_path)
                text = render_script(item, seg_opts, hooks, functions)
                files[sf.context_path] = text.encode("utf-8", "surrogateescape")
                report.scripts.append(sf.context_path)
            for inst in item.folded:
                report.folded.append(
                    FoldedStep(
                        sp.key, inst.start_line, describe(inst.original, 120), report.scripts[-1]
                    )
                )
            for op in item.ops:
                if isinstance(op, CopyOp):
                    report.warnings.extend(f"{name}:{op.inst.start_line}: {n}" for n in op.notes)
            for p in item.context_paths:
                if p not in all_paths:
                    all_paths.append(p)
    if files:
        texts = [data.decode("utf-8", "surrogateescape") for data in files.values()]
        runtime = runtime_sh(texts, called_blocks(texts, functions.definitions))
        files[RUNTIME_FILE] = runtime.encode("utf-8", "surrogateescape")
    return files, staged, all_paths, inline


def report_builder_steps(
    report: RewriteReport,
    result: PlanResult,
    strategy: str,
    all_paths: list[str],
    name: str,
    inline: set[int],
) -> None:
    """What the builder does itself around the scripts: purges a kept instruction cuts off from
    the layers they would free, and the context files kept COPY/ADD and base triggers read."""
    from squasher.plan.context_reads import builder_reads
    from squasher.plan.model import Segment
    from squasher.plan.purge_split import purge_splits, warning
    from squasher.render.dockerfile import INLINE_SUFFIX, segment_files

    script_paths = {
        id(item): segment_files(item, strategy).context_path
        + (INLINE_SUFFIX if id(item) in inline else "")
        for sp in result.stages
        for item in sp.items
        if isinstance(item, Segment) and item.has_steps
    }
    report.purge_splits = purge_splits(result.stages, script_paths)
    report.warnings.extend(warning(split, name) for split in report.purge_splits)
    report.context_paths = sorted({*all_paths, *builder_reads(result.stages, result.triggers)})
