"""One difference between two images, as verify reports it, and the names of its classes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from squasher.inspect.layers import FinalFilesystem
from squasher.inspect.pkgdb import PackageDB
from squasher.inspect.verify_rules import ADDED, CHANGED, REMOVED

__all__ = ["ADDED", "CHANGED", "REMOVED"]

EXPECTED = "expected"
NOISE = "noise"
PURGED_TOOL = "purged-tool"
PROTECTED = "protected"
UNEXPECTED = "unexpected"
CATEGORIES = (EXPECTED, NOISE, PURGED_TOOL, PROTECTED, UNEXPECTED)

CONFIG = "config"  # an image-config key
SMOKE = "smoke"  # a --smoke command behaved differently


@dataclass(frozen=True)
class Difference:
    """One difference between the original and the squashed image, with its class and why."""

    path: str  # filesystem path, or "Env.FOO", "Cmd", ... for config, or the command for smoke
    change: str  # REMOVED | ADDED | CHANGED | CONFIG | SMOKE
    details: tuple[str, ...] = ()  # what changed: "mode 0644 -> 0755", "content", "Env FOO added"
    original_size: int | None = None  # bytes of the regular file in the original (None: absent)
    squashed_size: int | None = None
    category: str = UNEXPECTED
    reason: str = ""  # why it has its category: "purged package curl", "package caches and lists"
    package: str | None = None  # the package that explains it (purged or protected)
    line: int | None = None  # for protected: the original Dockerfile line whose purge it survived

    @property
    def size(self) -> int:
        """Bytes involved: the larger of the two sides' sizes (0 for config and smoke)."""
        return max(self.original_size or 0, self.squashed_size or 0)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "path": self.path,
            "change": self.change,
            "category": self.category,
            "details": list(self.details),
            "size": self.size,
        }
        if self.reason:
            out["reason"] = self.reason
        if self.package is not None:
            out["package"] = self.package
        if self.line is not None:
            out["line"] = self.line
        return out


@dataclass(frozen=True)
class ProtectedPackage:
    """A runtime package the rewrite kept although the original removed it at ``line``."""

    package: str
    line: int | None = None


# why the rewrite purged a package, as its report says
BUILD_ONLY = "build-only"
RUNTIME_TOOL = "runtime-tool"
REMOVED_BY_ORIGINAL = "removed-by-original"
NAMED_BY_USER = "named-by-user"


@dataclass(frozen=True)
class PurgeDecision:
    """Why the rewrite purged a package (from its report): ``kind`` and the commands it provided."""

    kind: str = BUILD_ONLY
    commands: tuple[str, ...] = ()


@dataclass
class Evidence:
    """What the classifier knows beyond the differences themselves."""

    original_db: PackageDB = field(default_factory=PackageDB)
    squashed_db: PackageDB = field(default_factory=PackageDB)
    # the base image's packages (the layers both images share); None when not known
    base_db: PackageDB | None = None
    protected: dict[str, ProtectedPackage] = field(default_factory=dict)  # package -> why kept
    decisions: dict[str, PurgeDecision] = field(default_factory=dict)  # purged package -> why
    # command names the image's CMD, ENTRYPOINT, HEALTHCHECK and the scripts they run name
    called: frozenset[str] = frozenset()
    cleanup_globs: list[str] = field(default_factory=list)  # paths the original's cleanup removes
    # map a package-database path to where it really is in that image (usrmerge: /lib -> /usr/lib)
    resolve_original: Callable[[str], str] = lambda p: p
    resolve_squashed: Callable[[str], str] = lambda p: p
    # the final filesystems (kinds and hashes of the paths both have)
    original_fs: FinalFilesystem | None = None
    squashed_fs: FinalFilesystem | None = None
    # changed files whose contents read back prove them build noise: path -> reason
    noise: dict[str, str] = field(default_factory=dict)
    # (path, change) pairs that also differ between two builds of the original: not reproducible
    not_reproducible: frozenset[tuple[str, str]] = frozenset()
