"""What an image is made of: size, layers, and the instruction that made each layer."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import docker

_NOP = re.compile(r"^/bin/sh -c #\(nop\)\s*")
_SHELL = re.compile(r"^(?:\|\d+ (?:\S+=\S*\s+)*)?/bin/sh -c ")
_BUILDKIT_SUFFIX = " # buildkit"


@dataclass(frozen=True)
class LayerInfo:
    """One history entry of an image, oldest first. Metadata-only entries have size 0."""

    size: int
    created_by: str
    created: int = 0
    id: str = "<missing>"

    @property
    def instruction(self) -> str:
        """``created_by`` as a Dockerfile instruction, e.g. ``RUN touch /x`` or ``CMD ["bash"]``."""
        text = self.created_by.strip()
        if text.endswith(_BUILDKIT_SUFFIX):
            text = text[: -len(_BUILDKIT_SUFFIX)]
            if text.startswith("RUN "):
                shell = _SHELL.match(text[4:])
                if shell:
                    return "RUN " + text[4 + shell.end() :]
            return text
        nop = _NOP.match(text)
        if nop:
            return text[nop.end() :].strip()
        shell = _SHELL.match(text)
        if shell:
            return "RUN " + text[shell.end() :]
        return text


@dataclass(frozen=True)
class ImageInfo:
    """An image as ``docker image inspect`` and ``docker history`` see it."""

    id: str
    size: int
    layers: int
    layer_sizes: list[LayerInfo]
    tags: list[str]

    @property
    def short_id(self) -> str:
        return self.id.removeprefix("sha256:")[:12]


def image_history(client: docker.DockerClient, ref: str) -> list[LayerInfo]:
    """Per-layer sizes with the instruction that made each, oldest first."""
    entries: list[dict[str, Any]] = client.api.history(ref)
    return [
        LayerInfo(
            size=int(entry.get("Size") or 0),
            created_by=str(entry.get("CreatedBy") or ""),
            created=int(entry.get("Created") or 0),
            id=str(entry.get("Id") or "<missing>"),
        )
        for entry in reversed(entries)
    ]


def inspect_image(client: docker.DockerClient, ref: str) -> ImageInfo:
    """Size (bytes, as ``docker image inspect -f {{.Size}}``), layer count and history."""
    data: dict[str, Any] = client.api.inspect_image(ref)
    return ImageInfo(
        id=str(data["Id"]),
        size=int(data.get("Size") or 0),
        layers=len((data.get("RootFS") or {}).get("Layers") or []),
        layer_sizes=image_history(client, ref),
        tags=list(data.get("RepoTags") or []),
    )


def image_exists(client: docker.DockerClient, ref: str) -> bool:
    import docker.errors

    try:
        client.api.inspect_image(ref)
    except docker.errors.ImageNotFound:
        return False
    return True


def remove_image(client: docker.DockerClient, ref: str, *, force: bool = True) -> bool:
    """Remove an image (and its untagged parents). False when it was already gone."""
    import docker.errors

    try:
        client.api.remove_image(ref, force=force, noprune=False)
    except docker.errors.ImageNotFound:
        return False
    except docker.errors.APIError as err:
        if err.status_code == 404:
            return False
        raise
    return True
