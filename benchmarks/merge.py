"""One results.json from a run made in parts: several ``python -m benchmarks`` invocations on one
machine, one engine and one commit, each sample measured in exactly one of them.

The merge refuses what would make the tables compare unlike things: parts from different
commits (or a tree with uncommitted changes to the code or the samples), machines, engines or
default strategies; a sample measured in two parts; micro-benchmarks in two parts. One exception:
a part that measured no sample, only the micro-benchmarks (squasher's own speed: rewrite, --help,
analyze against docker save and dive), may come from another clean commit, since the sample
tables do not depend on it; the merged file names that commit (``micro_tools``) and RESULTS.md
says which figures it holds. The merged file keeps every part's command, times and load under
``parts``, and RESULTS.md says the run was made in parts.

A second exception, asked for by name (``across_machines``): the parts may come from machines
with different processors, when the cores, the memory and the kernel are the same. Every ratio
and target of the tables compares the variants of one sample, and those were measured side by
side in one part on one machine; what differs is how the times of two samples compare, which no
table does. Sizes do not depend on the processor (the same images measured on an Intel and an
AMD machine agreed within 4 bytes). Each part then records its processor, and RESULTS.md names
it beside the part's samples.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from benchmarks.samples import ORDER
from benchmarks.variants import VARIANTS

# what must be equal in every part
MACHINE_KEYS = ("cpu", "cores", "memory_bytes", "kernel")
# what must be equal even in a merge across machines
SHARED_MACHINE_KEYS = ("cores", "memory_bytes", "kernel")
ENGINE_KEYS = ("version", "api_version", "storage_driver", "host")
TOOL_KEYS = ("squasher", "squasher_commit", "docker_squash", "dive")


class MergeError(Exception):
    """The parts cannot honestly be one run."""


def _load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise MergeError(f"cannot read {path}: {err}") from None
    if not isinstance(data, dict) or "samples" not in data:
        raise MergeError(f"{path}: not a results.json of python -m benchmarks")
    return data


def _same(parts: list[tuple[Path, dict[str, Any]]], section: str, keys: tuple[str, ...]) -> None:
    first_path, first = parts[0]
    for path, data in parts[1:]:
        for key in keys:
            a = (first.get(section) or {}).get(key)
            b = (data.get(section) or {}).get(key)
            if a != b:
                raise MergeError(
                    f"{section}.{key} differs: {a!r} in {first_path.name}, {b!r} in {path.name}"
                )


def _measured(data: dict[str, Any]) -> bool:
    """The part measured at least one sample."""
    return any(not s.get("skipped") for s in data["samples"])


def merge(
    parts: list[tuple[Path, dict[str, Any]]], *, across_machines: bool = False
) -> dict[str, Any]:
    if not parts:
        raise MergeError("no results to merge")
    for path, data in parts:
        tools = data.get("tools") or {}
        if not tools.get("squasher_commit"):
            raise MergeError(f"{path.name}: the run did not record its commit")
        if tools.get("uncommitted") is None:
            raise MergeError(f"{path.name}: the run did not record whether its tree was clean")
        if tools["uncommitted"]:
            changed = ", ".join(tools["uncommitted"][:5])
            raise MergeError(f"{path.name}: ran with uncommitted changes ({changed})")
    measuring = [(path, d) for path, d in parts if _measured(d)]
    micro_only = [(path, d) for path, d in parts if not _measured(d) and d.get("micro")]
    _same(measuring or parts, "tools", TOOL_KEYS)
    _same(parts, "tools", TOOL_KEYS[:1] + TOOL_KEYS[2:])
    try:
        _same(parts, "machine", SHARED_MACHINE_KEYS if across_machines else MACHINE_KEYS)
    except MergeError as err:
        if across_machines or "machine.cpu" not in str(err):
            raise
        raise MergeError(f"{err} (--across-machines merges parts from two processors)") from None
    _same(parts, "engine", ENGINE_KEYS)
    defaults = {json.dumps(d.get("default_strategy"), sort_keys=True) for _, d in parts}
    if len(defaults) > 1:
        raise MergeError(f"the default strategies differ between parts: {', '.join(defaults)}")

    measured: dict[str, tuple[Path, dict[str, Any]]] = {}
    skipped: dict[str, dict[str, Any]] = {}
    for path, data in parts:
        for s in data["samples"]:
            name = s["name"]
            if s.get("skipped"):
                skipped.setdefault(name, s)
                continue
            if name in measured:
                raise MergeError(
                    f"sample {name} was measured in {measured[name][0].name} and in {path.name}: "
                    "keep it in one part"
                )
            measured[name] = (path, s)
    with_micro = [path.name for path, data in parts if data.get("micro")]
    if len(with_micro) > 1:
        raise MergeError(f"micro-benchmarks ran in more than one part: {', '.join(with_micro)}")

    samples = [s for _, s in measured.values()]
    samples += [s for name, s in skipped.items() if name not in measured]

    def order(s: dict[str, Any]) -> tuple[int, str]:
        name = s["name"]
        return (ORDER.index(name) if name in ORDER else len(ORDER), name)

    samples.sort(key=order)
    keys = {k for _, d in parts for k in d.get("variants") or []}
    first = (measuring or parts)[0][1]
    micro = next((d["micro"] for _, d in parts if d.get("micro")), None)
    micro_commit = [
        d["tools"]
        for _, d in micro_only
        if d["tools"].get("squasher_commit") != first["tools"].get("squasher_commit")
    ]
    machine = {k: v for k, v in (first.get("machine") or {}).items() if not k.startswith("load")}
    cpus = list(dict.fromkeys(str((d.get("machine") or {}).get("cpu")) for _, d in parts))
    if len(cpus) > 1:
        machine["cpu"] = " / ".join(cpus)
    return {
        "command": f"merged from {len(parts)} invocations of python -m benchmarks (see parts)",
        "started": min(str(d.get("started")) for _, d in parts),
        "finished": max(str(d.get("finished")) for _, d in parts),
        "machine": machine,
        "engine": first.get("engine"),
        "tools": first.get("tools"),
        "variants": [v.key for v in VARIANTS if v.key in keys],
        "default_strategy": first.get("default_strategy"),
        "estimated_minutes": None,
        "parts": [
            {
                "file": path.name,
                "command": d.get("command"),
                "started": d.get("started"),
                "finished": d.get("finished"),
                "load_at_start": (d.get("machine") or {}).get("load_at_start"),
                "load_at_end": (d.get("machine") or {}).get("load_at_end"),
                **({"cpu": (d.get("machine") or {}).get("cpu")} if len(cpus) > 1 else {}),
                "samples": [s["name"] for s in d["samples"] if not s.get("skipped")],
                "micro": bool(d.get("micro")),
                "incomplete": d.get("incomplete") or [],
            }
            for path, d in parts
        ],
        "samples": samples,
        "micro": micro,
        "micro_tools": micro_commit[0] if micro_commit else None,
    }


def merge_files(paths: list[Path], *, across_machines: bool = False) -> dict[str, Any]:
    return merge([(path, _load(path)) for path in paths], across_machines=across_machines)
