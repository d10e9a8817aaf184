"""Building, measuring and probing one image on the engine, for the benchmark.

Every function here talks to the real engine; nothing is simulated. Builds are timed around the
builder call (the engine's own work plus streaming its output), docker-squash around its CLI.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import docker

TAG_REPO = "squasher-bench"  # every image the benchmark tags lives under this name


@dataclass
class Probe:
    """The sample's probe run in an image: exit status and combined output."""

    status: int | None
    output: str
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == 0


@dataclass
class VariantResult:
    """One variant of one sample, as results.json holds it."""

    key: str
    label: str
    builder: str | None = None  # the builder that actually built it
    strategy: str | None = None
    size: int | None = None  # bytes, the engine's `docker image inspect` Size
    layers: int | None = None  # filesystem layers (RootFS.Layers)
    build_seconds: float | None = None  # cold: no cache
    warm_seconds: float | None = None  # rebuild after one source file changed
    warm_note: str | None = None  # why there is no warm time
    rewrite_seconds: float | None = None  # squasher rewrite (squashed variants)
    squash_seconds: float | None = None  # docker-squash itself (docker_squash)
    squash_from: str | None = None  # docker-squash's -f argument (docker_squash_base)
    push_bytes: int | None = None  # blobs the registry received on the first push
    deploy_delta_bytes: int | None = None  # blobs it received on the push after the change
    deploy_note: str | None = None  # why there is no deploy delta
    efficiency: float | None = None  # dive's efficiency score (squasher analyze)
    wasted_bytes: int | None = None
    reclaimable_bytes: int | None = None  # bytes dive cannot see (caches, build-only packages)
    reclaimable: dict[str, int] = field(default_factory=dict)  # by category
    probe_status: int | None = None
    probe_output: str | None = None
    broken: bool | None = None  # the probe failed or printed something else than expected
    broken_reason: str | None = None
    expected_broken: bool = False  # the sample documents this variant as broken
    error: str | None = None  # why it could not be built or measured
    image: str | None = field(default=None, repr=False)  # the cold image id (not serialised)

    def to_json(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k != "image"}
        return data


@dataclass(frozen=True)
class Built:
    image: str
    seconds: float
    builder: str


def tag_for(sample: str, variant: str, phase: str) -> str:
    """The tag of one build: the run's process id first, so that a run started beside this one
    on the same engine can tell this run's images (alive) from an interrupted run's."""
    safe = re.sub(r"[^a-z0-9_.-]", "-", f"{sample}-{variant}-{phase}".lower())
    return f"{TAG_REPO}:{os.getpid()}-{safe}"


def _run_alive(tag: str) -> bool:
    pid, sep, _ = tag.partition(":")[2].partition("-")
    if not sep or not pid.isdigit():
        return False  # an older run's tag, without its process id
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# engine failures that say nothing about the Dockerfile: the host's bridge vanished for a moment
# (another engine started and stopped on this machine removes docker0), so build again
TRANSIENT = ("failed to create endpoint", "could not find bridge docker0")
RETRIES = 3
RETRY_PAUSE = 30.0


def transient(message: str) -> bool:
    return any(marker in message for marker in TRANSIENT)


def build_image(
    client: docker.DockerClient,
    context: Path,
    dockerfile: Path | str,
    *,
    builder: str,
    tag: str,
    nocache: bool,
    log: Callable[[str], None] | None = None,
) -> Built:
    """Build and time one image; raises ``squasher.errors.BuildFailed`` with the engine's lines.

    A build that failed for a transient engine reason is retried (the time is the last try's)."""
    from squasher.engine import build
    from squasher.errors import BuildFailed

    for attempt in range(RETRIES + 1):
        started = time.monotonic()
        try:
            result = build(
                client,
                context,
                dockerfile,
                None,
                tag,
                None,
                builder=builder,  # type: ignore[arg-type]
                nocache=nocache,
            )
        except BuildFailed as err:
            if attempt == RETRIES or not transient(str(err)):
                raise
            if log is not None:
                log(f"engine hiccup ({err.message.strip().splitlines()[-1][:120]}); retrying")
            time.sleep(RETRY_PAUSE)
            continue
        seconds = time.monotonic() - started
        return Built(result.image_id, round(seconds, 2), result.builder)
    raise AssertionError("unreachable")


def measure_into(client: docker.DockerClient, image: str, out: VariantResult) -> None:
    """Size and layer count as the engine reports them."""
    from squasher.engine import inspect_image

    info = inspect_image(client, image)
    out.size = info.size
    out.layers = info.layers


def analyze_into(client: docker.DockerClient, image: str, out: VariantResult) -> None:
    """dive's efficiency and wasted bytes, and squasher's reclaimable bytes."""
    from squasher.inspect.analysis import analyze

    analysis = analyze(image, client=client)
    out.efficiency = round(analysis.efficiency, 6)
    out.wasted_bytes = analysis.wasted_bytes
    out.reclaimable_bytes = analysis.reclaimable.total
    out.reclaimable = {c.name: c.bytes for c in analysis.reclaimable.categories}


