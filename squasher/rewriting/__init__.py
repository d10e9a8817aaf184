"""``squasher.rewrite()``: a Dockerfile folded into one COPY + one RUN of a generated build.sh per stage.

    result = squasher.rewrite("Dockerfile", builder="buildkit", strategy="script")
    result.dockerfile      # the text of Dockerfile.squashed
    result.files           # {context-relative path: bytes}: .squasher/<stage>/build.sh, ...
    result.report          # squasher.report.rewrite.RewriteReport
    result.write()         # writes them atomically; the input is never modified

Rewriting a file squasher generated returns it unchanged (idempotent). Output is deterministic.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from squasher.context.staging import looks_secret
from squasher.errors import SquasherError
from squasher.parse.model import Dockerfile
from squasher.plan.base import BaseInfo
from squasher.plan.hooks import ScriptHooks
from squasher.plan.layout import GENERATED_DIR
from squasher.report.rewrite import RewriteReport
from squasher.rewriting.result import RewriteResult
from squasher.rewriting.staging import account_staged_files
from squasher.util.builders import BUILDERS, Builder

if TYPE_CHECKING:
    from squasher.plan.purge import PurgeOptions

__all__ = [
    "STRATEGIES",
    "RewriteResult",
    "account_staged_files",
    "default_strategy",
    "rewrite",
    "secret_arg_warnings",
]

STRATEGIES = ("script", "mount", "stages")


def default_strategy(builder: str) -> str:
    """The form of a rewrite when none is asked for. BuildKit: ``mount`` — the scripts and the
    context files they read are bind-mounted into the RUN, so none of their bytes stays in a
    layer. The classic builder has no mount: ``script``, whose scripts run inline when they read
    no context file (a staging COPY keeps what it carries in a layer of its own)."""
    return "mount" if builder == "buildkit" else "script"


def rewrite(
    dockerfile_path: str | os.PathLike[str],
    *,
    context: str | os.PathLike[str] | None = None,
    builder: str = "buildkit",
    strategy: str | None = None,
    output: str | os.PathLike[str] | None = None,
    hooks: ScriptHooks | None = None,
    base_info: BaseInfo | None = None,
    purge: bool = True,
    purge_packages: Sequence[str] = (),
    keep_packages: Sequence[str] = (),
    exact: bool = False,
    no_recommends: bool = False,
    target: str | None = None,
) -> RewriteResult:
    """Plan and render the rewrite of ``dockerfile_path``; nothing is written (see ``write``).

    ``hooks`` adds sh to the scripts (prologue, before flagged steps, epilogue: see
    ``squasher.plan.hooks.ScriptHooks``; default: squasher's purge and cleanup, see
    ``squasher.plan.purge``); ``base_info`` tells what base images hold
    (``squasher.plan.base.engine_base_info(client)`` reads it from an engine).

    ``purge=False`` keeps every package (caches are still cleaned); ``purge_packages`` and
    ``keep_packages`` override the build-tool decision; ``exact`` turns off the protection of
    runtime libraries from the original's own removals; ``no_recommends`` installs no apt
    Recommends (it changes what gets installed). ``target`` names the stage that becomes the
    image for ``strategy="stages"`` (default: the last). ``strategy`` None: ``default_strategy``
    of the builder (``mount`` for BuildKit, ``script`` for the classic builder)."""
    from squasher.parse import parse_file
    from squasher.plan.purge import PurgeOptions
    from squasher.render.dockerfile import is_squashed

    if builder not in BUILDERS:
        raise SquasherError(f"--builder must be one of {', '.join(BUILDERS)}, not {builder!r}")
    strategy = _checked_strategy(builder, strategy)
    source = Path(dockerfile_path)
    if not source.is_file():
        raise SquasherError(f"{source}: no such Dockerfile")
    ctx = (
        Path(context)
        if context is not None
        else (source.parent if str(source.parent) else Path("."))
    )
    if not ctx.is_dir():
        raise SquasherError(f"{ctx}: the build context is not a directory")
    df = parse_file(source)
    out_path = Path(output) if output is not None else source.with_name(source.name + ".squashed")
    report = RewriteReport(str(source), str(out_path), builder, strategy, stages=len(df.stages))

    if is_squashed(df.source):
        report.unchanged = True
        if output is None:
            out_path = source
            report.output = str(source)
        return RewriteResult(source, out_path, ctx, df.source, {}, report)

    purge_options = PurgeOptions(
        purge, tuple(purge_packages), tuple(keep_packages), exact, no_recommends, str(ctx)
    )
    if strategy == "stages":
        from squasher.rewriting.stages import rewrite_stages

        text, generated = rewrite_stages(
            df, source, out_path, ctx, report, target=target, base_info=base_info,
            options=purge_options,
            warnings=secret_arg_warnings(df, source.name),
        )  # fmt: skip
        return RewriteResult(source, out_path, ctx, text, generated, report)
    text, files = _rewrite_scripts(
        df, source, out_path, ctx, report, builder, hooks, base_info, purge_options
    )
    return RewriteResult(source, out_path, ctx, text, files, report)


def _checked_strategy(builder: str, strategy: str | None) -> str:
    """The rewrite's form for ``builder`` (``default_strategy`` when None), or the error that
    names what is wrong with the pair."""
    if strategy is None:
        strategy = default_strategy(builder)
    if strategy not in STRATEGIES:
        raise SquasherError(f"--strategy must be one of {', '.join(STRATEGIES)}, not {strategy!r}")
    if strategy == "mount" and builder != "buildkit":
        raise SquasherError("--strategy mount needs --builder buildkit (RUN --mount)")
    return strategy


def _rewrite_scripts(
    df: Dockerfile,
    source: Path,
    out_path: Path,
    ctx: Path,
    report: RewriteReport,
    builder: Builder,
    hooks: ScriptHooks | None,
    base_info: BaseInfo | None,
    purge_options: PurgeOptions,
) -> tuple[str, dict[str, bytes]]:
    """The script and mount forms: plan, render every segment's script, the per-Dockerfile
    ignore file and the context stage; the squashed Dockerfile's text and the files to write."""
    from squasher.plan.layout import STAGE_ROOT
    from squasher.plan.planner import PlanOptions, plan
    from squasher.render.dockerfile import render_dockerfile
    from squasher.render.script import ScriptOptions
    from squasher.rewriting.scripts import purge_hooks, render_scripts, report_builder_steps
    from squasher.rewriting.staging import account_staging, context_stage_for

    name, strategy = source.name, report.strategy
    result = plan(df, PlanOptions(builder, strategy, ctx, str(source), base_info, name))
    report.warnings.extend(result.notes)
    report.warnings.extend(secret_arg_warnings(df, name))
    if hooks is None:
        hooks = purge_hooks(df, result.stages, report, purge_options)
    opts = ScriptOptions(name, builder, "" if strategy == "mount" else STAGE_ROOT, "")
    files, staged, all_paths, inline = render_scripts(
        df, result.stages, strategy, opts, hooks, report
    )
    report_builder_steps(report, result, strategy, all_paths, name, set(inline))
    if all_paths:
        _add_dockerignore(files, ctx, out_path, report)
    report.staging_paths = sorted(all_paths)
    if strategy == "script":
        account_staging(report, files, staged, all_paths, ctx, builder, source, out_path)
    context_stage, readers = context_stage_for(df, result.stages, ctx, out_path, files, report)
    text = render_dockerfile(
        df, result.stages, strategy, name, out_path.name, inline, context_stage, readers
    )
    return text, files


