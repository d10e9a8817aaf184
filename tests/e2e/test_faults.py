"""Faults while ``squasher diff-size`` drives a real engine: Ctrl-C (and SIGTERM) in the middle of
a build, the engine stopped in the middle of a build (a second, private dockerd of this test's
own, stopped), a full temporary directory, and four runs at once on one engine.

Each must end with a clear message and the documented exit code, and leave behind no container,
image or temporary directory of its own — checked by a marker unique to the test that every
step of its Dockerfile carries (other tests may be building on the same engine meanwhile) — and
the user's files exactly as they were.
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import BUSYBOX

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.engine


def _tree(root: Path) -> dict[str, bytes | str]:
    return {
        p.relative_to(root).as_posix(): "dir" if p.is_dir() else p.read_bytes()
        for p in sorted(root.rglob("*"))
    }


def _slow_project(root: Path, marker: str, seconds: int = 60) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "Dockerfile").write_text(
        f"FROM {BUSYBOX}\n"
        f"RUN echo {marker} > /m\n"
        f"RUN echo {marker} && sleep {seconds}\n"
        f"RUN echo {marker} && rm /m\n"
    )
    return root


def _start(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "squasher", *args],
        cwd=cwd,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_line(proc: subprocess.Popen[str], needle: str, timeout: float = 180) -> str:
    """Read proc's stderr until a line holds needle; returns what was read."""
    assert proc.stderr is not None
    seen = ""
    sel = selectors.DefaultSelector()
    sel.register(proc.stderr, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not sel.select(1):
            continue
        line = proc.stderr.readline()
        if not line:
            break
        seen += line
        if needle in line:
            return seen
    proc.kill()
    raise AssertionError(f"never saw {needle!r}; stderr so far:\n{seen}")


def _leftovers(client: Any, marker: str) -> list[str]:
    """Containers and images (dangling intermediates included) that carry the marker."""
    import docker.errors

    found: list[str] = []
    for container in client.api.containers(all=True):
        if marker in str(container.get("Command", "")):
            found.append(f"container {container['Id'][:12]}")
    for image in client.api.images(all=True):
        try:
            history = client.api.history(image["Id"])
        except docker.errors.APIError:
            continue  # removed meanwhile by another test
        if any(marker in str(h.get("CreatedBy", "")) for h in history):
            found.append(f"image {image['Id'][7:19]} {image.get('RepoTags')}")
    return found


def _processes_mentioning(text: str) -> list[str]:
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if text in cmdline and "pytest" not in cmdline:
            found.append(f"{pid}: {cmdline}")
    return found


# ---- Ctrl-C and SIGTERM ------------------------------------------------------------------------


@pytest.mark.parametrize("builder", ["classic", "buildkit"])
@pytest.mark.parametrize(
    "sig,code,word",
    [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")],
    ids=["SIGINT", "SIGTERM"],
)
def test_signal_mid_build_exits_and_leaves_nothing(
    builder: str, sig: signal.Signals, code: int, word: str, tmp_path: Path, docker_client: Any
) -> None:
    marker = f"sqfault{uuid.uuid4().hex[:12]}"
    proj = _slow_project(tmp_path / "proj", marker)
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    before = _tree(proj)
    proc = _start(
        ["diff-size", "--builder", builder, "-v", str(proj)], {"TMPDIR": str(tmpdir)}, tmp_path
    )
    _wait_for_line(proc, "sleep")
    time.sleep(2)  # the sleep step is running now
    started = time.monotonic()
    proc.send_signal(sig)  # to squasher alone, not its process group
    _out, err = proc.communicate(timeout=60)
    assert time.monotonic() - started < 30
    assert proc.returncode == code, err
    assert err.strip().splitlines()[-1] == f"squasher: {word}"
    assert "Traceback" not in err
    assert list(tmpdir.iterdir()) == []  # rewrite dir, iid files: all gone
    assert _tree(proj) == before
    assert _processes_mentioning(str(proj)) == []  # no docker CLI left building
    assert _leftovers(docker_client, marker) == []


# ---- the engine stops mid-build ------------------------------------------------------------------


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


@pytest.fixture
def private_engine(docker_client: Any) -> Iterator[tuple[str, Path]]:
    """A second dockerd of this test's own: own socket, data root and bridge, no iptables.

    Never ``--bridge=none``: with it dockerd deletes the host's docker0 at start, cutting the
    shared engine's containers off. Yields (DOCKER_HOST, pidfile); removed afterwards."""
    if os.geteuid() != 0 or shutil.which("dockerd") is None or shutil.which("ip") is None:
        pytest.skip("a second dockerd needs root, dockerd and ip")
    import docker

    token = uuid.uuid4().hex[:8]
    rundir, data, bridge = (
        Path(f"/run/squasher-fault-{token}"),
        Path(f"/var/lib/squasher-fault-{token}"),
        f"sqf{token}",
    )
    _ip("link", "add", bridge, "type", "bridge")
    try:
        _ip("addr", "add", "172.31.253.1/24", "dev", bridge)
        sock = rundir / "docker.sock"
        env = {
            **os.environ,
            "SQUASHER_ENGINE_PRIVATE": "1",
            "SQUASHER_ENGINE_SOCK": str(sock),
            "SQUASHER_ENGINE_DATA": str(data),
            "SQUASHER_ENGINE_ARGS": f"--bridge={bridge} --iptables=false --ip-masq=false",
        }
        subprocess.run(
            [str(REPO / "scripts" / "engine.sh")],
            env=env,
            check=True,
            capture_output=True,
            timeout=120,
        )
        host = f"unix://{sock}"
        second = docker.DockerClient(base_url=host, timeout=120)
        loaded = second.images.load(b"".join(docker_client.api.get_image(BUSYBOX)))
        assert any(BUSYBOX in image.tags for image in loaded), loaded
        second.close()
        yield host, rundir / "dockerd.pid"
    finally:
        pidfile = rundir / "dockerd.pid"
        if pidfile.is_file():
            pid = int(pidfile.read_text().strip())
            try:
                os.kill(pid, signal.SIGTERM)
                deadline = time.monotonic() + 40
                while time.monotonic() < deadline:
                    os.kill(pid, 0)
                    time.sleep(0.2)
            except ProcessLookupError:
                pass
        subprocess.run(["umount", "-R", str(data)], check=False, capture_output=True)
        shutil.rmtree(rundir, ignore_errors=True)
        shutil.rmtree(data, ignore_errors=True)
        subprocess.run(["ip", "link", "del", bridge], check=False, capture_output=True)


def test_engine_stopped_mid_build_is_an_engine_error(
    private_engine: tuple[str, Path], tmp_path: Path
) -> None:
    host, pidfile = private_engine
    marker = f"sqfault{uuid.uuid4().hex[:12]}"
    proj = _slow_project(tmp_path / "proj", marker)
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    before = _tree(proj)
    proc = _start(
        ["diff-size", "--builder", "classic", "-v", str(proj)],
        {"TMPDIR": str(tmpdir), "DOCKER_HOST": host},
        tmp_path,
    )
    _wait_for_line(proc, "sleep")
    time.sleep(1)
    os.kill(int(pidfile.read_text().strip()), signal.SIGTERM)  # `systemctl stop docker`
    _out, err = proc.communicate(timeout=90)
    assert proc.returncode == 2, err
    last = err.strip().splitlines()[-1]
    assert "Traceback" not in err
    assert last.startswith("squasher: the Docker engine at ") and "stopped answering" in last, last
    assert host in last
    assert list(tmpdir.iterdir()) == []
    assert _tree(proj) == before


# ---- a full temporary directory ------------------------------------------------------------------


def test_full_tmpdir_is_one_line_and_leaves_nothing(tmp_path: Path, docker_client: Any) -> None:
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    marker = f"sqfault{uuid.uuid4().hex[:12]}"
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "blob").write_bytes(os.urandom(256 * 1024))
    (proj / "Dockerfile").write_text(
        f"FROM {BUSYBOX}\nCOPY blob /blob\nRUN echo {marker}; rm /blob\n"
    )
    small = tmp_path / "small"
    small.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(small)], check=True)
    try:
        before = _tree(proj)
        proc = subprocess.run(
            [sys.executable, "-m", "squasher", "diff-size", "--builder", "classic", str(proj)],
            env={**os.environ, "TMPDIR": str(small)},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert proc.returncode == 2, proc.stderr
        err = proc.stderr.strip()
        assert len(err.splitlines()) == 1 and "No space left on device" in err, err
        assert list(small.iterdir()) == []
        assert _tree(proj) == before
        assert _leftovers(docker_client, marker) == []
    finally:
        subprocess.run(["umount", "-l", str(small)], check=False)


# ---- four runs at once ---------------------------------------------------------------------------


def test_four_runs_at_once_on_one_context(tmp_path: Path, docker_client: Any) -> None:
    """Same context, same images (same ids): no run may delete what another is measuring."""
    marker = f"sqfault{uuid.uuid4().hex[:12]}"
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "Dockerfile").write_text(
        f"FROM {BUSYBOX}\nRUN echo {marker} > /a && head -c 300000 /dev/urandom > /big\nRUN rm /big\n"
    )
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    before = _tree(proj)
    procs = [
        _start(
            ["diff-size", "--builder", builder, "--json", str(proj)],
            {"TMPDIR": str(tmpdir)},
            tmp_path,
        )
        for builder in ("classic", "buildkit", "classic", "buildkit")
    ]
    results = [p.communicate(timeout=600) for p in procs]
    for proc, (out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err
        data = json.loads(out)
        assert data["saved_bytes"] > 250_000  # the squashed image never held /big
    assert list(tmpdir.iterdir()) == []
    assert _tree(proj) == before
    assert _leftovers(docker_client, marker) == []
    tags = [t for i in docker_client.api.images() for t in i.get("RepoTags") or []]
    assert not [t for t in tags if marker in t]


def test_users_identical_image_survives(tmp_path: Path, docker_client: Any) -> None:
    """A cache hit makes diff-size's original the very image the user already built and tagged:
    diff-size removes its own temporary tag, never the user's image."""
    from squasher.engine import Scratch
    from squasher.measure.diff_size import diff_size

    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "Dockerfile").write_text(f"FROM {BUSYBOX}\nRUN echo {uuid.uuid4().hex} > /id\n")
    mine = f"sq-user-{uuid.uuid4().hex[:12]}:mine"
    with Scratch(docker_client) as scratch:
        built = scratch.build(proj, "Dockerfile", None, mine, builder="classic").image_id
        result = diff_size(proj, builder="classic", analyze=False, client=docker_client)
        assert result.original.built_id == built  # the cache gave the same image
        assert docker_client.api.inspect_image(mine)["Id"] == built  # still there, still tagged
