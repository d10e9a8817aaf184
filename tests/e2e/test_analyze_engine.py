"""``squasher analyze`` on images built on the real engine, cross-checked with dive itself, and the
reclaimable bytes of a naive apt image against what ``du`` measures inside a container of it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import required_tools
from click.testing import CliRunner
from conftest import BUSYBOX, DEBIAN

from squasher.cli import cli
from squasher.engine import Scratch
from squasher.inspect.analysis import Analysis, analyze, evaluate_ci
from squasher.inspect.layers import final_filesystem
from squasher.inspect.streaming import read_image

pytestmark = pytest.mark.engine


Build = Callable[..., str]


@pytest.fixture(scope="module")
def scratch_module(docker_client: Any) -> Iterator[Scratch]:
    with Scratch(docker_client) as scratch:
        yield scratch


@pytest.fixture(scope="module")
def build(scratch_module: Scratch, tmp_path_factory: pytest.TempPathFactory) -> Build:
    """Build a Dockerfile text; every image is removed at module end.

    Builds use the host network: these images need no bridge (and apt reaches its mirror)."""

    def build(dockerfile: str, builder: str = "classic") -> str:
        context = tmp_path_factory.mktemp("analyze")
        (context / "Dockerfile").write_text(dockerfile)
        if builder == "buildkit":
            iidfile = context.parent / (context.name + ".iid")
            proc = subprocess.run(
                ["/usr/bin/docker", "build", "--network", "host", "-q", "--iidfile", str(iidfile),
                 str(context)],
                env={**os.environ, "DOCKER_BUILDKIT": "1"},
                capture_output=True,
                text=True,
                timeout=900,
            )  # fmt: skip
            assert proc.returncode == 0, proc.stderr
            return scratch_module.track_image(iidfile.read_text().strip())
        image, _logs = scratch_module.client.images.build(
            path=str(context), network_mode="host", rm=True, forcerm=True
        )
        return scratch_module.track_image(str(image.id))

    return build


def run(scratch: Scratch, image: str, script: str) -> tuple[int, str]:
    """Run ``sh -c script`` in a container without network; (exit status, output)."""
    container = scratch.client.containers.create(image, ["sh", "-c", script], network_disabled=True)
    scratch.track_container(container.id)
    container.start()
    status = container.wait(timeout=300)
    output: bytes = container.logs(stdout=True, stderr=True)
    return int(status.get("StatusCode", -1)), output.decode("utf-8", errors="replace")


# files overwritten, deleted, directories removed (and made opaque), hard links within and across
# layers, a file replaced by a directory
WASTEFUL = f"""FROM {DEBIAN}
RUN mkdir -p /data/sub /data/keep /opt/app/lib \\
 && head -c 300000 /dev/urandom > /data/a && ln /data/a /data/a.link \\
 && head -c 200000 /dev/urandom > /data/sub/b && head -c 50000 /dev/urandom > /data/c \\
 && head -c 70000 /dev/urandom > /opt/app/lib/x.so && head -c 9000 /dev/urandom > /data/keep/k \\
 && head -c 4000 /dev/urandom > /data/will-be-dir
RUN head -c 400000 /dev/urandom > /data/a && rm -rf /data/sub && rm /data/c \\
 && rm -rf /usr/share/doc /opt/app && mkdir -p /opt/app && head -c 1234 /dev/urandom > /opt/app/new \\
 && rm /data/will-be-dir && mkdir /data/will-be-dir && echo x > /data/will-be-dir/inner
RUN ln /data/a /data/a2 && head -c 1000 /dev/urandom > /data/sub2 \\
 && rm -rf /var/lib/apt/lists /usr/share/locale && chmod 600 /data/keep/k
