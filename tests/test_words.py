"""The builder's word lexer: templates (lex_word), evaluation, splitting, ENV/LABEL/ARG pairs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from squasher.errors import DockerfileSyntaxError
from squasher.parse import parse_text
from squasher.parse.words import (
    Lit,
    Var,
    WordSyntaxError,
    arg_pairs,
    env_pairs,
    evaluate,
    expand_word,
    expand_words,
    lex_word,
)


def test_lex_word_template_parts() -> None:
    assert lex_word('"$HOME/bin":${PATH}') == [Var("HOME"), Lit("/bin:"), Var("PATH")]
    assert lex_word("'$x'\\$y") == [Lit("$x$y")]
    assert lex_word("${V:-a${W}b}") == [Var("V", ":-", (Lit("a"), Var("W"), Lit("b")))]
    assert lex_word("pre${V+x}") == [Lit("pre"), Var("V", "+", (Lit("x"),))]
    assert lex_word("$(id -u)") == [Lit("$(id -u)")]


@pytest.mark.parametrize(
    ("word", "op", "nested"),
    [
        ("${V:-w}", ":-", "w"),
        ("${V-w}", "-", "w"),
        ("${V:+w}", ":+", "w"),
        ("${V+w}", "+", "w"),
        ("${V:?w}", ":?", "w"),
        ("${V?w}", "?", "w"),
        ("${V#w}", "#", "w"),
        ("${V##w}", "##", "w"),
        ("${V%w}", "%", "w"),
        ("${V%%w}", "%%", "w"),
    ],
)
def test_lex_word_operators(word: str, op: str, nested: str) -> None:
    assert lex_word(word) == [Var("V", op, (Lit(nested),))]


def test_lex_word_replacement_and_braced_flag() -> None:
    (part,) = lex_word("${V//a/b}")
    assert part == Var("V", "//", (Lit("a"),), (Lit("b"),))
    assert isinstance(part, Var) and part.braced
    (plain,) = lex_word("$V")
    assert isinstance(plain, Var) and not plain.braced


def test_pattern_words_keep_escapes() -> None:
    assert lex_word("${V%\\*}") == [Var("V", "%", (Lit("\\*"),))]


def test_evaluate_matches_expand_word() -> None:
    env = {"A": "1", "E": "", "P": "/usr/bin:/bin"}
    for word in [
        "$A$B",
        "${E:-d}",
        "${E-d}",
        "${A:+x}",
        "${P#*:}",
        "${P##*/}",
        "${P%:*}",
        "${P//\\//_}",
    ]:
        assert evaluate(lex_word(word), env) == expand_word(word, env)


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("${P#*/}", "usr/local/bin:/usr/bin"),
        ("${P##*/}", "bin"),
        ("${P%/*}", "/usr/local/bin:/usr"),
        ("${P%%:*}", "/usr/local/bin"),
        ("${P/bin/sbin}", "/usr/local/sbin:/usr/bin"),
        ("${P//bin/sbin}", "/usr/local/sbin:/usr/sbin"),
        ("${P//bin/<\\$0>}", "/usr/local/<\\bin>:/usr/<\\bin>"),  # as the official lexer
        ("${P#?}", "usr/local/bin:/usr/bin"),
    ],
)
def test_patterns(word: str, expected: str) -> None:
    assert expand_word(word, {"P": "/usr/local/bin:/usr/bin"}) == expected


def test_unknown_variable_is_empty_and_dollar_paren_literal() -> None:
    assert expand_word("a${NOPE}b$(x)", {}) == "ab$(x)"


def test_escape_backtick() -> None:
    assert expand_word("a`$b`\\c", {"b": "B"}, escape="`") == "a$b\\c"


@pytest.mark.parametrize("word", ["${}", "${X:=1}", "'open", "${X", "${X:#a}", "${:-a}"])
def test_errors(word: str) -> None:
    with pytest.raises(WordSyntaxError) as info:
        expand_word(word, {})
    assert isinstance(info.value, DockerfileSyntaxError)
    assert str(info.value).startswith("failed to process ")


def test_required_variable_messages() -> None:
    with pytest.raises(WordSyntaxError, match="V: is not allowed to be unset"):
        expand_word("${V?}", {})
    with pytest.raises(WordSyntaxError, match="V: need it"):
        expand_word("${V:?need it}", {"V": ""})
    assert expand_word("${V?}", {"V": ""}) == ""


def test_split_words() -> None:
    env = {"S": " a  b "}
    assert expand_words('x "$S" y$S', env) == ["x", " a  b ", "y", "a", "b"]
    assert expand_words("a\\ b 'c d'", {}) == ["a b", "c d"]
    assert expand_words('""', {}) == []


def test_split_quirk_prefix_before_modifier_is_dropped() -> None:
    # the official lexer shares one buffer with the nested word of ${v:-w}
    assert expand_words("a${X:-b}c d", {}) == ["bc", "d"]
    assert expand_word("a${X:-b}c", {}) == "abc"


def test_env_pairs_and_arg_pairs() -> None:
    df = parse_text('ENV A=1 B="x y"\nENV OLD v w\nLABEL a.b=c\nARG X Y=2 Z=\n')
    env1, env2, label, arg = df.instructions
    assert env_pairs(env1) == [("A", "1"), ("B", '"x y"')]
    assert env_pairs(env2) == [("OLD", "v w")]
    assert env_pairs(label) == [("a.b", "c")]
    assert arg_pairs(arg) == [("X", None), ("Y", "2"), ("Z", "")]
    with pytest.raises(ValueError):
        env_pairs(arg)
    with pytest.raises(ValueError):
        arg_pairs(env1)


_plain = st.text(
    alphabet=st.characters(blacklist_characters="$'\"\\`<", blacklist_categories=("Cs",)),
    max_size=30,
)


@given(_plain)
def test_plain_text_is_unchanged(text: str) -> None:
    expected = text[1:] if text.startswith("\ufeff") else text
    assert expand_word(text, {}) == expected
    assert lex_word(text) == ([Lit(expected)] if expected else [])


@given(st.text(max_size=40), st.dictionaries(st.sampled_from("ABXY"), st.text(max_size=5)))
def test_template_evaluation_agrees_with_expansion(word: str, env: dict[str, str]) -> None:
    try:
        expected = expand_word(word, env)
    except WordSyntaxError:
        return
    assert evaluate(lex_word(word), env) == expected
