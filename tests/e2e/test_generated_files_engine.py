"""What ``squasher rewrite`` writes into the build context never enters the squashed image.

A ``COPY . .`` kept as an instruction (its WORKDIR comes from a build ARG) reads squasher's copy
of the context, which leaves out ``.squasher/``, ``Dockerfile.squashed`` and the ignore files
squasher generated, on both builders, for the on-disk rewrite and for diff-size. The user's own
files (``Dockerfile.squashed.bak``), a 0775 directory and top-level symbolic links arrive as the
original has them, and a numeric ``COPY --from=0`` still names the user's first stage.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import BUSYBOX

from squasher.cli import cli
from squasher.engine import Scratch, remove_image
from squasher.inspect.verify import verify
from squasher.measure.diff_size import diff_size

pytestmark = pytest.mark.engine

DOCKERFILE = f"""\
FROM {BUSYBOX}
RUN echo built > /artifact
FROM {BUSYBOX}
ARG DIR=/app
WORKDIR $DIR
COPY --chown=1000:1000 . .
COPY --from=0 /artifact /artifact
RUN ls -a . d > /listing && cat a.txt > /copied
"""

# every path of the image's /app, its kind and mode, and what the build saw of the context
LISTING = (
    "cd /app && find . | sort | while read -r p; do "
    'if [ -L "$p" ]; then echo "$p -> $(readlink "$p")"; '
    'else echo "$p $(stat -c %a:%u:%g "$p")"; fi; done; cat /listing /copied /artifact'
)


def _context(root: Path) -> Path:
    ctx = root / "ctx"
    (ctx / "d" / "sub").mkdir(parents=True)
    (ctx / "d").chmod(0o775)
    (ctx / "d" / "sub" / "f").write_text("x\n")
    (ctx / "Dockerfile").write_text(DOCKERFILE)
    (ctx / "a.txt").write_text("data\n")
    (ctx / "Dockerfile.squashed.bak").write_text("the user's own file\n")
    (ctx / "link").symlink_to("a.txt")
    (ctx / "dlink").symlink_to("d")
    return ctx


def _listing(scratch: Scratch, image: str) -> str:
    status, out = scratch.run(image, ["-c", LISTING], entrypoint="/bin/sh", user="0")
    assert status == 0, out
    return out


def _assert_no_generated(listing: str) -> None:
    assert "./Dockerfile.squashed.bak" in listing  # the user's file, named like ours
    assert "./link -> a.txt" in listing and "./dlink -> d" in listing
    assert "./d 775:1000:1000" in listing
    for line in listing.splitlines():
        name = line.split()[0] if line.strip() else ""
        assert ".squasher" not in line, listing
        assert name not in ("./Dockerfile.squashed", "./Dockerfile.squashed.dockerignore"), listing
        assert not name.endswith("context.tar"), listing
    assert "built" in listing  # COPY --from=0 read the user's first stage


@pytest.mark.parametrize("builder", ["classic", "buildkit"])
def test_kept_copy_of_the_whole_context_leaves_squashers_files_out(
    builder: str, tmp_path: Path, docker_client: Any
) -> None:
    ctx = _context(tmp_path)
    with Scratch(docker_client) as scratch:
        original = scratch.build(ctx, "Dockerfile", builder=builder).image_id  # type: ignore[arg-type]
        expected = _listing(scratch, original)
        res = CliRunner().invoke(cli, ["rewrite", "--builder", builder, str(ctx / "Dockerfile")])
        assert res.exit_code == 0, res.output
        text = (ctx / "Dockerfile.squashed").read_text()
        assert (
            "COPY --from=squasher-context --chown=1000:1000 . ." in text
            and "COPY --from=1 /artifact" in text
        )
        assert "stays an instruction and reads the whole context" not in res.output
        squashed = scratch.build(ctx, "Dockerfile.squashed", builder=builder).image_id  # type: ignore[arg-type]
        listing = _listing(scratch, squashed)
        _assert_no_generated(listing)
        assert listing == expected
        result = verify(original, squashed, client=docker_client)
        assert result.equivalent, result.to_json()

    # diff-size on the same context, where the on-disk rewrite's files now lie: neither image
    # holds them (the original is built from a copy of the context without them)
    measured = diff_size(
        ctx, builder=builder, client=docker_client, verify=True, keep_images=True, analyze=False
    )
    try:
        assert measured.verify is not None and measured.verify["equivalent"], measured.verify
        with Scratch(docker_client) as scratch:
            assert measured.squashed.image and measured.original.image
            _assert_no_generated(_listing(scratch, measured.squashed.image))
            assert _listing(scratch, measured.original.image) == expected
    finally:
        for measure in (measured.original, measured.squashed):
            if measure.image:
                remove_image(docker_client, measure.image)


def test_diff_size_json_prints_the_failed_build(tmp_path: Path, docker_client: Any) -> None:
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text(f"FROM {BUSYBOX}\nRUN echo boom-marker && exit 3\n")
    res = CliRunner().invoke(cli, ["diff-size", str(ctx), "--builder", "classic", "--json"])
    assert res.exit_code == 1
    data = json.loads(res.stdout)
    assert data["context"] == str(ctx) and data["exit_code"] == 1
    assert "original image failed to build" in data["error"] and "boom-marker" in data["error"]


def test_copy_without_generated_files_needs_no_shell(tmp_path: Path, docker_client: Any) -> None:
    """A stage FROM scratch (no shell, nothing folds) with a kept ``COPY . /``: squasher's
    copy of the context is plain COPY instructions, which work there too."""
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text(
        f"FROM {BUSYBOX} AS build\nCOPY . /src/\nRUN cat /src/a.txt > /out\n"
        "FROM scratch\nARG DEST=/\nWORKDIR $DEST\nCOPY . .\nCOPY --from=build /out /out\n"
    )
    (ctx / "a.txt").write_text("data\n")
    clean = tmp_path / "clean"
    shutil.copytree(ctx, clean, symlinks=True)
    with Scratch(docker_client) as scratch:
        original = scratch.build(clean, "Dockerfile", builder="classic").image_id
        res = CliRunner().invoke(cli, ["rewrite", "--builder", "classic", str(ctx / "Dockerfile")])
        assert res.exit_code == 0, res.output
        squashed = scratch.build(ctx, "Dockerfile.squashed", builder="classic").image_id
        result = verify(original, squashed, client=docker_client)
        assert result.equivalent, result.to_json()
