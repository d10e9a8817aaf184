"""Temporary images and containers that are removed on success, failure and Ctrl-C."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

from squasher.engine.choose import build_with
from squasher.engine.images import remove_image
from squasher.engine.progress import BuildResult
from squasher.engine.request import BuilderChoice, BuildRequest, takes_build_arguments

if TYPE_CHECKING:
    import docker


class Scratch:
    """``with Scratch(client) as s:`` — everything built or run through ``s`` is removed on exit.

    ``keep=True`` leaves the images (e.g. for ``--keep-images``); containers always go.
    """

    def __init__(self, client: docker.DockerClient, *, keep: bool = False) -> None:
        self.client = client
        self.keep = keep
        self.images: list[str] = []
        self.containers: list[str] = []

    def __enter__(self) -> Scratch:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def track_image(self, image_id: str) -> str:
        if image_id not in self.images:
            self.images.append(image_id)
        return image_id

    def track_container(self, container_id: str) -> str:
        if container_id not in self.containers:
            self.containers.append(container_id)
        return container_id

    @takes_build_arguments
    def build(self, request: BuildRequest, builder: BuilderChoice) -> BuildResult:
        """``squasher.engine.build`` (same arguments), the image tracked for removal."""
        result = build_with(self.client, request, builder)
        # a tagged build is tracked by its tag alone: removing the tag deletes the image only when
        # nothing else refers to it (another tag, a concurrent build that made the same image)
        self.track_image(request.tag or result.image_id)
        return result

    def run(
        self,
        image: str,
        command: str | Sequence[str] | None = None,
        *,
        entrypoint: str | Sequence[str] | None = None,
        user: str | None = None,
        environment: Mapping[str, str] | None = None,
        timeout: float = 300,
    ) -> tuple[int, str]:
        """Run a container to completion; returns (exit status, combined output)."""
        kwargs: dict[str, Any] = {"detach": True}
        if entrypoint is not None:
            kwargs["entrypoint"] = entrypoint
        if user is not None:
            kwargs["user"] = user
        if environment is not None:
            kwargs["environment"] = dict(environment)
        container = self.client.containers.create(image, command, **kwargs)
        self.track_container(container.id)
        container.start()
        status: dict[str, Any] = container.wait(timeout=timeout)
        output: bytes = container.logs(stdout=True, stderr=True)
        return int(status.get("StatusCode", -1)), output.decode("utf-8", errors="replace")

    def close(self) -> None:
        """Remove containers, then images. A second Ctrl-C (or SIGTERM) does not interrupt it."""
        previous: dict[signal.Signals, Any] = {}
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):  # SIGTERM too: `kill` during cleanup
                previous[sig] = signal.signal(sig, signal.SIG_IGN)
        try:
            self._remove_all()
        finally:
            for sig, handler in previous.items():
                if handler is not None:
                    signal.signal(sig, handler)

    def _remove_all(self) -> None:
        import docker.errors

        from squasher.engine.connect import is_connection_lost

        try:
            for container_id in reversed(self.containers):
                with contextlib.suppress(docker.errors.APIError):
                    self.client.api.remove_container(container_id, force=True, v=True)
            self.containers.clear()
            if self.keep:
                return
            for image in reversed(self.images):
                with contextlib.suppress(docker.errors.APIError):
                    remove_image(self.client, image)
            self.images.clear()
        except Exception as err:
            if not is_connection_lost(err):
                raise
            # the engine is gone, and with it any chance to clean up there; report the real error
