"""``squasher completion``: click's script for the named or detected shell."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from squasher.cli import cli, completion_cmd


@pytest.mark.parametrize(
    ("shell", "marker"),
    [
        ("bash", "complete -o nosort -F"),
        ("zsh", "#compdef squasher"),
        ("fish", "complete --no-files"),
    ],
)
def test_named_shell_prints_its_script(shell: str, marker: str) -> None:
    result = CliRunner().invoke(cli, ["completion", shell])
    assert result.exit_code == 0, result.output
    assert marker in result.stdout
    assert "_SQUASHER_COMPLETE" in result.stdout


def test_bash_script_is_valid_bash() -> None:
    script = CliRunner().invoke(cli, ["completion", "bash"]).stdout
    subprocess.run(["bash", "-n"], input=script, text=True, check=True)


def test_detection_falls_back_to_shell_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import shellingham

    def fail() -> tuple[str, str]:
        raise shellingham.ShellDetectionFailure()

    monkeypatch.setattr(shellingham, "detect_shell", fail)
    monkeypatch.setenv("SHELL", "/usr/bin/fish")
    assert completion_cmd.detect_shell() == "fish"
    monkeypatch.setenv("SHELL", "/bin/tcsh")
    assert completion_cmd.detect_shell() is None
    result = CliRunner().invoke(cli, ["completion"])
    assert result.exit_code == 2
    assert "cannot tell which shell" in result.output


def test_completion_through_the_real_entry_point() -> None:
    """The completion protocol answers with our subcommands (run as a real process)."""
    env = {"_SQUASHER_COMPLETE": "bash_complete", "COMP_WORDS": "squasher co", "COMP_CWORD": "1"}
    import os

    out = subprocess.run(
        [sys.executable, "-m", "squasher"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
    ).stdout
    assert "plain,completion" in out
