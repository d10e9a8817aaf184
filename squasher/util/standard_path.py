"""The PATH the engine gives a container (and the builders a step) when the image sets none.

The one place it is written: the runtime's sh files name it ``@STANDARD_PATH@``, which
:func:`with_standard_path` replaces when they are read; the stages scripts and verify read the
constant."""

from __future__ import annotations

STANDARD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
STANDARD_PATH_MARK = "@STANDARD_PATH@"


def with_standard_path(text: str) -> str:
    """``text`` (a shipped sh file) with its ``@STANDARD_PATH@`` marks replaced by the value."""
    return text.replace(STANDARD_PATH_MARK, STANDARD_PATH)