"""

# the same kind of waste, built by BuildKit (different tar writer, "# buildkit" history)
WASTEFUL_BUILDKIT = f"""FROM {BUSYBOX}
RUN mkdir -p /w && head -c 100000 /dev/urandom > /w/big && cp /w/big /w/copy
RUN head -c 120000 /dev/urandom > /w/big && rm /w/copy && rm -rf /etc/network
COPY Dockerfile /w/Dockerfile
"""

# a single-RUN image: nothing wasted, efficiency 1
CLEAN = f"""FROM {BUSYBOX}
RUN mkdir /x && head -c 5000 /dev/urandom > /x/y
"""


def dive_json(image: str, tmp_path: Path) -> dict[str, Any]:
    dive = required_tools.require("dive")
    out = tmp_path / "dive.json"
    subprocess.run(
        [dive, "--source", "docker", image, "--json", str(out)],
        check=True,
        capture_output=True,
        timeout=600,
        env={**os.environ, "CI": "false"},
    )
    data: dict[str, Any] = json.loads(out.read_text())
    return data


def dive_ci(image: str) -> tuple[int, str]:
    dive = required_tools.require("dive")
    proc = subprocess.run(
        [dive, "--ci", "--source", "docker", image],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "CI": "true"},
        cwd="/",  # no .dive-ci in reach: dive's defaults
    )
    return proc.returncode, re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout)


def within(ours: float, theirs: float, tolerance: float = 0.005) -> bool:
    if theirs == 0:
        return ours == 0
    return abs(ours - theirs) / abs(theirs) <= tolerance


@pytest.mark.parametrize(
    ("dockerfile", "builder"),
    [(WASTEFUL, "classic"), (WASTEFUL_BUILDKIT, "buildkit"), (CLEAN, "classic")],
    ids=["classic-wasteful", "buildkit-wasteful", "clean"],
)
def test_figures_equal_dives(build: Build, dockerfile: str, builder: str, tmp_path: Path) -> None:
    image = build(dockerfile, builder)
    ours = analyze(image)
    theirs = dive_json(image, tmp_path)["image"]
    assert within(ours.efficiency, theirs["efficiencyScore"]), (ours.efficiency, theirs)
    assert within(ours.wasted_bytes, theirs["inefficientBytes"]), (ours.wasted_bytes, theirs)
    assert ours.size == theirs["sizeBytes"]
    assert sorted((w.path, w.count, w.cumulative_size) for w in ours.wasted) == sorted(
        (r["file"], r["count"], r["sizeBytes"]) for r in theirs["fileReference"]
    )
    # and dive's CI verdict and user wasted percent, with dive's default rules
    code, text = dive_ci(image)
    match = re.search(r"userWastedPercent: ([0-9.]+|NaN|\+Inf) %", text)
    assert match is not None, text
    if match.group(1) not in ("NaN", "+Inf"):
        assert within(ours.user_wasted_ratio * 100, float(match.group(1)), 0.005) or (
            abs(ours.user_wasted_ratio * 100 - float(match.group(1))) < 1e-4
        )
    evaluate_ci(ours)
    assert ours.ci_passed == (code == 0), text
    if dockerfile is CLEAN:
        assert ours.efficiency == 1.0 and ours.wasted_bytes == 0


def test_wasteful_image_shapes(build: Build) -> None:
    """The per-layer counts and the merged filesystem of the wasteful image, as built."""
    image = build(WASTEFUL)
    a = analyze(image)
    assert len(a.layers) == 4
    wasted = {w.path: w for w in a.wasted}
    assert wasted["/data/a"].count == 3  # written, rewritten, copied up by the hard link
    assert wasted["/data/a"].cumulative_size == 300000 + 400000 + 400000
    assert wasted["/data/c"].cumulative_size == 50000
    assert a.layers[2].removed >= 3 and a.layers[2].changed >= 1
    img = read_image(image)
    fs = final_filesystem(img)
    assert "/data/sub" not in fs and "/data/c" not in fs and "/usr/share/doc" not in fs
    assert fs.entries["/data/will-be-dir"].kind == "dir"
    assert "/opt/app/lib/x.so" not in fs and fs.entries["/opt/app/new"].size == 1234
    assert ("/data/a", "/data/a2") in fs.hardlink_groups
    # the first name of the first layer still holds the 300000 original bytes
    assert fs.entries["/data/a.link"].size == 300000
    assert fs.entries["/data/keep/k"].mode == 0o600
    # rm -rf + mkdir in one RUN: overlay makes the directory opaque, the layer tar says so
    assert sorted(img.layers[2].opaque_dirs) == ["/data/will-be-dir", "/opt/app"]
    assert sorted(img.layers[2].whiteouts) == ["/data/c", "/data/sub", "/usr/share/doc"]


def test_cli_ci_on_engine_image(build: Build) -> None:
    image = build(CLEAN)
    result = CliRunner().invoke(cli, ["analyze", image, "--ci", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["ci"]["passed"] is True
    assert data["efficiency"] == 1.0
    strict = CliRunner().invoke(cli, ["analyze", image, "--ci", "--highest-wasted-bytes", "0"])
    assert strict.exit_code == 0  # nothing wasted, so even 0 bytes passes
    missing = CliRunner().invoke(cli, ["analyze", "squasher-no-such-image:nope"])
    assert missing.exit_code == 2
    assert "no such image" in missing.output


# ---------------------------------------------------------------------------------------------
# reclaimable bytes against du in a container

NAIVE_APT = f"""FROM {DEBIAN}
RUN apt-get update && apt-get install -y --no-install-recommends file make \\
 && head -c 12345 /dev/urandom > /tmp/leftover && mkdir -p /root/.cache/pip/http \\
 && head -c 777 /dev/urandom > /root/.cache/pip/http/entry
