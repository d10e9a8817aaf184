"""Tools some checks need: missing on a developer's machine they skip the check, under CI=true
they fail it (a check that silently passes without its tool cannot fail)."""

from __future__ import annotations

import os
import shutil

import pytest


def shellcheck() -> str | None:
    """The shellcheck executable; None (the caller skips the check) when absent outside CI."""
    exe = shutil.which("shellcheck")
    if exe is None and os.environ.get("CI") == "true":
        pytest.fail("shellcheck is not installed, and CI=true needs every check to run")
    return exe
