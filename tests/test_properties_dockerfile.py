"""Property tests: whatever Dockerfile squasher is fed, it parses it or says where it is wrong, and
whatever parses is rewritten into something the parser reads back and ``sh -n`` accepts (dash),
or refused with ``PATH:LINE: message``. Never a traceback, never an exception of another kind.

The generator builds Dockerfiles from the things that make real ones hard: every instruction (and
unknown ones), flags, quoting, ``$`` and backslashes, continuations with either escape character,
the escape directive, heredocs (quoted, ``<<-``, several per line), unicode, CRLF and a BOM.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from squasher.errors import DockerfileSyntaxError, SquasherError
from squasher.parse import parse_text

SETTINGS = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=False,
)

# ---- generators ---------------------------------------------------------------------------------

WORDS = st.sampled_from(
    [
        "echo",
        "hi",
        "a b",
        "'single quoted $HOME'",
        '"double $A ${B:-dflt} \\" q"',
        "$A",
        "${A}",
        "${UNSET:-x}",
        "\\$NOT",
        "é✓ünï",
        "日本",
        "&&",
        ";",
        "|",
        ">",
        "/tmp/out",
        "2>&1",
        "true",
        "false ||",
        "#notacomment",
        "\\\\",
        "a=b",
        "`date`",
        "$(pwd)",
        "*",
        "~",
        "\t",
    ]
)

FLAGS_RUN = st.sampled_from(
    [""] * 24
    + [
        "--network=none ",
        "--mount=type=cache,target=/root/.cache ",
        "--mount=type=secret,id=tok ",
        "--mount=type=bind,source=f.txt,target=/m ",
        "--mount=type=tmpfs,target=/t ",
        "--security=insecure ",
        "--bogus ",
    ]
)
FLAGS_COPY = st.sampled_from(
    [""] * 10
    + [
        "--chown=1:1 ",
        "--chmod=755 ",
        "--link ",
        "--from=0 ",
        "--from=build ",
        "--exclude=*.md ",
        "--parents ",
        "--chown=$U ",
    ]
)
# mostly sources that exist; a missing or escaping one now and then (those are refused)
SOURCES = st.sampled_from(
    ["f.txt", "dir", "dir/", "dir/*.txt", "*.txt", ".", "f*", "f.txt", "dir"] * 4
    + ["missing.txt", "../up", "/abs"]
)
DESTS = st.sampled_from(["/dst", "/dst/", "rel", "$D", "/w ith space", "./", "/é"])
VALUES = st.sampled_from(
    ["1", "'x y'", '"a\\"b"', "$A", "${A}z", "a\\ b", "\\$", "ü", '""', "''", "a=b", "\\\\"]
)
NAMES = st.sampled_from(["A", "B", "PATH", "HOME", "_x", "lower"] * 4 + ["é"])


@st.composite
def shell_text(draw: st.DrawFn, esc: str, nl: str) -> str:
    words = draw(st.lists(WORDS, min_size=1, max_size=8))
    out: list[str] = []
    for w in words:
        out.append(w)
        if draw(st.integers(0, 9)) == 0:  # continuation, sometimes with a comment line inside
            out.append(f" {esc}{nl}")
            if draw(st.booleans()):
                out.append(f"# inside{nl}")
            if draw(st.integers(0, 3)) == 0:
                out.append(nl)  # blank line inside a continuation
    return " ".join(out)


@st.composite
def heredoc(draw: st.DrawFn, keyword: str, nl: str) -> str:
    name = draw(st.sampled_from(["EOF", "END", "X_1"]))
    quote = draw(st.sampled_from(["", "'", '"']))
    chomp = draw(st.sampled_from(["", "-"]))
    body_lines = draw(
        st.lists(
            st.sampled_from(["echo $A", "\tindented", "x 'y' \"z\"", "é", "", "\\"]), max_size=4
        )
    )
    terminator = ("\t" if chomp and draw(st.booleans()) else "") + name
    body = "".join(line + nl for line in body_lines)
    head = f"<<{chomp}{quote}{name}{quote}"
    if keyword == "RUN":
        first = f"RUN {head}"
        if draw(st.booleans()):
            first = f"RUN cat {head} > /tmp/h"
    else:
        first = f"{keyword} {head} /h.txt"
    unterminated = draw(st.integers(0, 15)) == 0
    return f"{first}{nl}{body}" + ("" if unterminated else f"{terminator}{nl}")


@st.composite
def instruction(draw: st.DrawFn, esc: str, nl: str) -> str:
    common = ["RUN"] * 6 + ["COPY"] * 3 + ["ENV", "ENV", "ARG", "WORKDIR", "RUNHEREDOC", "COMMENT"]
    rare = ["RUNEXEC", "ADD", "COPYHEREDOC", "USER", "LABEL", "EXPOSE", "CMD", "ENTRYPOINT"]
    rare += ["SHELL", "HEALTHCHECK", "STOPSIGNAL", "VOLUME", "ONBUILD", "FROM", "BLANK"]
    very_rare = ["MAINTAINER", "UNKNOWN"]
    pool = draw(st.sampled_from([common] * 20 + [rare] * 8 + [very_rare]))
    kind = draw(st.sampled_from(pool))
    kw = kind
    if kind == "RUN":
        return f"RUN {draw(FLAGS_RUN)}{draw(shell_text(esc, nl))}{nl}"
    if kind == "RUNEXEC":
        arr = draw(st.sampled_from(['["sh", "-c", "echo hi"]', '["/bin/true"]', '["a",', "[]"]))
        return f"RUN {arr}{nl}"
    if kind == "RUNHEREDOC":
        return draw(heredoc("RUN", nl))
    if kind == "COPYHEREDOC":
        return draw(heredoc("COPY", nl))
    if kind in ("COPY", "ADD"):
        srcs = " ".join(draw(st.lists(SOURCES, min_size=1, max_size=3)))
        if draw(st.integers(0, 6)) == 0:
            return f'{kw} ["{srcs.split()[0]}", "{draw(DESTS)}"]{nl}'
        return f"{kw} {draw(FLAGS_COPY)}{srcs} {draw(DESTS)}{nl}"
    if kind == "ENV":
        pairs = draw(st.lists(st.tuples(NAMES, VALUES), min_size=1, max_size=3))
        if len(pairs) == 1 and draw(st.booleans()):
            return f"ENV {pairs[0][0]} {pairs[0][1]} more{nl}"  # legacy form: rest of line
        return "ENV " + " ".join(f"{k}={v}" for k, v in pairs) + nl
    if kind == "ARG":
        name = draw(NAMES)
        return f"ARG {name}" + (f"={draw(VALUES)}" if draw(st.booleans()) else "") + nl
    if kind == "WORKDIR":
        return f"WORKDIR {draw(st.sampled_from(['/w', 'rel', '$A', '/a b', '/é']))}{nl}"
    if kind == "USER":
        return (
            f"USER {draw(st.sampled_from(['root', '1000', 'nobody', '1:1', '$A', 'nosuch']))}{nl}"
        )
    if kind == "LABEL":
        return f"LABEL a=b {draw(NAMES)}={draw(VALUES)}{nl}"
    if kind == "EXPOSE":
        return f"EXPOSE {draw(st.sampled_from(['80', '80/tcp', '53/udp', '$P', 'x']))}{nl}"
    if kind in ("CMD", "ENTRYPOINT"):
        form = draw(st.sampled_from(['["sh"]', "echo $A", '["a", "b c"]', "["]))
        return f"{kw} {form}{nl}"
    if kind == "SHELL":
        form = draw(st.sampled_from(['["/bin/sh", "-c"]', '["/bin/bash", "-c"]', "sh -c"]))
        return f"SHELL {form}{nl}"
    if kind == "HEALTHCHECK":
        return f"HEALTHCHECK {draw(st.sampled_from(['NONE', 'CMD true', '--interval=5s CMD true']))}{nl}"
    if kind == "STOPSIGNAL":
        return f"STOPSIGNAL SIGTERM{nl}"
    if kind == "VOLUME":
        form = draw(st.sampled_from(["/v", '["/v"]', "/a /b"]))
        return f"VOLUME {form}{nl}"
    if kind == "ONBUILD":
        return f"ONBUILD RUN echo {draw(WORDS)}{nl}"
    if kind == "FROM":
        return f"FROM {draw(st.sampled_from(['busybox', 'busybox AS build', 'scratch', '0', 'debian:bookworm-slim']))}{nl}"
    if kind == "MAINTAINER":
        return f"MAINTAINER me{nl}"
    if kind == "UNKNOWN":
        return f"{draw(st.sampled_from(['FROBNICATE', 'RUNN', 'copy2']))} x{nl}"
    if kind == "COMMENT":
        return f"# {draw(WORDS)}{nl}"
    return nl


@st.composite
def dockerfile_text(draw: st.DrawFn) -> str:
    nl = draw(st.sampled_from(["\n", "\r\n"]))
    esc = draw(st.sampled_from(["\\", "\\", "`"]))
    head = ""
    if draw(st.booleans()):
        head += "\ufeff"
    if draw(st.booleans()):
        head += f"# syntax=docker/dockerfile:1{nl}"
    if esc == "`":
        head += f"# escape=`{nl}"
    elif draw(st.integers(0, 4)) == 0:
        head += f"# escape=\\{nl}"
    if draw(st.integers(0, 3)) == 0:
        head += f"ARG BASE=busybox{nl}"
    if draw(st.integers(0, 20)) != 0:  # mostly a FROM first, sometimes not
        base = draw(
            st.sampled_from(
                ["busybox", "busybox:latest", "debian:bookworm-slim", "${BASE}", "scratch"]
            )
        )
        stage = draw(st.sampled_from(["", " AS build", " as Build"]))
        head += f"FROM {base}{stage}{nl}"
    body = draw(st.lists(instruction(esc, nl), min_size=1, max_size=10))
    text = head + "".join(body)
    if draw(st.integers(0, 4)) == 0:  # no final newline
        text = text.rstrip("\r\n")
    if draw(st.integers(0, 19)) == 0:  # a trailing continuation
        text = text.rstrip("\r\n") + esc
    return text


# ---- properties ---------------------------------------------------------------------------------


def _check_parse(text: str, path: str) -> bool:
    """True when it parses; a syntax error must be the parser's own, located, one line."""
    try:
        parse_text(text, path)
    except DockerfileSyntaxError as err:
        n_lines = len(text.splitlines()) + 1
        assert err.path == path
        assert err.line is not None and 1 <= err.line <= n_lines, (err.line, n_lines)
        assert str(err).startswith(f"{path}:{err.line}: "), str(err)
        assert "\n" not in str(err).strip()
        return False
    return True


