"""Unit tests for squasher.shell.query: commands, literal words, wrappers, options, failures."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from squasher.shell.query import (
    Word,
    commands_named,
    parse_commands,
    parse_options,
    strip_wrappers,
    words,
)


def argvs(script: str) -> list[list[str]]:
    parse = parse_commands(script)
    assert parse.error is None, parse.error
    return [c.argv for c in parse.commands]


def test_lists_and_pipelines() -> None:
    script = "set -eux; apt-get update && apt-get install -y gcc || echo no; a | b & c"
    assert argvs(script) == [
        ["set", "-eux"],
        ["apt-get", "update"],
        ["apt-get", "install", "-y", "gcc"],
        ["echo", "no"],
        ["a"],
        ["b"],
        ["c"],
    ]


def test_compound_commands_and_substitutions_in_execution_order() -> None:
    script = (
        "if [ -f x ]; then apt-get update; fi; for i in $(seq 3); do echo $i; done; "
        "while read p; do apt-mark manual $p; done < f; (cd /src && make) | tee log; "
        "{ make install; }; f() { apt-get clean; }; x=$(dpkg --print-architecture)"
    )
    assert argvs(script) == [
        ["[", "-f", "x", "]"],
        ["apt-get", "update"],
        ["seq", "3"],
        ["echo", "$i"],
        ["read", "p"],
        ["apt-mark", "manual", "$p"],
        ["cd", "/src"],
        ["make"],
        ["tee", "log"],
        ["make", "install"],
        ["apt-get", "clean"],
        ["dpkg", "--print-architecture"],
        [],
    ]


def test_contexts() -> None:
    parse = parse_commands("a && b || c; if d; then e; fi; (f) | g; h &")
    ctx = {c.argv[0]: c.context for c in parse.commands}
    assert ctx["a"] == ()
    assert ctx["b"] == ("and",)
    assert ctx["c"] == ("or",)
    assert ctx["e"] == ("if",)
    assert ctx["f"] == ("pipeline", "subshell")
    assert ctx["h"] == ("background",)
    conditional = {c.argv[0] for c in parse.commands if c.conditional}
    assert conditional == {"c", "d", "e", "h"}


def test_literal_words_and_quotes() -> None:
    parse = parse_commands("""echo '$X' "a b" $Y "${Z}" ~/x a$(b) \\$W /var/lib/apt/lists/*""")
    cmd = parse.commands[-1]
    assert [(w.text, w.literal) for w in cmd.words] == [
        ("echo", True),
        ("$X", True),
        ("a b", True),
        ("$Y", False),
        ("${Z}", False),
        ("~/x", False),
        ("a$(b)", False),
        ("$W", True),
        ("/var/lib/apt/lists/*", True),
    ]
    assert cmd.words[-1].glob
    assert not cmd.literal


def test_assignments_and_text_span() -> None:
    script = "DEBIAN_FRONTEND=noninteractive A=1 apt-get install -y tzdata"
    cmd = parse_commands(script).commands[0]
    assert cmd.argv == ["apt-get", "install", "-y", "tzdata"]
    assert cmd.env() == {"DEBIAN_FRONTEND": "noninteractive", "A": "1"}
    assert cmd.text == script
    assert cmd.name == "apt-get"


def test_sh_c_script_is_parsed_too() -> None:
    assert argvs("sh -c 'apt-get update && apt-get install -y x'")[1:] == [
        ["apt-get", "update"],
        ["apt-get", "install", "-y", "x"],
    ]
    cmd = parse_commands("bash -ec 'make'").commands[1]
    assert cmd.context == ("sh-c",)


@pytest.mark.parametrize(
    ("script", "reason"),
    [
        ("case $x in a) echo a;; esac", "bashlex cannot parse"),
        ("[[ -f x ]] && echo", "bashlex cannot parse"),
        ("echo $((1 + 2))", "arithmetic"),
        ("echo 'unterminated", "bashlex cannot parse"),
        ("if then fi", "bashlex cannot parse"),
    ],
)
def test_bashlex_failures_give_a_reason_not_an_exception(script: str, reason: str) -> None:
    parse = parse_commands(script)
    assert parse.error is not None
    assert reason in parse.error
    assert parse.commands == []
    assert not parse.ok


def test_empty_script() -> None:
    parse = parse_commands("  \n")
    assert parse.ok and parse.commands == []


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab $()'\"`;&|<>{}[]\\\n#=*-", max_size=40))
def test_never_raises(script: str) -> None:
    parse = parse_commands(script)
    assert parse.error is None or isinstance(parse.error, str)


def test_strip_wrappers() -> None:
    def real(script: str) -> tuple[list[str], dict[str, str], tuple[str, ...]]:
        cmd = strip_wrappers(parse_commands(script).commands[-1])
        return cmd.argv, cmd.env(), cmd.wrapped_by

    assert real("env -i DEBIAN_FRONTEND=noninteractive apt-get update") == (
        ["apt-get", "update"],
        {"DEBIAN_FRONTEND": "noninteractive"},
        ("env",),
    )
    assert real("xargs -r -n 1 apt-get purge -y") == (
        ["apt-get", "purge", "-y"],
        {},
        ("xargs",),
    )
    assert real("command apt-get clean")[0] == ["apt-get", "clean"]
    assert real("command -v apt-get")[0] == ["command", "-v", "apt-get"]
    assert real("nice -n 5 timeout 30s eatmydata apt-get install -y x")[0] == [
        "apt-get",
        "install",
        "-y",
        "x",
    ]
    assert real("sudo -u root -E /usr/bin/apt-get update")[0] == ["/usr/bin/apt-get", "update"]
    assert real("exec make")[0] == ["make"]
    assert real("env")[0] == []


def test_commands_named() -> None:
    parse = parse_commands(
        "set -eux; savedAptMark=$(apt-mark showmanual); "
        "env DEBIAN_FRONTEND=noninteractive /usr/bin/apt-get install -y x; "
        "find /usr/local -type f | xargs -r apt-get purge"
    )
    found = commands_named(parse, {"apt-get", "apt-mark"})
    assert [c.argv for c in found] == [
        ["apt-mark", "showmanual"],
        ["/usr/bin/apt-get", "install", "-y", "x"],
        ["apt-get", "purge"],
    ]
    assert [c.name for c in found] == ["apt-mark", "apt-get", "apt-get"]
    assert found[0].context == ("substitution",)


def test_parse_options() -> None:
    args = parse_options(
        words(
            "-yq",
            "-o",
            "APT::Install-Recommends=false",
            "-oDpkg::Use-Pty=0",
            "install",
            "--no-install-recommends",
            "--target-release",
            "bookworm-backports",
            "gcc",
            "-q=2",
            "--",
            "-weird",
        ),
        short_with_value="oct",
        long_with_value={"target-release"},
    )
    assert [w.text for w in args.operands] == ["install", "gcc", "-weird"]
    assert args.has("-y") and args.has("-q") and args.has("--no-install-recommends")
    assert args.values("-o") == ["APT::Install-Recommends=false", "Dpkg::Use-Pty=0"]
    assert args.values("--target-release") == ["bookworm-backports"]
    assert args.values("-q") == ["2"]
    assert args.config("-o") == {"apt::install-recommends": "false", "dpkg::use-pty": "0"}


def test_parse_options_long_with_equals_and_posix_stop() -> None:
    args = parse_options(words("--virtual=.deps", "add", "-x", "y"), "t", {"virtual"})
    assert args.values("--virtual") == [".deps"]
    assert args.has("-x")
    posix = parse_options(words("-a", "cmd", "-b"), stop_at_operand=True)
    assert [w.text for w in posix.operands] == ["cmd", "-b"]
    assert parse_options([Word("$OPTS", literal=False)]).operands[0].text == "$OPTS"
