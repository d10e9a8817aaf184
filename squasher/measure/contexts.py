"""The two build contexts ``diff-size`` builds from: the squashed build's exact context (the
rewrite's files and only the context files its scripts read) and the original's (the user's
context, or a copy without the files an earlier rewrite left in it)."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from squasher.errors import SquasherError

if TYPE_CHECKING:
    from squasher.rewriting import RewriteResult


def _copy_context_paths(
    context: Path, paths: Sequence[str], dest: Path, generated: Collection[str] = ()
) -> None:
    """Copy the named context-relative paths into dest, leaving out what .dockerignore excludes
    (the builder would not have sent those either) and the ``generated`` paths (squasher's own
    files: ``squasher.context.snapshot.generated_paths``)."""
    from squasher.context.dockerignore import DockerIgnore

    ignore = DockerIgnore.load(context)

    def place(src: Path, rel: str) -> None:
        if rel in generated:
            return
        if ignore.excluded(rel) and not (
            src.is_dir() and not src.is_symlink() and ignore.walk(context, rel)
        ):  # an excluded directory is still sent when a "!" exception keeps something below it
            return
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if src.is_symlink():
            if not target.is_symlink():
                os.symlink(os.readlink(src), target)
        elif src.is_dir():
            target.mkdir(exist_ok=True)
            shutil.copystat(src, target)
            for child in sorted(src.iterdir()):
                place(child, f"{rel}/{child.name}")
        elif src.is_file():
            shutil.copy2(src, target)

    for rel in sorted(set(paths)):
        rel = rel.strip("/")
        if rel in ("", "."):  # the whole context, but the files a rewrite generates
            for child in sorted(context.iterdir()):
                place(child, child.name)
        else:
            place(context / rel, rel)


def prepare_squashed_context(
    dockerfile: Path,
    context: Path,
    workdir: Path,
    *,
    builder: str,
    strategy: str,
    options: Mapping[str, Any] | None = None,
) -> tuple[Path, str, RewriteResult]:
    """Rewrite ``dockerfile`` into ``workdir`` (an exact context). Returns (context, dockerfile, result)."""
    from squasher.rewriting import rewrite

    result = rewrite(
        dockerfile, context=context, builder=builder, strategy=strategy, **dict(options or {})
    )
    exact = workdir / "context"
    report = result.report
    squashed_name = "Dockerfile.squashed"
    try:
        exact.mkdir()
        generated = _generated(context, result)
        _copy_context_paths(context, report.context_paths if report else [], exact, generated)
        for rel, data in sorted(result.files.items()):
            if rel.startswith("..") or rel.endswith(".dockerignore"):
                continue  # the exact context needs no ignore file
            target = exact / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        (exact / squashed_name).write_text(result.dockerfile, encoding="utf-8")
        if report is not None and report.strategy == "script":
            from squasher.rewriting import account_staged_files

            # what this build stages: the exact context, not the user's
            account_staged_files(report, exact, {dockerfile.name, squashed_name})
    except OSError as err:  # a full or read-only temporary directory (TMPDIR)
        what = f" ({err.filename})" if err.filename else ""
        raise SquasherError(
            f"cannot prepare the squashed build's context in {workdir}: {err.strerror}{what}"
        ) from None
    return exact, squashed_name, result


def _generated(context: Path, result: RewriteResult) -> set[str]:
    """The paths of ``context`` squasher wrote (this rewrite's, an earlier one's on disk)."""
    from squasher.context.dockerignore import DockerIgnore
    from squasher.context.snapshot import generated_paths

    outputs = set(result.files)
    with contextlib.suppress(ValueError):
        outputs.add(result.output_path.resolve().relative_to(context.resolve()).as_posix())
    return generated_paths(context, DockerIgnore.load(context), outputs)


def original_context(
    context: Path, dockerfile: Path, result: RewriteResult, workdir: Path
) -> tuple[Path, Path]:
    """The context and Dockerfile the original is built from: ``context`` itself, or, when an
    earlier ``squasher rewrite`` left its files there, a copy without them (the original build
    never saw them)."""
    if not (context / ".squasher").exists() and not result.output_path.exists():
        return context, dockerfile  # no earlier rewrite here (the cheap test: no context walk)
    generated = _generated(context, result)
    if not any((context / rel).exists() or (context / rel).is_symlink() for rel in generated):
        return context, dockerfile
    copy = workdir / "original"
    try:
        copy.mkdir()
        _copy_context_paths(context, ["."], copy, generated)
        try:
            rel = dockerfile.resolve().relative_to(context.resolve())
        except ValueError:
            return copy, dockerfile  # a Dockerfile outside the context stays where it is
        if not (copy / rel).is_file():  # the Dockerfile itself is excluded by .dockerignore
            (copy / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(dockerfile, copy / rel)
    except OSError as err:
        what = f" ({err.filename})" if err.filename else ""
        raise SquasherError(
            f"cannot copy the original's context to {workdir}: {err.strerror}{what}"
        ) from None
    return copy, copy / rel
