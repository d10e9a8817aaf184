"""``squasher diff-size`` on the real engine where a build fails (``--json`` still prints an object,
with the error) and where ``--verify`` finds a difference no rule explains (it offers
``--rebuild`` as the next step)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import BUSYBOX

pytestmark = pytest.mark.engine


def diff_size(context: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "squasher",
            "diff-size",
            str(context),
            "--builder",
            "classic",
            *args,
        ],
        capture_output=True,
        text=True,
        check=False,
    )


def test_json_prints_the_error_when_a_build_fails(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(
        f"FROM {BUSYBOX}\nRUN echo building > /out\nRUN echo 'no such tool' >&2 && exit 3\n"
    )
    proc = diff_size(tmp_path, "--json")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    data = json.loads(proc.stdout)
    assert data["context"] == str(tmp_path)
    assert data["exit_code"] == 1
    assert data["error"].startswith("the original image failed to build"), data["error"]
    assert "returned a non-zero code: 3" in data["error"]
    assert "failed to build" in proc.stderr  # and the one-line error for a reader


def test_verify_offers_rebuild_when_unexplained_differences_remain(tmp_path: Path) -> None:
    # a file no rule explains that every build writes anew: not the rewrite's doing, but only a
    # second build of the original can show that
    (tmp_path / "Dockerfile").write_text(
        f"FROM {BUSYBOX}\nRUN cat /proc/sys/kernel/random/uuid > /build-id\n"
    )
    proc = diff_size(tmp_path, "--verify", "-q")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "hint: " in proc.stderr and "--rebuild" in proc.stderr, proc.stderr
    assert "differs from the original in unexpected ways" in proc.stderr


def test_verify_of_a_build_differing_only_by_noise_passes_without_the_hint(
    tmp_path: Path,
) -> None:
    # what two builds of this Dockerfile never agree on: the build container's name, a random
    # id, a log, a non-root user's cache and byte code whose code bytes differ (source the same)
    uuid = "$(cat /proc/sys/kernel/random/uuid | tr -d -)"
    steps = [
        "hostname > /etc/mailname",
        f"echo {uuid} > /etc/machine-id",
        f"mkdir -p /var/log && echo {uuid} > /var/log/setup.log",
        "echo 'app:x:1000:1000::/home/app:/bin/sh' >> /etc/passwd",
        f"mkdir -p /home/app/.cache/pip && echo {uuid} > /home/app/.cache/pip/selfcheck",
        "mkdir -p /app/__pycache__ && echo 'x = 1' > /app/m.py",
        "printf '\\247\\015\\015\\012\\0\\0\\0\\0ABCD\\006\\0\\0\\0%s' "
        f"{uuid} > /app/__pycache__/m.cpython-311.pyc",
    ]
    (tmp_path / "Dockerfile").write_text(
        f'FROM {BUSYBOX}\nRUN {" && ".join(steps)}\nCMD ["cat", "/app/m.py"]\n'
    )
    proc = diff_size(tmp_path, "--verify", "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    verified = json.loads(proc.stdout)["verify"]
    assert verified["equivalent"] is True, verified
    noise = {d["path"] for d in verified["differences"] if d["category"] == "noise"}
    assert {
        "/etc/mailname",
        "/etc/machine-id",
        "/var/log/setup.log",
        "/home/app/.cache/pip/selfcheck",
        "/app/__pycache__/m.cpython-311.pyc",
    } <= noise
    assert "hint: " not in proc.stderr
    # the text report says what verify found, on a line of its own
    text = diff_size(tmp_path, "--verify")
    assert text.returncode == 0, text.stdout + text.stderr
    (verdict,) = [line for line in text.stdout.splitlines() if line.startswith("verify: ")]
    assert verdict.endswith(": equivalent") and " noise " in verdict, verdict