@SETTINGS
@given(dockerfile_text())
@example("\ufeffFROM busybox\r\nRUN echo a \\\r\n  b\r\n")
@example("# escape=`\nFROM busybox\nRUN echo `\n  b\n")
@example("FROM busybox\nRUN <<EOF\n")
@example("FROM busybox\nRUN <<'A' <<-B\nx\nA\n\ty\n\tB\n")
def test_parser_parses_or_raises_its_own_located_error(text: str) -> None:
    _check_parse(text, "Dockerfile")


@given(st.text(max_size=200))
@settings(max_examples=200, deadline=None)
def test_parser_on_arbitrary_text(text: str) -> None:
    _check_parse(text, "Dockerfile")


@given(st.binary(max_size=200))
@settings(max_examples=100, deadline=None)
def test_parse_file_on_arbitrary_bytes(data: bytes) -> None:
    from squasher.parse import parse_file

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "Dockerfile"
        path.write_bytes(data)
        try:
            parse_file(path)
        except DockerfileSyntaxError as err:
            assert err.line is not None and str(err).startswith(f"{path}:{err.line}: ")


def _context(root: Path) -> None:
    (root / "f.txt").write_text("f\n")
    (root / "fa").write_text("fa\n")
    (root / "dir").mkdir()
    (root / "dir" / "a.txt").write_text("a\n")
    (root / "dir" / "b.md").write_text("b\n")