def run_probe(client: docker.DockerClient, image: str, command: str, timeout: int = 300) -> Probe:
    """Run ``sh -c COMMAND`` in a fresh container of ``image`` (as the image's user)."""
    import docker.errors

    for attempt in range(RETRIES + 1):
        container = None
        try:
            container = client.containers.create(image, [command], entrypoint=["sh", "-c"])
            container.start()
            status: dict[str, Any] = container.wait(timeout=timeout)
            output: bytes = container.logs(stdout=True, stderr=True)
            return Probe(int(status.get("StatusCode", -1)), output.decode("utf-8", "replace"))
        except (docker.errors.APIError, OSError) as err:
            if attempt < RETRIES and transient(str(err)):
                time.sleep(RETRY_PAUSE)
                continue
            return Probe(None, "", f"could not run the probe: {err}")
        finally:
            if container is not None:
                with contextlib.suppress(docker.errors.APIError):
                    container.remove(force=True, v=True)
    raise AssertionError("unreachable")


def docker_squash_cli() -> list[str] | None:
    """How to run docker-squash: the CLI next to this Python first, then PATH."""
    beside = Path(sys.executable).with_name("docker-squash")
    if beside.is_file():
        return [str(beside)]
    found = shutil.which("docker-squash")
    return [found] if found else None


def run_docker_squash(
    image: str, tag: str, from_layer: str | None = None, timeout: int = 3600
) -> Built:
    """Squash ``image`` with docker-squash into ``tag`` (on DOCKER_HOST): every layer, or with
    ``from_layer`` (docker-squash's ``-f``) only the layers above that one."""
    from squasher.errors import BuildFailed

    cli = docker_squash_cli()
    if cli is None:
        raise BuildFailed("docker-squash is not installed (pip install docker-squash)")
    extra = ["-f", from_layer] if from_layer is not None else []
    started = time.monotonic()
    proc = subprocess.run(
        [*cli, *extra, "-t", tag, image],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=dict(os.environ),
    )
    seconds = time.monotonic() - started
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-5:])
        raise BuildFailed(f"docker-squash failed (exit {proc.returncode}): {tail}")
    return Built(tag, round(seconds, 2), "docker-squash")


def final_base(dockerfile: Path) -> str:
    """The image the Dockerfile's last stage starts from, following ``FROM <stage>``."""
    from squasher.errors import SquasherError
    from squasher.parse import parse_file

    stages = parse_file(dockerfile).stages
    if not stages:
        raise SquasherError(f"{dockerfile.name}: no FROM")
    by_name = {s.name: s for s in stages if s.name}
    stage = stages[-1]
    while stage.base.lower() in by_name and by_name[stage.base.lower()] is not stage:
        stage = by_name[stage.base.lower()]
    if "$" in stage.base:
        raise SquasherError(f"{dockerfile.name}: the last stage's base {stage.base} uses an ARG")
    return stage.base


def base_kept_from_layer(client: docker.DockerClient, image: str, base: str) -> str:
    """docker-squash's ``-f`` argument that squashes only what was added on top of ``base``:
    the id of the base's top history entry as ``image``'s history shows it, or, when the
    engine shows no id there (BuildKit builds), the number of entries above it."""
    from squasher.errors import BuildFailed

    ours = client.api.history(image)  # newest first
    theirs = client.api.history(base)
    added = len(ours) - len(theirs)
    tail = [h.get("CreatedBy") for h in ours[added:]]
    if added < 0 or tail != [h.get("CreatedBy") for h in theirs]:
        raise BuildFailed(f"the image's history does not end with its base {base}'s")
    if added < 2:
        raise BuildFailed(
            f"docker-squash has nothing to squash: {added} step(s) over the base {base}"
        )
    top = ours[added].get("Id") or "<missing>"
    return top if top != "<missing>" else str(added)


def remove_images(client: docker.DockerClient, refs: list[str]) -> None:
    """Remove images (tags and ids), newest first; missing ones are fine."""
    import docker.errors

    from squasher.engine import remove_image

    for ref in reversed(refs):
        with contextlib.suppress(docker.errors.APIError):
            remove_image(client, ref)


def bench_images(client: docker.DockerClient) -> list[str]:
    """Every image tag under the benchmark's name."""
    tags: list[str] = []
    for image in client.api.images(name=TAG_REPO):
        for tag in image.get("RepoTags") or []:
            if tag.startswith(f"{TAG_REPO}:"):
                tags.append(tag)
    return sorted(tags)


def leftover_bench_images(client: docker.DockerClient) -> list[str]:
    """Images tagged by an earlier, interrupted benchmark run (never a run still going)."""
    return [tag for tag in bench_images(client) if not _run_alive(tag)]


def own_bench_images(client: docker.DockerClient) -> list[str]:
    """Images this process's run tagged and has not removed."""
    return [t for t in bench_images(client) if t.startswith(f"{TAG_REPO}:{os.getpid()}-")]
