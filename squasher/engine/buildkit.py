"""Builds with BuildKit, through a docker CLI that can drive it (``buildx`` or a 20.10 CLI)."""

from __future__ import annotations

import functools
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from squasher.engine.progress import BuildResult, OutputTracker
from squasher.engine.request import BuildRequest
from squasher.errors import BuildFailed, EngineUnavailable

#: the last docker CLI major version whose ``build`` drives BuildKit without buildx
_LAST_BUILTIN_BUILDKIT_CLI = 22
_CLI_VERSION = re.compile(r"Docker version (\d+)\.")


@dataclass(frozen=True)
class BuildkitCli:
    """How to run a BuildKit build: ``argv + [options..., context]``."""

    argv: tuple[str, ...]

    @property
    def uses_buildx(self) -> bool:
        return "buildx" in self.argv


def _candidates() -> list[str]:
    seen: list[str] = []
    forced = os.environ.get("SQUASHER_DOCKER_CLI")
    names = [forced] if forced else []
    names += [shutil.which("docker") or "", "/usr/bin/docker", "/usr/local/bin/docker"]
    for name in names:
        if name and os.access(name, os.X_OK) and os.path.realpath(name) not in seen:
            seen.append(os.path.realpath(name))
    return seen


def _quiet(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=20, check=False)


@functools.cache
def find_buildkit_cli() -> BuildkitCli | None:
    """A docker CLI that can build with BuildKit, or None. ``SQUASHER_DOCKER_CLI`` picks one."""
    for cli in _candidates():
        try:
            if _quiet([cli, "buildx", "version"]).returncode == 0:
                return BuildkitCli((cli, "buildx", "build", "--load"))
            match = _CLI_VERSION.match(_quiet([cli, "--version"]).stdout.strip())
        except (OSError, subprocess.SubprocessError):
            continue
        if match and int(match.group(1)) <= _LAST_BUILTIN_BUILDKIT_CLI:
            return BuildkitCli((cli, "build"))
    return None


def build_buildkit(request: BuildRequest, cli: BuildkitCli | None = None) -> BuildResult:
    """Build with ``DOCKER_BUILDKIT=1 docker build --progress=plain --iidfile`` on DOCKER_HOST.

    Ctrl-C interrupts the CLI (which cancels the build) and is re-raised. Raises BuildFailed
    with the last output lines when the build fails.
    """
    context = request.context
    if not context.is_dir():
        raise BuildFailed(f"build context is not a directory: {context}")
    dockerfile_path = Path(request.dockerfile)
    if not dockerfile_path.is_absolute():
        dockerfile_path = context / dockerfile_path
    if not dockerfile_path.is_file():
        raise BuildFailed(f"Dockerfile not found: {dockerfile_path}")
    cli = cli or find_buildkit_cli()
    if cli is None:
        raise EngineUnavailable(
            "no docker CLI that can build with BuildKit (needs docker buildx, or a docker CLI "
            "20.10-22.x); install Debian's docker.io or set SQUASHER_DOCKER_CLI"
        )
    tracker = OutputTracker("buildkit", request.on_progress)
    with tempfile.TemporaryDirectory(prefix="squasher-iid-") as tmp:
        iidfile = Path(tmp) / "iid"
        argv = [*cli.argv, "--progress=plain", "--iidfile", str(iidfile)]
        argv += ["-f", str(dockerfile_path)]
        for key, value in sorted(request.buildargs.items()):
            argv += ["--build-arg", f"{key}={value}"]
        if request.tag:
            argv += ["-t", request.tag]
        if request.target:
            argv += ["--target", request.target]
        if request.nocache:
            argv.append("--no-cache")
        argv.append(str(context))
        env = dict(os.environ, DOCKER_BUILDKIT="1")
        started = time.monotonic()
        rc = _run_streaming(argv, env, tracker)
        seconds = time.monotonic() - started
        image_id = iidfile.read_text().strip() if iidfile.is_file() else ""
    if rc != 0 or not image_id:
        what = f"BuildKit build of {context} failed"
        if rc == 0:
            tracker.line("the docker CLI wrote no image id")
        raise BuildFailed(tracker.failure_message(what))
    return BuildResult(image_id, "buildkit", seconds, tracker.lines)


def _run_streaming(argv: list[str], env: dict[str, str], tracker: OutputTracker) -> int:
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        text=True,
        errors="replace",
        bufsize=1,
    )
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            tracker.line(line.rstrip("\n"))
        return proc.wait()
    except BaseException:
        # Ctrl-C (or anything else): let the CLI cancel the build, then make sure it is gone
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        raise
    finally:
        if proc.stdout is not None:
            proc.stdout.close()
