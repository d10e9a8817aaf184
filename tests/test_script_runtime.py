"""build.sh pieces run by real shells on this machine (dash, busybox sh when present).

- ENV values rendered by ``squasher.render.sh`` give, evaluated by sh, exactly what the builder's
  expander (``squasher.parse.words``) gives: quotes, ``$``, backslashes, newlines, unicode,
  modifiers; property-tested with hypothesis.
- ``__sq_clean`` cleans paths like Go's ``path.Clean``.
- ``__sq_run`` stops at the first failing step with the step's exit code and the message naming
  the Dockerfile line; steps do not leak state into each other.
- The runtime files (squasher/render/runtime/*.sh): one ``__sq_`` prefix, every helper defined
  once, its ``# uses:`` line what its body calls, shellcheck clean as files; runtime.sh ships the
  helpers a script calls and nothing else.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import required_tools
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from squasher.context.dockerignore import go_clean
from squasher.parse.words import evaluate, lex_word
from squasher.render.runtime import CALL, FILES, full_runtime, helpers, needed, runtime_sh
from squasher.render.sh import Renderer, quote

RUNTIME = full_runtime()
SHELLS = [s for s in ("dash", "busybox") if shutil.which(s)] or ["sh"]


def _sh(
    shell: str, script: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    argv = [shell, "sh", "-c", script] if shell == "busybox" else [shell, "-c", script]
    return subprocess.run(argv, capture_output=True, env=env, timeout=30)


def _render_value(word: str, env: dict[str, str]) -> str:
    r = Renderer()
    sh_word = r.word(lex_word(word), None)
    lines = [*r.lines, f"__sq_v={sh_word}", "printf '%s' \"$__sq_v\""]
    return "\n".join(lines)


VALUES = st.text(
    alphabet=st.sampled_from([*"ab $'\"\\\n\t{}:-+#%*?é/`()", "ü", "\u2603"]),
    max_size=12,
)


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize(
    "word",
    [
        "plain",
        "$a",
        "${a}x",
        "'$a'",
        '"$a"',
        "\\$a",
        "$(echo no)",
        "`echo no`",
        "${a:-d}",
        "${unset:-d}",
        "${a:+p}",
        "${unset:+p}",
        "${empty:-d}",
        "${empty-d}",
        "${empty:+p}",
        "${empty+p}",
        "${a#*b}",
        "${a##*b}",
        "${a%b*}",
        "${a%%b*}",
        "${a:-${b:-deep}}",
        "a\\ b",
        "x${a}y${b}z",
    ],
)
def test_templates_evaluate_like_the_builder(shell: str, word: str) -> None:
    env = {"a": "abcab$x 'q'", "b": "line1\nline2 \\n", "empty": ""}
    expected = evaluate(lex_word(word), env)
    proc = _sh(shell, _render_value(word, env), env={**env, "PATH": os.environ["PATH"]})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.decode() == expected


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=VALUES, other=VALUES)
def test_env_values_round_trip(value: str, other: str) -> None:
    """Any ENV value written in double quotes gives the builder's value in sh."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
    word = f'"{escaped}"$o'
    env = {"o": other}
    expected = evaluate(lex_word(word), env)
    proc = _sh(SHELLS[0], _render_value(word, env), env={**env, "PATH": os.environ["PATH"]})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.decode() == expected


@pytest.mark.parametrize("text", ["", "a", "it's", "$x", "a\nb", "'", "\\", "é ü"])
def test_quote_round_trips(text: str) -> None:
    proc = _sh(SHELLS[0], f"printf '%s' {quote(text)}")
    assert proc.stdout.decode() == text


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize(
    "path,wd",
    [
        ("/a/b/../c/", "/"),
        ("rel", "/x/y"),
        ("../..", "/x/y"),
        ("../../../..", "/x"),
        ("./a//b/.", "/w"),
        ("/", "/w"),
        ("a b/c*d", "/w"),
    ],
)
def test_clean_is_go_path_clean(shell: str, path: str, wd: str) -> None:
    script = RUNTIME + f"\n__sq_wd={quote(wd)}\n__sq_clean {quote(path)}\nprintf '%s' \"$__sq_r\"\n"
    proc = _sh(shell, script)
    assert proc.returncode == 0, proc.stderr
    full = path if path.startswith("/") else wd + "/" + path
    assert proc.stdout.decode() == go_clean(full)


def _steps_script(tmp: Path, body: str) -> str:
    return "\n".join(
        [
            RUNTIME,
            "__sq_df=Dockerfile",
            "__sq_builder=buildkit",
            "__sq_stage=",
            "__sq_line=0",
            f"__sq_wd={quote(str(tmp))}",
            "__sq_home_env=0",
            "__sq_unset_vars='PWD OLDPWD SHLVL'",
            "__sq_user=",
            body,
        ]
    )


