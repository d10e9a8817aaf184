"""The sh that places a planned COPY/ADD (``squasher.plan.model.CopyOp``) in build.sh.

Each :class:`~squasher.plan.model.Placement` becomes one call of a helper of the runtime's
``copy.sh`` (``__sq_copy_file``, ``__sq_copy_dir``, ``__sq_untar``, ``__sq_write_file``), run as
root at the instruction's place in build.sh, reading the staged context. ``--chown`` is resolved
by ``__sq_chown`` against the image's /etc/passwd and /etc/group when the step runs.
"""

from __future__ import annotations

import posixpath
import re
import shlex

from squasher.plan.model import CopyOp


def _sq(word: str) -> str:
    """Quote for sh; always quotes so the generated text is stable and readable."""
    if word and re.fullmatch(r"[A-Za-z0-9_./:@%+=,-]+", word):
        return word
    return shlex.quote(word)


def copy_sh(op: CopyOp) -> str:
    """The sh lines placing ``op``, in order, ending with a newline."""
    lines: list[str] = []
    if op.chown:
        lines.append(f"__sq_chown {_sq(op.chown)} {op.builder}")
    own = '"$__sq_copy_owner"' if op.chown else "''"
    mode = op.chmod or "''"
    special = 1 if op.keep_special else 0
    for p in op.placements:
        parent_owner = own if p.owned_parents else "''"
        target_owner = own if p.owned_target else "''"
        into = 1 if p.into else 0
        if p.kind == "dir":
            for i, path in enumerate(p.generated):
                q = _sq(path)
                lines.append(f"__sq_gen{i}=0; [ -e {q} ] || [ -L {q} ] || __sq_gen{i}=1")
            lines.append(
                f"__sq_copy_dir {_sq(p.source)} {_sq(p.target)} {parent_owner} {target_owner}"
                f" {own} {mode} {special} || exit 1"
            )
            for i, path in enumerate(p.generated):
                lines.append(f'[ "$__sq_gen{i}" = 0 ] || rm -rf -- {_sq(path)}')
        elif p.kind == "archive":
            comp = _sq(p.compression) if p.compression else "''"
            lines.append(
                f"__sq_untar {_sq(p.source)} {_sq(p.target)} {comp} {target_owner} || exit 1"
            )
            for name, mtime in p.link_times:
                lines.append(f"__sq_linktime {_sq(posixpath.join(p.target, name))} {mtime}")
        elif p.kind == "file":
            lines.append(
                f"__sq_copy_file {_sq(p.source)} {_sq(p.target)} {into} {_sq(p.name)}"
                f" {parent_owner} {target_owner} {mode} {special} || exit 1"
            )
        else:
            lines.append(
                f"__sq_write_file {shlex.quote(p.body)} {_sq(p.target)} {into} {_sq(p.name)}"
                f" {parent_owner} {target_owner} {mode} || exit 1"
            )
    if not op.placements:
        lines.append(":")
    out: list[str] = []
    for line in lines:
        ours = re.sub(r'"\$__sq_(copy_owner|gen\d+)"', "", line)
        if not line.startswith("#") and re.search(r"[$`]", ours):
            # a literal "$" or backtick inside single quotes is meant literally
            out.append("# shellcheck disable=SC2016")
        out.append(line)
    return "\n".join(out) + "\n"
