"""``squasher parse`` output for a feature-rich sample against golden files, and CLI behaviour."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from squasher.cli import cli

REPO = Path(__file__).resolve().parents[1]
SAMPLE = "tests/golden/parse/sample.Dockerfile"


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


@pytest.mark.parametrize(
    ("fmt", "golden"), [("buildkit", "sample.buildkit"), ("json", "sample.json")]
)
def test_sample_matches_golden(fmt: str, golden: str) -> None:
    runner = CliRunner()
    first = runner.invoke(cli, ["parse", "--format", fmt, SAMPLE])
    second = runner.invoke(cli, ["parse", "--format", fmt, SAMPLE])
    assert first.exit_code == 0, first.output
    assert first.stdout_bytes == (REPO / "tests/golden/parse" / golden).read_bytes()
    assert first.stdout_bytes == second.stdout_bytes


def test_json_shape() -> None:
    result = CliRunner().invoke(cli, ["parse", "--format", "json", SAMPLE])
    data = json.loads(result.stdout)
    assert [s["name"] for s in data["stages"]] == ["build", None]
    copy = data["instructions"][5]
    assert (copy["keyword"], copy["start_line"], copy["end_line"]) == ("COPY", 15, 17)
    assert copy["heredocs"] == [
        {"name": "EOF", "fd": None, "expand": True, "chomp": False, "body": "name = ${VERSION}\n"}
    ]
    run = data["instructions"][6]
    assert run["heredocs"][0]["body"] == 'echo "no $expansion here"\n'
    assert run["heredocs"][0]["expand"] is False


def test_default_format_is_buildkit_and_stdin() -> None:
    result = CliRunner().invoke(cli, ["parse", "-"], input="FROM x\nRUN a\n")
    assert result.exit_code == 0
    assert result.stdout == '(from "x")\n(run "a")\n'


def test_syntax_error_exit_2_with_location(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM x\nRUN <<EOF\necho\n")
    result = CliRunner().invoke(cli, ["parse", str(bad)])
    assert result.exit_code == 2
    assert result.stderr == f"{bad}:2: unterminated heredoc\n"
    assert result.stdout == ""


def test_missing_file_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["parse", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "nope" in result.stderr
    assert "Traceback" not in result.output


def test_help_has_an_example() -> None:
    result = CliRunner().invoke(cli, ["parse", "--help"])
    assert result.exit_code == 0
    assert "squasher parse --format json Dockerfile" in result.stdout
