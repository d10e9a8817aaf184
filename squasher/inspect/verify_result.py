"""verify's result: the classified differences of two images, the verdict and its report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from squasher.inspect.verify_difference import (
    ADDED,
    CATEGORIES,
    EXPECTED,
    NOISE,
    PROTECTED,
    PURGED_TOOL,
    REMOVED,
    SMOKE,
    UNEXPECTED,
    Difference,
)
from squasher.inspect.verify_smoke import SmokeResult
from squasher.util.units import human_bytes

LARGEST_SHOWN = 3  # real differences the verdict names


@dataclass(frozen=True)
class ImageSide:
    """One of the two images compared."""

    ref: str  # as the user named it
    id: str  # the engine's image id
    paths: int  # entries in the final filesystem
    size: int  # bytes of regular-file content (hard-linked inodes once)
    package_managers: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "id": self.id,
            "paths": self.paths,
            "size": self.size,
            "package_managers": list(self.package_managers),
        }


@dataclass
class VerifyResult:
    """The classified differences between two images, and the smoke runs."""

    original: ImageSide
    squashed: ImageSide
    differences: list[Difference]
    smoke: list[SmokeResult] = field(default_factory=list)
    purged_packages: list[str] = field(default_factory=list)  # installed in the original only
    extra_packages: list[str] = field(default_factory=list)  # installed in the squashed only
    # tools with run-time uses squasher's decision purged: package -> the commands it provided
    purged_tools: dict[str, list[str]] = field(default_factory=dict)

    @property
    def equivalent(self) -> bool:
        """True when nothing unexpected differs (smoke commands included)."""
        return not any(d.category == UNEXPECTED for d in self.differences)

    @property
    def exit_code(self) -> int:
        return 0 if self.equivalent else 1

    def of(self, category: str) -> list[Difference]:
        return [d for d in self.differences if d.category == category]

    def summary(self) -> dict[str, dict[str, int]]:
        """Per class: how many differences and how many bytes they involve."""
        out = {c: {"count": 0, "bytes": 0} for c in CATEGORIES}
        for d in self.differences:
            out[d.category]["count"] += 1
            out[d.category]["bytes"] += d.size
        return out

    def summary_line(self) -> str:
        """The verdict: counts and bytes per class (noise and purged tools when there are any),
        then how many real differences remain and the largest few, or the purged tools."""
        s = self.summary()
        shown = [c for c in CATEGORIES if c in (EXPECTED, PROTECTED, UNEXPECTED) or s[c]["count"]]
        parts = [f"{c} {s[c]['count']} ({human_bytes(s[c]['bytes'])})" for c in shown]
        line = f"summary: {', '.join(parts)}: "
        real = self.of(UNEXPECTED)
        if real:
            largest = sorted(real, key=lambda d: (-d.size, d.path))[:LARGEST_SHOWN]
            names = ", ".join(
                f"{d.path} ({human_bytes(d.size)})" if d.size else d.path for d in largest
            )
            n = "1 real difference" if len(real) == 1 else f"{len(real)} real differences"
            line += f"NOT equivalent: {n}, largest {names}"
        else:
            line += "equivalent"
        if self.purged_tools:
            tools = "; ".join(
                f"{p} ({', '.join(c) or 'no commands'})"
                for p, c in sorted(self.purged_tools.items())
            )
            line += f"; purged tools with run-time uses: {tools} - keep one with '# squasher: keep NAME'"
        return line

    def to_json(self) -> dict[str, Any]:
        return {
            "original": self.original.to_json(),
            "squashed": self.squashed.to_json(),
            "equivalent": self.equivalent,
            "summary": self.summary(),
            "purged_packages": self.purged_packages,
            "extra_packages": self.extra_packages,
            "purged_tools": self.purged_tools,
            "differences": [d.to_json() for d in self.differences],
            "smoke": [s.to_json() for s in self.smoke],
        }

    def format_text(self, verbose: bool = False) -> str:
        """Human report: unexpected differences path by path, the rest grouped by reason."""
        lines = [
            f"original  {self.original.ref} ({_short(self.original.id)}), "
            f"{self.original.paths} paths, {human_bytes(self.original.size)}",
            f"squashed  {self.squashed.ref} ({_short(self.squashed.id)}), "
            f"{self.squashed.paths} paths, {human_bytes(self.squashed.size)}",
        ]
        for d in self.of(UNEXPECTED):
            what = "; ".join(d.details) if d.details else ""
            if d.change in (REMOVED, ADDED) and d.size:
                what = f"{what}; {human_bytes(d.size)}" if what else human_bytes(d.size)
            if d.reason:
                what = f"{what} ({d.reason})" if what else d.reason
            lines.append(f"unexpected  {d.change:<8} {d.path}  {what}".rstrip())
            if d.change == SMOKE:
                lines.extend(self._smoke_lines(d.path))
        for category in (PURGED_TOOL, PROTECTED, NOISE, EXPECTED):
            diffs = self.of(category)
            if verbose:
                for d in diffs:
                    detail = "; ".join(d.details)
                    tail = f"{detail} ({d.reason})" if detail else d.reason
                    lines.append(f"{category:<10}  {d.change:<8} {d.path}  {tail}")
                continue
            groups: dict[str, list[Difference]] = {}
            for d in diffs:
                groups.setdefault(d.reason, []).append(d)
            for reason in sorted(groups, key=lambda r: (-sum(d.size for d in groups[r]), r)):
                g = groups[reason]
                total = sum(d.size for d in g)
                n = f"{len(g)} path" if len(g) == 1 else f"{len(g)} paths"
                lines.append(f"{category:<10}  {reason}: {n}, {human_bytes(total)}")
        for s in self.smoke:
            if s.same:
                lines.append(f"smoke       same: {s.command} (exit {s.original.exit_code})")
        lines.append(self.summary_line())
        return "\n".join(lines) + "\n"

    def _smoke_lines(self, command: str) -> list[str]:
        """What a differing smoke command did in each image, shortened."""
        out = []
        for s in self.smoke:
            if s.command != command:
                continue
            for side, o in (("original", s.original), ("squashed", s.squashed)):
                shown = o.error or f"exit {o.exit_code}"
                for name, text in (("stdout", o.stdout), ("stderr", o.stderr)):
                    if text:
                        short = text if len(text) <= _SHOWN else text[:_SHOWN] + "..."
                        shown += f", {name} {short!r}"
                out.append(f"            {side}: {shown}")
        return out


_SHOWN = 160  # characters of a smoke command's output shown in the text report


def _short(image_id: str) -> str:
    return image_id.split(":", 1)[-1][:12]
