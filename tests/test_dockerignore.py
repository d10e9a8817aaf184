"""Unit tests for squasher.context.dockerignore: .dockerignore reading and matching, Go path rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from squasher.context.dockerignore import (
    BadPattern,
    DockerIgnore,
    escape_path,
    go_clean,
    go_match,
    read_patterns,
)
from squasher.errors import SquasherError


@pytest.mark.parametrize(
    ("path", "want"),
    [
        ("", "."),
        (".", "."),
        ("a/b/../c", "a/c"),
        ("./a/./b/", "a/b"),
        ("//a//b", "/a/b"),
        ("/../a", "/a"),
        ("../a", "../a"),
        ("a/../..", ".."),
        ("/", "/"),
        ("a/b/c/../../..", "."),
    ],
)
def test_go_clean(path: str, want: str) -> None:
    assert go_clean(path) == want


@pytest.mark.parametrize(
    ("pattern", "name", "want"),
    [
        ("*", "abc", True),
        ("*", "a/b", False),
        ("*.txt", ".hidden.txt", True),
        ("a?c", "abc", True),
        ("a?c", "a/c", False),
        ("[a-c]x", "bx", True),
        ("[^a-c]x", "dx", True),
        ("[^a-c]x", "bx", False),
        ("[\\]]", "]", True),
        ("a\\*b", "a*b", True),
        ("a\\*b", "axb", False),
        ("f*/x.*", "f1/x.txt", True),
        ("d/s?b", "d/sub", True),
    ],
)
def test_go_match(pattern: str, name: str, want: bool) -> None:
    assert go_match(pattern, name) is want


@pytest.mark.parametrize("pattern", ["[", "[]", "a[", "[a-]", "\\", "[z-a]"])
def test_go_match_bad_pattern(pattern: str) -> None:
    with pytest.raises(BadPattern):
        go_match(pattern, "x")


def ignore(text: str) -> DockerIgnore:
    return DockerIgnore.from_text(text)


@pytest.mark.parametrize(
    ("text", "path", "want"),
    [
        ("docs", "docs", True),
        ("docs", "docs/a/b.md", True),  # a parent directory matches
        ("docs", "mydocs", False),
        ("*.md", "README.md", True),
        ("*.md", "docs/README.md", False),  # * stays inside one element
        ("**/*.md", "docs/x/README.md", True),
        ("**/*.md", "README.md", True),
        ("**", "anything/at/all", True),
        ("a/**/b", "a/b", True),
        ("a/**/b", "a/x/y/b", True),
        ("a/**/b", "a/x/y/c", False),
        ("a/**", "a/x", True),
        ("**/private", "d/private/p", True),
        ("/pkg*", "pkg.tar", True),
        ("./src/../build", "build/out", True),
        ("build/", "build/out", True),
        ("dir\\*", "dir*", True),
        ("dir\\*", "dirx", False),
        ("a.b", "axb", False),  # "." is literal
        ("f?o", "foo", True),
        ("[ab]x", "bx", True),
        ("# comment\nx", "# comment", False),
        ("  # not a comment", "# not a comment", True),
        ("docs\n!docs/keep.md", "docs/keep.md", False),
        ("docs\n!docs/keep.md", "docs/other.md", True),
        ("!docs/keep.md\ndocs", "docs/keep.md", True),  # last match wins
        ("*\n!src\nsrc/gen", "src/gen/x", True),
        ("*\n!src\nsrc/gen", "src/main.c", False),
        ("*\n!src\nsrc/gen", "other", True),
        ("*\n! src ", "src/x", False),  # spaces after "!" are trimmed
        ("\ufeffa", "a", True),  # BOM
        ("a\r\nb", "b", True),
    ],
)
def test_excluded(text: str, path: str, want: bool) -> None:
    assert ignore(text).excluded(path) is want


def test_context_root_never_excluded() -> None:
    assert ignore("*\n**").excluded(".") is False


def test_bad_patterns_are_errors_with_line() -> None:
    with pytest.raises(SquasherError, match=r"\.dockerignore:2: .*syntax error"):
        read_patterns("ok\n[\n")
    with pytest.raises(SquasherError, match=r'\.dockerignore:1: illegal exclusion pattern: "!"'):
        read_patterns("!\n")


def test_load_missing_file_excludes_nothing(tmp_path: Path) -> None:
    di = DockerIgnore.load(tmp_path)
    assert di.patterns == []
    assert not di.excluded("anything")


def test_walk_honours_exceptions(tmp_path: Path) -> None:
    for rel in [
        "a.txt",
        "x.log",
        "d/sub/keep.txt",
        "d/sub/drop.log",
        "d/one",
        "node_modules/m/i.js",
    ]:
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(rel)
    di = ignore("*.log\nd/sub\n!d/sub/keep.txt\nnode_modules\n")
    assert di.walk(tmp_path) == ["a.txt", "d", "d/one", "d/sub", "d/sub/keep.txt"]
    assert di.walk(tmp_path, "d/sub") == ["d/sub/keep.txt"]


def test_per_dockerfile_ignore_keeps_user_exclusions() -> None:
    di = ignore("*.log\nd/sub\n!d/sub/keep.txt\n# c\n")
    text = di.per_dockerfile_ignore(["d", "a.txt", "we[i]rd*name", "#x", "y.log"])
    regen = DockerIgnore.from_text(text)
    # needed paths are in, unless the user excluded them
    assert not regen.excluded("a.txt")
    assert not regen.excluded("d/one")
    assert regen.excluded("d/sub/drop.log")
    assert not regen.excluded("d/sub/keep.txt")
    assert regen.excluded("y.log")
    assert not regen.excluded("we[i]rd*name")
    assert regen.excluded("weirdXname")
    assert not regen.excluded("#x")
    # everything else is out, the generated scripts are in
    assert regen.excluded("other")
    assert not regen.excluded(".squasher/stage-0/build.sh")
    assert text == di.per_dockerfile_ignore(
        ["y.log", "#x", "we[i]rd*name", "a.txt", "d"]
    )  # deterministic


def test_per_dockerfile_ignore_whole_context() -> None:
    text = ignore("secret\n").per_dockerfile_ignore(["."])
    regen = DockerIgnore.from_text(text)
    assert not regen.excluded("anything")
    assert regen.excluded("secret")


_names = st.text(alphabet="ab*?[]\\!# .-x", min_size=1, max_size=8).filter(
    lambda s: s.strip() == s and "/" not in s and s not in (".", "..")
)


@given(_names)
def test_escape_path_matches_only_itself(name: str) -> None:
    pattern = escape_path(name)
    di = DockerIgnore.from_text(pattern + "\n")
    assert di.excluded(name)
    assert not di.excluded(name + "z")


def test_per_dockerfile_ignore_reemits_hash_patterns() -> None:
    text = ignore("  #secret\n").per_dockerfile_ignore(["."])
    regen = DockerIgnore.from_text(text)
    assert regen.excluded("#secret")
    assert not regen.excluded("other")


_segment = st.sampled_from(["a", "b", "c.log", "d.txt", "e f", "[x]"])
_relpath = st.lists(_segment, min_size=1, max_size=3).map("/".join)
_pattern = st.one_of(
    _relpath,
    st.sampled_from(["*.log", "**/*.txt", "a/*", "**/b", "*", "a/**", "?", "[ab]"]),
)
_line = st.tuples(st.booleans(), _pattern).map(lambda t: ("!" if t[0] else "") + t[1])


@given(
    files=st.lists(_relpath, min_size=1, max_size=12, unique=True),
    lines=st.lists(_line, max_size=6),
    needed=st.lists(_relpath, max_size=4),
)
def test_per_dockerfile_ignore_invariants(
    files: list[str], lines: list[str], needed: list[str]
) -> None:
    """Whatever the user's patterns: a needed path the user lets through is staged, and nothing
    the user excluded is staged."""
    user = DockerIgnore.from_text("\n".join(lines) + "\n")
    regen = DockerIgnore.from_text(user.per_dockerfile_ignore(needed))
    for f in files:
        under_needed = any(f == n or f.startswith(n + "/") for n in needed)
        if user.excluded(f):
            assert regen.excluded(f), f
        elif under_needed:
            assert not regen.excluded(f), f
