"""The context entries a COPY/ADD source names, resolved the way the builders resolve them.

- Wildcards are expanded against the context with .dockerignore applied, in the builder's walk
  order (Go ``filepath.Match`` per path), so the script names every source literally.
- A source that is a symlink (or goes through one) is resolved inside the context, as the
  builders do; ``..`` and absolute link targets stay inside the context root.
- Squasher's own files in the context (``GENERATED``) are never matched: the original build did
  not see them, and a second rewrite must give the same output.
"""

from __future__ import annotations

import os
import posixpath
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from squasher.context.archive import inspect_archive
from squasher.context.dockerignore import (
    BadPattern,
    DockerIgnore,
    go_clean,
    go_match,
    has_glob_meta,
    validate_pattern,
)
from squasher.errors import RewriteRefused
from squasher.parse.model import Instruction

_URL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_GIT_RE = re.compile(r"^(git@|git://|github\.com/)|\.git(#.*)?$")

# What squasher writes into the build context (context-relative). A directory copy of the context
# leaves these out, and wildcards never match them: the original build never saw them.
GENERATED_DIR = ".squasher"  # the scripts and their runtime
GENERATED: tuple[str, ...] = (
    GENERATED_DIR,
    "Dockerfile.squashed",
    "Dockerfile.squashed.dockerignore",
)


def is_remote_source(src: str) -> bool:
    """A URL or git reference (ADD downloads or clones it; the script does not)."""
    return bool(_URL_RE.match(src) or _GIT_RE.search(src))


def _refuse(msg: str, dockerfile_path: str, inst: Instruction) -> RewriteRefused:
    return RewriteRefused(msg, dockerfile_path, inst.start_line)


def resolve_in_context(context: Path, rel: str) -> str:
    """Follow symlinks in ``rel`` the way the builders do, scoped to the context root
    (absolute link targets and ``..`` stay inside). Returns the resolved context-relative path."""
    parts = [p for p in go_clean("/" + rel).split("/") if p]
    resolved: list[str] = []
    hops = 0
    while parts:
        part = parts.pop(0)
        if part == ".":
            continue
        if part == "..":
            if resolved:
                resolved.pop()
            continue
        candidate = [*resolved, part]
        full = context.joinpath(*candidate)
        if full.is_symlink():
            hops += 1
            if hops > 255:
                raise OSError(f"too many levels of symbolic links: {rel}")
            target = os.readlink(full)
            if target.startswith("/"):
                resolved = []
            parts = [p for p in target.split("/") if p] + parts
            continue
        resolved = candidate
    return "/".join(resolved) or "."


def expand_wildcard(
    context: Path,
    pattern: str,
    ignore: DockerIgnore,
    generated: Sequence[str] = GENERATED,
) -> list[str]:
    """Context paths matching ``pattern`` (cleaned, relative) in the builder's walk order.

    Paths squasher itself writes into the context (``generated``) are never matched, so a second
    rewrite sees the same context as the first.
    """
    out: list[str] = []
    depth = pattern.count("/") + 1  # "*" and "?" never match "/": deeper paths cannot match
    skip = {go_clean(g) for g in generated}

    def present(rel: str, full: Path) -> bool:
        if not ignore.excluded(rel):
            return True
        # an excluded directory is still sent when a "!" exception keeps something below it
        return (
            ignore.has_exceptions()
            and full.is_dir()
            and not full.is_symlink()
            and bool(ignore.walk(context, rel))
        )

    def walk(rel: str) -> None:
        full = context / rel if rel else context
        try:
            names = sorted(os.listdir(full))
        except OSError:
            return
        for name in names:
            child = f"{rel}/{name}" if rel else name
            child_full = context / child
            if child in skip or not present(child, child_full):
                continue
            if go_match(pattern, child):
                out.append(child)
                continue  # filepath.SkipDir on a matched directory
            if child.count("/") + 1 < depth and child_full.is_dir() and not child_full.is_symlink():
                walk(child)

    walk("")
    return out


@dataclass
class ContextSource:
    """One context entry a COPY/ADD source names."""

    rel: str  # resolved context-relative path
    name: str  # base name used when placed into a directory
    kind: str  # "file" | "dir" | "archive"
    compression: str = ""


def context_sources(
    inst: Instruction,
    src: str,
    context: Path,
    ignore: DockerIgnore,
    dockerfile_path: str,
    builder: str,
    notes: list[str],
    generated: Sequence[str] = GENERATED,
) -> list[ContextSource]:
    """The context entries one source word names (wildcards expanded, symlinks resolved).

    A source outside the context, missing, excluded by .dockerignore or a pattern that matches
    nothing (classic builder) is refused with ``dockerfile_path`` and the instruction's line.
    """
    cleaned = go_clean("/" + src).lstrip("/") or "."
    raw = go_clean(src)
    if not src.startswith("/") and (raw == ".." or raw.startswith("../")):
        raise _refuse(
            f"{inst.keyword} source {src!r} is outside the build context", dockerfile_path, inst
        )
    if has_glob_meta(cleaned):
        try:
            validate_pattern(cleaned)
        except BadPattern:
            raise _refuse(
                f"{inst.keyword} source {src!r}: syntax error in pattern", dockerfile_path, inst
            ) from None
        matches = expand_wildcard(context, cleaned, ignore, generated)
        if not matches:
            if builder == "classic":
                raise _refuse(
                    f"{inst.keyword} source {src!r} matches no file in the build context",
                    dockerfile_path,
                    inst,
                )
            notes.append(f"{src!r} matches nothing in the context: BuildKit copies nothing for it")
            return []
        rels = matches
    else:
        rels = [cleaned]
    out: list[ContextSource] = []
    for rel in rels:
        try:
            resolved = resolve_in_context(context, rel) if rel != "." else "."
        except OSError as err:
            raise _refuse(f"{inst.keyword} source {src!r}: {err}", dockerfile_path, inst) from None
        full = context / resolved if resolved != "." else context
        hidden = resolved != "." and (ignore.excluded(resolved) or ignore.excluded(rel))
        if hidden and not (
            full.is_dir() and ignore.has_exceptions() and ignore.walk(context, resolved)
        ):
            raise _refuse(
                f"{inst.keyword} source {src!r}: file not found in build context or excluded by .dockerignore",
                dockerfile_path,
                inst,
            )
        try:
            st = full.stat()
        except OSError:
            raise _refuse(
                f"{inst.keyword} source {src!r}: file not found in build context or excluded by .dockerignore",
                dockerfile_path,
                inst,
            ) from None
        if "\n" in resolved:
            raise _refuse(
                f"{inst.keyword} source {src!r}: a newline in a path is not supported",
                dockerfile_path,
                inst,
            )
        name = posixpath.basename(rel) if rel != "." else ""
        if stat.S_ISDIR(st.st_mode):
            out.append(ContextSource(resolved, name, "dir"))
        elif inst.keyword == "ADD":
            info = inspect_archive(full)
            if info.is_archive:
                out.append(ContextSource(resolved, name, "archive", info.compression))
            else:
                if info.compression == "zstd":
                    notes.append(
                        f"{rel}: zstd data is copied as a file (the 20.10 engine does not unpack zstd)"
                    )
                out.append(ContextSource(resolved, name, "file"))
        else:
            out.append(ContextSource(resolved, name, "file"))
    return out
