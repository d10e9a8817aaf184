"""COPY/ADD from the build context (and ``COPY <<EOF``) placed by build.sh with Docker's rules.

``plan_copy`` turns one COPY/ADD instruction, whose sources and destination the caller has already
expanded, into a :class:`~squasher.plan.model.CopyOp`: the placements that put the files exactly
where and how the chosen builder would, read from the staged context at ``staged_root``
(``squasher.render.placement`` writes them as sh, run as root at the instruction's place).

Decisions (each checked against the real builders by tests/e2e/test_copy_engine.py):

- Wildcards are expanded at REWRITE time against the context with .dockerignore applied, in the
  builder's walk order (Go ``filepath.Match`` per path). The script then names every source
  literally: deterministic, validated (a missing source is a rewrite error, not a build error),
  and the staging carries only the matched paths.
- A source that is a symlink (or goes through one) is resolved inside the context at rewrite time,
  as the builders do; symlinks inside a copied directory stay symlinks.
- Directory sources copy their contents. The destination directory, when missing, is created 0755;
  missing parents are created 0755 and owned by root, except where the builder gives them the
  ``--chown`` owner (BuildKit: every directory it creates; classic: the parents of a copied file and
  the destination directory of a copied directory).
- ``--chown``: names are looked up in the image's /etc/passwd and /etc/group when the step runs,
  with the builder's rules (classic: ``user`` alone means ``user:user`` looked up as a group;
  BuildKit: ``user`` alone takes the user's primary group; a bare number means ``N:N``). An unknown
  name fails the build with the classic builder, as it does; BuildKit silently takes uid 0 (an
  unknown group keeps the gid), and so does the script, with a warning on stderr.
- ``--chmod`` (octal; BuildKit only, the classic builder refuses it): applied to every copied file
  and directory, not to directories the copy had to create. BuildKit keeps a source's
  setuid/setgid/sticky bits through ``--chown`` and ``--chmod``; the classic builder's chown clears
  them. The script does the same for each builder.
- Modes, mtimes (symlinks' own included), numeric owners (root, as staged) are preserved; an
  existing non-directory at a destination is replaced.
- Squasher's own files in the context (``GENERATED``: ``.squasher/``, ``Dockerfile.squashed`` and its
  ignore file) are never matched by wildcards and are left out of a copy of a directory holding
  them: the original build did not see them, and a second rewrite must give the same output.
- ADD of a local archive (detected by content, see ``archive.py``) is unpacked into the destination
  with the image's ``tar`` (numeric owners, modes and mtimes from the archive, ``--chown`` not
  applied to its content, the destination directory keeps its own metadata); the decompressor
  (gzip, bzip2, xz) must exist in the image at that point, otherwise the step fails with a message
  naming the missing tool.
- ``COPY <<EOF``: the body becomes a file named after the delimiter, mode 0644 (or ``--chmod``);
  the body is expanded only when the delimiter is unquoted, with the caller's builder expander.
- Kept as instructions (``is_foldable`` says why): ADD of a URL or git repository, ``COPY --from``,
  ``--parents``, ``--exclude``, ``--checksum``, ``--keep-git-dir``, unknown flags. ``--link`` is folded
  (the files placed are the same).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Sequence
from pathlib import Path

from squasher.context.archive import symlink_times
from squasher.context.dockerignore import DockerIgnore, go_clean
from squasher.context.sources import GENERATED, ContextSource, context_sources, is_remote_source
from squasher.errors import RewriteRefused
from squasher.parse.model import Heredoc, Instruction
from squasher.plan.model import CopyOp, Placement
from squasher.util.builders import BUILDERS, Builder

_KEEP_FLAGS = {
    "from": "COPY --from reads another stage or image",
    "parents": "--parents is not reproduced by the script",
    "exclude": "--exclude is not reproduced by the script",
    "checksum": "ADD --checksum verifies a download",
    "keep-git-dir": "ADD --keep-git-dir clones a git repository",
}
_KNOWN_FLAGS = {"chown", "chmod", "link"}
_HEREDOC_SRC = re.compile(r"^<<(-?)(['\"]?)([^'\"]+)\2$")


def _refuse(msg: str, dockerfile_path: str, inst: Instruction) -> RewriteRefused:
    return RewriteRefused(msg, dockerfile_path, inst.start_line)


def is_foldable(inst: Instruction, sources: list[str] | None = None) -> tuple[bool, str]:
    """Can the script place this COPY/ADD? Returns (False, reason) when it must stay an instruction."""
    if inst.keyword not in ("COPY", "ADD"):
        return False, f"{inst.keyword} is not a COPY or ADD"
    for flag in inst.flags:
        if flag.name in _KEEP_FLAGS:
            return False, _KEEP_FLAGS[flag.name]
        if flag.name not in _KNOWN_FLAGS:
            return False, f"unknown flag --{flag.name}"
    srcs = sources if sources is not None else [a for a in inst.args[:-1]]
    for src in srcs:
        if is_remote_source(src):
            if inst.keyword == "ADD":
                return False, f"ADD of a URL or git repository ({src}) downloads at build time"
            return False, f"COPY of a URL ({src}) is refused by the builder"
    return True, ""


def _heredoc_for(inst: Instruction, src: str) -> Heredoc | None:
    m = _HEREDOC_SRC.match(src)
    if not m or not inst.heredocs:
        return None
    for doc in inst.heredocs:
        if doc.name == m.group(3):
            return doc
    return None


def _under(parent: str, path: str) -> str:
    """``path`` relative to ``parent`` when it lies below it, else ""."""
    path = go_clean(path).lstrip("/")
    if parent in ("", "."):
        return path
    if path.startswith(parent + "/"):
        return path[len(parent) + 1 :]
    return ""


def _parse_chmod(value: str, inst: Instruction, dockerfile_path: str) -> str:
    if not re.fullmatch(r"[0-7]{1,4}", value):
        raise _refuse(
            f"invalid chmod parameter {value!r}: only octal modes are supported",
            dockerfile_path,
            inst,
        )
    return f"{int(value, 8):04o}"


def _place_context_entries(
    op: CopyOp,
    entries: list[ContextSource],
    target: str,
    into: bool,
    staged_root: str,
    context: Path,
    generated: Sequence[str],
) -> None:
    """The placements of the context entries, and the paths the staging must carry."""
    own = bool(op.chown)
    buildkit = op.builder == "buildkit"
    staged = staged_root.rstrip("/")
    for ent in entries:
        src_path = f"{staged}/{ent.rel}" if ent.rel != "." else staged
        if ent.rel not in op.context_paths:
            op.context_paths.append(ent.rel)
        if ent.kind == "dir":
            # squasher's own files under this directory: left out unless already at the destination
            gen = [_under(ent.rel, g) for g in generated]
            op.placements.append(
                Placement(
                    "dir",
                    src_path,
                    target,
                    owned_parents=own and buildkit,
                    owned_target=own,
                    generated=tuple(posixpath.join(target, g) for g in gen if g),
                )
            )
        elif ent.kind == "archive":
            if ent.compression:
                op.notes.append(f"ADD {ent.rel}: unpacking needs {ent.compression} in the image")
            op.placements.append(
                Placement(
                    "archive",
                    src_path,
                    target,
                    owned_target=own and buildkit,
                    compression=ent.compression,
                    link_times=tuple(symlink_times(context / ent.rel, ent.compression)),
                )
            )
        else:
            op.placements.append(Placement("file", src_path, target, ent.name, into, own, own))


def plan_copy(
    inst: Instruction,
    sources: list[str],
    dest: str,
    *,
    workdir: str,
    context: Path,
    ignore: DockerIgnore,
    staged_root: str,
    dockerfile_path: str,
    builder: Builder,
    expand: Callable[[str], str] | None = None,
    generated: Sequence[str] = GENERATED,
) -> CopyOp:
    """What placing ``inst`` means (sources and dest already expanded by the caller).

    ``expand`` is the builder's word expander with the env in force at this step; it is applied to
    ``--chown``/``--chmod`` values and to the bodies of unquoted ``COPY <<EOF`` heredocs. Without it
    a value holding ``$`` is refused. ``generated``: the context-relative paths squasher writes
    (``.squasher`` and the output Dockerfile with its ignore file); a copy of a directory holding
    them leaves them out.
    """
    if builder not in BUILDERS:
        raise ValueError(f"builder must be one of {BUILDERS}")
    ok, reason = is_foldable(inst, sources)
    if not ok:
        raise _refuse(f"{inst.keyword} cannot be folded: {reason}", dockerfile_path, inst)
    notes: list[str] = []

    def expanded(value: str, what: str) -> str:
        if "$" not in value:
            return value
        if expand is None:
            raise _refuse(f"{what} {value!r} needs variable expansion", dockerfile_path, inst)
        return expand(value)

    chown_flag = inst.flag("chown")
    chown = expanded(chown_flag.value or "", "--chown") if chown_flag else ""
    chmod_flag = inst.flag("chmod")
    chmod = ""
    if chmod_flag is not None:
        if builder == "classic":
            raise _refuse("the --chmod option requires BuildKit", dockerfile_path, inst)
        chmod = _parse_chmod(expanded(chmod_flag.value or "", "--chmod"), inst, dockerfile_path)
    if inst.flag("link") is not None:
        notes.append("--link: placed in the script like a plain copy (same files)")

    if not sources:
        raise _refuse(f"{inst.keyword} requires at least two arguments", dockerfile_path, inst)

    # destination
    into = dest.endswith("/") or dest in ("", ".") or dest.endswith("/.")
    target = dest if dest.startswith("/") else posixpath.join(workdir or "/", dest)
    target = go_clean(target)
    if "\n" in target:
        raise _refuse("a newline in the destination is not supported", dockerfile_path, inst)

    # sources
    docs: list[tuple[Heredoc, str]] = []
    entries: list[ContextSource] = []
    for src in sources:
        doc = _heredoc_for(inst, src)
        if doc is not None:
            docs.append((doc, src))
            continue
        if src.startswith("<<"):
            raise _refuse(f"{inst.keyword} heredoc {src} has no body", dockerfile_path, inst)
        entries.extend(
            context_sources(inst, src, context, ignore, dockerfile_path, builder, notes, generated)
        )

    count = len(entries) + len(docs)
    if builder == "classic" and count > 1 and not dest.endswith("/"):
        raise _refuse(
            f"When using {inst.keyword} with more than one source file, the destination must be a directory and end with a /",
            dockerfile_path,
            inst,
        )

    op = CopyOp(inst, builder, chown, chmod, keep_special=builder == "buildkit", notes=notes)
    _place_context_entries(op, entries, target, into, staged_root, context, generated)
    own = bool(chown)
    for doc, _src in docs:
        body = expanded(doc.body, "heredoc body") if doc.expand else doc.body
        op.placements.append(Placement("heredoc", "", target, doc.name, into, own, own, body=body))
    return op