def _sh_n(paths: list[Path]) -> None:
    for p in paths:
        proc = subprocess.run(["dash", "-n", str(p)], capture_output=True, text=True, check=False)
        assert proc.returncode == 0, f"{p.name}: {proc.stderr}\n{p.read_text()}"


@SETTINGS
@given(
    dockerfile_text(),
    st.sampled_from(["buildkit", "classic"]),
    st.sampled_from(["script", "mount"]),
)
@example('FROM busybox\nENV A=\'x y\' B="\\$z"\nRUN echo "$A" $B > /o\n', "buildkit", "script")
@example("FROM busybox\nARG V=é\nCOPY f.txt /f\nRUN cat /f; echo $V\n", "classic", "script")
def test_rewrite_reads_back_and_passes_sh_n_or_refuses_located(
    text: str, builder: str, strategy: str
) -> None:
    if strategy == "mount" and builder == "classic":
        strategy = "script"
    from squasher.parse import parse_file
    from squasher.rewriting import rewrite

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _context(root)
        df = root / "Dockerfile"
        df.write_bytes(text.encode("utf-8", "surrogateescape"))
        if not _check_parse(text, str(df)):
            event("syntax error")
            return
        parse_file(df)
        try:
            result = rewrite(df, builder=builder, strategy=strategy)
        except SquasherError as err:
            message = str(err)
            assert re.match(rf"^{re.escape(str(df))}:\d+: \S", message), message
            assert "\n" not in message.strip(), message
            event(f"refused: {re.sub(r'^.*?:[0-9]+: ', '', message)[:40]}")
            return
        again = rewrite(df, builder=builder, strategy=strategy)
        assert again.dockerfile == result.dockerfile and again.files == result.files
        before = sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))
        result.write()
        squashed = result.output_path
        try:
            parse_file(squashed)
        except DockerfileSyntaxError as err:  # pragma: no cover - the failure message
            raise AssertionError(
                f"{err}\n--- input\n{text}\n--- output\n{result.dockerfile}"
            ) from None
        scripts = [root / rel for rel in result.files if rel.endswith(".sh")]
        _sh_n(scripts)
        event(f"rewritten, {min(len(scripts), 3)} script(s)")
        # the rewrite of the rewrite is the rewrite (idempotent) and writes nothing new
        after = sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))
        assert set(before) <= set(after)
        re_result = rewrite(squashed, builder=builder, strategy=strategy)
        assert re_result.dockerfile == result.dockerfile
