"""Real builds on the Docker engine: classic and BuildKit, sizes, history, failures, cleanup."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import BUSYBOX

from squasher.engine import (
    BuildProgress,
    BuildRequest,
    Scratch,
    build,
    build_buildkit,
    build_classic,
    find_buildkit_cli,
    image_exists,
    inspect_image,
)
from squasher.errors import BuildFailed

pytestmark = pytest.mark.engine

RunInImage = Callable[..., tuple[int, str]]


def docker_cli() -> str:
    cli = shutil.which("docker") or "/usr/bin/docker"
    assert os.access(cli, os.X_OK), "a docker CLI is needed to cross-check the SDK"
    return cli


def write(context: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = context / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return context


def test_classic_build_size_matches_docker_image_inspect(
    docker_client: Any, build_image: Callable[..., str], tmp_path: Path
) -> None:
    write(
        tmp_path,
        {
            "Dockerfile": (
                f"FROM {BUSYBOX}\n"
                "RUN dd if=/dev/zero of=/blob bs=1024 count=300 2>/dev/null\n"
                'CMD ["ls", "-l", "/blob"]\n'
            )
        },
    )
    image_id = build_image(tmp_path)
    info = inspect_image(docker_client, image_id)
    cli_size = subprocess.run(
        [docker_cli(), "image", "inspect", "-f", "{{.Size}}", image_id],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert info.size == int(cli_size)
    base = inspect_image(docker_client, BUSYBOX)
    # the RUN layer holds the 300 KiB file (plus a few directory entries)
    assert 300 * 1024 <= info.size - base.size < 310 * 1024
    assert info.layers == base.layers + 1
    assert info.id == image_id
    last_two = info.layer_sizes[-2:]
    assert last_two[0].instruction.startswith("RUN dd if=/dev/zero")
    assert 300 * 1024 <= last_two[0].size < 310 * 1024
    assert last_two[1].instruction == 'CMD ["ls" "-l" "/blob"]'
    assert last_two[1].size == 0


def test_classic_progress_reports_steps(scratch: Scratch, tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile": f"FROM {BUSYBOX}\nENV A=1\nRUN echo made-it\n"})
    seen: list[BuildProgress] = []
    result = scratch.build(tmp_path, builder="classic", on_progress=seen.append)
    assert result.builder == "classic"
    steps = {(p.step, p.total) for p in seen if p.step is not None}
    assert steps == {(1, 3), (2, 3), (3, 3)}
    assert any(p.line == "made-it" and p.step == 3 for p in seen)


def test_buildkit_build_with_run_mount(
    docker_client: Any, scratch: Scratch, run_in_image: RunInImage, tmp_path: Path
) -> None:
    if find_buildkit_cli() is None:
        pytest.fail("no docker CLI able to drive BuildKit on this machine")
    write(
        tmp_path,
        {
            "Dockerfile": (
                f"FROM {BUSYBOX}\nRUN --mount=type=bind,target=/src cp /src/data.txt /data.txt\n"
            ),
            "data.txt": "from the context\n",
        },
    )
    seen: list[BuildProgress] = []
    result = scratch.build(tmp_path, on_progress=seen.append)  # auto: --mount needs BuildKit
    assert result.builder == "buildkit"
    assert (2, 2) in {(p.step, p.total) for p in seen}
    status, output = run_in_image(result.image_id, ["cat", "/data.txt"])
    assert (status, output) == (0, "from the context\n")
    history = inspect_image(docker_client, result.image_id).layer_sizes
    assert history[-1].instruction == "RUN cp /src/data.txt /data.txt"


def test_classic_and_buildkit_make_the_same_filesystem(
    docker_client: Any, scratch: Scratch, tmp_path: Path
) -> None:
    write(tmp_path, {"Dockerfile": f"FROM {BUSYBOX}\nRUN mkdir /d && echo x > /d/f\n"})
    classic = scratch.build(tmp_path, builder="classic")
    buildkit = scratch.build(tmp_path, builder="buildkit")
    assert classic.builder == "classic"
    assert buildkit.builder == "buildkit"
    assert inspect_image(docker_client, classic.image_id).size == (
        inspect_image(docker_client, buildkit.image_id).size
    )


def _untagged_intermediates(lines: list[str]) -> list[str]:
    made = []
    for before, line in itertools.pairwise(lines):
        if line.startswith(" ---> ") and before.startswith("Removing intermediate container"):
            made.append(line.removeprefix(" ---> "))
    return made


def test_failed_classic_build_message_and_cleanup(docker_client: Any, tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "Dockerfile": (
                f"FROM {BUSYBOX}\n"
                f"RUN echo {uuid.uuid4().hex} > /unique\n"
                "RUN echo about-to-fail && exit 3\n"
            )
        },
    )
    lines: list[str] = []
    with pytest.raises(BuildFailed) as caught:
        build_classic(
            docker_client, BuildRequest(tmp_path, on_progress=lambda p: lines.append(p.line))
        )
    message = str(caught.value)
    assert "at step 3/3" in message
    assert "about-to-fail" in message
    assert "returned a non-zero code: 3" in message
    made = _untagged_intermediates(lines)
    assert len(made) == 1, lines
    assert not image_exists(docker_client, made[0]), "intermediate image of a failed build left"
    assert image_exists(docker_client, BUSYBOX)


def test_failed_buildkit_build_message(scratch: Scratch, tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile": f"FROM {BUSYBOX}\nRUN echo about-to-fail && exit 4\n"})
    with pytest.raises(BuildFailed) as caught:
        scratch.build(tmp_path, builder="buildkit")
    message = str(caught.value)
    assert "BuildKit build" in message
    assert "at step 2/2" in message
    assert "about-to-fail" in message
    assert "exit code: 4" in message


def test_missing_dockerfile_is_a_build_failure(docker_client: Any, tmp_path: Path) -> None:
    with pytest.raises(BuildFailed, match="Dockerfile not found"):
        build(docker_client, tmp_path, "Nope.Dockerfile", builder="classic")
    with pytest.raises(BuildFailed, match="Dockerfile not found"):
        build_buildkit(BuildRequest(tmp_path, "Nope.Dockerfile"))


def test_dockerfile_outside_the_context(
    scratch: Scratch, run_in_image: RunInImage, tmp_path: Path
) -> None:
    context = write(tmp_path / "ctx", {"a.txt": "A\n"})
    dockerfile = write(tmp_path / "elsewhere", {"Build.df": f"FROM {BUSYBOX}\nCOPY a.txt /\n"})
    for builder in ("classic", "buildkit"):
        result = scratch.build(context, dockerfile / "Build.df", builder=builder)  # type: ignore[arg-type]
        assert run_in_image(result.image_id, ["cat", "/a.txt"]) == (0, "A\n")


def test_scratch_removes_images_and_containers_on_error(docker_client: Any, tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile": f"FROM {BUSYBOX}\nRUN echo scratch > /s\n"})
    scratch = Scratch(docker_client)
    with pytest.raises(RuntimeError), scratch:
        result = scratch.build(tmp_path, builder="classic", tag="squasher-test/scratch:err")
        status, _ = scratch.run(result.image_id, ["true"])
        assert status == 0
        kept = (result.image_id, list(scratch.containers))
        raise RuntimeError("boom")
    image_id, containers = kept
    assert not image_exists(docker_client, image_id)
    assert not image_exists(docker_client, "squasher-test/scratch:err")
    assert containers
    for container in containers:
        assert not docker_client.containers.list(all=True, filters={"id": container})


def test_ctrl_c_during_classic_build_stops_it_and_cleans_up(
    docker_client: Any, tmp_path: Path
) -> None:
    marker = f"sleeping-{uuid.uuid4().hex}"
    write(
        tmp_path,
        {
            "Dockerfile": f"FROM {BUSYBOX}\nRUN echo {marker} > /one\nRUN echo {marker} && sleep 120\n"
        },
    )
    lines: list[str] = []

    def interrupt(progress: BuildProgress) -> None:
        lines.append(progress.line)
        if progress.line == marker:
            raise KeyboardInterrupt

    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        build_classic(docker_client, BuildRequest(tmp_path, on_progress=interrupt))
    assert time.monotonic() - started < 60
    made = _untagged_intermediates(lines)
    assert len(made) == 1, lines
    assert not image_exists(docker_client, made[0])
    # the engine stops the RUN and removes its container once the client went away
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        running = [
            c
            for c in docker_client.containers.list(all=True)
            if marker in " ".join(c.attrs.get("Config", {}).get("Cmd") or [])
        ]
        if not running:
            break
        time.sleep(1)
    assert not running, "the interrupted build's container is still there"


def test_ctrl_c_interrupts_buildkit_build(docker_client: Any, tmp_path: Path) -> None:
    marker = f"sleeping-{uuid.uuid4().hex}"
    write(tmp_path, {"Dockerfile": f"FROM {BUSYBOX}\nRUN echo {marker} && sleep 120\n"})

    def interrupt(progress: BuildProgress) -> None:
        # the output line ("#5 0.123 sleeping-..."), not the step title ("#5 [2/2] RUN echo ...")
        if progress.line.endswith(f" {marker}") and "RUN echo" not in progress.line:
            raise KeyboardInterrupt

    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        build_buildkit(BuildRequest(tmp_path, on_progress=interrupt))
    assert time.monotonic() - started < 60


def test_scratch_removes_what_it_made_on_ctrl_c(docker_client: Any, tmp_path: Path) -> None:
    marker = f"sleeping-{uuid.uuid4().hex}"
    write(
        tmp_path,
        {
            "A.Dockerfile": f"FROM {BUSYBOX}\nRUN echo {marker} > /a\n",
            "B.Dockerfile": f"FROM {BUSYBOX}\nRUN echo {marker} && sleep 120\n",
        },
    )

    def interrupt(progress: BuildProgress) -> None:
        if progress.line.endswith(f" {marker}") and "RUN echo" not in progress.line:
            raise KeyboardInterrupt

    made: list[str] = []
    with pytest.raises(KeyboardInterrupt), Scratch(docker_client) as scratch:
        made.append(scratch.build(tmp_path, "A.Dockerfile", builder="classic").image_id)
        scratch.build(tmp_path, "B.Dockerfile", builder="buildkit", on_progress=interrupt)
    assert made
    assert not image_exists(docker_client, made[0])
