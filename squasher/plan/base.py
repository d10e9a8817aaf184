"""What the rewrite may know about a base image, read from an engine when one is at hand.

Without it the planner assumes what is true of nearly every base image (root user, a /bin/sh)
and leaves unknown what it cannot know (WORKDIR, ENV), which it then treats carefully: values are
computed by build.sh at build time, a COPY whose destination needs the base WORKDIR stays an
instruction. With it (``rewrite(..., base_info=engine_base_info(client))`` or
``squasher rewrite --inspect-base``) the planner also knows the base image's USER (the script then
runs behind ``USER root`` and the USER is restored after), WORKDIR and ENV, and refuses Windows
images by their config.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class BaseImage:
    ref: str
    os: str = "linux"
    user: str = ""
    workdir: str = ""
    env: dict[str, str] = field(default_factory=dict)
    has_sh: bool | None = None  # None: not checked


BaseInfo = Callable[[str], "BaseImage | None"]


def from_inspect(ref: str, attrs: dict[str, Any]) -> BaseImage:
    """A BaseImage from ``docker image inspect`` data."""
    conf = attrs.get("Config") or {}
    env: dict[str, str] = {}
    for item in conf.get("Env") or []:
        name, _, value = str(item).partition("=")
        env[name] = value
    return BaseImage(
        ref,
        os=str(attrs.get("Os") or "linux"),
        user=str(conf.get("User") or ""),
        workdir=str(conf.get("WorkingDir") or ""),
        env=env,
    )


def has_bin_sh(client: Any, ref: str) -> bool | None:
    """Whether ``/bin/sh`` exists in the image: a container is created (never started), asked for
    the path, and removed. None when the engine cannot tell."""
    import docker.errors

    try:
        cid = client.api.create_container(ref, command=["/bin/sh"], network_disabled=True)["Id"]
    except docker.errors.DockerException:
        return None
    try:
        client.api.get_archive(cid, "/bin/sh")[0].close()
        return True
    except docker.errors.NotFound:
        return False
    except docker.errors.DockerException:
        return None
    finally:
        with contextlib.suppress(docker.errors.DockerException):
            client.api.remove_container(cid, force=True)


def engine_base_info(client: Any, *, check_sh: bool = True) -> BaseInfo:
    """Look base images up on an engine (local images only: nothing is pulled)."""
    cache: dict[str, BaseImage | None] = {}

    def lookup(ref: str) -> BaseImage | None:
        if ref not in cache:
            try:
                info = from_inspect(ref, client.api.inspect_image(ref))
            except Exception:  # not present locally, engine gone: know nothing
                cache[ref] = None
                return None
            if check_sh and info.os.lower() != "windows":
                info.has_sh = has_bin_sh(client, ref)
            cache[ref] = info
        return cache[ref]

    return lookup
