"""The word expander agrees with the real engine's builders (classic and BuildKit of the 20.10 engine).

(The 20.10 engine's builders know only the ``:-``, ``:+`` and ``:?`` modifiers; the forms without colon,
``#``, ``%`` and ``/`` came later and are covered by the conformance data instead.)

Each Dockerfile below sets ENV, LABEL, WORKDIR and USER from tricky words; the image config the
engine produces must equal what ``parse_text`` + ``expand_word`` compute.
"""

from __future__ import annotations

import posixpath
import random
from pathlib import Path
from typing import Any

import pytest
from conftest import BUSYBOX

from squasher.errors import BuildFailed, DockerfileSyntaxError
from squasher.parse import parse_text
from squasher.parse.words import (
    Part,
    Var,
    WordSyntaxError,
    arg_pairs,
    env_pairs,
    expand_word,
    lex_word,
)

pytestmark = pytest.mark.engine

WORDS_DOCKERFILE = rf"""FROM {BUSYBOX}
ARG GREETING="hello  world"
ARG EMPTY=
ENV A=1 \
# a comment inside the continuation
    B="quoted $GREETING" \

    C='single $GREETING' D=esc\ aped\$E
ENV E=${{A}}-${{MISSING:-dflt}}-${{A:+alt}}-${{EMPTY:+unset}}-${{EMPTY:-empty}}-${{A:+set}}
ENV F=$A$B "G"="x y" H=before$A
ENV OLD legacy  form $A "kept"
ENV A=2 I=$A J=x:$PATH
LABEL "l1"="$GREETING" l2=${{A}}x l3='$A' l4=a\"b
WORKDIR /base/${{A}}
WORKDIR sub dir
USER ${{EMPTY:-1000}}:$A
"""

ESCAPE_DOCKERFILE = rf"""# escape=`
FROM {BUSYBOX}
ENV WIN=C:\dir\sub P=`$A Q="a`"b" R="multi `
    line"
WORKDIR C:\w
"""


def expected_config(text: str, base_env: dict[str, str]) -> dict[str, Any]:
    """What the builder should produce, computed with our parser and word expander."""
    df = parse_text(text)
    stage = df.stages[0]
    env = dict(base_env)
    args: dict[str, str] = {}
    labels: dict[str, str] = {}
    workdir = "/"
    user = ""
    esc = df.escape
    for inst in stage.instructions:
        scope = {**args, **env}
        if inst.keyword == "ARG":
            for name, default in arg_pairs(inst):
                args[name] = expand_word(default, scope, esc) if default is not None else ""
        elif inst.keyword == "ENV":
            new = {
                expand_word(k, scope, esc): expand_word(v, scope, esc) for k, v in env_pairs(inst)
            }
            env.update(new)
        elif inst.keyword == "LABEL":
            for k, v in env_pairs(inst):
                labels[expand_word(k, scope, esc)] = expand_word(v, scope, esc)
        elif inst.keyword == "WORKDIR":
            workdir = posixpath.join(workdir, expand_word(inst.args[0], scope, esc))
        elif inst.keyword == "USER":
            user = expand_word(inst.args[0], scope, esc)
    return {"env": env, "labels": labels, "workdir": workdir, "user": user}


def actual_config(docker_client: Any, image_id: str) -> dict[str, Any]:
    config = docker_client.images.get(image_id).attrs["Config"]
    env = dict(item.split("=", 1) for item in config.get("Env") or [])
    return {
        "env": env,
        "labels": config.get("Labels") or {},
        "workdir": config.get("WorkingDir") or "/",
        "user": config.get("User") or "",
    }


DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def base_env(docker_client: Any) -> dict[str, str]:
    config = docker_client.images.get(BUSYBOX).attrs["Config"]
    env = dict(item.split("=", 1) for item in config.get("Env") or [])
    # both builders give a stage whose base has no PATH the default one
    env.setdefault("PATH", DEFAULT_PATH)
    return env


@pytest.mark.parametrize("builder", ["classic", "buildkit"])
@pytest.mark.parametrize("name", ["words", "escape"])
def test_expansion_matches_engine(
    name: str, builder: str, tmp_path: Path, build_image: Any, docker_client: Any
) -> None:
    text = WORDS_DOCKERFILE if name == "words" else ESCAPE_DOCKERFILE
    (tmp_path / "Dockerfile").write_text(text)
    image_id = build_image(tmp_path, builder=builder)
    expected = expected_config(text, base_env(docker_client))
    actual = actual_config(docker_client, image_id)
    base_labels = docker_client.images.get(BUSYBOX).attrs["Config"].get("Labels") or {}
    expected["labels"] = {**base_labels, **expected["labels"]}
    assert actual == expected


def test_expected_values_are_the_tricky_ones() -> None:
    # guards the engine test above against comparing two trivial configs
    config = expected_config(WORDS_DOCKERFILE, {})
    env = config["env"]
    assert env["B"] == "quoted hello  world"
    assert env["C"] == "single $GREETING"
    assert env["D"] == "esc aped$E"
    assert env["E"] == "1-dflt-alt--empty-set"
    assert env["H"] == "before1"
    assert env["OLD"] == "legacy  form 1 kept"
    assert (env["A"], env["I"]) == ("2", "1")
    assert config["labels"] == {"l1": "hello  world", "l2": "2x", "l3": "$A", "l4": 'a"b'}
    assert config["workdir"] == "/base/2/sub dir"
    assert config["user"] == "1000:2"
    escaped = expected_config(ESCAPE_DOCKERFILE, {})
    assert escaped["env"] == {"WIN": "C:\\dir\\sub", "P": "$A", "Q": 'a"b', "R": "multi     line"}


