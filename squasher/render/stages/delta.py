"""What the stages form's delta holds, read back from the build: the per-layer summary the build
stage's last step prints, or the layers' sizes from the image's history when the build was
cached."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

DELTA_DIR = "/.squasher-delta"
_LAYER_DIR = re.compile(re.escape(DELTA_DIR) + r"/(packages|libraries|copy-[0-9]+|application)/")


def delta_layers(copies: Sequence[int] = ()) -> list[str]:
    """The delta's layers, from what changes least to what changes most: the packages, the
    language libraries, one per large COPY of the context (``copies``: their start lines, in
    order), the application."""
    return ["packages", "libraries", *(f"copy-{line}" for line in copies), "application"]


@dataclass
class DeltaLayer:
    layer: str
    files: int
    bytes: int


@dataclass
class DeltaReport:
    """What the build stage's last step printed: the delta per layer and the removals."""

    layers: list[DeltaLayer] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def parse_delta_log(log: str) -> DeltaReport | None:
    """The ``squasher-delta`` / ``squasher-removed`` lines of a build log; None when absent."""
    report = DeltaReport()
    found = False
    for line in log.splitlines():
        for tag in ("squasher-delta\t", "squasher-removed\t"):
            start = line.find(tag)
            if start < 0:
                continue
            fields = line[start:].rstrip("\r").split("\t")
            if tag.startswith("squasher-delta") and len(fields) == 4 and fields[2].isdigit():
                report.layers.append(DeltaLayer(fields[1], int(fields[2]), int(fields[3])))
                found = True
            elif tag.startswith("squasher-removed") and len(fields) >= 2:
                report.removed.append("\t".join(fields[1:]))
                found = True
    return report if found else None


def delta_from_layers(layers: list[tuple[int, str]]) -> dict[str, object]:
    """The delta per layer from the image's history (a cached build prints no summary): bytes
    only, the file counts unknown (None)."""
    found: list[dict[str, object]] = []
    for size, created_by in layers:
        match = _LAYER_DIR.search(created_by)
        if match:
            found.append({"layer": match.group(1), "files": None, "bytes": size})
    return {"layers": found, "removed": None}
