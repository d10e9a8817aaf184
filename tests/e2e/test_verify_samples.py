"""Every sample verifies clean after its rewrite: build the original and ``squasher rewrite``'s output
on the real engine, then ``squasher verify`` them, the sample's probe as a smoke command.

The samples that install packages take minutes each; the quick ones always run, the others when
``SQUASHER_VERIFY_ALL_SAMPLES=1`` (the benchmark and diff-size tests build them too). Builds use the
host network: package downloads need the host's resolver.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import sample_copy

from squasher.inspect.classify import UNEXPECTED
from squasher.inspect.verify import VerifyResult, verify
from squasher.rewriting import rewrite

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "samples"
QUICK = ("seed", "interleaved")
ALL = sorted(p.name for p in SAMPLES.iterdir() if (p / "Dockerfile").is_file())

pytestmark = [pytest.mark.engine, pytest.mark.slow]


def _build(client: Any, context: Path, dockerfile: str, nocache: bool = False) -> tuple[str, str]:
    """(image id, build output) of a classic build."""
    log: list[str] = []
    image_id = ""
    for chunk in client.api.build(
        path=str(context),
        dockerfile=dockerfile,
        rm=True,
        forcerm=True,
        nocache=nocache,
        network_mode="host",
        decode=True,
    ):
        if "stream" in chunk:
            log.append(chunk["stream"])
        if "aux" in chunk and "ID" in chunk["aux"]:
            image_id = chunk["aux"]["ID"]
        if "error" in chunk:
            pytest.fail(
                f"{context.name}/{dockerfile}: build failed: {chunk['error']}\n{''.join(log)[-3000:]}"
            )
    assert image_id, "".join(log)[-3000:]
    return image_id, "".join(log)


@pytest.fixture
def images(docker_client: Any) -> Iterator[list[str]]:
    made: list[str] = []
    yield made
    for image in reversed(made):
        with contextlib.suppress(Exception):
            docker_client.api.remove_image(image, force=True)


def _unexpected(result: VerifyResult) -> list[str]:
    return [
        f"{d.change} {d.path} {'; '.join(d.details)} {d.reason}".strip()
        for d in result.differences
        if d.category == UNEXPECTED
    ]


@pytest.mark.parametrize("sample", ALL)
def test_sample_verifies_clean_after_rewrite(
    sample: str, docker_client: Any, images: list[str], tmp_path: Path
) -> None:
    if sample not in QUICK and os.environ.get("SQUASHER_VERIFY_ALL_SAMPLES") != "1":
        pytest.skip("a long build: set SQUASHER_VERIFY_ALL_SAMPLES=1")
    context = tmp_path / sample
    sample_copy(sample, context)  # on the suite's base images
    rewrite(context / "Dockerfile", builder="classic").write()
    original, _ = _build(docker_client, context, "Dockerfile")
    images.append(original)
    squashed, log = _build(docker_client, context, "Dockerfile.squashed")
    images.append(squashed)
    probe = (context / "probe").read_text().strip() if (context / "probe").is_file() else ""
    smoke = [f"sh -c {_quote(probe)}"] if probe else []
    result = verify(original, squashed, smoke=smoke, build_log=log, client=docker_client)
    if not result.equivalent:
        # locally compiled code may differ from build to build: what a second build of the
        # original disagrees on is not the rewrite's doing; anything else still fails
        rebuild, _ = _build(docker_client, context, "Dockerfile", nocache=True)
        images.append(rebuild)
        result = verify(
            original, squashed, smoke=smoke, build_log=log, rebuild=rebuild, client=docker_client
        )
    assert result.equivalent, "\n".join(_unexpected(result))
    assert all(s.same for s in result.smoke)


def _quote(text: str) -> str:
    import shlex

    return shlex.quote(text)