REFUSED = [
    (f"FROM {BUSYBOX}\nENV PATH\n", "ENV must have two arguments"),
    (f'FROM {BUSYBOX}\nCMD ["a", ["b"]]\n', "arrays must be comprised of strings only"),
    (f"FROM {BUSYBOX}\nENV A=1 \\\n  B\n", "can't find = in"),
    (f"# escape=`\n# escape=\\\nFROM {BUSYBOX}\n", "only one escape parser directive"),
]


@pytest.mark.parametrize(("text", "message"), REFUSED, ids=["env", "json", "env-pair", "directive"])
def test_refused_by_us_and_by_the_engine(
    text: str, message: str, tmp_path: Path, build_image: Any
) -> None:
    with pytest.raises(DockerfileSyntaxError, match=message):
        parse_text(text)
    (tmp_path / "Dockerfile").write_text(text)
    with pytest.raises(BuildFailed, match=message):
        build_image(tmp_path, builder="classic")


_PIECES = [
    "a",
    " ",
    "\t",
    "'",
    '"',
    "\\",
    "$",
    "${",
    "}",
    "{",
    ":",
    "-",
    "+",
    "#",
    "%",
    "/",
    "*",
    "X",
    "E",
]
_PIECES += [
    "${X}",
    "${E:-d}",
    "${X:+w}",
    "$1",
    "$@",
    "$$",
    "$(",
    "<<",
    "é",
    "\\$X",
    '"$X"',
    "'$X'",
    '\\"',
]
_PIECES += ["\\\\", "a b", "${X:-${E:+q}}", "\\'", "\\ ", "=", "$X"]


def _engine_ops_only(parts: list[Part] | tuple[Part, ...]) -> bool:
    # the 20.10 builders know only ${v:-w}, ${v:+w} and ${v:?w}
    return all(
        not isinstance(p, Var) or (p.op in ("", ":-", ":+", ":?") and _engine_ops_only(p.word))
        for p in parts
    )


def random_env_words(seed: int, count: int) -> list[str]:
    """Random words that are one ENV value each and that the 20.10 builders can expand."""
    rng = random.Random(seed)
    words: list[str] = []
    while len(words) < count:
        word = "".join(rng.choice(_PIECES) for _ in range(rng.randint(1, 5)))
        if word.rstrip(" \t").endswith("\\"):
            continue
        try:
            if not _engine_ops_only(lex_word(word)):
                continue
            expand_word(word, {})
            inst = parse_text(f"ENV V={word}\n").instructions[0]
        except (WordSyntaxError, DockerfileSyntaxError):
            continue
        if len(inst.args) == 3:
            words.append(word)
    return words


@pytest.mark.parametrize("builder", ["classic", "buildkit"])
def test_random_words_expand_like_the_engine(
    builder: str, tmp_path: Path, build_image: Any, docker_client: Any
) -> None:
    words = random_env_words(20261127, 200)
    pairs = "".join(f" \\\n    V{i}={w}" for i, w in enumerate(words))
    text = f'FROM {BUSYBOX}\nENV X="x y" E=\nENV{pairs}\n'
    (tmp_path / "Dockerfile").write_text(text)
    image_id = build_image(tmp_path, builder=builder)
    env = dict(
        item.split("=", 1) for item in docker_client.images.get(image_id).attrs["Config"]["Env"]
    )
    df = parse_text(text)
    expected = {k: expand_word(v, {"X": "x y", "E": ""}) for k, v in env_pairs(df.instructions[2])}
    assert len(expected) == 200
    assert {k: env.get(k) for k in expected} == expected


LINES_DOCKERFILE = (
    f"FROM {BUSYBOX}\n"
    "RUN : a \\\n  b\n"
    "RUN : c \\\n# a comment inside\n\n   \n  d\t\n"
    'RUN : "x  y" \\  \n\te\n'
    "RUN : f \\\\\n"
    "run : g # mid-line hash \\\n  h\n"
    'RUN ["true", "exec  form"]\n'
)
BACKTICK_DOCKERFILE = f"# escape=`\nFROM {BUSYBOX}\nRUN : C:\\dir\\ `\n  next\nRUN : x ``\n"


@pytest.mark.parametrize("builder", ["classic", "buildkit"])
@pytest.mark.parametrize(
    "text",
    [LINES_DOCKERFILE, "\ufeff" + LINES_DOCKERFILE.replace("\n", "\r\n"), BACKTICK_DOCKERFILE],
    ids=["lf", "bom-crlf", "backtick"],
)
def test_run_lines_join_like_the_engine(
    text: str, builder: str, tmp_path: Path, build_image: Any, docker_client: Any
) -> None:
    """Continuations, comments and blank lines inside them, escapes: the command the engine ran."""
    (tmp_path / "Dockerfile").write_bytes(text.encode())
    image_id = build_image(tmp_path, builder=builder)
    runs = [i for i in parse_text(text).instructions if i.keyword == "RUN"]
    history = [h["CreatedBy"] for h in docker_client.api.history(image_id)][: len(runs)][::-1]
    expected = []
    for run in runs:
        command = " ".join(run.args) if run.json_form else "/bin/sh -c " + run.args[0]
        expected.append(command if builder == "classic" else f"RUN {command} # buildkit")
    assert history == expected


def test_run_lines_expected_commands() -> None:
    # guards the engine test above: these are the joins being compared
    lines = [i.args for i in parse_text(LINES_DOCKERFILE).instructions[1:]]
    assert lines == [
        [": a   b"],
        [": c   d"],
        [': "x  y" \te'],
        [": f \\\\"],
        [": g # mid-line hash   h"],
        ["true", "exec  form"],
    ]
    backtick = [i.args for i in parse_text(BACKTICK_DOCKERFILE).instructions[1:]]
    assert backtick == [[": C:\\dir\\   next"], [": x ``"]]
