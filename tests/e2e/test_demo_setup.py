"""scripts/demo's setup (scripts/setup.sh ``squasher_setup demo``) on a machine that lacks the
system tools: it asks apt for what the main job needs only, hides the installers' output in its
log and prints one line per phase; ``squasher_setup test`` asks for the test tools too.

The machine is this one with the tools taken off PATH, and apt-get replaced by a program that
records what it is asked and prints what apt prints; the engine and the base images are the real
ones (the engine already answers, so nothing is started). The virtualenv is a fresh one that sees
this checkout and is marked installed, so no pip run reaches the network.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

pytestmark = pytest.mark.engine

REPO = Path(__file__).resolve().parents[2]
# what setup.sh looks for before asking apt (dockerd and curl: the demo's own needs)
TAKEN_AWAY = {
    "dockerd",
    "curl",
    "shellcheck",
    "git",
    "docker-registry",
    "chromium",
    "podman",
    "skopeo",
    "sshd",
    "apt-get",
}
APT_GET = """#!/bin/sh
printf '%s\\n' "$*" >> "$APT_RECORD"
echo "Unpacking fake-package (1.0) ..."
echo "Setting up fake-package (1.0) ... 50%"
"""


def _tool_dir(root: Path) -> Path:
    """Every command on PATH but the ones setup.sh installs, and the recording apt-get."""
    bin_dir = root / "bin"
    bin_dir.mkdir()
    for d in os.environ.get("PATH", "").split(os.pathsep):
        if not d or not Path(d).is_dir():
            continue
        for entry in Path(d).iterdir():
            target = bin_dir / entry.name
            if entry.name in TAKEN_AWAY or target.exists() or not os.access(entry, os.X_OK):
                continue
            target.symlink_to(entry)
    (bin_dir / "apt-get").write_text(APT_GET)
    (bin_dir / "apt-get").chmod(0o755)
    return bin_dir


def _venv(root: Path) -> Path:
    """A virtualenv that imports this checkout and its dependencies, marked as installed."""
    venv = root / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", "--system-site-packages", str(venv)],
        check=True,
    )
    site = Path(
        sysconfig.get_path("purelib", vars={"base": str(venv), "platbase": str(venv)})
    ).resolve()
    site.mkdir(parents=True, exist_ok=True)
    (site / "squasher-checkout.pth").write_text(
        f"{REPO}\n{sysconfig.get_path('purelib')}\n{sysconfig.get_path('platlib')}\n"
    )
    key = hashlib.sha256((REPO / "pyproject.toml").read_bytes()).hexdigest()
    (venv / ".squasher-install").write_text(f"{key} {REPO} [test]")
    return venv


def _setup(purpose: str, tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], str, str]:
    root = tmp_path / purpose
    root.mkdir()
    bin_dir, venv = _tool_dir(root), _venv(root)
    record, log = root / "apt-record", root / "setup.log"
    env = {
        "PATH": str(bin_dir),
        "HOME": os.environ.get("HOME", "/root"),
        "DOCKER_HOST": os.environ["DOCKER_HOST"],
        "APT_RECORD": str(record),
        "SQUASHER_VENV": os.path.relpath(venv, REPO),
        "SQUASHER_PYTHON": sys.executable,
    }
    if purpose == "demo":
        env["SQUASHER_SETUP_LOG"] = str(log)
    proc = subprocess.run(
        ["bash", "-c", f"source scripts/setup.sh && squasher_setup {purpose}"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return (
        proc,
        record.read_text() if record.exists() else "",
        log.read_text() if log.exists() else "",
    )


@pytest.mark.skipif(os.geteuid() != 0, reason="setup.sh installs system packages as root only")
def test_demo_installs_only_what_the_main_job_needs_quietly(
    tmp_path: Path, docker_client: object
) -> None:
    proc, asked, log = _setup("demo", tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines() == [
        "==> installing system packages: docker.io curl ca-certificates",
        "==> Docker engine",
    ], proc.stderr
    assert proc.stdout == ""
    assert asked.splitlines() == [
        "update -qq",
        "install -y -qq --no-install-recommends docker.io curl ca-certificates",
    ]
    assert "Setting up fake-package (1.0) ... 50%" in log  # the installers' output: in the log


@pytest.mark.skipif(os.geteuid() != 0, reason="setup.sh installs system packages as root only")
def test_test_setup_installs_the_test_tools_too(tmp_path: Path, docker_client: object) -> None:
    proc, asked, _ = _setup("test", tmp_path)
    assert proc.returncode == 0, proc.stderr
    install = [line for line in asked.splitlines() if line.startswith("install ")]
    (line,) = install
    wanted = ["docker.io", "curl", "ca-certificates", "shellcheck", "git", "docker-registry"]
    wanted += ["chromium", "podman", "skopeo"]
    if not Path("/usr/sbin/sshd").exists():
        wanted += ["openssh-server", "openssh-client"]
    assert line.split()[4:] == wanted, line
