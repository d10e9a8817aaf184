"""The pre-commit hook this repository offers (``.pre-commit-hooks.yaml``, id ``squasher-check``),
run by pre-commit itself on a temporary git repository that names this repository as its hook
repository: pre-commit installs squasher into its own environment and runs
``squasher rewrite --check`` on the staged Dockerfiles."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from squasher.rewriting import rewrite

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("pre-commit") is None, reason="pre-commit missing")


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    )


@pytest.fixture(scope="module")
def hook_rev(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """(repository, rev): a snapshot of this repository's committed hook definition and code.

    The snapshot is a clone of HEAD with the working tree's ``.pre-commit-hooks.yaml`` and
    ``squasher/`` committed on top, so the test checks what is being developed, not only what
    was committed before."""
    snap = tmp_path_factory.mktemp("hookrepo") / "squasher"
    subprocess.run(
        ["git", "clone", "-q", "--no-hardlinks", str(REPO), str(snap)], check=True, timeout=120
    )
    shutil.copy2(REPO / ".pre-commit-hooks.yaml", snap / ".pre-commit-hooks.yaml")
    shutil.rmtree(snap / "squasher")
    shutil.copytree(
        REPO / "squasher", snap / "squasher", ignore=shutil.ignore_patterns("__pycache__")
    )
    _git(snap, "add", "-A", ".pre-commit-hooks.yaml", "squasher")
    _git(
        snap,
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@t",
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "snapshot",
    )
    return str(snap), _git(snap, "rev-parse", "HEAD").stdout.strip()


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def _project(tmp_path: Path, hook: tuple[str, str], args: list[str] | None = None) -> Path:
    proj = tmp_path / "proj"
    (proj / "svc").mkdir(parents=True)
    (proj / "Dockerfile").write_text("FROM busybox\nCOPY app.txt /app.txt\nRUN cat /app.txt\n")
    (proj / "app.txt").write_text("app\n")
    (proj / "svc" / "Dockerfile").write_text("FROM busybox\nRUN echo svc > /svc\n")
    repo, rev = hook
    hook_args = f"\n        args: [{', '.join(args)}]" if args else ""
    (proj / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {repo}\n    rev: {rev}\n    hooks:\n      - id: squasher-check{hook_args}\n"
    )
    _git(proj.parent, "init", "-q", str(proj))
    _git(proj, "config", "user.name", "t")
    _git(proj, "config", "user.email", "t@t")
    return proj


def _pre_commit(proj: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"}
    return subprocess.run(
        ["pre-commit", *args],
        cwd=proj,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def test_hook_fails_until_rewritten_then_passes(
    tmp_path: Path, hook_rev: tuple[str, str], pre_commit_home: Path
) -> None:
    proj = _project(tmp_path, hook_rev)
    _git(proj, "add", "-A")
    before = _snapshot(proj)
    proc = _pre_commit(proj, pre_commit_home, "run", "--all-files")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    out = proc.stdout + proc.stderr
    assert "squasher rewrite --check" in out and "Failed" in out
    assert "Dockerfile.squashed: missing" in out
    assert "svc/Dockerfile.squashed: missing" in out  # every Dockerfile is checked
    assert _snapshot(proj) == before  # the hook writes nothing

    for df in (proj / "Dockerfile", proj / "svc" / "Dockerfile"):
        rewrite(df).write()
    _git(proj, "add", "-A")
    proc = _pre_commit(proj, pre_commit_home, "run", "--all-files")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Passed" in proc.stdout

    # an edit to one Dockerfile makes the hook fail on it, and only on it
    (proj / "svc" / "Dockerfile").write_text("FROM busybox\nRUN echo changed > /svc\n")
    _git(proj, "add", "-A")
    proc = _pre_commit(proj, pre_commit_home, "run", "--all-files")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert f"{proj}/svc/.squasher/stage-0/build.sh: differs" in out
    assert f"{proj}/.squasher" not in out and f"{proj}/Dockerfile.squashed" not in out


def test_git_commit_is_blocked_by_the_installed_hook(
    tmp_path: Path, hook_rev: tuple[str, str], pre_commit_home: Path
) -> None:
    proj = _project(tmp_path, hook_rev)
    assert _pre_commit(proj, pre_commit_home, "install").returncode == 0
    _git(proj, "add", "-A")
    env = {**os.environ, "PRE_COMMIT_HOME": str(pre_commit_home)}
    blocked = subprocess.run(
        ["git", "commit", "-q", "-m", "x"], cwd=proj, env=env, capture_output=True, text=True
    )
    assert blocked.returncode != 0
    assert "out of date" in blocked.stdout + blocked.stderr
    for df in (proj / "Dockerfile", proj / "svc" / "Dockerfile"):
        rewrite(df).write()
    _git(proj, "add", "-A")
    done = subprocess.run(
        ["git", "commit", "-q", "-m", "x"], cwd=proj, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_hook_args_and_refusals(
    tmp_path: Path, hook_rev: tuple[str, str], pre_commit_home: Path
) -> None:
    proj = _project(tmp_path, hook_rev, args=["--builder=classic"])
    for df in (proj / "Dockerfile", proj / "svc" / "Dockerfile"):
        rewrite(df, builder="classic").write()
    _git(proj, "add", "-A")
    proc = _pre_commit(proj, pre_commit_home, "run", "--all-files")
    assert proc.returncode == 0, proc.stdout + proc.stderr  # checked as classic rewrites
    # a Dockerfile that cannot be squashed: the hook fails with the located reason
    (proj / "Dockerfile").write_text("FROM busybox\nCOPY gone.txt /g\n")
    _git(proj, "add", "-A")
    proc = _pre_commit(proj, pre_commit_home, "run", "--files", "Dockerfile")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "Dockerfile:2: COPY source 'gone.txt'" in out
