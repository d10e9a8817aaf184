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
    # the tools build.sh can switch users with (see squasher.render.runtime): "setpriv"
    # (util-linux), "nsenter" and "start-stop-daemon" (busybox's), "su"; None: not checked
    switch_tools: frozenset[str] | None = None
    onbuild: list[str] = field(default_factory=list)  # the image's ONBUILD triggers, in order


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
        onbuild=[str(t) for t in conf.get("OnBuild") or []],
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


_TOOL_DIRS = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")


def switch_tools(client: Any, ref: str) -> frozenset[str] | None:
    """Which of build.sh's user-switch tools the image has, read from a created (never started)
    container: util-linux ``setpriv`` (busybox's has no ``--reuid``), busybox's ``nsenter`` and
    ``start-stop-daemon`` (the flags build.sh uses are busybox's), any ``su``. A busybox applet is
    a link to busybox or a file of busybox's size. None when the engine cannot tell."""
    import docker.errors

    try:
        cid = client.api.create_container(ref, command=["/bin/sh"], network_disabled=True)["Id"]
    except docker.errors.DockerException:
        return None

    def stat(path: str) -> dict[str, Any] | None:
        try:
            stream, info = client.api.get_archive(cid, path)
        except docker.errors.NotFound:
            return None
        stream.close()
        return dict(info)

    try:
        busybox = [s for s in (stat(d + "/busybox") for d in _TOOL_DIRS) if s is not None]
        sizes = {int(s.get("size", -1)) for s in busybox}
        found: set[str] = set()
        for name in ("setpriv", "nsenter", "start-stop-daemon", "su"):
            for d in _TOOL_DIRS:
                info = stat(f"{d}/{name}")
                if info is None:
                    continue
                target = str(info.get("linkTarget") or "")
                is_busybox = target.endswith("busybox") or int(info.get("size", -2)) in sizes
                if name == "su" or is_busybox == (name != "setpriv"):
                    found.add(name)
                break
        return frozenset(found)
    except docker.errors.DockerException:
        return None
    finally:
        with contextlib.suppress(docker.errors.DockerException):
            client.api.remove_container(cid, force=True)


def can_switch(tools: frozenset[str] | None, user: str | None, builder: str) -> bool:
    """Whether build.sh can run a step as ``user`` (its literal USER value, None when it is known
    only at build time) with the builder's exact credentials, given the image's ``tools``
    (None: not known, assumed yes; the script stops loudly if not)."""
    if tools is None or "setpriv" in tools:
        return True
    # no supplementary groups (BuildKit): nsenter; the gid alone (classic): + start-stop-daemon
    no_entry = "nsenter" in tools and (builder == "buildkit" or "start-stop-daemon" in tools)
    if user is None:
        return no_entry and "su" in tools
    name, colon, _group = user.partition(":")
    if colon:
        return no_entry
    if name.isdigit():  # with or without a passwd entry: either may be needed
        return no_entry and "su" in tools
    return "su" in tools


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
                info.switch_tools = switch_tools(client, ref)
            cache[ref] = info
        return cache[ref]

    return lookup
