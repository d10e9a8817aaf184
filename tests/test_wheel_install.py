"""squasher installs like a tool: the wheel ``python -m build`` makes, installed into a fresh
virtualenv, carries every runtime file of the source tree and runs ``squasher rewrite``."""

from __future__ import annotations

import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest
from conftest import REPO

# every file of the package that is not Python source is data the code reads at run time
SOURCE_SUFFIXES = (".py", ".pyc")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("build", reason="python -m build needs the build package (test extra)")
    src = tmp_path_factory.mktemp("src")
    # build from a clean copy: an in-tree build would leave build/ and *.egg-info behind
    shutil.copytree(
        REPO,
        src,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", ".*_cache"),
    )
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(src)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    (found,) = out.glob("squasher-*.whl")
    return found


def test_the_wheel_carries_every_runtime_file_of_the_source_tree(wheel: Path) -> None:
    wanted = sorted(
        p.relative_to(REPO).as_posix()
        for p in (REPO / "squasher").rglob("*")
        if p.is_file() and not p.name.endswith(SOURCE_SUFFIXES) and "__pycache__" not in p.parts
    )
    assert "squasher/py.typed" in wanted and "squasher/render/stages/delta.awk" in wanted
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert [path for path in wanted if path not in names] == []


def test_the_installed_wheel_rewrites_a_sample(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", str(wheel)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    sample = tmp_path / "c-make"
    shutil.copytree(REPO / "samples" / "c-make", sample)
    # run from elsewhere, so that the source tree cannot be imported by accident
    proc = subprocess.run(
        [str(env_dir / "bin" / "squasher"), "rewrite", str(sample / "Dockerfile")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert (sample / "Dockerfile.squashed").is_file()
    scripts = list((sample / ".squasher").rglob("build.sh"))
    assert scripts and scripts[0].read_text().startswith("#!")
    stages = subprocess.run(
        [str(env_dir / "bin" / "squasher"), "rewrite", "--strategy", "stages", "-o",
         str(sample / "Dockerfile.stages"), str(sample / "Dockerfile")],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert stages.returncode == 0, stages.stderr
    assert list((sample / ".squasher").rglob("delta.awk"))
    where = subprocess.run(
        [str(python), "-c", "import squasher; print(squasher.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert str(env_dir) in where.stdout