@pytest.mark.parametrize("shell", SHELLS)
def test_steps_are_children_and_stop_at_first_failure(shell: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    body = f"""
__sq_run 2 'RUN false; true' /bin/sh -c 'false; true'
__sq_run 3 'RUN cd /; export X=1; umask 077; set -e' /bin/sh -c 'cd /; export X=1; umask 077; set -e'
__sq_run 4 'RUN pwd' /bin/sh -c 'pwd > {out}; echo "X=${{X-unset}}" >> {out}; umask >> {out}'
__sq_run 5 'RUN exit 7' /bin/sh -c 'exit 7'
__sq_run 6 'RUN touch never' /bin/sh -c 'touch {tmp_path}/never'
"""
    proc = _sh(shell, _steps_script(tmp_path, body))
    assert proc.returncode == 7
    assert proc.stderr.decode() == "squasher: Dockerfile:5: step failed (exit 7): RUN exit 7\n"
    lines = out.read_text().split("\n")
    assert lines[0] == str(tmp_path)
    assert lines[1] == "X=unset"
    assert lines[2].endswith("22")
    assert not (tmp_path / "never").exists()


@pytest.mark.parametrize("shell", SHELLS)
def test_exec_form_is_not_expanded(shell: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    body = f"""
__sq_run 2 'RUN [...]' /bin/sh -c 'printf "%s|" "$0" "$@" > {out}' '$HOME' '*' 'a  b'
"""
    proc = _sh(shell, _steps_script(tmp_path, body))
    assert proc.returncode == 0, proc.stderr
    assert out.read_text() == "$HOME|*|a  b|"


@pytest.mark.parametrize("shell", SHELLS)
def test_workdir_creates_and_steps_start_there(shell: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    body = f"""
__sq_workdir {quote(str(tmp_path))}/a/../b/c
__sq_run 3 'RUN pwd' /bin/sh -c 'pwd > {out}'
__sq_workdir d
__sq_run 5 'RUN pwd' /bin/sh -c 'pwd >> {out}'
"""
    proc = _sh(shell, _steps_script(tmp_path, body))
    assert proc.returncode == 0, proc.stderr
    assert out.read_text().split() == [f"{tmp_path}/b/c", f"{tmp_path}/b/c/d"]
    assert oct((tmp_path / "b" / "c" / "d").stat().st_mode & 0o777) == "0o755"


RUNTIME_DIR = Path(__file__).parent.parent / "squasher" / "render" / "runtime"


def test_every_helper_declares_what_it_calls() -> None:
    table = helpers()
    for helper in table.values():
        body = helper.text.split(f"{helper.name}() {{", 1)[1]
        called = {n for n in CALL.findall(body) if n in table} - {helper.name}
        assert called == set(helper.uses) - {helper.name}, helper.name


def test_one_prefix_and_one_definition_per_helper() -> None:
    import re

    defined: list[str] = []
    for file in FILES:
        text = (RUNTIME_DIR / file).read_text()
        defined += re.findall(r"^([A-Za-z_][A-Za-z0-9_]*)\(\) \{", text, re.M)
        assert not re.search(r"\b(sq_|squasher_)[a-z]", text.replace("__sq_", "")), file
    assert all(name.startswith("__sq_") for name in defined)
    assert len(defined) == len(set(defined)) == len(helpers())
    assert sorted(p.name for p in RUNTIME_DIR.glob("*.sh")) == sorted(FILES)


def test_runtime_files_pass_shellcheck() -> None:
    exe = required_tools.require("shellcheck")
    files = [str(RUNTIME_DIR / f) for f in FILES]
    proc = subprocess.run([exe, "-s", "sh", *files], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout


def test_runtime_ships_only_what_the_scripts_call() -> None:
    assert needed(["__sq_workdir /x"]) == [
        "__sq_die",
        "__sq_standard_path",
        "__sq_find",
        "__sq_tool",
        "__sq_isnum",
        "__sq_entry",
        "__sq_resolve",
        "__sq_owner",
        "__sq_clean",
        "__sq_workdir",
    ]
    text = runtime_sh(["__sq_fail 1 2 x"])
    assert "__sq_fail() {" in text and "__sq_run() {" not in text
    assert runtime_sh(["__sq_fail 1 2 x"]) == text  # deterministic
    # a hook's function is shipped after the helpers, and what it calls comes with it
    hooked = runtime_sh([], ["__sq_prologue_1() {\n__sq_install_wrappers\n}"])
    assert hooked.index("__sq_install_wrappers() {") < hooked.index("__sq_prologue_1() {")
