""".dockerignore: a classic build through squasher sends exactly what the docker CLI sends."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import BUSYBOX

from squasher.engine import Scratch, remove_image

pytestmark = pytest.mark.engine

DOCKERIGNORE = """\
# a comment
*.log
!keep.log
build/
/abs.txt
docs/**/*.md
!docs/keep/**
**/tmp
sub/*/x
  spaced.txt
./dot.txt
Dockerfile
.dockerignore
a/../gone.txt
"""

FILES = [
    "a.txt",
    "b.log",
    "keep.log",
    "nested/c.log",
    "build/out.o",
    "abs.txt",
    "sub/abs.txt",
    "docs/a.md",
    "docs/x/y.md",
    "docs/x/y.txt",
    "docs/keep/z.md",
    "tmp/t",
    "deep/tmp/t2",
    "sub/q/x",
    "sub/q/y",
    "spaced.txt",
    "dot.txt",
    "gone.txt",
    "d/dir/.hidden",
]

DOCKERFILE = f"FROM {BUSYBOX}\nCOPY . /ctx\n"
LIST = ["sh", "-c", "cd /ctx && find . | sort"]


def cli_classic_build(context: Path) -> str:
    cli = os.environ.get("SQUASHER_DOCKER_CLI") or "/usr/bin/docker"
    if not os.access(cli, os.X_OK):
        cli = shutil.which("docker") or cli
    proc = subprocess.run(
        [cli, "build", "-q", str(context)],
        capture_output=True,
        text=True,
        env=dict(os.environ, DOCKER_BUILDKIT="0"),
        check=False,
    )
    if proc.returncode != 0 and "buildx" in proc.stderr:
        pytest.fail("needs a docker CLI with the classic builder (20.10) to compare against")
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_classic_context_matches_the_docker_cli(
    docker_client: object, scratch: Scratch, tmp_path: Path
) -> None:
    for name in FILES:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(name)
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    (tmp_path / ".dockerignore").write_text(DOCKERIGNORE)

    ours = scratch.build(tmp_path, builder="classic").image_id
    theirs = cli_classic_build(tmp_path)
    scratch.track_image(theirs)
    ours_listing = scratch.run(ours, LIST)
    theirs_listing = scratch.run(theirs, LIST)
    assert ours_listing == theirs_listing
    listed = ours_listing[1].split()
    # a few that must hold whatever the matcher: the Dockerfile is always sent
    assert "./keep.log" in listed
    assert "./b.log" not in listed
    assert "./a.txt" in listed
    remove_image(docker_client, theirs)  # type: ignore[arg-type]
