"""The generated sh snippets: golden files, determinism, ``sh -n`` under dash and busybox, shellcheck.

Regenerate the golden files after an intended change with
``SQUASHER_UPDATE_GOLDEN=1 pytest tests/test_pkg_snippets.py`` and review the diff.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import required_tools

from squasher.pkg import MANAGERS, cleanup_sh
from squasher.pkg.apt import Apt
from squasher.pkg.base import Freed, parse_freed_log

GOLDEN = Path(__file__).parent / "golden" / "pkg"
BUILD_ONLY = ["gcc", "make", "libpq-dev", ".build-deps", "python3-pip"]
KEEP = ["libpq5", "ca-certificates"]
FORCE = ["git"]


def snippets() -> dict[str, str]:
    out: dict[str, str] = {}
    for name, m in MANAGERS.items():
        out[f"{name}/snapshot.sh"] = m.snapshot_sh()
        out[f"{name}/protect.sh"] = m.protect_sh("Dockerfile:12")
        out[f"{name}/intercept.sh"] = m.intercept_sh()
        out[f"{name}/purge.sh"] = m.purge_sh(BUILD_ONLY, KEEP, FORCE)
        out[f"{name}/clean.sh"] = m.clean_sh()
    out["cleanup.sh"] = cleanup_sh(list(MANAGERS), skip=["/var/tmp"])
    apt = MANAGERS["apt"]
    assert isinstance(apt, Apt)
    out["apt/no-recommends.sh"] = apt.no_recommends_sh() + apt.no_recommends_end_sh()
    return {k: v for k, v in out.items() if v}


SNIPPETS = snippets()


def as_script(body: str) -> str:
    return "#!/bin/sh\nset -eu\n" + body


def test_every_purging_manager_has_all_snippets() -> None:
    for name, m in MANAGERS.items():
        # the cache-only managers snapshot the marker (caches in users' homes) and clean
        expected = (
            ["snapshot", "protect", "intercept", "purge", "clean"]
            if m.purges
            else ["snapshot", "clean"]
        )
        if name == "apt":
            expected.append("no-recommends")
        have = sorted(k.split("/")[-1][:-3] for k in SNIPPETS if k.startswith(name + "/"))
        assert have == sorted(expected), name


@pytest.mark.parametrize("key", sorted(SNIPPETS))
def test_golden(key: str) -> None:
    path = GOLDEN / key
    text = SNIPPETS[key]
    if os.environ.get("SQUASHER_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert path.exists(), f"missing golden file {path}: run with SQUASHER_UPDATE_GOLDEN=1"
    assert text == path.read_text()


def test_deterministic() -> None:
    assert snippets() == SNIPPETS
    m = MANAGERS["apt"]
    assert m.purge_sh(["b", "a", "a"], ["d", "c"]) == m.purge_sh(["a", "b"], ["c", "d"])


@pytest.mark.parametrize("key", sorted(SNIPPETS))
@pytest.mark.parametrize("shell", ["sh", "dash", "busybox"])
def test_syntax(key: str, shell: str, tmp_path: Path) -> None:
    exe = shutil.which(shell)
    if exe is None:
        pytest.skip(f"{shell} not installed")
    script = tmp_path / "s.sh"
    script.write_text(as_script(SNIPPETS[key]))
    cmd = [exe, "sh", "-n", str(script)] if shell == "busybox" else [exe, "-n", str(script)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("key", sorted(SNIPPETS))
def test_shellcheck(key: str, tmp_path: Path) -> None:
    exe = required_tools.require("shellcheck")
    script = tmp_path / "s.sh"
    script.write_text(as_script(SNIPPETS[key]))
    proc = subprocess.run(
        [exe, "-s", "sh", "-S", "style", str(script)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout


def test_skip_paths_leave_caches_alone() -> None:
    # with every cache skipped only the build's own apt logs are removed
    no_caches = MANAGERS["apt"].clean_sh(skip=MANAGERS["apt"].cache_paths())
    assert "apt-get clean" not in no_caches and "/var/lib/apt/lists" not in no_caches
    assert "/var/log/dpkg.log" in no_caches
    assert "apt-get clean" in MANAGERS["apt"].clean_sh(skip=["/var/lib/apt/lists"])
    assert "/var/lib/apt/lists" not in MANAGERS["apt"].clean_sh(skip=["/var/lib/apt/lists"])
    assert MANAGERS["pip"].clean_sh(skip=["/root/.cache/pip"]) == ""
    npm = MANAGERS["npm"].clean_sh(skip=["/root/.npm"])
    assert "/root/.npm " not in npm and "/root/.cache/yarn" in npm


def test_protect_label_is_quoted() -> None:
    text = MANAGERS["apt"].protect_sh("Dockerfile:3 it's")
    assert "squasher_where='Dockerfile:3 it'\\''s'" in text


def test_intercept_reads_the_step_from_the_environment() -> None:
    text = MANAGERS["apt"].intercept_sh()
    assert 'squasher_where="${SQUASHER_WHERE:-removal}"' in text
    assert "<<'SQUASHER_PROTECT'" in text and "\nSQUASHER_PROTECT\n" in text


def test_wrapper_runs_protection_only_for_removals(tmp_path: Path) -> None:
    """Install wrappers around a fake tool and check when the protection runs."""
    bin_dir = tmp_path / "fakebin"
    bin_dir.mkdir()
    tool = bin_dir / "apt-get"
    tool.write_text('#!/bin/sh\necho "real apt-get $*"\n')
    tool.chmod(0o755)
    state = tmp_path / "state"
    script = tmp_path / "intercept.sh"
    script.write_text(MANAGERS["apt"].intercept_sh())
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "SQUASHER_STATE": str(state)}
    subprocess.run(["sh", str(script)], check=True, env=env)
    # a stand-in protection that only records that it ran
    (state / "apt-protect.sh").write_text('echo "protect $SQUASHER_WHERE"\n')
    # the steps need only PATH and SQUASHER_WHERE: the wrappers know the state directory
    wrapped = {"PATH": f"{state}/bin:{env['PATH']}", "SQUASHER_WHERE": "Dockerfile:4"}

    def run(*args: str, extra: dict[str, str] | None = None) -> str:
        proc = subprocess.run(
            ["sh", "-c", 'apt-get "$@"', "sh", *args],
            env={**wrapped, **(extra or {})},
            capture_output=True,
            text=True,
            check=True,
        )
        return proc.stdout

    assert run("install", "-y", "gcc") == "real apt-get install -y gcc\n"
    assert run("purge", "-y", "gcc") == "protect Dockerfile:4\nreal apt-get purge -y gcc\n"
    assert run("-y", "autoremove").startswith("protect Dockerfile:4\n")
    assert run("purge", "x", extra={"SQUASHER_PROTECTING": "1"}) == "real apt-get purge x\n"
    assert not (state / "bin" / "apk").exists()


def test_parse_freed_log() -> None:
    log = (
        "Step 3/4 : RUN sh build.sh\n"
        "squasher-freed\tapt\tpurge\t183044\n"
        "squasher-freed\tapt\t/var/lib/apt/lists\t20480\r\n"
        "squasher-freed\tpip\t/root/.cache/pip\tnot-a-number\n"
        "squasher-freed\tshort\n"
    )
    assert parse_freed_log(log) == [
        Freed("apt", "purge", 183044),
        Freed("apt", "/var/lib/apt/lists", 20480),
    ]
