"""``diff-size --tag``: the squashed image is ready for ``docker push``.

A private registry (Debian's docker-registry) listens on 127.0.0.1 for the test; the engine
treats loopback registries as insecure by default, so no TLS setup is needed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import sample_copy

from squasher.cli import cli

pytestmark = pytest.mark.engine


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[str]:
    exe = shutil.which("docker-registry")
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("docker-registry is missing: scripts/setup.sh installs it")
        pytest.skip("docker-registry is not installed")
    port = _free_port()
    config = tmp_path / "registry.yml"
    config.write_text(
        "version: 0.1\n"
        f"storage:\n  filesystem:\n    rootdirectory: {tmp_path / 'data'}\n"
        f"http:\n  addr: 127.0.0.1:{port}\n"
    )
    proc = subprocess.Popen(
        [exe, "serve", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            time.sleep(0.2)
        else:
            pytest.fail("the local registry did not start")
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_tag_push_and_pull_back(registry: str, docker_client: Any, tmp_path: Path) -> None:
    ref = f"{registry}/squasher/seed:squashed"
    seed = sample_copy("seed", tmp_path / "seed")
    res = CliRunner().invoke(cli, ["diff-size", str(seed), "--builder", "classic", "--tag", ref])
    assert res.exit_code == 0, res.output
    assert f"squashed image tagged {ref}" in res.output
    try:
        image_id = docker_client.api.inspect_image(ref)["Id"]
        out = docker_client.api.push(
            f"{registry}/squasher/seed", tag="squashed", stream=True, decode=True
        )
        errors = [line for line in out if "error" in line]
        assert errors == []
        docker_client.api.remove_image(ref, force=True)
        docker_client.api.pull(f"{registry}/squasher/seed", tag="squashed")
        assert docker_client.api.inspect_image(ref)["Id"] == image_id
        output = docker_client.containers.run(ref, ["ls", "/some-file.txt"], remove=True)
        assert output.strip() == b"/some-file.txt"
    finally:
        with contextlib.suppress(Exception):
            docker_client.api.remove_image(ref, force=True)
