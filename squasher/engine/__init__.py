"""The Docker engine as squasher uses it: connect, build (classic or BuildKit), inspect, clean up.

client = connect()                        # EngineUnavailable within 10 s when none answers
with Scratch(client) as scratch:          # removes what it made, even on Ctrl-C
    result = scratch.build("ctx", "Dockerfile", on_progress=print)
    info = inspect_image(client, result.image_id)   # size, layers, per-layer history
"""

from squasher.engine.buildkit import BuildkitCli, build_buildkit, find_buildkit_cli
from squasher.engine.choose import build, needs_buildkit
from squasher.engine.classic import build_classic
from squasher.engine.connect import connect, engine_host, engine_version, podman_version
from squasher.engine.images import (
    ImageInfo,
    LayerInfo,
    image_exists,
    image_history,
    inspect_image,
    remove_image,
)
from squasher.engine.progress import BuilderName, BuildProgress, BuildResult, ProgressCallback
from squasher.engine.request import BuilderChoice, BuildRequest, build_arguments
from squasher.engine.scratch import Scratch

__all__ = [
    "BuildProgress",
    "BuildRequest",
    "BuildResult",
    "BuilderChoice",
    "BuilderName",
    "BuildkitCli",
    "ImageInfo",
    "LayerInfo",
    "ProgressCallback",
    "Scratch",
    "build",
    "build_arguments",
    "build_buildkit",
    "build_classic",
    "connect",
    "engine_host",
    "engine_version",
    "find_buildkit_cli",
    "image_exists",
    "image_history",
    "inspect_image",
    "needs_buildkit",
    "podman_version",
    "remove_image",
]
