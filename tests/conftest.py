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
    podman_host     session-wide: ``unix://...`` of a Podman service started for the suite (private
                    storage, BUSYBOX loaded from the Docker engine, loopback registries insecure);
                    stopped and its storage removed at the end

Base images: the suite builds only on its own tags, ``BUSYBOX``, ``DEBIAN`` and ``DEBIAN_FULL``
(``squasher-test/...``, made from scratch by ``scripts/base-images.sh``), never on the official
names, which on a user's machine are the user's own images. Tests write ``f"FROM {BUSYBOX}\n..."``
(``from conftest import BUSYBOX``); a sample, which names the official image it stands for, is
built from ``sample_copy(name, tmp_path)``: a copy whose FROM lines name the suite's tags.
"""

from __future__ import annotations

import os
import re
import resource
import shlex
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, NoReturn

import pytest

from squasher.engine import BuilderChoice, Scratch, connect, image_exists
from squasher.errors import EngineUnavailable

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"

#: the suite's base images (scripts/base-images.sh) and the official images they stand for
BUSYBOX = "squasher-test/busybox:latest"  # busybox:latest
DEBIAN = "squasher-test/debian:bookworm-slim"  # debian:bookworm-slim
DEBIAN_FULL = "squasher-test/debian:bookworm"  # debian:bookworm
BASE_IMAGES = (DEBIAN, DEBIAN_FULL, BUSYBOX)
STANDS_FOR = {
    "busybox": BUSYBOX,
    "busybox:latest": BUSYBOX,
    "debian:bookworm-slim": DEBIAN,
    "debian:bookworm": DEBIAN_FULL,
}
_OFFICIAL_REF = re.compile(
    r"(?im)^(\s*FROM\s+(?:--\S+\s+)*|.*--from=)(busybox(?::latest)?|debian:bookworm(?:-slim)?)(?=\s|$)"
)


def with_test_bases(dockerfile: str) -> str:
    """The Dockerfile with every official base image in FROM / --from= replaced by the suite's."""
    return _OFFICIAL_REF.sub(lambda m: m.group(1) + STANDS_FOR[m.group(2).lower()], dockerfile)


def sample_copy(sample: str | Path, dest: Path) -> Path:
    """A copy of ``samples/<sample>`` (or of the directory ``sample``) at ``dest`` whose Dockerfiles
    build on the suite's base images; returns ``dest``."""
    src = Path(sample) if Path(sample).is_absolute() else SAMPLES / sample
    shutil.copytree(src, dest, symlinks=True, dirs_exist_ok=True)
    for path in dest.rglob("*Dockerfile*"):
        if path.is_file() and not path.is_symlink():
            text = path.read_text(encoding="utf-8")
            path.write_text(with_test_bases(text), encoding="utf-8")
    return dest


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


_PODMAN_REGISTRIES = """\
unqualified-search-registries = []

[[registry]]
location = "127.0.0.1"
insecure = true
"""


def _podman_answers(host: str) -> bool:
    import docker

    try:
        client = docker.DockerClient(base_url=host, timeout=5)
    except Exception:
        return False
    try:
        return bool(client.ping())
    except Exception:
        return False
    finally:
        client.close()


@pytest.fixture(scope="session")
def podman_host(docker_client: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Podman Docker-API service of the suite's own, with BUSYBOX loaded from the Docker engine."""
    import docker

    exe = shutil.which("podman")
    if exe is None:
        if in_ci():
            pytest.fail("podman is missing: scripts/setup.sh installs it", pytrace=False)
        pytest.skip("podman is not installed (apt-get install podman)")
    root = tmp_path_factory.mktemp("podman")
    (root / "registries.conf").write_text(_PODMAN_REGISTRIES)
    # podman raises a container's open-file limit to its own default, which fails (runc: "error
    # setting rlimits") where this process's hard limit is lower: keep ours
    ulimits = []
    for name, which in (("nofile", resource.RLIMIT_NOFILE),):
        hard = resource.getrlimit(which)[1]
        if hard != resource.RLIM_INFINITY:
            ulimits.append(f'"{name}={hard}:{hard}"')
    (root / "containers.conf").write_text(
        f"[containers]\ndefault_ulimits = [{', '.join(ulimits)}]\n"
    )
    storage = ["--root", str(root / "storage"), "--runroot", str(root / "run")]
    host = f"unix://{root / 'podman.sock'}"
    env = {
        **os.environ,
        "CONTAINERS_REGISTRIES_CONF": str(root / "registries.conf"),
        "CONTAINERS_CONF": str(root / "containers.conf"),
    }
    with open(root / "service.log", "wb") as log:
        proc = subprocess.Popen(
            [exe, *storage, "system", "service", "--time=0", host],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        for _ in range(150):
            if proc.poll() is not None or _podman_answers(host):
                break
            time.sleep(0.2)
        if proc.poll() is not None or not _podman_answers(host):
            pytest.fail(
                f"podman system service did not start: {(root / 'service.log').read_text()}"
            )
        client = docker.DockerClient(base_url=host, timeout=300)
        try:
            client.api.load_image(docker_client.api.get_image(BUSYBOX))
        finally:
            client.close()
        yield host
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        # what the storage still has mounted (overlay layers of removed containers) goes first
        with open("/proc/self/mounts", encoding="utf-8") as mounts:
            below = [line.split()[1] for line in mounts if line.split()[1].startswith(str(root))]
        for mountpoint in sorted(below, reverse=True):
            subprocess.run(["umount", "-l", mountpoint], capture_output=True, check=False)
        shutil.rmtree(root, ignore_errors=True)