"""

# du counts each hard-linked inode once, as squasher does; directories are left out of both
DU_FILES = "find {paths} -type f -print0 2>/dev/null | du -cb --files0-from=- | tail -n1 | cut -f1"


def du(scratch: Scratch, image: str, paths: str) -> int:
    code, out = run(scratch, image, DU_FILES.format(paths=paths))
    assert code == 0, out
    return int(out.strip().splitlines()[-1])


def test_reclaimable_matches_du_in_a_container(build: Build, scratch_module: Scratch) -> None:
    image = build(NAIVE_APT)
    a: Analysis = analyze(image)
    rec = a.reclaimable
    assert rec.bytes_of("apt-lists") > 1_000_000  # the lists are there: a naive image
    assert rec.bytes_of("apt-lists") == du(scratch_module, image, "/var/lib/apt/lists")
    assert rec.bytes_of("apt-cache") == du(scratch_module, image, "/var/cache/apt")
    assert rec.bytes_of("tmp") == du(scratch_module, image, "/tmp /var/tmp") == 12345
    assert rec.bytes_of("pip-cache") == du(scratch_module, image, "/root/.cache/pip") == 777
    # make is on the build-tool list: its dpkg-listed files, measured the same way
    code, out = run(
        scratch_module,
        image,
        'dpkg -L make | while read -r p; do [ -f "$p" ] && [ ! -L "$p" ] '
        "&& printf '%s\\0' \"$p\"; done | du -cb --files0-from=- | tail -n1 | cut -f1",
    )
    assert code == 0, out
    build_pkgs = next(c for c in rec.categories if c.name == "build-packages")
    assert "make" in build_pkgs.packages
    assert build_pkgs.bytes == int(out.strip().splitlines()[-1])
    assert rec.total == sum(c.bytes for c in rec.categories)


# ---------------------------------------------------------------------------------------------
# bounded memory

BIG = f"""FROM {BUSYBOX}
RUN head -c 500000000 /dev/zero > /big && head -c 100000000 /dev/urandom > /rnd
RUN rm /big
"""


@pytest.mark.slow
def test_memory_stays_bounded_on_a_large_image(build: Build) -> None:
    """600 MB of layers are analyzed in well under 200 MB of memory (content is never held)."""
    import sys

    image = build(BIG)
    script = (
        "import resource, sys\n"
        "from squasher.cli import cli\n"
        "try:\n"
        "    cli(['analyze', sys.argv[1], '--json'], prog_name='squasher')\n"
        "finally:\n"
        "    print('maxrss', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, image], capture_output=True, text=True, timeout=1200
    )
    assert proc.returncode == 0, proc.stderr
    peak_kb = int(proc.stderr.split("maxrss")[-1].split()[0])
    assert peak_kb < 200 * 1024, f"peak RSS {peak_kb} kB"
    data = json.loads(proc.stdout)
    assert data["size"] >= 600_000_000
    assert data["wasted_bytes"] == 500_000_000


# ---------------------------------------------------------------------------------------------
# what dive cannot see: docker-squash makes dive happy, the reclaimable bytes stay

SPLIT_CLEANUP = f"""FROM {DEBIAN}
RUN apt-get update && apt-get install -y --no-install-recommends make
RUN head -c 3000000 /dev/urandom > /tmp/build-output && cp /tmp/build-output /usr/local/bin/app
RUN rm -rf /var/lib/apt/lists/*
"""


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("docker-squash") is None, reason="docker-squash is not installed")
def test_docker_squash_output_still_carries_reclaimable_bytes(
    build: Build, scratch_module: Scratch
) -> None:
    image = build(SPLIT_CLEANUP)
    tag = "squasher-test-analyze-squashed:latest"
    proc = subprocess.run(
        ["docker-squash", "-f", "3", "-t", tag, image],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    scratch_module.track_image(tag)
    original = analyze(image)
    squashed = analyze(tag)
    # dive's view: the squash removed the waste of the separate cleanup layer
    assert original.wasted_bytes > 1_000_000
    assert squashed.wasted_bytes < original.wasted_bytes / 10
    assert squashed.efficiency > original.efficiency
    # squasher's view: the same final filesystem, so the same bytes still to reclaim
    assert squashed.reclaimable.total == original.reclaimable.total
    assert squashed.reclaimable.bytes_of("tmp") == 3_000_000
    assert squashed.reclaimable.bytes_of("build-packages") > 0
    assert squashed.reclaimable.bytes_of("apt-lists") == 0
    assert squashed.final_size == original.final_size


# ---------------------------------------------------------------------------------------------
# the merged view against the engine's own: docker export of a container of the image

# made by the engine for a container, not part of the image
_RUNTIME_PATHS = {"/.dockerenv", "/etc/hostname", "/etc/hosts", "/etc/resolv.conf", "/etc/mtab"}
_RUNTIME_DIRS = ("/dev", "/proc", "/sys")


def exported_filesystem(scratch: Scratch, image: str) -> dict[str, tuple[Any, ...]]:
    from squasher.inspect.layers import normalize_path
    from squasher.inspect.tarstream import Source, members

    container = scratch.client.containers.create(image, ["true"], network_disabled=True)
    scratch.track_container(container.id)

    class Chunks:
        def __init__(self) -> None:
            self.it = iter(container.export())
            self.buf = b""

        def read(self, n: int = -1, /) -> bytes:
            while not self.buf:
                try:
                    self.buf = next(self.it)
                except StopIteration:
                    return b""
            out, self.buf = self.buf[:n], self.buf[n:]
            return out

    import hashlib

    found: dict[str, tuple[Any, ...]] = {}
    for member, body in members(Source(Chunks())):
        path = normalize_path(member.name)
        if path == "/" or path in _RUNTIME_PATHS or path.startswith(_RUNTIME_DIRS):
            continue
        digest = hashlib.sha256(body.read()).hexdigest() if member.type == b"0" else None
        found[path] = (member.type, member.mode & 0o7777, member.uid, member.gid, digest,
                       member.linkname if member.type in (b"1", b"2") else None)  # fmt: skip
    return found


@pytest.mark.parametrize(
    ("dockerfile", "builder"),
    [(WASTEFUL, "classic"), (WASTEFUL_BUILDKIT, "buildkit")],
    ids=["classic", "buildkit"],
)
def test_final_filesystem_equals_the_engines_export(
    build: Build, scratch_module: Scratch, dockerfile: str, builder: str
) -> None:
    image = build(dockerfile, builder)
    fs = final_filesystem(read_image(image))
    exported = exported_filesystem(scratch_module, image)
    ours: dict[str, tuple[Any, ...]] = {}
    for entry in fs:
        if entry.path in _RUNTIME_PATHS or entry.path.startswith(_RUNTIME_DIRS):
            continue
        kind = {"file": b"0", "dir": b"5", "symlink": b"2", "char": b"3", "block": b"4",
                "fifo": b"6"}[entry.kind]  # fmt: skip
        ours[entry.path] = (kind, entry.mode, entry.uid, entry.gid, entry.sha256, entry.linkname)
    # export writes the second name of a hard-linked inode as a link to the first: resolve it,
    # and check that the two names share an inode in our view too
    from squasher.inspect.layers import normalize_path

    links = 0
    for path, value in list(exported.items()):
        if value[0] == b"1":
            links += 1
            target = normalize_path(value[5])
            assert fs.group_of(path) is not None and target in (fs.group_of(path) or ())
            exported[path] = (b"0", *exported[target][1:5], None)
    assert links >= 1  # /data/a and /data/a2; busybox's applets
    assert set(ours) == set(exported), set(ours) ^ set(exported)
    different = {p: (ours[p], exported[p]) for p in ours if ours[p] != exported[p]}
    assert different == {}
