"""Real-engine checks of what the builders send as context: .dockerignore matching and the
per-Dockerfile ignore file squasher writes for the staging COPY.

- parity: ``COPY . /c/`` with a tricky .dockerignore, on both builders, places exactly the paths
  ``DockerIgnore.walk`` lists;
- staging: with ``Dockerfile.squashed.dockerignore`` from ``per_dockerfile_ignore`` (BuildKit reads
  ``<Dockerfile>.dockerignore`` instead of ``.dockerignore``), the staged context holds the needed
  paths exactly as the user's .dockerignore lets the builder see them, plus ``.squasher/``, and
  nothing the user excluded.
"""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path
from typing import Any

import pytest
from conftest import BUSYBOX

from squasher.context.dockerignore import DockerIgnore
from squasher.engine import Scratch

pytestmark = pytest.mark.engine

FILES = [
    "a.txt",
    "app.log",
    "important.log",
    "build/out.bin",
    "build/keep/me.txt",
    "docs/README.md",
    "docs/guide.md",
    "docs/img/logo.png",
    "src/main.c",
    "src/main.o",
    "src/cache/x",
    "src/deep/er/cache/y",
    "src/deep/er/z.o",
    "tmp1/t",
    "tmpdir/t",
    "a.bak",
    "c.bak",
    "vendor/lib/v.go",
    "vendor/keep/k.go",
    "weird name [1].txt",
    "node_modules/pkg/index.js",
    ".git/HEAD",
    ".env",
]

IGNORE = """\
# build outputs
*.log
!important.log
build/
!build/keep/me.txt
/docs/*.md
!docs/README.md
**/cache
**/*.o
tmp?
[ab]*.bak
vendor/**
!vendor/keep/**
  .git
./node_modules
.env
"""


def make_context(root: Path) -> None:
    for rel in FILES:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{rel}\n")
    os.symlink("a.txt", root / "link")


def placed(client: Any, scratch: Scratch, image: str, root: str) -> list[str]:
    container = client.containers.create(image, ["true"])
    scratch.track_container(container.id)
    stream, _ = container.get_archive(root)
    data = b"".join(stream)
    prefix = root.strip("/").split("/")[-1] + "/"
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        names = [m.name for m in tar.getmembers()]
    return sorted(n[len(prefix) :] for n in names if n.startswith(prefix))


@pytest.mark.parametrize("builder", ["classic", "buildkit"])
def test_dockerignore_matches_the_builder(
    builder: str, tmp_path: Path, scratch: Scratch, docker_client: Any
) -> None:
    make_context(tmp_path)
    (tmp_path / ".dockerignore").write_text(IGNORE)
    (tmp_path / "Dockerfile").write_text(f"FROM {BUSYBOX}\nCOPY . /c/\n")
    image = scratch.build(tmp_path, builder=builder, nocache=True).image_id  # type: ignore[arg-type]
    got = placed(docker_client, scratch, image, "/c")
    want = sorted(DockerIgnore.load(tmp_path).walk(tmp_path))
    assert got == want


NEEDED = ["docs", "src", "a.txt", "build/keep", "link", "weird name [1].txt"]


def test_per_dockerfile_ignore_stages_only_what_is_needed(
    tmp_path: Path, scratch: Scratch, docker_client: Any
) -> None:
    make_context(tmp_path)
    (tmp_path / ".dockerignore").write_text(IGNORE)
    (tmp_path / ".squasher" / "stage-0").mkdir(parents=True)
    (tmp_path / ".squasher" / "stage-0" / "build.sh").write_text("true\n")
    ignore = DockerIgnore.load(tmp_path)
    (tmp_path / "Dockerfile.squashed").write_text(f"FROM {BUSYBOX}\nCOPY . /c/\n")
    (tmp_path / "Dockerfile.squashed.dockerignore").write_text(ignore.per_dockerfile_ignore(NEEDED))
    image = scratch.build(
        tmp_path, "Dockerfile.squashed", builder="buildkit", nocache=True
    ).image_id
    got = set(placed(docker_client, scratch, image, "/c"))
    visible = set(ignore.walk(tmp_path))
    # every needed path, with all the user lets the builder see below it, is staged
    for need in NEEDED:
        under = {p for p in visible if p == need or p.startswith(need + "/")}
        assert under <= got, f"{need}: missing {sorted(under - got)}"
    # nothing the user excluded is staged
    hidden = {rel for rel in FILES if ignore.excluded(rel)}
    assert not (got & hidden)
    # the generated scripts are staged; unrelated paths are not
    assert ".squasher/stage-0/build.sh" in got
    for other in ("tmpdir/t", "c.bak", "vendor/keep/k.go"):
        if other not in got:
            continue
        # only a user "!" exception may bring in an unneeded path
        assert any(p.exclusion for p in ignore.patterns), other
    assert "tmpdir/t" not in got
    assert "c.bak" not in got
