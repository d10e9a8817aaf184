"""Unit tests of the Dockerfile parser: directives, continuations, flags, forms, heredocs, stages."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from squasher.errors import DockerfileSyntaxError
from squasher.parse import parse_text
from squasher.parse.dump import dump_buildkit, dump_instruction


def dump(text: str) -> str:
    return dump_buildkit(parse_text(text))


# --- directives -------------------------------------------------------------------------------


def test_escape_backtick_directive_changes_continuation() -> None:
    df = parse_text("# escape=`\nFROM x\nRUN a `\n  b\nCOPY c:\\dir\\ d\\\n")
    assert df.escape == "`"
    assert df.directives == {"escape": "`"}
    assert df.instructions[1].args == ["a   b"]
    assert df.instructions[2].args == ["c:\\dir\\", "d\\"]


def test_directive_names_case_insensitive_and_spaced() -> None:
    df = parse_text("#  ESCAPE = `  \n# Syntax=docker/dockerfile:1\n#check=skip=all\nFROM x\n")
    assert df.directives == {"escape": "`", "syntax": "docker/dockerfile:1", "check": "skip=all"}


@pytest.mark.parametrize(
    "prefix",
    ["# a comment\n", "\n", "FROM y\n", "# unknown=1\n"],
    ids=["after-comment", "after-blank", "after-instruction", "after-unknown-directive"],
)
def test_directive_only_at_the_top(prefix: str) -> None:
    df = parse_text(prefix + "# escape=`\nFROM x\nRUN a `\n")
    assert df.escape == "\\"
    assert df.directives == {}


def test_repeated_directive_is_an_error() -> None:
    with pytest.raises(DockerfileSyntaxError) as info:
        parse_text("# escape=`\n# escape=\\\nFROM x\n", "df")
    assert str(info.value) == "df:2: only one escape parser directive can be used"


def test_invalid_escape_is_an_error() -> None:
    with pytest.raises(DockerfileSyntaxError) as info:
        parse_text("# syntax=x\n# escape=x\nFROM x\n")
    assert str(info.value) == "Dockerfile:2: invalid escape token 'x' does not match ` or \\"


# --- lines, continuations, comments -------------------------------------------------------------


def test_continuation_with_trailing_whitespace() -> None:
    assert parse_text("RUN a \\  \t\n b\n").instructions[0].args == ["a  b"]


def test_doubled_escape_at_end_is_not_a_continuation() -> None:
    df = parse_text("ENV C trailing\\\\\nENV D next\n")
    assert [i.args for i in df.instructions] == [["C", "trailing\\\\", ""], ["D", "next", ""]]


def test_comments_and_empty_lines_inside_continuation_are_dropped() -> None:
    text = "RUN a \\\n# comment\n\n   \n  # indented comment\n  b\nRUN c\n"
    df = parse_text(text)
    assert df.instructions[0].args == ["a   b"]
    assert (df.instructions[0].start_line, df.instructions[0].end_line) == (1, 6)
    assert df.instructions[1].start_line == 7


def test_mid_line_hash_is_an_argument() -> None:
    assert parse_text("RUN echo # not a comment\n").instructions[0].args == ["echo # not a comment"]


def test_continuation_at_eof() -> None:
    df = parse_text("FROM x\nRUN a \\")
    assert df.instructions[1].args == ["a"]
    assert df.instructions[1].end_line == 2


def test_bom_and_crlf() -> None:
    text = "\ufeffFROM x\r\nRUN a \\\r\n  b\r\n"
    df = parse_text(text)
    assert dump_buildkit(df) == dump("FROM x\nRUN a \\\n  b\n")
    assert df.source == text[1:]
    assert df.instructions[0].original == "FROM x\r\n"
    assert df.instructions[1].original == "RUN a \\\r\n  b\r\n"


def test_only_newline_splits_lines() -> None:
    df = parse_text("RUN a\rb\x0bc\u2028d\nRUN e\n")
    assert df.instructions[0].args == ["a\rb\x0bc\u2028d"]
    assert df.instructions[1].start_line == 2


def test_keywords_are_case_insensitive() -> None:
    df = parse_text("from x\nRun a\ncOpY b c\n")
    assert [i.keyword for i in df.instructions] == ["FROM", "RUN", "COPY"]
    assert [i.written_keyword for i in df.instructions] == ["from", "Run", "cOpY"]
    assert dump_buildkit(df) == '(from "x")\n(run "a")\n(copy "b" "c")\n'


def test_original_text_reassembles_the_source() -> None:
    text = (
        "# syntax=docker/dockerfile:1\n"
        "ARG V=1\n"
        "\n"
        "FROM debian:${V} AS build  \n"
        "# a comment\n"
        "RUN set -eux; \\\n"
        "    apt-get update \\\n"
        "\n"
        "    && true\n"
        "COPY <<EOF /etc/x\n"
        "hello\n"
        "EOF\n"
        'CMD ["sh"]'
    )
    df = parse_text(text)
    lines = text.split("\n")
    spans = [(i.start_line, i.end_line) for i in df.instructions]
    assert spans == [(2, 2), (4, 4), (6, 9), (10, 12), (13, 13)]
    for inst in df.instructions:
        expected = "\n".join(lines[inst.start_line - 1 : inst.end_line])
        if inst.end_line < len(lines):
            expected += "\n"
        assert inst.original == expected


def test_empty_file_and_only_comments_are_errors() -> None:
    for text in ("", "\n\n", "# c\n# d\n"):
        with pytest.raises(DockerfileSyntaxError, match="file with no instructions"):
            parse_text(text)


def test_line_too_long() -> None:
    with pytest.raises(DockerfileSyntaxError) as info:
        parse_text("FROM x\nLABEL a=" + "b" * 70000 + "\n")
    assert str(info.value) == "Dockerfile:2: dockerfile line greater than max allowed size of 65535"


@pytest.mark.parametrize(
    ("length", "newline", "ok"),
    [(65536, True, True), (65537, True, False), (65535, False, True), (65536, False, False)],
)
def test_line_length_limit_boundaries(length: int, newline: bool, ok: bool) -> None:
    # the official scanner's 64 KiB token limit, newline included (checked against it)
    line = "LABEL a=" + "b" * (length - len("LABEL a=") - (1 if newline else 0))
    text = "FROM x\n" + line + ("\n" if newline else "")
    if ok:
        assert parse_text(text).instructions[1].args[1] == line[len("LABEL a=") :]
    else:
        with pytest.raises(DockerfileSyntaxError, match="max allowed size"):
            parse_text(text)


# --- flags --------------------------------------------------------------------------------------


def test_known_flags() -> None:
    text = (
        "COPY --from=build --chown=1:2 --chmod=755 --link --parents --exclude=*.md "
        "--exclude=x --checksum=sha256:ab src dst\n"
        'ADD --keep-git-dir=true --link=false "https://x/y.git" /src\n'
        "RUN --mount=type=cache,target=/root/.cache --network=none --security=insecure make\n"
    )
    copy, add, run = parse_text(text).instructions
    assert [(f.name, f.value) for f in copy.flags] == [
        ("from", "build"),
        ("chown", "1:2"),
        ("chmod", "755"),
        ("link", None),
        ("parents", None),
        ("exclude", "*.md"),
        ("exclude", "x"),
        ("checksum", "sha256:ab"),
    ]
    assert copy.flag_values("exclude") == ["*.md", "x"]
    assert copy.args == ["src", "dst"]
    assert copy.rest == "src dst"
    assert add.flag("link") is not None and add.flag("link").value == "false"  # type: ignore[union-attr]
    assert add.args == ['"https://x/y.git"', "/src"]
    assert run.flag("mount").value == "type=cache,target=/root/.cache"  # type: ignore[union-attr]
    assert run.flag("network").value == "none"  # type: ignore[union-attr]
    assert run.flag("security").value == "insecure"  # type: ignore[union-attr]
    assert run.args == ["make"]


def test_flag_quotes_removed_raw_kept_and_unknown_flags_kept() -> None:
    inst = parse_text(
        "RUN --mount=\"type=bind,target=/a b\" --Weird='1' -- --not-a-flag x\n"
    ).instructions[0]
    assert [(f.name, f.value, f.raw) for f in inst.flags] == [
        ("mount", "type=bind,target=/a b", '--mount="type=bind,target=/a b"'),
        ("Weird", "1", "--Weird='1'"),
    ]
    assert inst.args == ["--not-a-flag x"]
    assert dump_instruction(inst) == (
        'run ["--mount=type=bind,target=/a b" "--Weird=1"] "--not-a-flag x"'
    )


def test_flag_later_wins() -> None:
    inst = parse_text("COPY --from=a --from=b x y\n").instructions[0]
    assert inst.flag("from").value == "b"  # type: ignore[union-attr]
    assert inst.flag("chown") is None


# --- exec and shell form ------------------------------------------------------------------------


def test_exec_and_shell_form() -> None:
    df = parse_text('CMD ["a", "b c"]\nCMD a "b c"\nENTRYPOINT []\n')
    assert [(i.args, i.json_form) for i in df.instructions] == [
        (["a", "b c"], True),
        (['a "b c"'], False),
        ([], True),
    ]


@pytest.mark.parametrize(
    "text",
    ["CMD ['a']", 'CMD ["a"', 'CMD ["a" "b"]', 'CMD ["a"] x', "CMD [NaN]", "CMD [1e999]"],
)
def test_invalid_json_falls_back_to_shell_form(text: str) -> None:
    inst = parse_text(text + "\n").instructions[0]
    assert inst.json_form is False
    assert inst.args == [text[4:]]


@pytest.mark.parametrize("text", ['RUN ["a", ["b"]]', "CMD [1]", 'ENTRYPOINT ["a", null]'])
def test_json_array_of_non_strings_is_an_error(text: str) -> None:
    with pytest.raises(DockerfileSyntaxError, match="arrays must be comprised of strings only"):
        parse_text("FROM x\n" + text + "\n")


def test_copy_json_and_list_forms() -> None:
    df = parse_text('COPY ["a b", "c"]\nCOPY a  b\tc\n')
    assert df.instructions[0].args == ["a b", "c"]
    assert df.instructions[0].json_form
    assert df.instructions[1].args == ["a", "b", "c"]


def test_env_label_arg_args() -> None:
    df = parse_text(
        'ENV A=1 B="two words" C=x\\ y\nENV OLD a b  c\nLABEL "k"=v\nARG X Y=1 Z="q r"\n'
    )
    assert df.instructions[0].args == ["A", "1", "=", "B", '"two words"', "=", "C", "x\\ y", "="]
    assert df.instructions[1].args == ["OLD", "a b  c", ""]
    assert df.instructions[2].args == ['"k"', "v", "="]
    assert df.instructions[3].args == ["X", "Y=1", 'Z="q r"']


def test_env_without_equals_in_later_word_is_an_error() -> None:
    with pytest.raises(DockerfileSyntaxError) as info:
        parse_text("FROM x\nENV A=1 \\\n  B\n")
    assert str(info.value) == (
        'Dockerfile:2: Syntax error - can\'t find = in "B". Must be of the form: name=value'
    )


def test_healthcheck() -> None:
    df = parse_text('HEALTHCHECK --interval=5s CMD ["curl", "-f", "x"]\nHEALTHCHECK NONE\n')
    assert df.instructions[0].args == ["CMD", "curl", "-f", "x"]
    assert df.instructions[0].json_form
    assert df.instructions[1].args == ["NONE"]


def test_keyword_lower_casing_is_go_simple_mapping() -> None:
    # checked against the official parser: dotless-I folds to i, no final-sigma rule
    df = parse_text("FROM x\nONBU\u0130LD RUN a\n\u03a3\u0391\u03a3 b\n")
    assert dump_buildkit(df) == '(from "x")\n(onbuild (run "a"))\n(\u03c3\u03b1\u03c3 "")\n'


def test_unknown_instruction_is_kept() -> None:
    inst = parse_text("FROM x\nFOO bar baz\n").instructions[1]
    assert inst.keyword == "FOO"
    assert inst.args == [""]
    assert dump_instruction(inst) == 'foo ""'


# --- heredocs -----------------------------------------------------------------------------------


def test_heredoc_basic_and_spans() -> None:
    text = "FROM x\nRUN <<EOF\necho $HOME\n\tindented\nEOF\nRUN next\n"
    df = parse_text(text)
    run = df.instructions[1]
    assert len(run.heredocs) == 1
    doc = run.heredocs[0]
    assert (doc.name, doc.body, doc.expand, doc.chomp, doc.fd) == (
        "EOF",
        "echo $HOME\n\tindented\n",
        True,
        False,
        None,
    )
    assert (run.start_line, run.end_line) == (2, 5)
    assert run.original == "RUN <<EOF\necho $HOME\n\tindented\nEOF\n"
    assert run.args == ["<<EOF"]
    assert df.instructions[2].start_line == 6


def test_heredoc_chomp_strips_leading_tabs() -> None:
    doc = parse_text("RUN <<-EOF\n\t\tone\n\ttwo\n\tEOF\n").instructions[0].heredocs[0]
    assert doc.chomp
    assert doc.body == "one\ntwo\n"


@pytest.mark.parametrize(
    ("word", "name", "expand"),
    [
        ("<<'EOF'", "EOF", False),
        ('<<"EOF"', "EOF", False),
        ("<<E'O'F", "EOF", False),
        ("<<EOF", "EOF", True),
        ("<< EOF", "EOF", True),
        ("<<eo\\'f", "eo'f", True),
        ("<<'one two'", "one two", False),
        ("<<$EOF", "$EOF", True),
    ],
)
def test_heredoc_delimiters(word: str, name: str, expand: bool) -> None:
    inst = parse_text(f"RUN {word}\nbody\n{name}\n").instructions[0]
    assert [(h.name, h.expand, h.body) for h in inst.heredocs] == [(name, expand, "body\n")]


def test_several_heredocs_with_fds_in_order() -> None:
    inst = parse_text("COPY <<A 3<<-B /dest\nfirst\nA\n\tsecond\n\tB\n").instructions[0]
    assert [(h.name, h.fd, h.body) for h in inst.heredocs] == [
        ("A", None, "first\n"),
        ("B", 3, "second\n"),
    ]
    assert inst.args == ["<<A", "3<<-B", "/dest"]
    assert inst.end_line == 5


def test_heredoc_terminators_are_matched_in_order() -> None:
    inst = parse_text("COPY <<X <<Y /dest\nY\nX\nX\nY\n").instructions[0]
    assert [(h.name, h.body) for h in inst.heredocs] == [("X", "Y\n"), ("Y", "X\n")]


@pytest.mark.parametrize(
    "line",
    ['RUN ["<<EOF"]', "RUN '<<EOF'", 'RUN "<<EOF"', "USER <<EOF", "RUN <<<EOF", "RUN echo <<"],
)
def test_not_heredocs(line: str) -> None:
    df = parse_text(line + "\nEOF\n")
    assert df.instructions[0].heredocs == []
    assert len(df.instructions) == 2


def test_unterminated_heredoc_is_an_error() -> None:
    with pytest.raises(DockerfileSyntaxError) as info:
        parse_text("FROM x\nRUN <<EOF\necho hi\n")
    assert str(info.value) == "Dockerfile:2: unterminated heredoc"


def test_line_that_does_not_lex_opens_no_heredoc() -> None:
    # like the official parser: an unterminated quote makes the whole line heredoc-free
    df = parse_text("FROM x\nRUN <<'EOF\nEOF\n")
    assert df.instructions[1].heredocs == []
    assert dump_buildkit(df) == '(from "x")\n(run "<<\'EOF")\n(eof "")\n'


def test_heredoc_body_keeps_crlf_and_comment_lines() -> None:
    inst = parse_text("RUN <<EOF\r\n# not a comment\r\n\r\nEOF\r\n").instructions[0]
    assert inst.heredocs[0].body == "# not a comment\r\n\r\n"


# --- ONBUILD and stages -------------------------------------------------------------------------


def test_onbuild_sub_instruction() -> None:
    df = parse_text(
        'FROM x\nONBUILD RUN --mount=type=tmpfs,target=/t ["a"]\nonbuild COPY <<F /f\nhi\nF\n'
    )
    ob = df.instructions[1]
    assert ob.keyword == "ONBUILD"
    assert ob.args == []
    assert ob.sub is not None
    assert (ob.sub.keyword, ob.sub.args, ob.sub.json_form) == ("RUN", ["a"], True)
    assert ob.sub.flag("mount") is not None
    assert dump_instruction(ob) == 'onbuild (run ["--mount=type=tmpfs,target=/t"] "a")'
    ob2 = df.instructions[2]
    assert ob2.sub is not None and ob2.sub.keyword == "COPY"
    assert [h.body for h in ob2.heredocs] == ["hi\n"]
    assert ob2.sub.heredocs == ob2.heredocs
    assert ob2.end_line == 5


def test_stages_and_global_args() -> None:
    text = (
        "ARG BASE=debian:bookworm-slim\n"
        "ARG V\n"
        "FROM --platform=$BUILDPLATFORM ${BASE} AS Build\n"
        "RUN make\n"
        "FROM busybox\n"
        "ARG V\n"
        "COPY --from=build /out /\n"
    )
    df = parse_text(text)
    assert [a.args for a in df.global_args] == [["BASE=debian:bookworm-slim"], ["V"]]
    assert [(s.index, s.base, s.name, s.platform) for s in df.stages] == [
        (0, "${BASE}", "build", "$BUILDPLATFORM"),
        (1, "busybox", None, None),
    ]
    assert [i.keyword for i in df.stages[0].instructions] == ["RUN"]
    assert [i.keyword for i in df.stages[1].instructions] == ["ARG", "COPY"]
    assert df.stages[1].from_ is df.instructions[4]


def test_error_message_format() -> None:
    with pytest.raises(DockerfileSyntaxError) as info:
        parse_text("FROM x\n\nENV\tONLYKEY\n", "path/to/Dockerfile")
    err = info.value
    assert (err.path, err.line) == ("path/to/Dockerfile", 3)
    assert str(err) == "path/to/Dockerfile:3: ENV must have two arguments"


def test_parse_is_deterministic() -> None:
    from hashseed import outputs_across_hash_seeds

    code = (
        "from squasher.parse import parse_text\n"
        "from squasher.parse.dump import dump_buildkit, dump_json\n"
        "df = parse_text('FROM x AS a\\nRUN --mount=type=cache,target=/c <<EOF\\nhi\\nEOF\\n"
        "ENV A=1 B=2\\nLABEL z=1 a=2\\nCOPY --chown=1 --link a b /c/\\n')\n"
        "print(dump_buildkit(df)); print(dump_json(df)); print(repr(df))\n"
    )
    first, *others = outputs_across_hash_seeds(code)
    assert all(out == first for out in others)


_PIECES = st.sampled_from(
    [
        *"RUNCOPYADDENVFROMonbuild <>'\"\\`$={}[],#-\t\r\n\x85\xa0é3:",
        "<<EOF\n",
        "\nEOF\n",
        "--x=",
        "ONBUILD ",
        "\\\n",
        "# escape=`\n",
        "\udcff",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=50).map("".join))
def test_any_text_parses_or_raises_syntax_error(text: str) -> None:
    try:
        df = parse_text(text)
    except DockerfileSyntaxError as err:
        assert err.path == "Dockerfile"
        assert err.line is not None and err.line >= 1
        return
    dump_buildkit(df)
    lines = df.source.split("\n")
    previous_end = 0
    for inst in df.instructions:
        assert previous_end < inst.start_line <= inst.end_line <= len(lines)
        expected = "\n".join(lines[inst.start_line - 1 : inst.end_line])
        if inst.end_line < len(lines):
            expected += "\n"
        assert inst.original == expected
        previous_end = inst.end_line
