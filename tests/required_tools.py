"""Tools some checks need: missing on a developer's machine they skip the check, under CI=true
they fail it (a check that silently passes without its tool cannot fail)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest


def tool(name: str) -> str | None:
    """The executable ``name`` (on PATH, or beside this Python, where the test extras put
    theirs); None (the caller skips its check) when absent outside CI."""
    exe = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if exe is None and os.environ.get("CI") == "true":
        pytest.fail(f"{name} is not installed, and CI=true needs every check to run")
    return exe


def shellcheck() -> str | None:
    """The shellcheck executable, or None outside CI when it is absent (see ``tool``)."""
    return tool("shellcheck")


def require(name: str) -> str:
    """The executable ``name``; the check is skipped without it, and fails under CI=true."""
    exe = tool(name)
    if exe is None:
        pytest.skip(f"{name} is not installed")
    return exe
