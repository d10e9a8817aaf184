"""Unit and golden tests for COPY/ADD placement: planned (squasher.plan.placements), written as sh
(squasher.render.placement), and the build-context helpers (squasher.context).

Golden files: tests/golden/copy/<case>.sh hold the sh plan_copy generates for each case below
(run with SQUASHER_UPDATE_GOLDEN=1 to rewrite them after a reviewed change). Every generated
text, with the runtime in front, must pass ``sh -n`` and ``shellcheck -s sh``.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import subprocess
import tarfile
from pathlib import Path

import pytest
import required_tools

from squasher.context.archive import inspect_archive, is_tar_header, symlink_times
from squasher.context.dockerignore import DockerIgnore
from squasher.context.sources import expand_wildcard, resolve_in_context
from squasher.errors import RewriteRefused
from squasher.parse import parse_text
from squasher.parse.model import Instruction
from squasher.plan.model import CopyOp
from squasher.plan.placements import is_foldable, plan_copy
from squasher.render.placement import copy_sh
from squasher.render.runtime import full_runtime

GOLDEN = Path(__file__).parent / "golden" / "copy"
UPDATE = os.environ.get("SQUASHER_UPDATE_GOLDEN") == "1"


def tar_bytes(members: dict[str, bytes | str | None]) -> bytes:
    """A tar: bytes = file, str = symlink target, None = directory. Fixed mtimes."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.mtime = 1_500_000_000
            if data is None:
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                tar.addfile(info)
            elif isinstance(data, str):
                info.type = tarfile.SYMTYPE
                info.linkname = data
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


TAR = tar_bytes({"app": None, "app/x": b"x\n", "app/ln": "x"})


@pytest.fixture
def ctx(tmp_path: Path) -> Path:
    root = tmp_path / "ctx"
    (root / ".squasher" / "stage-0").mkdir(parents=True)  # as left by an earlier rewrite
    (root / ".squasher" / "stage-0" / "build.sh").write_text("true\n")
    (root / "Dockerfile.squashed").parent.mkdir(parents=True, exist_ok=True)
    (root / "Dockerfile.squashed").write_text("FROM busybox\n")
    files = {
        "a.txt": b"a\n",
        "b.txt": b"b\n",
        "notes.log": b"log\n",
        "space name.txt": b"s\n",
        "quote'name": b"q\n",
        "d/one": b"1\n",
        "d/sub/two": b"2\n",
        "d/sub/keep.txt": b"k\n",
        "f1/x.txt": b"x\n",
        "f2/x.txt": b"x\n",
        "f2/y.md": b"y\n",
        "pkg.tar": TAR,
        "pkg.tar.gz": gzip.compress(TAR, mtime=0),
        "pkg.tar.xz": lzma.compress(TAR),
        "pkg.tar.bz2": bz2.compress(TAR),
        "fake.tar.gz": b"not an archive\n",
        "text.gz": gzip.compress(b"just text\n", mtime=0),
        "empty": b"",
    }
    for rel, data in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    os.symlink("a.txt", root / "link-a")
    os.symlink("/d/sub", root / "abs-link-sub")  # absolute: resolved inside the context
    os.symlink("../../outside", root / "d" / "escape")
    return root


def instruction(line: str) -> Instruction:
    df = parse_text("FROM busybox\n" + line)
    return df.instructions[1]


def plan(
    line: str,
    ctx: Path,
    *,
    builder: str = "buildkit",
    workdir: str = "/",
    ignore: str = "",
    expand: object = None,
) -> CopyOp:
    inst = instruction(line)
    return plan_copy(
        inst,
        inst.args[:-1],
        inst.args[-1],
        workdir=workdir,
        context=ctx,
        ignore=DockerIgnore.from_text(ignore),
        staged_root="/.squasher/ctx",
        dockerfile_path="Dockerfile",
        builder=builder,
        expand=expand,  # type: ignore[arg-type]
    )


def _upper_x(value: str) -> str:
    return value.replace("${X}", "world").replace("$X", "world")


