"""The script form's inline RUN: build.sh, with the runtime helpers it calls, carried by the RUN
instruction itself when it reads no context file, so nothing is staged (no layer keeps it)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from squasher.engine.choose import needs_buildkit
from squasher.parse import parse_text
from squasher.parse.parser import MAX_LINE
from squasher.render.dockerfile import MAX_INLINE_SCRIPT, inline_run_line
from squasher.rewriting import default_strategy, rewrite


def inline_scripts(dockerfile: str) -> list[str]:
    """The scripts of the inline RUNs of a Dockerfile, as the builder's parser reads them."""
    out = []
    for inst in parse_text(dockerfile).instructions:
        if inst.keyword == "RUN" and inst.json_form and inst.args[:2] == ["/bin/sh", "-c"]:
            out.append(inst.args[2])
    return out


AWKWARD = (
    "#!/bin/sh\n"
    "# a comment line, then an empty one\n"
    "\n"
    "   # an indented comment\n"
    "\tprintf '%s\\n' \"tab, quotes\" 'back\\slash'\n"
    "echo one \\\n"
    "  two \\\\\n"
    "echo `date` \u00e9t\u00e9 \u2028 \x1b[0m $HOME ${X:-y} <<EOF\n"
    "trailing spaces   \n"
    "[ not json ]\n"
)


@pytest.mark.parametrize("escape", ["\\", "`"])
def test_inline_run_line_reads_back_exactly(escape: str) -> None:
    script = AWKWARD + "ends with the escape " + escape + "\n"
    line = inline_run_line(script, escape)
    assert line is not None
    physical = line.split("\n")[:-1]
    assert len(physical) == script.count("\n") + 1  # one physical line per script line
    for text in physical[1:]:  # nothing the parser would skip inside a continuation
        assert text.startswith("\\n"), text
    directive = "" if escape == "\\" else "# escape=`\n"
    df = f"{directive}FROM scratch\n{line}"
    assert inline_scripts(df) == [script]
    assert needs_buildkit(df) is None  # "<<EOF" in the JSON form is text, not a heredoc


