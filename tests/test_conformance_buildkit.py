"""Conformance with the official parser, on moby/buildkit's own test data.

The data lives in ``<repo>/../shared/conformance/buildkit`` (see its README). When that directory
is absent the tests are skipped with a reason; when it is there, every case runs.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from squasher.cli import cli
from squasher.errors import DockerfileSyntaxError
from squasher.parse import parse_file
from squasher.parse.dump import dump_buildkit
from squasher.parse.words import WordSyntaxError, expand_word, expand_words

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "conformance" / "buildkit"

pytestmark = pytest.mark.skipif(
    not DATA.is_dir(), reason=f"conformance data not found at {DATA} (copy shared/ beside the repo)"
)


def _dirs(sub: str) -> list[str]:
    root = DATA / "parser" / sub
    return sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


POSITIVE = _dirs("testfiles")
NEGATIVE = _dirs("testfiles-negative")


def test_all_cases_present() -> None:
    assert len(POSITIVE) == 33
    assert len(NEGATIVE) == 4


@pytest.mark.parametrize("name", POSITIVE)
def test_dump_matches_result(name: str) -> None:
    case = DATA / "parser" / "testfiles" / name
    expected = (case / "result").read_text(encoding="utf-8")
    assert dump_buildkit(parse_file(case / "Dockerfile")) == expected


@pytest.mark.parametrize("name", POSITIVE)
def test_cli_buildkit_format_matches_result(name: str) -> None:
    case = DATA / "parser" / "testfiles" / name
    result = CliRunner().invoke(cli, ["parse", "--format", "buildkit", str(case / "Dockerfile")])
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == (case / "result").read_bytes()


def test_cli_as_a_process() -> None:
    case = DATA / "parser" / "testfiles" / "lk4d4-the-edge-case-generator"
    proc = subprocess.run(
        [sys.executable, "-m", "squasher", "parse", str(case / "Dockerfile")],
        capture_output=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == (case / "result").read_bytes()


NEGATIVE_MESSAGES = {
    "empty_dockerfile": ("1", "file with no instructions"),
    "env_no_value": ("3", "ENV must have two arguments"),
    "only_comments": ("3", "file with no instructions"),
    "shykes-nested-json": (
        "1",
        "when using JSON array syntax, arrays must be comprised of strings only",
    ),
}


@pytest.mark.parametrize("name", NEGATIVE)
def test_negative_cases_are_refused(name: str) -> None:
    path = DATA / "parser" / "testfiles-negative" / name / "Dockerfile"
    line, message = NEGATIVE_MESSAGES[name]
    with pytest.raises(DockerfileSyntaxError) as info:
        parse_file(path)
    assert str(info.value) == f"{path}:{line}: {message}"


@pytest.mark.parametrize("name", NEGATIVE)
def test_negative_cases_cli_exit_2(name: str) -> None:
    path = DATA / "parser" / "testfiles-negative" / name / "Dockerfile"
    proc = subprocess.run(
        [sys.executable, "-m", "squasher", "parse", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    line, message = NEGATIVE_MESSAGES[name]
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr == f"{path}:{line}: {message}\n"
    assert "Traceback" not in proc.stderr


def test_line_spans() -> None:
    df = parse_file(DATA / "parser" / "testfile-line" / "Dockerfile")
    assert [(i.start_line, i.end_line) for i in df.instructions] == [(5, 5), (11, 12), (17, 31)]


def _env_var_cases() -> list[tuple[int, str, str]]:
    cases = []
    text = (DATA / "shell" / "envVarTest").read_text(encoding="utf-8") if DATA.is_dir() else ""
    for number, line in enumerate(text.split("\n"), 1):
        if line.startswith("#") or not line.strip():
            continue
        platform, source, expected = (part.strip() for part in line.strip().split("|"))
        if platform in ("A", "U"):
            cases.append((number, source, expected))
    return cases


ENV_VAR_CASES = _env_var_cases()
ENV = {"PWD": "/home", "SHELL": "bash", "KOREAN": "한국어", "NULL": ""}


def test_env_var_cases_present() -> None:
    assert len(ENV_VAR_CASES) > 200


@pytest.mark.parametrize(("number", "source", "expected"), ENV_VAR_CASES)
def test_env_var_line(number: int, source: str, expected: str) -> None:
    if expected == "error":
        with pytest.raises(WordSyntaxError):
            expand_word(source, ENV)
    else:
        assert expand_word(source, ENV) == expected


def _words_cases() -> list[tuple[int, str, list[str], dict[str, str]]]:
    cases = []
    env: dict[str, str] = {}
    text = (DATA / "shell" / "wordsTest").read_text(encoding="utf-8") if DATA.is_dir() else ""
    for number, line in enumerate(text.split("\n"), 1):
        if line.startswith("#") or line == "":
            continue
        if line.startswith("ENV "):
            key, _, value = line[3:].lstrip(" ").partition("=")
            env[key] = value
            continue
        source, expected = line.split("|")
        cases.append((number, source.strip(), expected.lstrip(" ").split(","), dict(env)))
    return cases


WORDS_CASES = _words_cases()


def test_words_cases_present() -> None:
    assert len(WORDS_CASES) >= 24


@pytest.mark.parametrize(("number", "source", "expected", "env"), WORDS_CASES)
def test_words_line(number: int, source: str, expected: list[str], env: dict[str, str]) -> None:
    try:
        got = expand_words(source, env)
    except WordSyntaxError:
        got = ["error"]
    assert got == expected
