"""scripts/engine.sh: reuses an engine that answers, and starts a private one when none does."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest
from conftest import BUSYBOX

REPO = Path(__file__).resolve().parents[1]
ENGINE_SH = REPO / "scripts" / "engine.sh"


def run_engine_sh(**env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ENGINE_SH)],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
        check=False,
    )


@pytest.mark.engine
def test_reuses_the_running_engine_quickly() -> None:
    host = os.environ["DOCKER_HOST"]
    started = time.monotonic()
    proc = run_engine_sh()
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"export DOCKER_HOST={host}\n"
    assert time.monotonic() - started < 3


@pytest.mark.engine
def test_a_dead_docker_host_falls_back_to_a_live_engine(tmp_path: Path) -> None:
    live = os.environ["DOCKER_HOST"]
    if not live.startswith("unix://"):
        pytest.skip("the fallback is to local sockets")
    proc = run_engine_sh(
        DOCKER_HOST=f"unix://{tmp_path}/dead.sock", SQUASHER_ENGINE_SOCK=live[len("unix://") :]
    )
    assert proc.returncode == 0, proc.stderr
    assert "does not answer" in proc.stderr
    assert proc.stdout.startswith("export DOCKER_HOST=unix://")


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


@pytest.fixture
def private_engine_paths() -> Iterator[tuple[Path, Path, str]]:
    """Socket dir, data root and a bridge of its own for a second engine; all removed after.

    The second engine gets its own bridge: with ``--bridge=none`` dockerd deletes ``docker0``
    at start, which cuts every container of the shared engine off the network.
    """
    if os.geteuid() != 0 or shutil.which("dockerd") is None or shutil.which("ip") is None:
        pytest.skip("starting dockerd needs root, dockerd and ip")
    token = uuid.uuid4().hex[:8]
    name = f"squasher-engine-test-{token}"
    rundir, data, bridge = Path("/run") / name, Path("/var/lib") / name, f"sqt{token}"
    _ip("link", "add", bridge, "type", "bridge")
    try:
        _ip("addr", "add", "172.31.254.1/24", "dev", bridge)
        yield rundir, data, bridge
    finally:
        pidfile = rundir / "dockerd.pid"
        if pidfile.is_file():
            pid = int(pidfile.read_text().strip())
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.2)
        shutil.rmtree(rundir, ignore_errors=True)
        shutil.rmtree(data, ignore_errors=True)
        subprocess.run(["ip", "link", "del", bridge], check=False, capture_output=True)


def _links() -> set[str]:
    out = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True).stdout
    return {line.split(":")[1].strip().split("@")[0] for line in out.splitlines()}


@pytest.mark.engine
def test_starts_a_private_engine_when_none_answers(
    private_engine_paths: tuple[Path, Path, str],
) -> None:
    rundir, data, bridge = private_engine_paths
    links_before = _links()
    sock = rundir / "docker.sock"
    proc = run_engine_sh(
        SQUASHER_ENGINE_PRIVATE="1",
        SQUASHER_ENGINE_SOCK=str(sock),
        SQUASHER_ENGINE_DATA=str(data),
        # leave the shared engine's bridge and iptables rules alone
        SQUASHER_ENGINE_ARGS=f"--bridge={bridge} --iptables=false --ip-masq=false",
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"export DOCKER_HOST=unix://{sock}\n"
    assert "starting dockerd" in proc.stderr
    pid = int((rundir / "dockerd.pid").read_text())
    os.kill(pid, 0)
    answer = subprocess.run(
        ["curl", "-s", "--unix-socket", str(sock), "http://localhost/_ping"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert answer.stdout == "OK"
    assert (data / "overlay2").is_dir()
    # a second call reuses it
    again = run_engine_sh(
        SQUASHER_ENGINE_PRIVATE="1", SQUASHER_ENGINE_SOCK=str(sock), SQUASHER_ENGINE_DATA=str(data)
    )
    assert again.returncode == 0, again.stderr
    assert "starting dockerd" not in again.stderr
    assert int((rundir / "dockerd.pid").read_text()) == pid
    # base-images.sh makes busybox from Debian's busybox-static on the empty engine
    made = subprocess.run(
        [str(REPO / "scripts" / "base-images.sh")],
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "DOCKER_HOST": f"unix://{sock}",
            "SQUASHER_BASE_IMAGES": "busybox",
            "SQUASHER_PULL_TIMEOUT": "0",
        },
        timeout=300,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    assert f"importing {BUSYBOX}" in made.stderr
    assert f"busybox:latest = {BUSYBOX}" in made.stderr  # the official name, for the samples
    client = docker.DockerClient(base_url=f"unix://{sock}")
    try:
        output = client.containers.run(
            BUSYBOX,
            ["sh", "-c", "stat -c %a /tmp && grep -c . /etc/passwd && wget --help 2>&1 | head -1"],
            network_mode="none",
            remove=True,
        ).decode()
    finally:
        client.close()
    lines = output.splitlines()
    assert lines[:2] == ["1777", "2"]
    assert "BusyBox" in lines[2]
    # a bridge deleted under the engine is put back by the next engine.sh
    _ip("link", "del", bridge)
    repaired = run_engine_sh(
        SQUASHER_ENGINE_PRIVATE="1", SQUASHER_ENGINE_SOCK=str(sock), SQUASHER_ENGINE_DATA=str(data)
    )
    assert repaired.returncode == 0, repaired.stderr
    assert f"bridge {bridge} is gone" in repaired.stderr
    shown = subprocess.run(
        ["ip", "-o", "-4", "addr", "show", bridge], capture_output=True, text=True, check=True
    ).stdout
    assert "172.31.254.1/24" in shown
    # the shared engine's network is untouched
    assert links_before - _links() <= {link for link in links_before if link.startswith("veth")}


def test_refuses_to_start_without_root(tmp_path: Path) -> None:
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root to drop to another user")
    proc = subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", str(ENGINE_SH)],
        capture_output=True,
        text=True,
        env={
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "SQUASHER_ENGINE_PRIVATE": "1",
            "SQUASHER_ENGINE_SOCK": f"{tmp_path}/none/docker.sock",
        },
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert "needs root" in proc.stderr
