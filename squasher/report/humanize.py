"""Durations and ratios the way people read them, and colour only where it helps (sizes:
``squasher.util.units.human_bytes``)."""

from __future__ import annotations

import os
import sys
from typing import TextIO


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