def _add_dockerignore(
    files: dict[str, bytes], ctx: Path, out_path: Path, report: RewriteReport
) -> None:
    """``<output>.dockerignore`` into ``files``: what BuildKit sends of the context for the
    squashed build (the files the scripts read); a classic build that would not see the scripts
    is warned of."""
    from squasher.context.dockerignore import DockerIgnore

    ignore = DockerIgnore.load(ctx)
    ignore_path = out_path.with_name(out_path.name + ".dockerignore")
    rel = os.path.relpath(ignore_path.resolve(), ctx.resolve())
    sent = ignore.per_dockerfile_ignore(report.context_paths)
    files[Path(rel).as_posix()] = sent.encode("utf-8")
    if report.builder == "classic" and ignore.excluded(f"{GENERATED_DIR}/x.sh"):
        report.warnings.append(
            f"{ctx}/.dockerignore excludes {GENERATED_DIR}/: the classic builder will not "
            "see the scripts; add '!.squasher' to it"
        )


def secret_arg_warnings(df: Dockerfile, name: str) -> list[str]:
    """Warn about ARGs that look like secrets: both builders write every build argument in effect
    into the history of each RUN (``|1 TOKEN=value /bin/sh -c ...``), build.sh's RUN included, so
    ``docker history`` shows the value in the original and the squashed image alike; build.sh,
    the staging layer and the image's files never hold it."""
    warnings: list[str] = []
    for inst in df.instructions:
        if inst.keyword != "ARG":
            continue
        for word in inst.args:
            arg = word.split("=", 1)[0]
            if looks_secret(arg):
                warnings.append(
                    f"{name}:{inst.start_line}: ARG {arg} looks like a secret: a value given with "
                    "--build-arg is recorded in `docker history` of the squashed image, as of the "
                    "original (the builder writes it before every RUN); pass secrets with "
                    "RUN --mount=type=secret instead"
                )
    return warnings
