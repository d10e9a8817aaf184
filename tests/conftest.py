"""Shared fixtures: a working Docker engine with the base images, and builds that clean up.

Tests marked ``@pytest.mark.engine`` get the engine automatically: DOCKER_HOST is taken from the
environment or from ``scripts/engine.sh`` (which starts a private engine when none answers),
and missing base images are made by ``scripts/base-images.sh``. Without an engine those tests
are skipped locally, but FAIL under ``CI=true``.

Fixtures for other test modules:
    docker_client   session-wide ``docker.DockerClient``
    scratch         a ``squasher.engine.Scratch``: images/containers it makes are removed afterwards
    build_image     ``build_image(context, dockerfile="Dockerfile", builder="classic"|"buildkit"|"auto",
                    buildargs=None, tag=None, target=None) -> image id``, removed afterwards
    run_in_image    ``run_in_image(image, command) -> (exit status, output)``, container removed
"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, NoReturn

import pytest

from squasher.engine import BuilderChoice, Scratch, connect, image_exists
from squasher.errors import EngineUnavailable

REPO = Path(__file__).resolve().parents[1]
BASE_IMAGES = ("debian:bookworm-slim", "debian:bookworm", "busybox:latest")


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def _no_engine(message: str) -> NoReturn:
    if in_ci():
        pytest.fail(f"CI=true and the Docker engine is unusable: {message}", pytrace=False)
    pytest.skip(f"no Docker engine: {message}")


def _docker_host_from_engine_sh() -> None:
    """Set DOCKER_HOST from ``scripts/engine.sh`` (it reuses a running engine or starts one)."""
    proc = subprocess.run(
        [str(REPO / "scripts" / "engine.sh")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if proc.returncode != 0:
        raise EngineUnavailable(f"scripts/engine.sh failed: {proc.stderr.strip()[-500:]}")
    for line in proc.stdout.splitlines():
        words = shlex.split(line)
        if len(words) == 2 and words[0] == "export" and words[1].startswith("DOCKER_HOST="):
            os.environ["DOCKER_HOST"] = words[1].split("=", 1)[1]
            return
    raise EngineUnavailable(f"scripts/engine.sh printed no DOCKER_HOST: {proc.stdout!r}")


@pytest.fixture(scope="session")
def docker_client() -> Iterator[Any]:
    """A client for a working engine that has the base images (skip/fail otherwise)."""
    try:
        if not os.environ.get("DOCKER_HOST"):
            _docker_host_from_engine_sh()
        client = connect()
    except (EngineUnavailable, OSError, subprocess.SubprocessError) as err:
        _no_engine(str(err))
    missing = [ref for ref in BASE_IMAGES if not image_exists(client, ref)]
    if missing:
        proc = subprocess.run(
            [str(REPO / "scripts" / "base-images.sh")],
            capture_output=True,
            text=True,
            timeout=1800,
            check=False,
        )
        missing = [ref for ref in BASE_IMAGES if not image_exists(client, ref)]
        if missing:
            _no_engine(f"base images {missing} missing: {proc.stderr.strip()[-800:]}")
    yield client
    client.close()


@pytest.fixture(autouse=True)
def _engine_for_marked_tests(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("engine") is not None:
        request.getfixturevalue("docker_client")


@pytest.fixture
def scratch(docker_client: Any) -> Iterator[Scratch]:
    with Scratch(docker_client) as scratch:
        yield scratch


BuildImage = Callable[..., str]


@pytest.fixture
def build_image(scratch: Scratch) -> BuildImage:
    def build_image(
        context: str | Path,
        dockerfile: str | Path = "Dockerfile",
        builder: BuilderChoice = "classic",
        buildargs: Mapping[str, str] | None = None,
        tag: str | None = None,
        target: str | None = None,
    ) -> str:
        result = scratch.build(context, dockerfile, buildargs, tag, builder=builder, target=target)
        return result.image_id

    return build_image


@pytest.fixture
def run_in_image(scratch: Scratch) -> Callable[..., tuple[int, str]]:
    def run_in_image(image: str, command: str | list[str], **kwargs: Any) -> tuple[int, str]:
        return scratch.run(image, command, **kwargs)

    return run_in_image
