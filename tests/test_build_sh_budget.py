"""build.sh reads like a hand-written build script: for the c-make sample it stays under 70
lines, and the original's steps (each block from its ``# Dockerfile:N:`` comment to the blank
line after it) are at least half of them, in every form that writes a build.sh."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from squasher.rewriting import rewrite

SAMPLE = Path(__file__).parent.parent / "samples" / "c-make"


def _step_lines(script: str) -> int:
    count, in_step = 0, False
    for line in script.splitlines():
        if line.startswith("# Dockerfile:"):
            in_step = True
        elif not line.strip():
            in_step = False
        count += in_step
    return count


@pytest.mark.parametrize(
    ("builder", "strategy"), [("buildkit", "mount"), ("buildkit", "script"), ("classic", "script")]
)
def test_c_make_build_sh_is_mostly_the_users_steps(
    tmp_path: Path, builder: str, strategy: str
) -> None:
    ctx = tmp_path / "c-make"
    shutil.copytree(SAMPLE, ctx)
    result = rewrite(ctx / "Dockerfile", builder=builder, strategy=strategy)
    script = result.files[".squasher/stage-0/build.sh"].decode()
    lines = len(script.splitlines())
    steps = _step_lines(script)
    assert script.count("\n# Dockerfile:") == 9  # every step of the original, one block each
    assert lines < 70
    assert steps * 2 >= lines, f"{steps} of {lines} lines are the original's steps"
