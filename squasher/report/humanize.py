"""Sizes and durations the way people read them, and colour only where it helps."""

from __future__ import annotations

import os
import sys
from typing import TextIO

_UNITS = ("B", "kB", "MB", "GB", "TB")


def size(n: int | float) -> str:
    """Decimal units as docker prints them: 1.54GB -> '1.54 GB', 512 -> '512 B'."""
    value = float(n)
    sign = "-" if value < 0 else ""
    value = abs(value)
    for unit in _UNITS:
        if value < 1000 or unit == _UNITS[-1]:
            if unit == "B":
                return f"{sign}{int(value)} B"
            return f"{sign}{value:.3g} {unit}" if value < 100 else f"{sign}{value:.0f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def seconds(s: float) -> str:
    if s < 60:
        return f"{s:.1f} s"
    minutes, rest = divmod(round(s), 60)
    return f"{minutes} min {rest:02d} s"


def percent(ratio: float) -> str:
    return f"{ratio * 100:.1f}%"


def use_colour(stream: TextIO | None = None) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    if os.environ.get("NO_COLOR", "") != "":
        return False
    stream = stream or sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)())
