"""Builds with the classic builder, through the docker SDK's low-level API."""

from __future__ import annotations

import contextlib
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from squasher.engine.connect import engine_lost, is_connection_lost
from squasher.engine.progress import BuildResult, OutputTracker
from squasher.engine.request import BuildRequest
from squasher.errors import BuildFailed

if TYPE_CHECKING:
    import docker

_LAYER_ID = re.compile(r"^ ---> ([0-9a-f]{12,64})$")
_STEP_FROM = re.compile(r"^Step \d+/\d+ : FROM ", re.IGNORECASE)
_RUNNING_IN = re.compile(r"^ ---> Running in ([0-9a-f]{12,64})$")
_BUILT = re.compile(r"^Successfully built ([0-9a-f]{12,64})$")


def dockerfile_argument(context: Path, dockerfile: str | Path) -> str:
    """The ``dockerfile`` the SDK wants: relative to the context when inside it, else absolute."""
    path = Path(dockerfile)
    if not path.is_absolute():
        path = context / path
    if not path.is_file():
        raise BuildFailed(f"Dockerfile not found: {path}")
    try:
        return path.resolve().relative_to(context.resolve()).as_posix()
    except ValueError:
        return str(path.resolve())


def build_classic(client: docker.DockerClient, request: BuildRequest) -> BuildResult:
    """Build with the classic builder; the SDK sends the context honouring ``.dockerignore``.

    Intermediate containers are always removed; on failure the intermediate images this build
    made are removed too (cached ones that other images still use stay). Raises BuildFailed
    with the engine's last lines.
    """
    import docker.errors

    context = request.context
    if not context.is_dir():
        raise BuildFailed(f"build context is not a directory: {context}")
    tracker = OutputTracker("classic", request.on_progress)
    image_id: str | None = None
    made = _MadeLayers()
    error: str | None = None
    started = time.monotonic()
    stream: Any = None
    try:
        stream = client.api.build(
            path=str(context),
            dockerfile=dockerfile_argument(context, request.dockerfile),
            buildargs=dict(request.buildargs),
            tag=request.tag,
            target=request.target,
            nocache=request.nocache,
            rm=True,
            forcerm=True,
            decode=True,
            timeout=None,
        )
        for chunk in stream:
            image_id, error = _consume(chunk, tracker, made, image_id, error)
            if error is not None:
                break
    except docker.errors.APIError as err:
        error = str(err.explanation or err)
    except BaseException as err:
        # Ctrl-C or a failing callback: hang up so that the engine cancels the build
        if stream is not None:
            stream.close()
        if is_connection_lost(err):  # the engine died: nothing left to clean up there
            raise engine_lost(err, f"the classic build of {context}") from None
        _remove_made(client, made)
        raise
    finally:
        if stream is not None:
            stream.close()
    tracker.flush()
    if error is None and image_id is None:
        error = "the engine reported no image id"
    if error is not None:
        _remove_made(client, made)
        tracker.line(error)
        raise BuildFailed(tracker.failure_message(f"classic build of {context} failed"))
    assert image_id is not None
    return BuildResult(image_id, "classic", time.monotonic() - started, tracker.lines)


def _consume(
    chunk: dict[str, Any],
    tracker: OutputTracker,
    made: _MadeLayers,
    image_id: str | None,
    error: str | None,
) -> tuple[str | None, str | None]:
    if "stream" in chunk:
        before = len(tracker.lines)
        tracker.feed(str(chunk["stream"]))
        for line in tracker.lines[before:]:
            made.see(line)
            built = _BUILT.match(line)
            if built and image_id is None:
                image_id = built.group(1)
    elif "status" in chunk:
        tracker.feed(f"{chunk['status']} {chunk.get('progress', '')}".rstrip() + "\n")
    aux = chunk.get("aux")
    if isinstance(aux, dict) and "ID" in aux:
        image_id = str(aux["ID"])
    if "error" in chunk or "errorDetail" in chunk:
        detail = chunk.get("errorDetail") or {}
        error = str(chunk.get("error") or detail.get("message") or "build failed")
    return image_id, error


class _MadeLayers:
    """The intermediate images a classic build created (not the base, not cache hits)."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.running: str | None = None
        self._skip_next = False

    def see(self, line: str) -> None:
        container = _RUNNING_IN.match(line)
        if container:
            self.running = container.group(1)
            return
        if line.startswith("Removing intermediate container "):
            self.running = None
            return
        if _STEP_FROM.match(line) or line.strip() == "---> Using cache":
            self._skip_next = True
            return
        layer = _LAYER_ID.match(line)
        if layer:
            if not self._skip_next:
                self.ids.append(layer.group(1))
            self._skip_next = False


def _remove_made(client: docker.DockerClient, made: _MadeLayers) -> None:
    """Drop this build's container and intermediate images; never tagged or in-use images."""
    import docker.errors

    try:
        if made.running is not None:
            with contextlib.suppress(docker.errors.APIError):
                client.api.remove_container(made.running, force=True)
        for layer in reversed(made.ids):
            try:
                if client.api.inspect_image(layer).get("RepoTags"):
                    continue
                client.api.remove_image(layer, force=False, noprune=False)
            except docker.errors.APIError:
                continue
    except Exception as err:
        if not is_connection_lost(err):
            raise
