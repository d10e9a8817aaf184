"""Deploy delta: what a registry receives when an image is pushed again after a source change.

A private registry (Debian's ``docker-registry``) is started on 127.0.0.1 with its storage in a
temporary directory; the engine treats loopback registries as insecure, so no TLS is needed.
After each push the repository's blobs are read from the registry's storage directory (the
layers and config linked to the repository, and its manifests) with their stored sizes, the
compressed bytes the engine uploaded; the delta of a second push is the size of the blobs the
repository did not have before it.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import docker

REPOSITORY_ROOT = "bench"  # every pushed repository lives under this path in the registry


class RegistryError(Exception):
    """The registry could not be started or a push failed."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LoopbackRegistry:
    """A ``docker-registry`` serving 127.0.0.1:PORT from ``root``, for one ``with`` block."""

    def __init__(self, root: Path, start_timeout: float = 20.0) -> None:
        self.root = root
        self.storage = root / "storage"
        self.start_timeout = start_timeout
        self.address = ""
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> LoopbackRegistry:
        exe = shutil.which("docker-registry")
        if exe is None:
            raise RegistryError("docker-registry is not installed (Debian's docker-registry)")
        port = _free_port()
        self.root.mkdir(parents=True, exist_ok=True)
        config = self.root / "registry.yml"
        config.write_text(
            "version: 0.1\n"
            f"storage:\n  filesystem:\n    rootdirectory: {self.storage}\n"
            f"http:\n  addr: 127.0.0.1:{port}\n",
            encoding="utf-8",
        )
        self._proc = subprocess.Popen(
            [exe, "serve", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RegistryError(f"docker-registry exited {self._proc.returncode} at start")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                self.address = f"127.0.0.1:{port}"
                return self
            time.sleep(0.2)
        self.__exit__(None, None, None)
        raise RegistryError("docker-registry did not start listening")

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=10)
            self._proc = None

    def repository(self, name: str) -> str:
        return f"{self.address}/{REPOSITORY_ROOT}/{name}"

    def push(self, client: docker.DockerClient, image: str, name: str, tag: str) -> None:
        """Tag ``image`` as NAME:TAG in this registry, push it, and drop that tag again."""
        import docker.errors

        repo = self.repository(name)
        try:
            client.api.tag(image, repo, tag)
            errors = [
                line.get("error") or str(line.get("errorDetail"))
                for line in client.api.push(repo, tag=tag, stream=True, decode=True)
                if "error" in line or "errorDetail" in line
            ]
        except docker.errors.APIError as err:
            raise RegistryError(f"push of {name}:{tag} failed: {err}") from None
        finally:
            with contextlib.suppress(docker.errors.APIError):
                client.api.remove_image(f"{repo}:{tag}", noprune=True)
        if errors:
            raise RegistryError(f"push of {name}:{tag} failed: {errors[0]}")

    def blobs(self, name: str) -> dict[str, int]:
        """The repository's blobs (layers, config, manifests): digest -> stored bytes."""
        return repository_blobs(self.storage, f"{REPOSITORY_ROOT}/{name}")


def repository_blobs(storage: Path, repository: str) -> dict[str, int]:
    """Read a registry's filesystem storage: the blobs linked to ``repository`` and their sizes.

    Layout (distribution's filesystem driver): ``docker/registry/v2/repositories/<repo>/
    _layers/sha256/<hex>/link`` and ``_manifests/revisions/sha256/<hex>/link`` name the blobs;
    ``docker/registry/v2/blobs/sha256/<hex[:2]>/<hex>/data`` holds each one."""
    v2 = storage / "docker" / "registry" / "v2"
    repo_dir = v2 / "repositories" / repository
    found: dict[str, int] = {}
    for links in (
        repo_dir / "_layers" / "sha256",
        repo_dir / "_manifests" / "revisions" / "sha256",
    ):
        if not links.is_dir():
            continue
        for entry in sorted(links.iterdir()):
            data = v2 / "blobs" / "sha256" / entry.name[:2] / entry.name / "data"
            if data.is_file():
                found[f"sha256:{entry.name}"] = data.stat().st_size
    return found


def delta_bytes(before: dict[str, int], after: dict[str, int]) -> int:
    """The bytes of the blobs ``after`` holds and ``before`` did not."""
    return sum(size for digest, size in after.items() if digest not in before)
