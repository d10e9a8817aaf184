"""``squasher.rewrite``: a Dockerfile folded into one COPY + one RUN of a generated build.sh per stage.

    result = squasher.rewrite("Dockerfile", builder="buildkit", strategy="script")
    result.dockerfile      # the text of Dockerfile.squashed
    result.files           # {context-relative path: bytes}: .squasher/<stage>/build.sh, ...
    result.report          # squasher.report.rewrite.RewriteReport
    result.write()         # writes them atomically; the input is never modified

Rewriting a file squasher generated returns it unchanged (idempotent). Output is deterministic.
"""

from __future__ import annotations

import os
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from squasher.errors import SquasherError
from squasher.parse.model import Dockerfile
from squasher.render.script import ScriptHooks
from squasher.report.rewrite import FoldedStep, KeptInstruction, RewriteReport

BUILDERS = ("classic", "buildkit")
STRATEGIES = ("script", "mount")
GENERATED_DIR = ".squasher"


@dataclass
class RewriteResult:
    source_path: Path
    output_path: Path
    context: Path
    dockerfile: str
    files: dict[str, bytes] = field(default_factory=dict)  # relative to context
    report: RewriteReport | None = None

    def outputs(self) -> dict[Path, bytes]:
        """Every file the rewrite writes, by absolute path."""
        out = {self.output_path: self.dockerfile.encode("utf-8", "surrogateescape")}
        for rel, data in self.files.items():
            out[(self.context / rel).resolve()] = data
        return out

    def stale(self) -> list[Path]:
        """Scripts of an earlier rewrite under .squasher/ that this one no longer writes."""
        if self.report is not None and self.report.unchanged:
            return []
        keep = set(self.outputs())
        root = self.context / GENERATED_DIR
        if not root.is_dir():
            return []
        stale: list[Path] = []
        for path in sorted(root.rglob("*.sh")):
            if path.resolve() not in keep:
                stale.append(path)
        return stale

    def differences(self) -> list[str]:
        """Files on disk that differ from what ``write()`` would write (for ``--check``)."""
        diffs: list[str] = []
        for path, data in self.outputs().items():
            try:
                current = path.read_bytes()
            except OSError:
                diffs.append(f"{path}: missing")
                continue
            if current != data:
                diffs.append(f"{path}: differs")
        diffs.extend(f"{p}: stale" for p in self.stale())
        return diffs

    def write(self, *, dockerfile: bool = True) -> list[Path]:
        """Write every output atomically (temp file + rename); returns the paths written.

        ``dockerfile=False`` writes only the generated files (the CLI's ``-o -``)."""
        from squasher.util.atomic import write_bytes_atomic

        if self.output_path.resolve() == self.source_path.resolve() and not (
            self.report and self.report.unchanged
        ):
            raise SquasherError(f"refusing to overwrite the input {self.source_path}")
        written: list[Path] = []
        for path, data in self.outputs().items():
            if not dockerfile and path == self.output_path:
                continue
            try:
                if path.read_bytes() == data:
                    continue
            except OSError:
                pass
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                raise SquasherError(f"cannot create {path.parent}: {err.strerror}") from None
            write_bytes_atomic(path, data, 0o644)
            written.append(path)
        for path in self.stale():
            try:
                path.unlink()
            except OSError as err:
                raise SquasherError(f"cannot remove stale {path}: {err.strerror}") from None
        return written


def _stage_label(df: Dockerfile, index: int) -> str:
    stage = df.stages[index]
    return f'stage {index} "{stage.name}"' if stage.name else f"stage {index}"


def _staging_bytes(context: Path, paths: list[str]) -> int:
    from squasher.render.dockerignore import DockerIgnore

    ignore = DockerIgnore.load(context)
    total = 0
    for rel in paths:
        full = context / rel
        if full.is_file():
            total += full.stat().st_size
        elif full.is_dir():
            for root, _dirs, names in os.walk(full):
                for name in names:
                    p = Path(root) / name
                    r = p.relative_to(context).as_posix()
                    if not ignore.excluded(r) and p.is_file():
                        total += p.stat().st_size
    return total