def test_inline_run_line_refuses_what_a_line_cannot_hold() -> None:
    assert inline_run_line("a\0b\n") is None
    assert inline_run_line("caf\udce9\n") is None  # a byte that is not UTF-8
    assert inline_run_line("x" * (MAX_INLINE_SCRIPT + 1)) is None
    assert inline_run_line("x" * MAX_LINE + "\n") is None
    assert inline_run_line("x\n" * (MAX_INLINE_SCRIPT // 2)) is not None


def test_default_strategy_follows_the_builder() -> None:
    assert default_strategy("buildkit") == "mount"
    assert default_strategy("classic") == "script"


def _project(tmp_path: Path, dockerfile: str, **files: str) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "Dockerfile").write_text(dockerfile)
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return tmp_path / "Dockerfile"


SMALL = 'FROM busybox\nENV A=1\nRUN echo $A > /a\nWORKDIR /w\nRUN touch b\nCMD ["sh"]\n'


def test_classic_rewrite_without_context_files_stages_nothing(tmp_path: Path) -> None:
    result = rewrite(_project(tmp_path, SMALL), builder="classic")
    report = result.report
    assert report is not None
    assert report.strategy == "script"
    assert result.files == {}  # no build.sh, no runtime.sh: the RUN carries the script
    assert "COPY" not in result.dockerfile
    assert report.inline_scripts == [".squasher/stage-0/build.sh"]
    assert report.staging_bytes == 0 and report.staged_files == []
    assert "staging: none (1 script(s) run inline" in report.summary()
    (script,) = inline_scripts(result.dockerfile)
    assert "__sq_start 'Dockerfile' classic ''" in script  # nothing staged to remove
    assert "\n__sq_run() {" in script and "\n__sq_workdir() {" in script
    assert "__sq_copy" not in script  # only the helpers it calls


def test_inline_script_passes_sh_n_and_shellcheck(tmp_path: Path) -> None:
    import required_tools

    result = rewrite(
        _project(tmp_path / "p", SMALL + "USER 1000:1000\nRUN id\n"), builder="classic"
    )
    (script,) = inline_scripts(result.dockerfile)
    path = tmp_path / "inline.sh"
    path.write_text(script)
    for shell in ("dash", "sh"):
        if shutil.which(shell):
            proc = subprocess.run([shell, "-n", str(path)], capture_output=True, text=True)
            assert proc.returncode == 0, proc.stderr
    exe = required_tools.shellcheck()
    if exe is not None:
        proc = subprocess.run(
            [exe, "-s", "sh", "-S", "warning", str(path)], capture_output=True, text=True
        )
        assert proc.returncode == 0, proc.stdout


def test_a_staged_file_is_reported_as_stored_twice(tmp_path: Path) -> None:
    df = _project(tmp_path, "FROM busybox\nCOPY big.bin /app/\nRUN ls /app\n", **{
        "big.bin": "x" * 300_000, "unread.txt": "u",
    })  # fmt: skip
    classic = rewrite(df, builder="classic").report
    assert classic is not None and classic.strategy == "script"
    by_path = {f.path: (f.bytes, f.copied) for f in classic.staged_files}
    assert by_path == {"big.bin": (300_000, True), "unread.txt": (1, False)}
    assert classic.staging_bytes == classic.staged_script_bytes + 300_001
    assert "staged twice: big.bin 300 kB; --strategy stages avoids it" in classic.summary()
    buildkit = rewrite(df, builder="buildkit", strategy="script").report
    assert buildkit is not None
    assert [(f.path, f.copied) for f in buildkit.staged_files] == [("big.bin", True)]
    assert "staged twice: big.bin 300 kB; --strategy mount or stages avoids it" in (
        buildkit.summary()
    )
    mount = rewrite(df).report  # BuildKit's default: nothing staged
    assert mount is not None and mount.strategy == "mount"
    assert mount.staging_bytes == 0 and mount.staged_files == []
    assert "staging: none (the scripts and the files they read are bind-mounted" in (
        mount.summary()
    )
    data = json.loads(json.dumps(classic.to_dict()))
    assert data["staged_files"][0] == {"path": "big.bin", "bytes": 300_000, "copied": True}


def test_an_inline_rewrite_removes_the_build_sh_of_an_earlier_one(tmp_path: Path) -> None:
    df = _project(tmp_path, SMALL)
    old = tmp_path / ".squasher" / "stage-0" / "build.sh"
    old.parent.mkdir(parents=True)
    old.write_text("#!/bin/sh\n# Generated by squasher from Dockerfile, stage 0, lines 2-5.\n")
    result = rewrite(df, builder="classic")
    assert result.stale() == [old.resolve()]
    assert any(d.endswith(": stale") for d in result.differences())
    result.write()
    assert not old.exists()


APT = (
    "FROM debian:bookworm-slim\n"
    "RUN apt-get update && apt-get install -y --no-install-recommends make gcc\n"
    "COPY --from=busybox /etc/group /bb-group\n"
    "RUN make --version > /make-version && apt-get purge -y gcc\n"
)


@pytest.mark.parametrize(
    "builder,strategy", [("classic", "script"), ("buildkit", "script"), ("buildkit", "mount")]
)
def test_every_hook_function_a_script_calls_is_shipped(
    tmp_path: Path, builder: str, strategy: str
) -> None:
    import re

    result = rewrite(_project(tmp_path, APT), builder=builder, strategy=strategy)
    runtime = result.files.get(".squasher/runtime.sh", b"").decode()
    scripts = [d.decode() for rel, d in result.files.items() if "/build" in rel]
    scripts += inline_scripts(result.dockerfile)
    assert len(scripts) == 2
    hooks = re.compile(r"\b(__sq_(?:prologue|epilogue)_\d+)\b")
    called = [name for text in scripts for name in hooks.findall(text)]
    assert any("epilogue" in name for name in called)  # the purge runs in the last script
    for text in scripts:
        for name in hooks.findall(text):
            assert f"\n{name}() {{\n" in runtime + text, name
