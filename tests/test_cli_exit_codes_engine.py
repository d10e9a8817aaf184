"""Exit codes of the commands that drive the engine, on real builds: 0 when all is well, 1 for a
build that fails or a verify that finds an unexpected difference, 2 for input errors — and in
each case nothing of the run's is left on the engine."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from conftest import BUSYBOX, DEBIAN

pytestmark = pytest.mark.engine


def _diff_size(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "squasher", "diff-size", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _images_with(client: Any, marker: str) -> list[str]:
    import docker.errors

    found = []
    for image in client.api.images(all=True):
        try:
            history = client.api.history(image["Id"])
        except docker.errors.APIError:
            continue  # removed meanwhile by a concurrent test
        if any(marker in str(h.get("CreatedBy", "")) for h in history):
            found.append(image["Id"])
    return found


def test_verify_finding_an_unexpected_difference_exits_1(
    tmp_path: Path, docker_client: Any
) -> None:
    # random bytes differ between any two builds: verify cannot call that expected
    (tmp_path / "Dockerfile").write_text(
        f"FROM {BUSYBOX}\nRUN echo {uuid.uuid4().hex} && head -c 16 /dev/urandom | od -x > /rand\n"
    )
    proc = _diff_size(".", "--builder", "classic", "-q", "--verify", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "unexpected" in proc.stderr
    assert proc.stdout.startswith("saved ")  # the result is still printed


def test_equivalent_images_exit_0(tmp_path: Path, docker_client: Any) -> None:
    (tmp_path / "Dockerfile").write_text(
        f"FROM {BUSYBOX}\nRUN echo {uuid.uuid4().hex} > /id\nRUN rm /id && echo ok > /ok\n"
    )
    proc = _diff_size(".", "--builder", "classic", "-q", "--verify", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr


def test_failing_build_exits_1_and_refusal_exits_2(tmp_path: Path, docker_client: Any) -> None:
    marker = uuid.uuid4().hex
    (tmp_path / "Dockerfile").write_text(
        f"FROM {BUSYBOX}\nRUN echo {marker} > /m\nRUN echo {marker} && exit 3\n"
    )
    proc = _diff_size(".", "--builder", "classic", "-q", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "the original image failed to build" in proc.stderr
    (tmp_path / "Dockerfile").write_text(f"FROM {BUSYBOX}\nCOPY missing.txt /m\nRUN true\n")
    proc = _diff_size(".", "-q", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "Dockerfile:2: " in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert _images_with(docker_client, marker) == []  # the failed build's layers are gone


def test_verify_quiet_prints_nothing_when_equivalent_one_line_otherwise(docker_client: Any) -> None:
    def verify(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "squasher", "verify", *args],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )

    same = verify(BUSYBOX, BUSYBOX, "-q")
    assert same.returncode == 0 and same.stdout == "" and same.stderr == ""
    other = verify(BUSYBOX, DEBIAN, "--quiet")
    assert other.returncode == 1 and other.stdout == ""
    assert len(other.stderr.strip().splitlines()) == 1 and "NOT equivalent" in other.stderr
