"""``squasher rewrite`` on the command line: outputs, --check, -o -, refusals, idempotence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from squasher.cli import cli

SIMPLE = 'FROM busybox:latest\nENV A=1\nRUN echo $A > /a\nCOPY f.txt /f.txt\nCMD ["sh"]\n'


def _project(tmp_path: Path, text: str = SIMPLE) -> Path:
    (tmp_path / "Dockerfile").write_text(text)
    (tmp_path / "f.txt").write_text("f\n")
    return tmp_path


def _run(*args: str) -> tuple[int, str, str]:
    runner = CliRunner()
    res = runner.invoke(cli, ["rewrite", *args], catch_exceptions=False)
    return res.exit_code, res.stdout, res.stderr


def _snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_writes_squashed_dockerfile_and_scripts(tmp_path: Path) -> None:
    proj = _project(tmp_path)
    code, _out, err = _run(str(proj / "Dockerfile"))
    assert code == 0, err
    squashed = (proj / "Dockerfile.squashed").read_text()
    # BuildKit, the default builder: build.sh and the files it reads are bind-mounted
    assert "needs BuildKit (RUN --mount)" in squashed.splitlines()[0]
    assert "COPY" not in squashed
    assert (
        'RUN --mount=type=bind,target=/dev/.squasher ["/bin/sh", '
        '"/dev/.squasher/.squasher/stage-0/build.sh"]'
    ) in squashed
    assert (proj / ".squasher" / "stage-0" / "build.sh").is_file()
    assert "!f.txt" in (proj / "Dockerfile.squashed.dockerignore").read_text()
    assert (proj / "Dockerfile").read_text() == SIMPLE
    assert "1 script(s)" in err
    assert "staging: none (the scripts and the files they read are bind-mounted" in err


def test_script_strategy_stages_the_files_the_script_reads(tmp_path: Path) -> None:
    proj = _project(tmp_path)
    code, _out, err = _run("--strategy", "script", str(proj / "Dockerfile"))
    assert code == 0, err
    squashed = (proj / "Dockerfile.squashed").read_text()
    assert "COPY . /.squasher/ctx/" in squashed
    assert 'RUN ["/bin/sh", "/.squasher/ctx/.squasher/stage-0/build.sh"]' in squashed
    assert "staged twice: f.txt 2 B; --strategy mount or stages avoids it" in err


def test_check_and_idempotence(tmp_path: Path) -> None:
    proj = _project(tmp_path)
    df = str(proj / "Dockerfile")
    assert _run("--check", df)[0] == 1  # nothing written yet
    assert not (proj / "Dockerfile.squashed").exists()
    assert _run(df)[0] == 0
    before = _snapshot(proj)
    assert _run("--check", df)[0] == 0
    assert _run(df)[0] == 0
    assert _snapshot(proj) == before  # byte-identical re-run
    code, _out, err = _run(str(proj / "Dockerfile.squashed"))
    assert code == 0 and "already squashed" in err
    assert _snapshot(proj) == before
    assert _run("--check", "--builder", "classic", df)[0] == 1


def test_output_to_stdout(tmp_path: Path) -> None:
    proj = _project(tmp_path)
    code, out, _err = _run("-o", "-", "--strategy", "mount", str(proj / "Dockerfile"))
    assert code == 0
    assert out.startswith("# squasher: generated from Dockerfile")
    assert "RUN --mount=type=bind,target=/dev/.squasher" in out
    assert not (proj / "Dockerfile.squashed").exists()
    assert (proj / ".squasher" / "stage-0" / "build.sh").is_file()


def test_json_report(tmp_path: Path) -> None:
    proj = _project(tmp_path, SIMPLE + "RUN --network=none true\n")
    code, out, _err = _run("--json", "-q", str(proj / "Dockerfile"))
    assert code == 0
    report = json.loads(out)
    assert report["builder"] == "buildkit" and report["strategy"] == "mount"
    assert [k["line"] for k in report["kept"]] == [6]
    assert "network" in report["kept"][0]["reason"]
    assert {f["line"] for f in report["folded"]} == {3, 4}


@pytest.mark.parametrize(
    "text,message",
    [
        ('FROM scratch\nRUN ["/x"]\n', "Dockerfile:2: cannot squash: FROM scratch has no /bin/sh"),
        ("FROM busybox\nCOPY missing.txt /m\n", "Dockerfile:2:"),
        ("FROM busybox\nFROBNICATE x\n", "Dockerfile:2:"),
        ("FROM windows/servercore:ltsc2022\nRUN dir\n", "Dockerfile:1: cannot squash:"),
    ],
)
def test_refusals_exit_2_and_write_nothing(tmp_path: Path, text: str, message: str) -> None:
    proj = _project(tmp_path, text)
    before = _snapshot(proj)
    code, _out, err = _run(str(proj / "Dockerfile"))
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
    assert _snapshot(proj) == before


def test_mount_needs_buildkit(tmp_path: Path) -> None:
    proj = _project(tmp_path)
    code, _out, err = _run("--builder", "classic", "--strategy", "mount", str(proj / "Dockerfile"))
    assert code == 2 and "needs --builder buildkit" in err
