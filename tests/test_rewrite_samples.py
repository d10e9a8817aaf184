"""The real Dockerfiles of the samples: each rewrites, its scripts pass ``sh -n`` and shellcheck,
the squashed Dockerfile parses back, and rewriting is deterministic and idempotent.

Building the samples (apt installs, minutes each) is the benchmark's and diff-size's job; the
``slow`` engine test below builds the cheapest one both ways and compares them.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import required_tools

from squasher.parse import parse_text
from squasher.rewriting import rewrite

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
DOCKERFILES = sorted(p for p in SAMPLES.glob("*/Dockerfile"))


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=[p.parent.name for p in DOCKERFILES])
@pytest.mark.parametrize("builder,strategy", [("classic", "script"), ("buildkit", "mount")])
def test_sample_rewrites(dockerfile: Path, builder: str, strategy: str, tmp_path: Path) -> None:
    ctx = tmp_path / "ctx"
    shutil.copytree(
        dockerfile.parent, ctx, ignore=shutil.ignore_patterns(".squasher", "*.squashed*")
    )
    first = rewrite(ctx / "Dockerfile", builder=builder, strategy=strategy)
    second = rewrite(ctx / "Dockerfile", builder=builder, strategy=strategy)
    assert first.dockerfile == second.dockerfile and first.files == second.files
    assert first.report is not None and first.report.scripts
    back = parse_text(first.dockerfile, "Dockerfile.squashed")
    assert len(back.stages) == len(parse_text((ctx / "Dockerfile").read_text()).stages)
    exe = required_tools.shellcheck()
    for rel, data in first.files.items():
        if not rel.endswith(".sh"):
            continue
        script = tmp_path / "build.sh"
        script.write_bytes(data)
        proc = subprocess.run(["sh", "-n", str(script)], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        if exe is not None:
            proc = subprocess.run(
                [exe, "-s", "sh", "-S", "warning", str(script)],
                capture_output=True,
                text=True,
            )
            assert proc.returncode == 0, proc.stdout
    first.write()
    again = rewrite(ctx / "Dockerfile.squashed", builder=builder, strategy=strategy)
    assert again.report is not None and again.report.unchanged
    assert (ctx / "Dockerfile").read_text() == (dockerfile).read_text()


# every path with type/mode, owner and size (no times, no link counts; no checksums: the
# interleaved sample writes random bytes)
_PRUNE = "find / -xdev \\( -path /proc -o -path /sys -o -path /dev \\) -prune -o"
_RUNTIME = "grep -v -e '^/etc/hosts ' -e '^/etc/hostname ' -e '^/etc/resolv.conf '"
PROBE = (
    f"{_PRUNE} -type d -exec stat -c '%n %f %u:%g' {{}} + | sort;"
    f" {_PRUNE} ! -type d -exec stat -c '%n %f %u:%g %s' {{}} + | {_RUNTIME} | sort"
)
CHEAP = ["seed", "interleaved"]  # no package installs: quick to build twice on each builder


@pytest.mark.engine
@pytest.mark.slow
@pytest.mark.parametrize("builder", ["classic", "buildkit"])
@pytest.mark.parametrize("name", CHEAP)
def test_cheap_samples_equivalent(
    name: str, builder: str, tmp_path: Path, scratch: Any, docker_client: Any
) -> None:
    src = SAMPLES / name
    if not (src / "Dockerfile").exists():
        pytest.skip(f"no {name} sample")
    ctx = tmp_path / name
    shutil.copytree(src, ctx, ignore=shutil.ignore_patterns(".squasher", "*.squashed*"))
    orig = scratch.build(ctx, "Dockerfile", builder=builder).image_id
    rewrite(ctx / "Dockerfile", builder=builder).write()
    squashed = scratch.build(ctx, "Dockerfile.squashed", builder=builder).image_id
    a = scratch.run(orig, ["-c", PROBE], entrypoint="/bin/sh", user="0")
    b = scratch.run(squashed, ["-c", PROBE], entrypoint="/bin/sh", user="0")
    assert b == a
    ia, ib = docker_client.images.get(orig).attrs, docker_client.images.get(squashed).attrs
    for key in ("Env", "Cmd", "Entrypoint", "WorkingDir", "User", "Labels", "ExposedPorts"):
        assert ib["Config"].get(key) == ia["Config"].get(key), key
    assert ib["Author"] == ia["Author"]
