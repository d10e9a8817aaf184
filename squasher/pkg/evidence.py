"""What the image and its build context run: the evidence that keeps a runtime tool.

A runtime tool (pip, git, curl ... see :mod:`squasher.pkg.runtime`) the original installs and
keeps stays when one of its commands is named by something that runs in or with the image: the
Dockerfile's CMD, ENTRYPOINT and HEALTHCHECK (the caller passes them as :class:`Evidence`), and in
the context the compose files' ``command:`` / ``entrypoint:``, a Procfile, entrypoint scripts
(``*entrypoint*``) and the context files CMD/ENTRYPOINT name. Scripts the build itself writes are
checked at build time by the purge (``apt_sh.runtime_tools_sh``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from squasher.pkg.common import PYTHON_BUILD_SCRIPTS

_COMPOSE = re.compile(r"^(docker-)?compose[\w.-]*\.ya?ml$")
_COMPOSE_KEY = re.compile(r"^(\s*)(-\s+)?(command|entrypoint)\s*:(.*)$")
_SKIP_DIRS = frozenset({".git", "node_modules", ".squasher", "__pycache__", ".venv", "venv"})
_MAX_BYTES = 1 << 20  # a file larger than this is not a script or a compose file
_MAX_DEPTH = 3


@dataclass(frozen=True)
class Evidence:
    """One thing that runs with the image: where it is, and its text."""

    source: str  # "Dockerfile:20 CMD", "docker-compose.yml", "Procfile", "docker-entrypoint.sh"
    text: str


def names(text: str, command: str) -> bool:
    """True when ``text`` names ``command`` as a word (``python -m pip``, ``/usr/bin/git``)."""
    return re.search(rf"(?<![\w.-]){re.escape(command)}(?![\w-])", text) is not None


def named_by(evidence: Iterable[Evidence], commands: Sequence[str]) -> tuple[str, str] | None:
    """The first (source, command) where one of ``commands`` is named, or None."""
    for e in evidence:
        for c in commands:
            if names(e.text, c):
                return e.source, c
    return None


def context_evidence(context: Path | None, run_words: Iterable[str] = ()) -> list[Evidence]:
    """The compose files, Procfile and entrypoint scripts of ``context``, and the context files
    whose names ``run_words`` (the words of CMD/ENTRYPOINT) end with; sorted by path."""
    if context is None or not context.is_dir():
        return []
    wanted = {w.rsplit("/", 1)[-1] for w in run_words if w and not w.startswith("-")}
    found: list[Evidence] = []
    for path in sorted(_files(context, 0)):
        rel = path.relative_to(context).as_posix()
        name = path.name
        top = "/" not in rel
        if top and _COMPOSE.match(name):
            text = _read(path)
            if text is not None:
                found.append(Evidence(rel, _compose_commands(text)))
        elif (top and name == "Procfile") or "entrypoint" in name.lower() or name in wanted:
            text = _read(path)
            if text is not None:
                found.append(Evidence(rel, text))
    return found


def _files(directory: Path, depth: int) -> Iterable[Path]:
    try:
        entries = sorted(directory.iterdir())
    except OSError:
        return
    for entry in entries:
        if entry.is_symlink():
            continue
        if entry.is_dir():
            if depth < _MAX_DEPTH and entry.name not in _SKIP_DIRS:
                yield from _files(entry, depth + 1)
        elif entry.is_file():
            yield entry


def _read(path: Path) -> str | None:
    try:
        if path.stat().st_size > _MAX_BYTES:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    if b"\0" in data[:4096]:
        return None
    return data.decode("utf-8", "replace")


def _compose_commands(text: str) -> str:
    """The ``command:`` and ``entrypoint:`` values of a compose file, with their list items."""
    out: list[str] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = _COMPOSE_KEY.match(lines[i])
        i += 1
        if m is None:
            continue
        out.append(m.group(4))
        indent = len(m.group(1)) + len(m.group(2) or "")
        # the value's continuation: deeper-indented lines and "- item" lines below the key
        while i < len(lines):
            line = lines[i]
            stripped = line.lstrip()
            depth = len(line) - len(stripped)
            if stripped and (depth < indent or (depth == indent and not stripped.startswith("-"))):
                break
            out.append(stripped)
            i += 1
    return "\n".join(out)


def python_build_scripts(evidence: Iterable[Evidence]) -> list[str]:
    """The Python build scripts (``setup.py``) nothing the image runs names: their imports do
    not keep a package."""
    found = list(evidence)
    return [name for name in PYTHON_BUILD_SCRIPTS if named_by(found, [name]) is None]
