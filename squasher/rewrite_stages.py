"""``rewrite(..., strategy="stages")``: the result of :mod:`squasher.render.stages` as a
:class:`squasher.rewriting.RewriteResult` with its report."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from squasher.parse.model import Dockerfile
from squasher.plan.base import BaseInfo
from squasher.plan.purge import PurgeOptions
from squasher.report.rewrite import PackageDecision, RewriteReport


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
    from squasher.render.stages import render_stages

    name = source.name
    rendered = render_stages(
        df,
        name=name,
        output_name=out_path.name,
        marker=MARKER,
        target=target,
        base_info=base_info,
        options=options,
    )
    report.warnings.extend(warnings)
    for d in rendered.decisions:
        report.packages.append(
            PackageDecision(
                rendered.stage_key, d.manager, d.package, d.build_only, d.reason, d.where
            )
        )
    for line, why in rendered.unanalysed:
        report.unanalysed.append(f"{name}:{line}: not analysed (bashlex: {why})")
    files = {rel: text.encode("utf-8") for rel, text in rendered.files.items()}
    report.scripts = sorted(rel for rel in files if rel.endswith(".sh"))
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
    ignore_path = out_path.with_name(out_path.name + ".dockerignore")
    rel_ignore = Path(os.path.relpath(ignore_path.resolve(), context.resolve())).as_posix()
    files[rel_ignore] = (
        "# the build context's .dockerignore, as the original build reads it (squasher)\n" + rules
    ).encode("utf-8")
    return rendered.dockerfile, files