# name -> (Dockerfile line, builder, workdir, .dockerignore)
GOLDEN_CASES: dict[str, tuple[str, str, str, str]] = {
    "file": ("COPY a.txt /t/a", "buildkit", "/", ""),
    "file-into-dir": ("COPY a.txt /t/dir/", "buildkit", "/", ""),
    "dir": ("COPY d /t/d", "buildkit", "/", ""),
    "multiple": ("COPY a.txt d b.txt /t/m/", "classic", "/", ""),
    "wildcard": ("COPY *.txt f*/x.* /t/w/", "buildkit", "/", ""),
    "workdir": ("COPY a.txt d ./rel/", "buildkit", "/srv/app", ""),
    "json-spaces": ('COPY ["space name.txt", "quote\'name", "/t/j k/"]', "classic", "/", ""),
    "symlink-source": ("COPY link-a abs-link-sub /t/s/", "buildkit", "/", ""),
    "chown-classic": ("COPY --chown=app:grp d a.txt /t/c/", "classic", "/", ""),
    "chown-buildkit": ("COPY --chown=app d a.txt /t/c/", "buildkit", "/", ""),
    "chmod": ("COPY --chmod=640 a.txt d /t/cm/", "buildkit", "/", ""),
    "add-archives": ("ADD pkg.tar pkg.tar.gz pkg.tar.xz pkg.tar.bz2 /t/x/", "buildkit", "/", ""),
    "add-not-archives": ("ADD fake.tar.gz text.gz empty /t/n/", "classic", "/", ""),
    "add-chown-archive": ("ADD --chown=1000:1000 pkg.tar /opt/", "buildkit", "/", ""),
    "dockerignore": ("COPY d *.txt /t/i/", "buildkit", "/", "d/sub\n!d/sub/keep.txt\nb.txt\n"),
    "heredoc": (
        'COPY --chmod=755 <<EOF <<"LIT" /t/h/\necho hello $X\nEOF\necho $X\nLIT\n',
        "buildkit",
        "/",
        "",
    ),
    "heredoc-file": ("COPY <<-EOF /etc/motd\n\tWelcome, it's ${X}\n\tEOF\n", "classic", "/", ""),
    "link": ("COPY --link a.txt /t/l/", "buildkit", "/", ""),
    "context-root": ("COPY . /app/", "buildkit", "/", "*.log\n"),
    "generated-skipped": ("COPY * /all/", "classic", "/", "*.log\n"),
}


@pytest.mark.parametrize("name", sorted(GOLDEN_CASES))
def test_golden(name: str, ctx: Path) -> None:
    line, builder, workdir, ignore = GOLDEN_CASES[name]
    step = plan(line, ctx, builder=builder, workdir=workdir, ignore=ignore, expand=_upper_x)
    text = copy_sh(step) + "".join(f"# context: {p}\n" for p in step.context_paths)
    text += "".join(f"# note: {n}\n" for n in step.notes)
    path = GOLDEN / f"{name}.sh"
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert path.exists(), f"missing golden {path}; run with SQUASHER_UPDATE_GOLDEN=1"
    assert text == path.read_text()
    # deterministic: a second plan is byte-identical
    again = plan(line, ctx, builder=builder, workdir=workdir, ignore=ignore, expand=_upper_x)
    assert again == step


