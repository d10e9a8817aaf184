"""OCI image layout archives of real images (``skopeo copy docker-daemon:IMG oci-archive:FILE``):
``analyze`` and ``verify`` read them as they read the docker-archive of the same image, and the
figures are dive's, from dive run on that docker-archive. Also: the engine read over the unix
socket (no docker SDK) gives what the SDK's stream gives."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
import required_tools
from click.testing import CliRunner
from conftest import BUSYBOX

from squasher.cli import cli
from squasher.engine import Scratch, connect
from squasher.inspect.analysis import analyze

pytestmark = pytest.mark.engine

SKOPEO = shutil.which("skopeo")

# waste across layers (overwritten, deleted, hard-linked), small enough for busybox
WASTEFUL = f"""FROM {BUSYBOX}
RUN mkdir -p /w/sub && head -c 100000 /dev/urandom > /w/big && ln /w/big /w/big.link \\
 && head -c 30000 /dev/urandom > /w/sub/x
RUN head -c 120000 /dev/urandom > /w/big && rm -rf /w/sub /etc/network
"""


@pytest.fixture(scope="module")
def archives(docker_client: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(docker-archive, oci-archive) of one image built on the engine."""
    if SKOPEO is None:
        if os.environ.get("CI"):
            pytest.fail("skopeo is missing: scripts/setup.sh installs it")
        pytest.skip("skopeo is not installed")
    root = tmp_path_factory.mktemp("oci")
    (root / "ctx").mkdir()
    (root / "ctx" / "Dockerfile").write_text(WASTEFUL)
    with Scratch(docker_client) as scratch:
        tag = f"squasher-test-oci:{uuid.uuid4().hex[:12]}"  # skopeo names images, not ids
        image = scratch.build(root / "ctx", tag=tag, builder="classic").image_id
        docker_archive = root / "image-docker.tar"
        with open(docker_archive, "wb") as out:
            for chunk in docker_client.api.get_image(image):
                out.write(chunk)
        oci_archive = root / "image-oci.tar"
        host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
        proc = subprocess.run(
            [SKOPEO, "copy", "-q", "--src-daemon-host", host,
             f"docker-daemon:{tag}", f"oci-archive:{oci_archive}"],
            capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
    return docker_archive, oci_archive


def _figures(path: Path) -> dict[str, Any]:
    data = analyze(str(path)).to_json(top=100)
    del data["image"], data["id"]  # skopeo re-serialises the config: its digest differs
    return data


def test_analyze_reads_the_oci_archive_as_the_docker_archive(archives: tuple[Path, Path]) -> None:
    docker_archive, oci_archive = archives
    ours = _figures(oci_archive)
    assert ours == _figures(docker_archive)
    assert ours["wasted_bytes"] > 0 and len(ours["layers"]) == 3


def test_oci_figures_equal_dives_on_the_docker_archive(
    archives: tuple[Path, Path], tmp_path: Path
) -> None:
    docker_archive, oci_archive = archives
    dive = required_tools.require("dive")
    out = tmp_path / "dive.json"
    subprocess.run(
        [dive, "--source", "docker-archive", str(docker_archive), "--json", str(out)],
        check=True, capture_output=True, timeout=600, env={**os.environ, "CI": "false"},
    )  # fmt: skip
    theirs = json.loads(out.read_text())["image"]
    ours = analyze(str(oci_archive))
    assert ours.size == theirs["sizeBytes"]
    assert ours.wasted_bytes == theirs["inefficientBytes"]
    assert abs(ours.efficiency - theirs["efficiencyScore"]) < 1e-6
    assert sorted((w.path, w.count, w.cumulative_size) for w in ours.wasted) == sorted(
        (r["file"], r["count"], r["sizeBytes"]) for r in theirs["fileReference"]
    )


def test_verify_reads_oci_and_docker_archives_without_an_engine(
    archives: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    docker_archive, oci_archive = archives
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    res = CliRunner().invoke(cli, ["verify", str(docker_archive), str(oci_archive), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["equivalent"] and data["differences"] == []
    assert data["original"]["paths"] == data["squashed"]["paths"] > 100


def test_the_unix_socket_read_equals_the_sdks(docker_client: Any) -> None:
    if not os.environ.get("DOCKER_HOST", "unix://").startswith("unix://"):
        pytest.skip("the engine is not on a unix socket")
    through_socket = analyze(BUSYBOX).to_json(top=100)
    through_sdk = analyze(BUSYBOX, client=connect()).to_json(top=100)
    assert through_socket == through_sdk
