"""Where a benchmark ran: the machine, the engine and the tools, recorded beside the figures."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import docker

REPO = Path(__file__).resolve().parents[1]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_bytes() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _version_of(argv: list[str]) -> str | None:
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    text = (proc.stdout or proc.stderr).strip().splitlines()
    return text[0].strip() if proc.returncode == 0 and text else None


def _git_commit() -> str | None:
    return _version_of(["git", "-C", str(REPO), "rev-parse", "--short=12", "HEAD"])


# what a run writes: the only changes a tree may have for its run to count as of its commit
RUN_OUTPUTS = frozenset(
    {"benchmarks/results.json", "benchmarks/RESULTS.md", "benchmarks/chart.svg", "README.md"}
)


def uncommitted() -> list[str] | None:
    """The paths of the code and the samples that differ from the commit (untracked ones too),
    the run's own outputs left out; None when git cannot tell."""
    try:
        proc = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=all"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if proc.returncode != 0:
        return None
    paths = [line[3:].split(" -> ")[-1] for line in proc.stdout.splitlines() if len(line) > 3]
    return sorted(p for p in paths if p not in RUN_OUTPUTS)


def machine() -> dict[str, Any]:
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_bytes": _memory_bytes(),
        "kernel": platform.release(),
        "os": platform.platform(terse=True),
        "python": platform.python_version(),
        "load_at_start": load_average(),
    }


def load_average() -> float | None:
    """The 1-minute load average: other work on the machine makes the build times noisy."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def engine(client: docker.DockerClient) -> dict[str, Any]:
    from squasher.engine import find_buildkit_cli

    version: dict[str, Any] = client.version()
    info: dict[str, Any] = client.info()
    cli = find_buildkit_cli()
    return {
        "version": version.get("Version"),
        "api_version": version.get("ApiVersion"),
        "storage_driver": info.get("Driver"),
        "host": os.environ.get("DOCKER_HOST", "default socket"),
        "buildkit_cli": " ".join(cli.argv) if cli is not None else None,
    }


def tools() -> dict[str, Any]:
    from benchmarks.engine_run import docker_squash_cli
    from benchmarks.micro import dive_cli
    from squasher import __version__

    squash = docker_squash_cli()
    dive = dive_cli()
    return {
        "squasher": __version__,
        "squasher_commit": _git_commit(),
        "uncommitted": uncommitted(),
        "docker_squash": _version_of([*squash, "--version"]) if squash else None,
        "dive": _version_of([dive, "--version"]) if dive else None,
    }
