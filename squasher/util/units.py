"""Byte sizes for people, one way everywhere: as dive prints them (SI units, 1000-based)."""

from __future__ import annotations

import math

_UNITS = ("B", "kB", "MB", "GB", "TB", "PB", "EB")


def human_bytes(n: int | float) -> str:
    """1150000 -> "1.2 MB", 45_000_000 -> "45 MB", 512 -> "512 B"; a negative size keeps its sign."""
    sign = "-" if n < 0 else ""
    n = abs(n)
    if n < 10:
        return f"{sign}{int(n)} B"
    exp = min(math.floor(math.log(n, 1000)), len(_UNITS) - 1)
    value = math.floor(n / 1000**exp * 10 + 0.5) / 10
    return f"{sign}{value:.0f} {_UNITS[exp]}" if value >= 10 else f"{sign}{value:.1f} {_UNITS[exp]}"