def test_generated_sh_passes_sh_n_and_shellcheck(ctx: Path, tmp_path: Path) -> None:
    exe = required_tools.require("shellcheck")
    parts = ["#!/bin/sh", full_runtime(), "__sq_df=Dockerfile", "__sq_line=0"]
    for line, builder, workdir, ignore in GOLDEN_CASES.values():
        step = plan(line, ctx, builder=builder, workdir=workdir, ignore=ignore, expand=_upper_x)
        parts.append("(\n" + copy_sh(step) + ") || exit $?")
    script = tmp_path / "all.sh"
    script.write_text("\n".join(parts) + "\n")
    subprocess.run(["sh", "-n", str(script)], check=True)
    proc = subprocess.run(
        [exe, "-s", "sh", str(script)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout


def test_wildcards_follow_walk_order_and_dockerignore(ctx: Path) -> None:
    di = DockerIgnore.from_text("b.txt\n")
    assert expand_wildcard(ctx, "*.txt", di) == ["a.txt", "space name.txt"]
    assert expand_wildcard(ctx, "f*/x.*", DockerIgnore()) == ["f1/x.txt", "f2/x.txt"]
    assert expand_wildcard(ctx, "d/s?b", DockerIgnore()) == ["d/sub"]
    assert expand_wildcard(ctx, "nothing*", DockerIgnore()) == []


def test_symlinks_resolve_inside_the_context(ctx: Path) -> None:
    assert resolve_in_context(ctx, "link-a") == "a.txt"
    assert resolve_in_context(ctx, "abs-link-sub/two") == "d/sub/two"
    assert resolve_in_context(ctx, "d/escape") == "outside"  # ".." stops at the context root


@pytest.mark.parametrize(
    ("line", "builder", "message"),
    [
        ("COPY missing /x", "buildkit", "file not found in build context"),
        ("COPY ../etc/passwd /x", "buildkit", "outside the build context"),
        ("COPY notes.log /x", "buildkit", "excluded by .dockerignore"),
        ("COPY a.txt b.txt /x", "classic", "must be a directory and end with a /"),
        ("COPY *.txt /x", "classic", "must be a directory and end with a /"),
        ("COPY a.txt b.txt .", "classic", "must be a directory and end with a /"),
        ("COPY --chmod=600 a.txt /x", "classic", "requires BuildKit"),
        ("COPY --chmod=u+x a.txt /x", "buildkit", "only octal modes"),
        ("COPY nomatch* /x/", "classic", "matches no file"),
        ("COPY --chown=$U a.txt /x", "buildkit", "needs variable expansion"),
        ("COPY --from=build /a /b", "buildkit", "COPY --from"),
        ("COPY d/[ /x/", "buildkit", "syntax error in pattern"),
    ],
)
def test_refusals_name_the_line(ctx: Path, line: str, builder: str, message: str) -> None:
    with pytest.raises(RewriteRefused, match=message) as err:
        plan(line, ctx, builder=builder, ignore="*.log\n")
    assert str(err.value).startswith("Dockerfile:2: ")


def test_buildkit_accepts_several_sources_without_slash(ctx: Path) -> None:
    step = plan("COPY a.txt b.txt /x", ctx)
    assert copy_sh(step).count("sq_copy_file") == 2
    assert " 0 " in copy_sh(step)  # not "into a directory": each file lands on /x in turn


def test_buildkit_empty_wildcard_copies_nothing(ctx: Path) -> None:
    step = plan("COPY nomatch* /x/", ctx)
    assert step.context_paths == []
    assert copy_sh(step).rstrip().endswith(":")
    assert any("matches nothing" in n for n in step.notes)


@pytest.mark.parametrize(
    ("line", "foldable", "why"),
    [
        ("COPY a /b", True, ""),
        ("COPY --link a /b", True, ""),
        ("COPY --chown=1:1 --chmod=644 a /b", True, ""),
        ("ADD a.tar /b", True, ""),
        ("COPY --from=build /a /b", False, "COPY --from"),
        ("ADD https://example.invalid/x.tgz /b", False, "URL or git"),
        ("ADD git@example.invalid:o/r.git /b", False, "URL or git"),
        ("ADD --checksum=sha256:00 https://example.invalid/x /b", False, "--checksum"),
        ("COPY --parents a/b /c/", False, "--parents"),
        ("COPY --exclude=*.md . /c/", False, "--exclude"),
        ("COPY --frobnicate a /b", False, "unknown flag"),
        ("RUN true", False, "not a COPY or ADD"),
    ],
)
def test_is_foldable(line: str, foldable: bool, why: str) -> None:
    ok, reason = is_foldable(instruction(line))
    assert ok is foldable
    assert why in reason


def test_is_foldable_sees_expanded_sources() -> None:
    inst = instruction("ADD $SRC /b")
    assert is_foldable(inst)[0]
    assert not is_foldable(inst, ["https://example.invalid/x"])[0]


# --- archive detection -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "is_archive", "compression"),
    [
        ("pkg.tar", True, ""),
        ("pkg.tar.gz", True, "gzip"),
        ("pkg.tar.xz", True, "xz"),
        ("pkg.tar.bz2", True, "bzip2"),
        ("fake.tar.gz", False, ""),
        ("text.gz", False, "gzip"),
        ("empty", False, ""),
        ("a.txt", False, ""),
    ],
)
def test_archive_detection_by_content(
    ctx: Path, name: str, is_archive: bool, compression: str
) -> None:
    info = inspect_archive(ctx / name)
    assert (info.is_archive, info.compression) == (is_archive, compression)


def test_zero_blocks_are_not_an_archive(tmp_path: Path) -> None:
    p = tmp_path / "zeros.tar"
    p.write_bytes(bytes(1024))
    assert not inspect_archive(p).is_archive
    p.write_bytes(bytes(512) + b"x" * 512)
    assert not inspect_archive(p).is_archive


def test_tar_header_checksum() -> None:
    block = bytearray(TAR[:512])
    assert is_tar_header(bytes(block))
    block[0] ^= 1
    assert not is_tar_header(bytes(block))


def test_symlink_times(ctx: Path) -> None:
    assert symlink_times(ctx / "pkg.tar.gz", "gzip") == [("app/ln", 1_500_000_000)]
    assert symlink_times(ctx / "fake.tar.gz", "gzip") == []
