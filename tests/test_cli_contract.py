"""The command line's contract, across every command: help shows an example, exit codes are the
documented ones (0 ok, 1 check failed / unexpected difference / build failed, 2 usage, input or
engine error), refusals are one ``PATH:LINE: message`` line and write nothing, NO_COLOR is
honoured, and a dead engine is reported in one sentence within 10 s."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from squasher.cli import COMMANDS, cli

SUBCOMMANDS = sorted(COMMANDS)
LOCATED = re.compile(r"^Dockerfile:\d+: \S")


def _invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    res = CliRunner().invoke(cli, list(args), catch_exceptions=False, env=env)
    return res.exit_code, res.stdout, res.stderr


def _squasher(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "squasher", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _snapshot(root: Path) -> dict[str, bytes | str]:
    """Every entry under root: file bytes, symlink targets, directories."""
    out: dict[str, bytes | str] = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if p.is_symlink():
            out[rel] = "-> " + os.readlink(p)
        elif p.is_dir():
            out[rel] = "dir"
        else:
            out[rel] = p.read_bytes()
    return out


# ---- help ---------------------------------------------------------------------------------------


def test_root_help_lists_every_command_and_shows_an_example() -> None:
    code, out, _ = _invoke("--help")
    assert code == 0
    for name in SUBCOMMANDS:
        assert re.search(rf"^\s+{re.escape(name)}\s", out, re.M), name
    assert re.search(r"Example.*\n?.*squasher \w", out)


@pytest.mark.parametrize("name", SUBCOMMANDS)
def test_every_subcommand_help_shows_an_example(name: str) -> None:
    code, out, _ = _invoke(name, "--help")
    assert code == 0
    assert "Example" in out
    # the example is an actual invocation of this very command
    assert re.search(rf"squasher {re.escape(name)}\b", out.split("Example", 1)[1]), out


def test_help_is_fast_through_the_real_entry_point() -> None:
    started = time.monotonic()
    proc = _squasher("--help")
    assert proc.returncode == 0
    assert time.monotonic() - started < 5  # python start-up included; the group itself is lazy
    probe = subprocess.run(
        [sys.executable, "-c", "import sys, squasher.cli; print('docker' in sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stdout.strip() == "False"  # the SDK is imported by commands that need it only


# ---- exit codes ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SUBCOMMANDS)
def test_unknown_option_is_a_usage_error_exit_2(name: str) -> None:
    code, _out, err = _invoke(name, "--no-such-option")
    assert code == 2
    assert "No such option" in err


def test_unknown_command_exit_2() -> None:
    code, _out, err = _invoke("frobnicate")
    assert code == 2 and "No such command" in err


@pytest.mark.parametrize("name", ["rewrite", "parse"])
def test_missing_dockerfile_exit_2_one_line(name: str, tmp_path: Path) -> None:
    code, _out, err = _invoke(name, str(tmp_path / "nope" / "Dockerfile"))
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err


def test_parse_error_exit_2_with_line(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM busybox\nRUN <<EOF\necho a\n")  # unterminated
    proc = _squasher("parse", "Dockerfile", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("Dockerfile:2: "), proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_rewrite_check_exit_1_then_0(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM busybox\nRUN echo a > /a\nRUN rm /a\n")
    proc = _squasher("rewrite", "--check", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "out of date" in proc.stderr
    assert not (tmp_path / "Dockerfile.squashed").exists()  # --check writes nothing
    assert _squasher("rewrite", "-q", cwd=tmp_path).returncode == 0
    proc = _squasher("rewrite", "--check", "-q", cwd=tmp_path)
    assert proc.returncode == 0 and proc.stderr == "" and proc.stdout == ""


def test_rewrite_quiet_prints_nothing_and_default_prints_a_summary(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM busybox\nRUN echo a > /a\n")
    quiet = _squasher("rewrite", "--quiet", cwd=tmp_path)
    assert quiet.returncode == 0 and quiet.stdout == "" and quiet.stderr == ""
    (tmp_path / "Dockerfile.squashed").unlink()
    loud = _squasher("rewrite", cwd=tmp_path)
    assert loud.returncode == 0 and loud.stderr.strip()


# ---- refusals: exit 2, one located line, nothing written ---------------------------------------

REFUSALS = {
    "missing-source": ("FROM busybox\nRUN true\nCOPY missing.txt /m\n", 3, "missing.txt"),
    "escapes-parent": ("FROM busybox\nWORKDIR /w\nCOPY ../secret /s\nRUN true\n", 3, "outside"),
    "escapes-add": ("FROM busybox\nADD sub/../../x /x\nRUN true\n", 2, "outside"),
    "unknown-instruction": ("FROM busybox\nRUN true\nFROBNICATE x\n", 3, "FROBNICATE"),
    "no-shell": ('FROM scratch\nCOPY f.txt /f\nRUN ["/f"]\n', 3, "/bin/sh"),
    "no-shell-stage": (
        "FROM busybox AS b\nRUN true\nFROM scratch\nCOPY --from=b /bin/busybox /bb\n"
        'RUN ["/bb", "true"]\n',
        5,
        "/bin/sh",
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_refusal_is_one_located_line_exit_2_and_writes_nothing(case: str, tmp_path: Path) -> None:
    text, line, word = REFUSALS[case]
    proj = tmp_path / "proj"
    (proj / "sub").mkdir(parents=True)
    (proj / "Dockerfile").write_text(text)
    (proj / "f.txt").write_text("f\n")
    (tmp_path / "secret").write_text("outside the context\n")
    (tmp_path / "x").write_text("outside the context\n")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    before, before_out = _snapshot(proj), _snapshot(out_dir)
    for args in (["rewrite"], ["rewrite", "-o", str(out_dir / "D.sq")], ["rewrite", "--check"]):
        proc = _squasher(*args, cwd=proj)
        assert proc.returncode == 2, (args, proc.stderr)
        err = proc.stderr.strip()
        assert len(err.splitlines()) == 1, err
        assert err.startswith(f"Dockerfile:{line}: "), err
        assert word in err, err
        assert proc.stdout == ""
        assert _snapshot(proj) == before
        assert _snapshot(out_dir) == before_out


def test_refusal_to_stdout_prints_nothing(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM busybox\nCOPY nope /n\n")
    proc = _squasher("rewrite", "-o", "-", cwd=tmp_path)
    assert proc.returncode == 2 and proc.stdout == ""
    assert LOCATED.match(proc.stderr)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Dockerfile"]


# ---- NO_COLOR -----------------------------------------------------------------------------------


@pytest.fixture
def tty_stream() -> Iterator[object]:
    master, slave = os.openpty()
    stream = os.fdopen(slave, "w")
    try:
        yield stream
    finally:
        stream.close()
        os.close(master)


def test_colour_on_a_terminal_unless_no_color(
    tty_stream: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from squasher.report.humanize import use_colour

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert use_colour(tty_stream)  # type: ignore[arg-type]
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_colour(tty_stream)  # type: ignore[arg-type]
    monkeypatch.setenv("NO_COLOR", "")  # no-color.org: set *and non-empty*
    assert use_colour(tty_stream)  # type: ignore[arg-type]


def test_no_escape_sequences_in_piped_output(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM busybox\nRUN echo a > /a\n")
    for args in (["rewrite"], ["parse", "--format", "json"], ["--help"], ["rewrite", "--help"]):
        proc = _squasher(*args, cwd=tmp_path)
        assert "\x1b" not in proc.stdout + proc.stderr, args


# ---- engine not reachable ------------------------------------------------------------------------


@pytest.fixture
def silent_socket(tmp_path: Path) -> Iterator[str]:
    """A unix socket that accepts connections and never answers (a hung engine)."""
    path = tmp_path / "hung.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                accepted.append(conn)
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"unix://{path}"
    finally:
        stop.set()
        thread.join()
        for conn in accepted:
            conn.close()
        server.close()


ENGINE_COMMANDS = [
    ["diff-size", "."],
    ["verify", "a:1", "b:2"],
    ["analyze", "a:1"],
    ["rewrite", "--inspect-base", "-o", "-"],
]


@pytest.mark.parametrize("args", ENGINE_COMMANDS, ids=lambda a: a[0])
@pytest.mark.parametrize("kind", ["missing-socket", "hung-socket"])
def test_unreachable_engine_is_one_sentence_exit_2_without_hanging(
    args: list[str], kind: str, tmp_path: Path, silent_socket: str
) -> None:
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "Dockerfile").write_text("FROM busybox\nRUN echo a > /a\n")
    before = _snapshot(proj)
    host = silent_socket if kind == "hung-socket" else f"unix://{tmp_path}/none.sock"
    started = time.monotonic()
    proc = _squasher(*args, cwd=proj, env={"DOCKER_HOST": host}, timeout=30)
    elapsed = time.monotonic() - started
    assert proc.returncode == 2, proc.stderr
    # the engine's connect timeout is 6 s; a loaded machine adds start-up time, a hang does not end
    assert elapsed < 20, elapsed
    err = proc.stderr.strip()
    assert len(err.splitlines()) == 1, err
    assert host in err and "Traceback" not in err
    assert _snapshot(proj) == before


def test_the_source_option_offers_what_the_reader_takes() -> None:
    from squasher.cli.image_source import SOURCES
    from squasher.inspect.streaming import SOURCES as READER_SOURCES

    assert SOURCES == READER_SOURCES
