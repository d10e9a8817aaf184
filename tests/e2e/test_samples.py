"""The samples and their expert references: layout checks, and real builds of both.

Every ``samples/<name>/`` holds the naive ``Dockerfile``, a one-line ``README.md``, a one-line
``probe`` (a shell command whose output proves the image works) and ``reference/Dockerfile``, the
expert's hand-written version, built with ``reference/`` as its context. The engine tests build
original and reference on the classic builder, run the probe in each and compare: the cheap
samples always, the heavy ones (apt installs of compilers and toolchains, minutes each) under
``slow``. An original the sample documents as broken (``probe.original-fails`` holds the text
its failing probe prints) must fail that way, and its reference must work.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import sample_copy

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
EXPECTED = (
    "seed",
    "c-make",
    "c-libpq",
    "python-psycopg2",
    "node-gyp",
    "go",
    "onelove",
    "multistage",
    "interleaved",
    "busybox-user",
    "assets",
    "webapp",
    "node-build",
)
CHEAP = ("seed", "interleaved", "c-make", "busybox-user")
HEAVY = tuple(name for name in EXPECTED if name not in CHEAP)


@dataclass(frozen=True)
class Sample:
    name: str
    path: Path

    @property
    def probe(self) -> str:
        return (self.path / "probe").read_text().strip()

    @property
    def reference(self) -> Path:
        return self.path / "reference"

    @property
    def original_fails_with(self) -> str | None:
        marker = self.path / "probe.original-fails"
        return marker.read_text().strip() if marker.exists() else None


def sample(name: str) -> Sample:
    return Sample(name, SAMPLES / name)


# ---------------------------------------------------------------- layout (no engine)


def test_every_sample_is_present() -> None:
    found = sorted(p.name for p in SAMPLES.iterdir() if (p / "Dockerfile").is_file())
    assert found == sorted(EXPECTED)


@pytest.mark.parametrize("name", EXPECTED)
def test_sample_layout(name: str) -> None:
    s = sample(name)
    assert (s.path / "Dockerfile").is_file()
    assert (s.reference / "Dockerfile").is_file()
    readme = (s.path / "README.md").read_text()
    assert readme.strip() and readme.count("\n") == 1, "README.md is one short line"
    probe = (s.path / "probe").read_text()
    assert probe.strip() and probe.count("\n") == 1, "probe is one line"


@pytest.mark.parametrize("name", EXPECTED)
def test_reference_files_match_the_sample(name: str) -> None:
    """The reference context carries copies of the sample's files; they must not drift."""
    s = sample(name)
    for copy in sorted(s.reference.rglob("*")):
        if copy.is_dir() or copy.relative_to(s.reference) == Path("Dockerfile"):
            continue
        rel = copy.relative_to(s.reference)
        assert (s.path / rel).is_file(), f"{name}/reference/{rel} has no original"
        assert copy.read_bytes() == (s.path / rel).read_bytes(), f"{name}/reference/{rel} drifted"
        assert copy.stat().st_mode & 0o111 == (s.path / rel).stat().st_mode & 0o111, rel


@pytest.mark.parametrize("name", EXPECTED)
def test_references_use_the_expert_form(name: str) -> None:
    """Whatever installs packages in a reference installs, purges and cleans in the same RUN."""
    text = (sample(name).reference / "Dockerfile").read_text()
    runs = re.split(r"^(?=[A-Z]+\s)", text, flags=re.MULTILINE)
    for run in runs:
        if not run.startswith("RUN") or "apt-get install" not in run:
            continue
        assert "--no-install-recommends" in run
        assert "rm -rf /var/lib/apt/lists/*" in run
        if "apt-mark auto" in run:
            assert "apt-mark manual $savedAptMark" in run
            assert "dpkg-query --search" in run
            assert "APT::AutoRemove::RecommendsImportant=false" in run
            assert "APT::AutoRemove::SuggestsImportant=false" in run


def test_sizes_table_names_every_sample() -> None:
    table = (SAMPLES / "SIZES.md").read_text()
    for name in EXPECTED:
        assert f"| {name} " in table, name


# ---------------------------------------------------------------- real builds


@dataclass
class Built:
    image: str
    size: int
    status: int
    output: str


def build_and_probe(
    s: Sample,
    variant: str,
    build_image: Callable[..., str],
    run_in_image: Callable[..., tuple[int, str]],
    docker_client: Any,
) -> Built:
    context = s.path if variant == "original" else s.reference
    image = build_image(context, builder="classic")
    size = int(docker_client.images.get(image).attrs["Size"])
    status, output = run_in_image(image, [s.probe], entrypoint=["sh", "-c"])
    return Built(image, size, status, output)


def check_sample(
    name: str,
    build_image: Callable[..., str],
    run_in_image: Callable[..., tuple[int, str]],
    docker_client: Any,
) -> tuple[Built, Built]:
    with tempfile.TemporaryDirectory(prefix="squasher-sample-") as tmp:
        s = Sample(name, sample_copy(name, Path(tmp) / name))  # on the suite's base images
        original = build_and_probe(s, "original", build_image, run_in_image, docker_client)
        reference = build_and_probe(s, "reference", build_image, run_in_image, docker_client)
        fails_with = s.original_fails_with  # read while the copy still exists
    assert reference.status == 0, f"{name} reference probe failed:\n{reference.output}"
    assert reference.output.strip()
    if fails_with is None:
        assert original.status == 0, f"{name} original probe failed:\n{original.output}"
        assert original.output == reference.output
    else:
        assert original.status != 0, f"{name} original was expected to be broken"
        assert fails_with in original.output
    assert reference.size <= original.size
    return original, reference


@pytest.mark.engine
@pytest.mark.parametrize("name", CHEAP)
def test_cheap_sample_builds_and_probes(
    name: str,
    build_image: Callable[..., str],
    run_in_image: Callable[..., tuple[int, str]],
    docker_client: Any,
) -> None:
    original, reference = check_sample(name, build_image, run_in_image, docker_client)
    if name == "seed":
        assert reference.size == original.size
    else:
        assert reference.size < original.size / 2, (original.size, reference.size)
    if name == "c-make":
        assert_tools_gone(run_in_image, reference.image, "! dpkg -s build-essential 2>/dev/null")


def assert_tools_gone(run_in_image: Callable[..., tuple[int, str]], image: str, extra: str) -> None:
    """No compiler, no make, empty apt lists, and ``extra`` holds in ``image``."""
    check = (
        '! command -v gcc && ! command -v make && test -z "$(ls /var/lib/apt/lists)"'
        f" && {extra} && echo clean"
    )
    status, output = run_in_image(image, [check], entrypoint=["sh", "-c"])
    assert status == 0 and output.strip().endswith("clean"), output


@pytest.mark.engine
@pytest.mark.slow
@pytest.mark.parametrize("name", HEAVY)
def test_heavy_sample_builds_and_probes(
    name: str,
    build_image: Callable[..., str],
    run_in_image: Callable[..., tuple[int, str]],
    docker_client: Any,
) -> None:
    original, reference = check_sample(name, build_image, run_in_image, docker_client)
    assert reference.size < original.size, (original.size, reference.size)
    if name == "c-libpq":
        assert_tools_gone(
            run_in_image,
            reference.image,
            "dpkg -s libpq5 >/dev/null && ! dpkg -s libpq-dev 2>/dev/null",
        )
