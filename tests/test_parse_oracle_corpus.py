"""Regression corpus answered by the official parser itself (see tests/golden/parse/README.md).

Each Dockerfile case holds the official parser's verdict: refused, or its AST dump, every
instruction's line span and its heredocs. Each word case holds the official lexer's
``ProcessWord`` and ``ProcessWords`` results (None: refused).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from squasher.errors import DockerfileSyntaxError
from squasher.parse import parse_text
from squasher.parse.dump import dump_buildkit
from squasher.parse.heredocs import chomp
from squasher.parse.words import WordSyntaxError, expand_word, expand_words

GOLDEN = Path(__file__).resolve().parent / "golden" / "parse"


def _load(name: str) -> list[dict[str, Any]]:
    with open(GOLDEN / name, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


DOCKERFILES = _load("oracle-dockerfiles.jsonl")
WORDS = _load("oracle-words.jsonl")


def test_corpus_sizes() -> None:
    assert len(DOCKERFILES) == 1000
    assert len(WORDS) == 600
    assert sum(1 for c in DOCKERFILES if not c["error"] and any(c["heredocs"])) > 50


@pytest.mark.parametrize("case", DOCKERFILES, ids=[str(i) for i in range(len(DOCKERFILES))])
def test_dockerfile_case(case: dict[str, Any]) -> None:
    if case["error"]:
        with pytest.raises(DockerfileSyntaxError):
            parse_text(case["text"])
        return
    df = parse_text(case["text"])
    assert dump_buildkit(df) == case["dump"]
    assert [[i.start_line, i.end_line] for i in df.instructions] == case["spans"]
    expected = [
        [[n, fd, ex, ch, chomp(body) if ch else body] for n, fd, ex, ch, body in docs]
        for docs in case["heredocs"]
    ]
    got = [
        [[h.name, h.fd or 0, h.expand, h.chomp, h.body] for h in i.heredocs]
        for i in df.instructions
    ]
    assert got == expected


@pytest.mark.parametrize("case", WORDS, ids=[str(i) for i in range(len(WORDS))])
def test_word_case(case: dict[str, Any]) -> None:
    word, escape, env = case["source"], case["escape"], case["env"]
    try:
        single: str | None = expand_word(word, env, escape)
    except WordSyntaxError:
        single = None
    try:
        split: list[str] | None = expand_words(word, env, escape)
    except WordSyntaxError:
        split = None
    assert single == case["expand_word"]
    assert split == case["expand_words"]
