"""The README's examples run: every fenced block right after ``<!-- readme-test: run -->`` (or
``run engine``) is executed, top to bottom, in one fresh directory — sh blocks with ``sh -e``,
python blocks with this interpreter — as a reader following the README would. The README also
documents every command and every name of the library API."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import with_test_bases

from squasher import _API
from squasher.cli import COMMANDS

README = Path(__file__).resolve().parents[1] / "README.md"
MARK = re.compile(
    r"^<!-- readme-test: run( engine)? -->\n```(sh|python)\n(.*?)^```$", re.MULTILINE | re.DOTALL
)


@dataclass
class Block:
    line: int
    lang: str
    engine: bool
    code: str


def _blocks() -> list[Block]:
    text = README.read_text(encoding="utf-8")
    return [
        Block(text[: m.start()].count("\n") + 1, m.group(2), bool(m.group(1)), m.group(3))
        for m in MARK.finditer(text)
    ]


def _run(block: Block, cwd: Path) -> None:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("NO_COLOR", None)
    argv = (
        ["sh", "-e", "-c", block.code] if block.lang == "sh" else [sys.executable, "-c", block.code]
    )
    proc = subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    assert proc.returncode == 0, (
        f"README.md:{block.line}: the {block.lang} block failed ({proc.returncode}):\n"
        f"{block.code}\n--- stdout\n{proc.stdout[-2000:]}\n--- stderr\n{proc.stderr[-2000:]}"
    )


def test_readme_has_runnable_blocks_of_both_kinds() -> None:
    blocks = _blocks()
    assert {b.lang for b in blocks} == {"sh", "python"}
    assert any(b.engine for b in blocks) and any(not b.engine for b in blocks)


def test_readme_documents_every_command_and_api_name() -> None:
    text = README.read_text(encoding="utf-8")
    for name in COMMANDS:
        assert f"### squasher {name}\n" in text, name
    api = text.split("## Library API", 1)[1].split("\n## ", 1)[0]
    for name in _API:
        assert name in api, name
    for code in ("| 0 |", "| 1 |", "| 2 |", "| 130 |"):
        assert code in text.split("## Exit codes", 1)[1]


def test_readme_examples_without_an_engine(tmp_path: Path) -> None:
    for block in _blocks():
        if not block.engine:
            _run(block, tmp_path)
    assert (tmp_path / "Dockerfile.squashed").is_file()


@pytest.mark.engine
def test_readme_examples_with_the_engine(tmp_path: Path) -> None:
    for block in _blocks():  # the Dockerfiles they write build on the suite's base images
        _run(dataclasses.replace(block, code=with_test_bases(block.code)), tmp_path)
