"""Podman as the engine: its Docker-API service (``podman system service``, started by the
``podman_host`` fixture next to dockerd) runs rewrite, diff-size with the classic builder (buildah),
verify, analyze and ``--tag`` pushes; BuildKit builds are refused in one sentence."""

from __future__ import annotations

import contextlib
import io
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import BUSYBOX
from test_diff_size_registry import registry  # noqa: F401  (the loopback registry fixture)

from squasher.cli import cli

pytestmark = pytest.mark.engine

DOCKERFILE = f"""\
FROM {BUSYBOX}
COPY hello.txt /hello.txt
RUN cat /hello.txt > /greeting && rm /hello.txt
RUN echo built > /built
CMD ["cat", "/greeting"]
"""


@pytest.fixture
def context(tmp_path: Path) -> Path:
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text(DOCKERFILE)
    (ctx / "hello.txt").write_text("hello\n")
    return ctx


def _podman(host: str) -> Any:
    import docker

    return docker.DockerClient(base_url=host, timeout=300)


def test_diff_size_verify_and_tag_push_on_podman(
    podman_host: str,
    registry: str,  # noqa: F811
    context: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DOCKER_HOST", podman_host)
    ref = f"{registry}/squasher/podman:squashed"
    args = ["diff-size", str(context), "--builder", "classic", "--verify", "--tag", ref, "--json"]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["verify"]["equivalent"], data["verify"]
    assert data["squashed"]["layers"] < data["original"]["layers"]
    client = _podman(podman_host)
    try:
        image_id = client.api.inspect_image(ref)["Id"]
        pushed = list(
            client.api.push(ref.rsplit(":", 1)[0], tag="squashed", stream=True, decode=True)
        )
        assert [line for line in pushed if "error" in line] == []
        client.api.remove_image(ref, force=True)
        pulled = list(
            client.api.pull(ref.rsplit(":", 1)[0], tag="squashed", stream=True, decode=True)
        )
        assert [line for line in pulled if "error" in line] == []
        assert client.api.inspect_image(ref)["Id"] == image_id
        # the pulled image holds the squashed file (read from a created, never started, container:
        # where this machine's limits are below podman's defaults, runc cannot start one)
        cid = client.api.create_container(ref, command=["true"])["Id"]
        try:
            chunks, _stat = client.api.get_archive(cid, "/greeting")
            with tarfile.open(fileobj=io.BytesIO(b"".join(chunks))) as tar:
                member = tar.extractfile("greeting")
                assert member is not None and member.read() == b"hello\n"
        finally:
            client.api.remove_container(cid, force=True)
    finally:
        with contextlib.suppress(Exception):
            client.api.remove_image(ref, force=True)
        client.close()


def test_rewrite_and_analyze_on_podman_agree_with_dockerd(
    podman_host: str, context: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    on_docker = CliRunner().invoke(cli, ["analyze", BUSYBOX, "--json"])
    assert on_docker.exit_code == 0, on_docker.output
    monkeypatch.setenv("DOCKER_HOST", podman_host)
    res = CliRunner().invoke(cli, ["rewrite", str(context / "Dockerfile"), "--inspect-base", "-q"])
    assert res.exit_code == 0, res.output
    assert (context / "Dockerfile.squashed").is_file()
    on_podman = CliRunner().invoke(cli, ["analyze", BUSYBOX, "--json"])
    assert on_podman.exit_code == 0, on_podman.output
    assert json.loads(on_podman.output) == json.loads(on_docker.output)
    # podman's own save format may be OCI: its libpod endpoint writes an oci-archive on request
    client = _podman(podman_host)
    try:
        url = client.api._url("/libpod/images/{0}/get", BUSYBOX)
        response = client.api._get(url, params={"format": "oci-archive"}, stream=True)
        response.raise_for_status()
        archive = tmp_path / "busybox-oci.tar"
        with open(archive, "wb") as out:
            for chunk in response.iter_content(1 << 20):
                out.write(chunk)
    finally:
        client.close()
    from_oci = CliRunner().invoke(cli, ["analyze", str(archive), "--json"])
    assert from_oci.exit_code == 0, from_oci.output
    figures, expected = json.loads(from_oci.output), json.loads(on_docker.output)
    for data in (figures, expected):
        del data["image"], data["id"]  # podman rewrites the config JSON for the OCI copy
    assert figures == expected


def test_buildkit_is_refused_on_podman_in_one_sentence(
    podman_host: str, context: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", podman_host)
    res = CliRunner().invoke(cli, ["diff-size", str(context), "-q"])
    assert res.exit_code == 2, res.output
    message = res.output.strip()
    assert "\n" not in message and "Traceback" not in message, message
    assert "Podman" in message and "--builder classic" in message, message
