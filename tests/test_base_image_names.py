"""The suite builds only on its own base images (``conftest.BUSYBOX``, ``DEBIAN``, ``DEBIAN_FULL``):
no engine test names an official image in a string, and every sample's base is one that
``conftest.sample_copy`` maps to the suite's."""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import pytest
from conftest import BASE_IMAGES, REPO, SAMPLES, STANDS_FOR, with_test_bases

TESTS = REPO / "tests"
ENGINE_TESTS = sorted(
    p
    for p in TESTS.rglob("*.py")
    if p.name not in ("conftest.py", Path(__file__).name) and "mark.engine" in p.read_text()
)
# an official name as a whole string, after FROM, or in --from=
_OFFICIAL = re.compile(
    r"""(?x)
    ^['"]{1,3}(busybox:latest|debian:bookworm(-slim)?)['"]{1,3}$
    | (^|\\n|\n|\s|['"])(?i:FROM)\s+(--\S+\s+)*(busybox(:latest)?|debian:bookworm(-slim)?)(?![\w/.:-])
    | --from=(busybox(:latest)?|debian:bookworm(-slim)?)(?![\w/.:-])
    """
)


def official_names_in(source: str) -> list[tuple[int, str]]:
    """(line, literal) of each string literal in ``source`` that names an official base image."""
    found = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.STRING:
            literal = re.sub(r"^[rRbBuUfF]*", "", token.string)
            if _OFFICIAL.search(literal):
                found.append((token.start[0], token.string.splitlines()[0]))
    return found


def test_the_guard_sees_official_names() -> None:
    assert official_names_in('x = "FROM busybox\\nRUN true"\n')
    assert official_names_in('x = """\nFROM debian:bookworm-slim AS b\n"""\n')
    assert official_names_in('run("debian:bookworm-slim")\n')
    assert not official_names_in('env = {"SQUASHER_BASE_IMAGES": "busybox"}\n')
    assert official_names_in('x = "COPY --from=busybox:latest /bin/sh /sh"\n')
    assert not official_names_in('x = f"FROM {BUSYBOX}\\nRUN busybox --list"\n')
    assert not official_names_in('x = "apt-get install busybox-static"\n')


@pytest.mark.parametrize("path", ENGINE_TESTS, ids=lambda p: str(p.relative_to(TESTS)))
def test_engine_tests_build_on_the_suites_base_images(path: Path) -> None:
    found = official_names_in(path.read_text(encoding="utf-8"))
    assert not found, (
        f"{path.relative_to(REPO)} names official base images (write FROM {{BUSYBOX}} / "
        f"{{DEBIAN}} from conftest instead): {found}"
    )


def test_every_sample_base_is_mapped_to_the_suites() -> None:
    stages = re.compile(r"(?im)^\s*FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?")
    for dockerfile in sorted(SAMPLES.rglob("Dockerfile")):
        text = dockerfile.read_text(encoding="utf-8")
        names: set[str] = set()
        for base, alias in stages.findall(text):
            assert base.lower() in STANDS_FOR or base in names or base == "scratch", (
                f"{dockerfile.relative_to(REPO)}: FROM {base} has no stand-in in conftest.STANDS_FOR"
            )
            if alias:
                names.add(alias)
        mapped = [base for base, _alias in stages.findall(with_test_bases(text))]
        assert all(b in BASE_IMAGES or b in names or b == "scratch" for b in mapped), mapped
