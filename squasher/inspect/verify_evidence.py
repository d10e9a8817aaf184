"""What verify knows besides the two filesystems: the typed rewrite report (why each package was
purged or kept), the build log's protection lines, the base image (the layers both images share)
and the commands the image runs (CMD, ENTRYPOINT, HEALTHCHECK and the scripts they name)."""

from __future__ import annotations

import json
import os
import posixpath
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from squasher.errors import SquasherError
from squasher.inspect.layers import FinalFilesystem
from squasher.inspect.pkgdb import base_name
from squasher.inspect.verify_difference import (
    ProtectedPackage,
    PurgeDecision,
)
from squasher.pkg.base import Protection
from squasher.report.rewrite import RewriteReport
from squasher.shell.query import parse_commands, strip_wrappers

SCRIPT_MAX_SIZE = 256 << 10  # a file CMD names is read as a script up to this size


def load_report(path: str | os.PathLike[str]) -> tuple[RewriteReport, list[Protection]]:
    """A rewrite report JSON file (``squasher rewrite --json``, or the ``report`` object of
    ``squasher diff-size --json``, whose ``protected`` list holds the build's protections)."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except OSError as err:
        raise SquasherError(f"cannot read report: {err.strerror}", path=str(path)) from err
    except json.JSONDecodeError as err:
        raise SquasherError(
            f"report is not JSON: {err.msg}", path=str(path), line=err.lineno
        ) from err
    if isinstance(data, dict) and isinstance(data.get("report"), dict):
        data = data["report"]  # the whole diff-size object
    if not isinstance(data, dict):
        raise SquasherError("report is not a JSON object", path=str(path))
    try:
        report = RewriteReport.from_dict(data)
        protections = [Protection(**p) for p in data.get("protected") or []]
    except (TypeError, ValueError) as err:
        raise SquasherError(f"not a rewrite report: {err}", path=str(path)) from None
    return report, protections


def protected_packages(protections: Iterable[Protection]) -> dict[str, ProtectedPackage]:
    """Package -> the protection that kept it (the first one), with its Dockerfile line."""
    out: dict[str, ProtectedPackage] = {}
    for p in protections:
        name = base_name(p.package)
        if name not in out:
            out[name] = ProtectedPackage(name, _line_of(p.where))
    return out


def purge_decisions(report: RewriteReport | None) -> dict[str, PurgeDecision]:
    """Purged package -> why (an empty kind, from a report older than the kinds: build-only)."""
    out: dict[str, PurgeDecision] = {}
    for d in report.packages if report is not None else ():
        if d.purged:
            kind = d.kind or "build-only"
            out[base_name(d.package)] = PurgeDecision(kind, tuple(sorted(d.commands)))
    return out


def _line_of(where: str) -> int | None:
    """``"Dockerfile:12"`` -> 12; anything else (``"final purge"``) -> None."""
    _, _, tail = where.rpartition(":")
    return int(tail) if tail.isdigit() else None


def shared_layers(original: Sequence[str], squashed: Sequence[str]) -> int:
    """How many layers (diff ids, bottom first) the two images share from the bottom: the base."""
    n = 0
    for a, b in zip(original, squashed, strict=False):
        if a != b or not a:
            break
        n += 1
    return n


# ---------------------------------------------------------------- what the image runs


def config_commands(config: Mapping[str, Any]) -> list[list[str]]:
    """The argv lists the image config runs: ENTRYPOINT + CMD, and the HEALTHCHECK test."""
    runs: list[list[str]] = []
    entry = [str(w) for w in config.get("Entrypoint") or []]
    cmd = [str(w) for w in config.get("Cmd") or []]
    if entry or cmd:
        runs.append(entry + cmd)
    test = [str(w) for w in (config.get("Healthcheck") or {}).get("Test") or []]
    if test[:1] == ["CMD-SHELL"] and len(test) > 1:
        runs.append(["/bin/sh", "-c", test[1]])
    elif test[:1] == ["CMD"]:
        runs.append(test[1:])
    return [r for r in runs if r]


_SHELLS = frozenset({"sh", "bash", "dash", "ash"})
_LAUNCHERS = frozenset({"env", "exec", "tini", "dumb-init", "gosu", "su-exec"})


def called_names(argvs: Iterable[Sequence[str]], scripts: Iterable[str]) -> frozenset[str]:
    """Command names run by these argv lists (``sh -c TEXT`` parsed) and by these script texts."""
    names: set[str] = set()
    texts = list(scripts)
    for argv in argvs:
        names.add(posixpath.basename(argv[0]))
        for i, word in enumerate(argv[:-2]):  # ENTRYPOINT ["tini", "--"] + CMD ["sh", "-c", ...]
            if posixpath.basename(word) in _SHELLS and argv[i + 1] == "-c":
                texts.append(argv[i + 2])
                break
        if len(argv) > 1 and posixpath.basename(argv[0]) in _LAUNCHERS:
            names.add(posixpath.basename(argv[1]))
    for text in texts:
        parsed = parse_commands(text)
        for command in parsed.commands:
            real = strip_wrappers(command)
            if real.name:
                names.add(posixpath.basename(real.name))
    return frozenset(names)


def script_paths(argvs: Iterable[Sequence[str]], fs: FinalFilesystem, workdir: str) -> list[str]:
    """The words of ``argvs`` that name a small regular file of ``fs`` (a script the image runs)."""
    found: list[str] = []
    for argv in argvs:
        for word in argv:
            if not word or word.startswith("-") or " " in word:
                continue
            path = posixpath.normpath(posixpath.join(workdir or "/", word))
            entry = fs.get(path)
            small = entry is not None and entry.kind == "file" and 0 < entry.size <= SCRIPT_MAX_SIZE
            if small and path not in found:
                found.append(path)
    return found
