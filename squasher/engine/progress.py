"""Build output as it streams: step N/M and the line, and what a build returns."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from squasher.util.builders import Builder

BuilderName = Builder  # the builder a build ran with

#: how many trailing output lines a BuildFailed message carries
TAIL_LINES = 15

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_CLASSIC_STEP = re.compile(r"^Step (\d+)/(\d+) : ")
# BuildKit plain progress: "#7 [2/3] RUN ...", "#9 [build 2/5] COPY ..."
_BUILDKIT_STEP = re.compile(r"^#\d+ \[(?:[^\]\s]+ )?(\d+)/(\d+)\] ")


@dataclass(frozen=True)
class BuildProgress:
    """One output line of a build; step/total are the last ``Step N/M`` seen (None before)."""

    builder: BuilderName
    line: str
    step: int | None = None
    total: int | None = None


ProgressCallback = Callable[[BuildProgress], None]


@dataclass(frozen=True)
class BuildResult:
    image_id: str
    builder: BuilderName
    seconds: float
    log: list[str] = field(default_factory=list)


class OutputTracker:
    """Keeps the current step, the whole log and its tail; forwards lines to a callback."""

    def __init__(self, builder: BuilderName, on_progress: ProgressCallback | None) -> None:
        self.builder: BuilderName = builder
        self.on_progress = on_progress
        self.step: int | None = None
        self.total: int | None = None
        self.lines: list[str] = []
        self.tail: deque[str] = deque(maxlen=TAIL_LINES)
        self._partial = ""

    def feed(self, text: str) -> None:
        """Accept a chunk that may hold several lines or part of one."""
        text = self._partial + text
        *complete, self._partial = text.split("\n")
        for line in complete:
            self.line(line)

    def flush(self) -> None:
        if self._partial:
            partial, self._partial = self._partial, ""
            self.line(partial)

    def line(self, line: str) -> None:
        line = _ANSI.sub("", line).rstrip("\r")
        pattern = _CLASSIC_STEP if self.builder == "classic" else _BUILDKIT_STEP
        match = pattern.match(line)
        if match:
            self.step, self.total = int(match.group(1)), int(match.group(2))
        self.lines.append(line)
        if line.strip():
            self.tail.append(line)
        if self.on_progress is not None:
            self.on_progress(BuildProgress(self.builder, line, self.step, self.total))

    def failure_message(self, what: str) -> str:
        where = f" at step {self.step}/{self.total}" if self.step is not None else ""
        tail = "\n".join(f"  {line}" for line in self.tail)
        return f"{what}{where}; last engine output:\n{tail}" if tail else f"{what}{where}"
