"""``squasher diff-size`` on the real engine: both images built, measured and cleaned up."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import BUSYBOX, sample_copy

from squasher.cli import cli
from squasher.measure.diff_size import diff_size

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "samples"

pytestmark = pytest.mark.engine


def _image_ids(client: Any) -> set[str]:
    return {img["Id"] for img in client.api.images(all=True)}


def _containers(client: Any) -> set[str]:  # ids of all containers
    return {c["Id"] for c in client.api.containers(all=True)}


@pytest.mark.parametrize("builder", ["classic", "buildkit"])
def test_seed_sample_measured_and_cleaned_up(
    docker_client: Any, builder: str, tmp_path: Path
) -> None:
    before_containers = _containers(docker_client)
    seed = sample_copy("seed", tmp_path / "seed")
    result = diff_size(seed, builder=builder, client=docker_client)
    assert result.original.size > 0 and result.squashed.size > 0
    assert result.original.layers == 2  # base + RUN touch
    assert result.squashed.layers <= 3  # base + (staging COPY) + RUN build.sh
    assert result.saved_bytes == result.original.size - result.squashed.size
    assert result.original.image is None and result.squashed.image is None
    assert [layer.created_by for layer in result.original.layer_sizes][-1].startswith("RUN touch")
    assert result.report["folded"], result.report
    # nothing left behind: the temporary images and containers are gone
    for measure in (result.original, result.squashed):
        if measure.built_id in _image_ids(docker_client):
            # a cache hit can give the very image another name holds (sq-sample/seed:original):
            # diff-size removes only its own temporary tag, never someone else's image
            tags = docker_client.api.inspect_image(measure.built_id).get("RepoTags") or []
            assert tags and not [t for t in tags if t.startswith("squasher-diff-size/")], tags
    # (other tests may run containers at the same time: look only at the ones this build made)
    ours = [
        c
        for c in docker_client.api.containers(all=True)
        if c["Id"] not in before_containers
        and (
            "some-file.txt" in c["Command"]
            or c["ImageID"] in {result.original.built_id, result.squashed.built_id}
        )
    ]
    assert ours == []


INTERLEAVED = f"""\
FROM {BUSYBOX}
ARG GREETING=hello
ENV APP=/opt/app
WORKDIR $APP
COPY greet.txt ./
RUN echo "$GREETING" > out.txt && cat greet.txt >> out.txt
USER nobody
RUN cat /opt/app/out.txt
CMD ["cat", "/opt/app/out.txt"]
"""


def test_json_keep_images_tag_and_html(docker_client: Any, tmp_path: Path) -> None:
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text(INTERLEAVED)
    (ctx / "greet.txt").write_text("from the context\n")
    tag = f"squasher-test/interleaved:{os.getpid()}"
    data: dict[str, Any] = {"original": {}, "squashed": {}}
    runner = CliRunner()
    res = runner.invoke(
        cli,
        ["diff-size", str(ctx), "--builder", "classic", "--json",
         "--keep-images", "--tag", tag, "--html", str(tmp_path / "report.html")],
    )  # fmt: skip
    try:
        assert res.exit_code == 0, res.output + str(res.exception)
        data = json.loads(res.stdout)
        for side in ("original", "squashed"):
            for key in ("image", "size", "layers", "build_seconds", "layer_sizes"):
                assert key in data[side]
            assert data[side]["image"].startswith("sha256:")
        assert data["saved_bytes"] == data["original"]["size"] - data["squashed"]["size"]
        assert data["builder"] == "classic" and data["strategy"] == "script"
        tagged = docker_client.api.inspect_image(tag)
        assert tagged["Id"] == data["squashed"]["image"]
        page = (tmp_path / "report.html").read_text()
        assert "squashed" in page and 'class="seg"' in page
    finally:
        for ref in (tag, data["original"].get("image"), data["squashed"].get("image")):
            with contextlib.suppress(Exception):
                docker_client.api.remove_image(ref, force=True)


def test_user_tree_untouched(tmp_path: Path, docker_client: Any) -> None:
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text(
        f"FROM {BUSYBOX}\nCOPY hello.txt /hello.txt\nRUN cat /hello.txt\n"
    )
    (ctx / "hello.txt").write_text("hi\n")
    before = sorted(p.relative_to(ctx).as_posix() for p in ctx.rglob("*"))
    result = diff_size(ctx, builder="classic", client=docker_client)
    assert sorted(p.relative_to(ctx).as_posix() for p in ctx.rglob("*")) == before
    assert result.squashed.size <= result.original.size + 20_000


def test_no_engine_is_one_sentence_and_exit_2(tmp_path: Path) -> None:
    env = {**os.environ, "DOCKER_HOST": f"unix://{tmp_path}/nothing.sock"}
    proc = subprocess.run(
        [sys.executable, "-m", "squasher", "diff-size", str(SAMPLES / "seed")],
        env=env, capture_output=True, text=True, timeout=20,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "engine" in proc.stderr.lower() and "scripts/engine.sh" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_failed_build_names_which_image(tmp_path: Path, docker_client: Any) -> None:
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text(f"FROM {BUSYBOX}\nRUN echo boom-marker && exit 3\n")
    res = CliRunner().invoke(cli, ["diff-size", str(ctx), "--builder", "classic"])
    assert res.exit_code == 1
    assert "original image failed to build" in res.output
    assert "boom-marker" in res.output


def test_several_contexts_with_jobs(tmp_path: Path) -> None:
    """``diff-size A B --jobs 2``: one JSON object per context, then (as a table) one summary."""
    contexts = []
    for name, size in (("small", 100_000), ("large", 300_000)):
        ctx = tmp_path / name
        ctx.mkdir()
        (ctx / "Dockerfile").write_text(
            f"FROM {BUSYBOX}\n"
            f"RUN head -c {size} /dev/zero > /junk\n"
            "RUN rm /junk && echo done > /done\n"
        )
        contexts.append(str(ctx))
    res = CliRunner().invoke(
        cli, ["diff-size", *contexts, "--jobs", "2", "--builder", "classic", "--json"]
    )
    assert res.exit_code == 0, res.output
    decoder = json.JSONDecoder()
    text, objects = res.stdout.strip(), []
    while text:
        obj, end = decoder.raw_decode(text)
        objects.append(obj)
        text = text[end:].strip()
    assert [Path(o["context"]).name for o in objects] == ["small", "large"]
    for obj, size in zip(objects, (100_000, 300_000), strict=True):
        assert obj["saved_bytes"] >= size - 20_000  # the staging COPY of build.sh costs a few kB
    table = CliRunner().invoke(cli, ["diff-size", *contexts, "--jobs", "2", "--builder", "classic"])
    assert table.exit_code == 0, table.output
    summary = table.stdout.strip().splitlines()
    assert summary[-3].split()[:2] == ["context", "original"]
    assert summary[-2].startswith(contexts[0]) and summary[-1].startswith(contexts[1])