def rewrite(
    dockerfile_path: str | os.PathLike[str],
    *,
    context: str | os.PathLike[str] | None = None,
    builder: str = "buildkit",
    strategy: str = "script",
    output: str | os.PathLike[str] | None = None,
    hooks: ScriptHooks | None = None,
) -> RewriteResult:
    """Plan and render the rewrite of ``dockerfile_path``; nothing is written (see ``write``)."""
    from squasher.parse import parse_file
    from squasher.plan.model import CopyOp, Original, Segment
    from squasher.plan.planner import STAGE_ROOT, PlanOptions, plan
    from squasher.render.dockerfile import is_squashed, render_dockerfile, segment_files
    from squasher.render.script import ScriptOptions, describe, render_script

    if builder not in BUILDERS:
        raise SquasherError(f"--builder must be one of {', '.join(BUILDERS)}, not {builder!r}")
    if strategy not in STRATEGIES:
        raise SquasherError(f"--strategy must be one of {', '.join(STRATEGIES)}, not {strategy!r}")
    if strategy == "mount" and builder != "buildkit":
        raise SquasherError("--strategy mount needs --builder buildkit (RUN --mount)")
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
    name = source.name
    report = RewriteReport(str(source), str(out_path), builder, strategy, stages=len(df.stages))

    if is_squashed(df.source):
        report.unchanged = True
        if output is None:
            out_path = source
            report.output = str(source)
        return RewriteResult(source, out_path, ctx, df.source, {}, report)

    result = plan(df, PlanOptions(builder, strategy, ctx, str(source), name))
    report.warnings.extend(result.notes)
    files: dict[str, bytes] = {}
    copy_runtime = ""
    try:
        from squasher.render.copy import RUNTIME_SH

        copy_runtime = RUNTIME_SH
    except ImportError:  # pragma: no cover - D2's module always ships with the package
        pass
    all_paths: list[str] = []
    for sp in result.stages:
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
            stage_root = "" if strategy == "mount" else STAGE_ROOT
            text = render_script(
                item,
                ScriptOptions(name, builder, stage_root, _stage_label(df, sp.stage.index)),
                hooks,
                copy_runtime,
            )
            files[sf.context_path] = text.encode("utf-8", "surrogateescape")
            report.scripts.append(sf.context_path)
            for inst in item.folded:
                report.folded.append(
                    FoldedStep(
                        sp.key, inst.start_line, describe(inst.original, 120), sf.context_path
                    )
                )
            for op in item.ops:
                if isinstance(op, CopyOp):
                    report.warnings.extend(f"{name}:{op.inst.start_line}: {n}" for n in op.notes)
            for p in item.context_paths:
                if p not in all_paths:
                    all_paths.append(p)
    if all_paths:
        from squasher.render.dockerignore import DockerIgnore

        ignore = DockerIgnore.load(ctx)
        ignore_path = out_path.with_name(out_path.name + ".dockerignore")
        rel = os.path.relpath(ignore_path.resolve(), ctx.resolve())
        files[Path(rel).as_posix()] = ignore.per_dockerfile_ignore(all_paths).encode("utf-8")
        if builder == "classic" and ignore.excluded(f"{GENERATED_DIR}/x.sh"):
            report.warnings.append(
                f"{ctx}/.dockerignore excludes {GENERATED_DIR}/: the classic builder will not "
                "see the scripts; add '!.squasher' to it"
            )
    report.staging_paths = sorted(all_paths)
    if strategy == "script":
        scripts = sum(len(v) for k, v in files.items() if k.endswith(".sh"))
        report.staging_bytes = scripts + _staging_bytes(ctx, all_paths)
    text = render_dockerfile(df, result.stages, strategy, name, out_path.name)
    return RewriteResult(source, out_path, ctx, text, files, report)


class _CallableModule(types.ModuleType):
    """``squasher.rewrite`` is both this module and the function: importing the submodule makes
    the package attribute the module, so the module itself forwards calls to :func:`rewrite`."""

    def __call__(self, dockerfile_path: str | os.PathLike[str], **kwargs: Any) -> RewriteResult:
        return rewrite(dockerfile_path, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
