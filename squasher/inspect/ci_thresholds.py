"""Parsing dive's CI thresholds (sizes and ratios), light enough to check before an image streams."""

from __future__ import annotations

import re

from squasher.errors import SquasherError


class ThresholdError(SquasherError):
    """A CI threshold that dive would call misconfigured."""


_BYTE_UNITS = {
    "": 1,
    "b": 1,
    "byte": 1,
    "bytes": 1,
    **{p: 1000**n for n, p in enumerate("kmgtpe", 1)},
    **{p + "b": 1000**n for n, p in enumerate("kmgtpe", 1)},
    **{p + "i": 1024**n for n, p in enumerate("kmgtpe", 1)},
    **{p + "ib": 1024**n for n, p in enumerate("kmgtpe", 1)},
}
_BYTES_RE = re.compile(r"^\s*([0-9][0-9,]*(?:\.[0-9]*)?|\.[0-9]+)\s*([a-z]*)\s*$")


def parse_bytes(text: str) -> int:
    """A size as dive reads ``highestWastedBytes`` (go-humanize ParseBytes): "20MB" = 20*1000^2,
    "20MiB" = 20*1024^2, "1.5 GB", "1000"."""
    match = _BYTES_RE.match(text.lower())
    if match is None or match.group(2) not in _BYTE_UNITS:
        raise ThresholdError(f"invalid size {text!r} (examples: 20MB, 1.5GiB, 1000)")
    return int(float(match.group(1).replace(",", "")) * _BYTE_UNITS[match.group(2)])


def parse_ratio(name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ThresholdError(f"{name}: invalid value {text!r}: not a number") from None
    if not 0 <= value <= 1:
        raise ThresholdError(f"{name} value is outside allowed range (0-1), given {text!r}")
    return value


__all__ = ["ThresholdError", "parse_bytes", "parse_ratio"]
