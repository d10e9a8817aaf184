"""Real-engine equivalence of COPY/ADD placement by script (squasher.plan.placements, squasher.render.placement).

For each case two images are built on the engine, on busybox and debian:bookworm-slim, with the
classic builder and BuildKit:
  original: FROM base, the case's preparation, the real COPY/ADD instructions;
  scripted: FROM base, the same preparation, ``COPY . /.squasher/ctx/`` and one RUN of a script made
            of the runtime and the sh that plan_copy generated for each instruction.
Then the trees under /t are exported (``docker cp`` archive) and compared entry by entry: type,
mode, uid, gid, size, content hash, symlink target and (for files and symlinks) mtime.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import io
import lzma
import os
import shutil
import tarfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from conftest import BUSYBOX, DEBIAN

from squasher.context.dockerignore import DockerIgnore
from squasher.engine import Scratch
from squasher.parse.model import Flag, Instruction
from squasher.plan.placements import plan_copy
from squasher.render.placement import copy_sh
from squasher.render.runtime import full_runtime

pytestmark = pytest.mark.engine

BASES = (BUSYBOX, DEBIAN)
BUILDERS = ("classic", "buildkit")
MTIME = 1_600_000_000  # fixed mtime of the context files, to see that it is preserved

# users and groups written straight into the image's files, so both bases have the same ones
PREP_USERS = (
    "RUN echo 'app:x:1500:1501::/home/app:/bin/sh' >> /etc/passwd"
    " && echo 'app:x:1502:' >> /etc/group && echo 'grp:x:1600:' >> /etc/group"
    " && echo 'appgrp:x:1501:' >> /etc/group"
)
PREP_EXISTING = (
    "RUN mkdir -p /t/existing/sub && chmod 700 /t/existing && echo old > /t/existing/old"
    " && touch -d @1500000000 /t/existing/old"
)


def _tar_bytes(
    entries: list[tuple[str, str, int, int, int, bytes]], root_mode: int | None
) -> bytes:
    """A tar with ("name", "file"|"dir"|"symlink", mode, uid, gid, data-or-target) entries."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:
        if root_mode is not None:
            info = tarfile.TarInfo("./")
            info.type = tarfile.DIRTYPE
            info.mode = root_mode
            info.mtime = MTIME
            tar.addfile(info)
        for name, kind, mode, uid, gid, data in entries:
            info = tarfile.TarInfo(name)
            info.mode = mode
            info.uid = uid
            info.gid = gid
            info.mtime = MTIME - 1000
            info.uname = "nobody-here"
            info.gname = "nobody-here"
            if kind == "dir":
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            elif kind == "symlink":
                info.type = tarfile.SYMTYPE
                info.linkname = data.decode()
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


ARCHIVE_ENTRIES: list[tuple[str, str, int, int, int, bytes]] = [
    ("pkg", "dir", 0o750, 1234, 2345, b""),
    ("pkg/bin", "dir", 0o755, 0, 0, b""),
    ("pkg/bin/tool", "file", 0o755, 1234, 2345, b"#!/bin/sh\necho tool\n"),
    ("pkg/data.txt", "file", 0o600, 42, 43, b"data\n"),
    ("pkg/link", "symlink", 0o777, 0, 0, b"data.txt"),
    ("top.txt", "file", 0o644, 0, 0, b"top\n"),
]


def make_context(root: Path) -> None:
    """The shared build context used by every case."""
    files: dict[str, tuple[bytes, int]] = {
        "a.txt": (b"alpha\n", 0o644),
        "b.txt": (b"bravo\n", 0o600),
        "run.sh": (b"#!/bin/sh\necho hi\n", 0o755),
        "notes.log": (b"log\n", 0o644),
        "d/one": (b"one\n", 0o644),
        "d/exec": (b"x\n", 0o750),
        "d/.hidden": (b"h\n", 0o640),
        "d/sub/two": (b"two\n", 0o644),
        "d/sub/keep.txt": (b"keep\n", 0o644),
        "d/sub/drop.log": (b"drop\n", 0o644),
        "d/private/p": (b"p\n", 0o600),
        "f1/x.txt": (b"f1x\n", 0o644),
        "f2/x.txt": (b"f2x\n", 0o644),
        "f2/y.md": (b"f2y\n", 0o644),
        "space name.txt": (b"spaced\n", 0o644),
        "notar.tar.gz": (b"this is not an archive\n", 0o644),
        "plain.gz": (gzip.compress(b"compressed text, not a tar\n", mtime=0), 0o644),
        "pkg.tar": (_tar_bytes(ARCHIVE_ENTRIES, 0o700), 0o644),
        "pkg.tar.gz": (gzip.compress(_tar_bytes(ARCHIVE_ENTRIES, None), mtime=0), 0o644),
        "pkg.tar.xz": (lzma.compress(_tar_bytes(ARCHIVE_ENTRIES, 0o711)), 0o644),
        "pkg.tar.bz2": (bz2.compress(_tar_bytes(ARCHIVE_ENTRIES, None)), 0o644),
    }
    for rel, (data, mode) in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        path.chmod(mode)
    (root / "d" / "suid").write_bytes(b"#!/bin/sh\n")
    (root / "d" / "suid").chmod(0o4755)
    os.link(root / "d" / "one", root / "d" / "hard")
    (root / "d" / "empty").mkdir()
    (root / "d" / "private").chmod(0o700)
    (root / "d" / "sub").chmod(0o750)
    os.symlink("one", root / "d" / "rel-link")
    os.symlink("/etc/hostname", root / "d" / "abs-link")
    os.symlink("missing", root / "d" / "dangling")
    os.symlink("a.txt", root / "link-to-a")
    os.symlink("d/sub", root / "link-to-sub")
    for dirpath, dirnames, filenames in os.walk(root, topdown=False):
        for name in filenames + dirnames:
            os.utime(Path(dirpath) / name, (MTIME, MTIME), follow_symlinks=False)


@dataclass
class Case:
    name: str
    lines: list[str]  # the COPY/ADD instructions, as written
    prep: list[str] = field(default_factory=list)
    workdir: str = "/"
    ignore: str = ""
    only: str | None = None  # "classic" | "buildkit" when the instruction is builder-specific
    fails_on: tuple[str, ...] = ()  # bases where the scripted build must fail loudly


CASES = [
    Case(
        "file",
        ["COPY a.txt /t/a", "COPY b.txt /t/slash/", "COPY run.sh /t/existing"],
        [PREP_EXISTING],
    ),
    Case(
        "dir-contents",
        ["COPY d /t/d", "COPY d/ /t/existing/", "COPY d/sub /t/deep/er/"],
        [PREP_EXISTING],
    ),
    Case("multiple", ["COPY a.txt d run.sh /t/m/", 'COPY ["space name.txt", "b.txt", "/t/j/"]']),
    Case("wildcard", ["COPY *.txt /t/w/", "COPY f*/x.* /t/w2/", "COPY d/s?b /t/w3/"]),
    Case("workdir", ["COPY a.txt rel/", "COPY b.txt .", "COPY d sub"], workdir="/t/wd"),
    Case("symlink-source", ["COPY link-to-a /t/ls/", "COPY link-to-sub /t/ld"]),
    Case(
        "chown-names",
        [
            "COPY --chown=app:grp a.txt /t/c1/new/",
            "COPY --chown=app d /t/c2/deeper/",
            "COPY --chown=app b.txt /t/c3",
        ],
        [PREP_USERS],
    ),
    Case(
        "chown-numeric",
        [
            "COPY --chown=1234:2345 d /t/n1/x/",
            "COPY --chown=777 a.txt /t/n2/y/",
            "COPY --chown=0:grp run.sh /t/n3/",
        ],
        [PREP_USERS, PREP_EXISTING],
    ),
    Case(
        "chown-unknown",
        ["COPY --chown=nobodyhere:nogroup a.txt /t/u/", "COPY --chown=app:nogroup d /t/u2/"],
        [PREP_USERS],
        only="buildkit",
    ),
    Case(
        "chmod",
        [
            "COPY --chmod=640 a.txt d /t/cm/",
            "COPY --chmod=0755 b.txt /t/cm2",
            "ADD --chmod=600 pkg.tar /t/cmx/",
        ],
        only="buildkit",
    ),
    Case(
        "add-tar",
        ["ADD pkg.tar /t/tar/", "ADD pkg.tar.gz /t/existing", "ADD --chown=app pkg.tar /t/tc/new"],
        [PREP_EXISTING, PREP_USERS],
    ),
    Case(
        "add-xz-bz2",
        ["ADD pkg.tar.xz /t/xz", "ADD pkg.tar.bz2 /t/bz/"],
        fails_on=(DEBIAN,),
    ),
    Case("add-not-archive", ["ADD notar.tar.gz plain.gz /t/na/", "ADD d /t/ad/"]),
    Case("multi-no-slash", ["COPY a.txt b.txt /t/app"], only="buildkit"),
    Case(
        "dockerignore",
        ["COPY d /t/ig/", "COPY . /t/all/"],
        ignore="# comment\n*.log\nd/sub\n!d/sub/keep.txt\n/pkg*\n**/private\nspace*\n",
    ),
]


def parse_line(line: str, lineno: int) -> Instruction:
    """A tiny stand-in for the parser, enough for the instructions above."""
    import json
    import shlex as _shlex

    keyword, rest = line.split(" ", 1)
    flags: list[Flag] = []
    words = [] if rest.startswith("[") else _shlex.split(rest)
    if rest.startswith("["):
        words = json.loads(rest)
    while words and words[0].startswith("--"):
        raw = words.pop(0)
        name, _, value = raw[2:].partition("=")
        flags.append(Flag(name, value if "=" in raw else None, raw))
    return Instruction(
        keyword=keyword,
        args=words,
        start_line=lineno,
        end_line=lineno,
        original=line + "\n",
        flags=flags,
        json_form=rest.startswith("["),
    )


def build_script(case: Case, context: Path, builder: str, cleanup: bool = True) -> str:
    ignore = DockerIgnore.from_text(case.ignore)
    parts = ["#!/bin/sh", full_runtime(), "__sq_df=Dockerfile", "__sq_line=0"]
    first_copy = 2 + len(case.prep) + (1 if case.workdir != "/" else 0)
    for i, line in enumerate(case.lines):
        inst = parse_line(line, first_copy + i)
        step = plan_copy(
            inst,
            inst.args[:-1],
            inst.args[-1],
            workdir=case.workdir,
            context=context,
            ignore=ignore,
            staged_root="/.squasher/ctx",
            dockerfile_path="Dockerfile",
            builder=builder,
        )
        parts.append("(\n" + copy_sh(step) + ") || exit $?")
    if cleanup:
        parts.append("rm -rf /.squasher")
    return "\n".join(parts) + "\n"


def manifest(client: Any, scratch: Scratch, image: str) -> dict[str, tuple[Any, ...]]:
    """Every entry under /t: type, mode, uid, gid, size, sha256, link target, mtime (not dirs)."""
    container = client.containers.create(image, ["true"])
    scratch.track_container(container.id)
    stream, _ = container.get_archive("/t")
    data = b"".join(stream)
    out: dict[str, tuple[Any, ...]] = {}
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        for member in tar.getmembers():
            digest = ""
            if member.isfile():
                fh = tar.extractfile(member)
                assert fh is not None
                digest = hashlib.sha256(fh.read()).hexdigest()[:16]
            mtime = None if member.isdir() else int(member.mtime)
            out[member.name] = (
                member.type,
                oct(member.mode),
                member.uid,
                member.gid,
                member.size if member.isfile() else 0,
                digest,
                member.linkname,
                mtime,
            )
    return out


def _dockerfile(base: str, case: Case, body: list[str]) -> str:
    lines = [f"FROM {base}", *case.prep]
    if case.workdir != "/":
        lines.append(f"WORKDIR {case.workdir}")
    return "\n".join(lines + body) + "\n"


@pytest.fixture(scope="module")
def shared_context(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("copyctx") / "ctx"
    root.mkdir()
    make_context(root)
    return root


def _prepare(
    tmp_path: Path, shared: Path, case: Case, base: str, builder: str, strategy: str = "script"
) -> tuple[Path, Path]:
    orig = tmp_path / "orig"
    shutil.copytree(shared, orig, symlinks=True)
    if case.ignore:
        (orig / ".dockerignore").write_text(case.ignore)
    (orig / "Dockerfile").write_text(_dockerfile(base, case, case.lines))
    rw = tmp_path / "rw"
    shutil.copytree(orig, rw, symlinks=True)
    (rw / ".squasher").mkdir()
    script = build_script(case, orig, builder, cleanup=strategy == "script")
    (rw / ".squasher" / "copy.sh").write_text(script)
    if strategy == "mount":
        # BuildKit only: the context is bind-mounted (read-only) where the staging would be
        body = [
            "RUN --mount=type=bind,source=.,target=/.squasher/ctx"
            ' ["/bin/sh", "/.squasher/ctx/.squasher/copy.sh"]'
        ]
    else:
        body = ["COPY . /.squasher/ctx/", 'RUN ["/bin/sh", "/.squasher/ctx/.squasher/copy.sh"]']
    (rw / "Dockerfile").write_text(_dockerfile(base, case, body))
    # the script and Dockerfile must not show up in the original's copies
    for extra in (".squasher",):
        assert not (orig / extra).exists()
    return orig, rw


MOUNT_CASES = {
    "dir-contents",
    "wildcard",
    "symlink-source",
    "chown-names",
    "add-tar",
    "dockerignore",
}

PARAMS = [
    pytest.param(
        case, base, builder, strategy, id=f"{case.name}-{base.split(':')[0]}-{builder}-{strategy}"
    )
    for case in CASES
    for base in BASES
    for builder in BUILDERS
    for strategy in ("script", "mount")
    if case.only in (None, builder)
    and (strategy == "script" or (builder == "buildkit" and case.name in MOUNT_CASES))
]


@pytest.mark.parametrize(("case", "base", "builder", "strategy"), PARAMS)
def test_copy_placement_matches_engine(
    case: Case,
    base: str,
    builder: str,
    strategy: str,
    tmp_path: Path,
    shared_context: Path,
    scratch: Scratch,
    docker_client: Any,
) -> None:
    orig, rw = _prepare(tmp_path, shared_context, case, base, builder, strategy)
    original = scratch.build(orig, builder=builder, nocache=True).image_id  # type: ignore[arg-type]
    if base in case.fails_on:
        from squasher.errors import BuildFailed

        with pytest.raises(BuildFailed) as err:
            scratch.build(rw, builder=builder, nocache=True)  # type: ignore[arg-type]
        assert "the image has no" in str(err.value) or "the image has no" in _last_log(err.value)
        return
    scripted = scratch.build(rw, builder=builder, nocache=True).image_id  # type: ignore[arg-type]
    want = manifest(docker_client, scratch, original)
    got = manifest(docker_client, scratch, scripted)
    # "Dockerfile" and ".squasher" live in the rewrite's context only (COPY . copies them)
    for name in list(got):
        if "/.squasher" in name or name.endswith("/Dockerfile"):
            del got[name]
    for name in list(want):
        if name.endswith("/Dockerfile"):
            del want[name]
    diff = {
        k: (want.get(k), got.get(k))
        for k in sorted(set(want) | set(got))
        if want.get(k) != got.get(k)
    }
    assert not diff, _explain(diff)


def _last_log(err: BaseException) -> str:
    return " ".join(str(a) for a in getattr(err, "args", ()))


def _explain(diff: dict[str, tuple[Any, Any]]) -> str:
    lines = ["trees differ (original vs scripted): (type, mode, uid, gid, size, sha, link, mtime)"]
    for name, (want, got) in diff.items():
        lines.append(f"  {name}:\n    original {want}\n    scripted {got}")
    return "\n".join(lines)


Check = Callable[[str], None]


HEREDOC_DOCKERFILE = (
    f"FROM {BUSYBOX}\n"
    'COPY --chown=app:grp <<EOF <<"LIT" /t/h/\n'
    "hello $X\n"
    "EOF\n"
    "literal $X 'q' `x`\n"
    "LIT\n"
    "COPY --chmod=700 <<-EOF /t/single\n"
    "\ttabbed\n"
    "\tEOF\n"
)


@pytest.mark.parametrize("base", BASES)
def test_copy_heredoc_places_buildkit_files(
    base: str, tmp_path: Path, scratch: Scratch, docker_client: Any
) -> None:
    """COPY <<EOF cannot be built by the 20.10 engine's own frontend, so the script's result is
    checked against BuildKit's documented semantics: a file named after the delimiter, mode 0644
    (or --chmod), the body expanded only for an unquoted delimiter, --chown applied."""
    from squasher.parse import parse_text

    df = parse_text(HEREDOC_DOCKERFILE)
    parts = ["#!/bin/sh", full_runtime(), "__sq_df=Dockerfile", "__sq_line=0"]
    for inst in df.instructions[1:]:
        step = plan_copy(
            inst,
            inst.args[:-1],
            inst.args[-1],
            workdir="/",
            context=tmp_path,
            ignore=DockerIgnore(),
            staged_root="/.squasher/ctx",
            dockerfile_path="Dockerfile",
            builder="buildkit",
            expand=lambda v: v.replace("$X", "world"),
        )
        assert step.context_paths == []
        parts.append("(\n" + copy_sh(step) + ") || exit $?")
    (tmp_path / ".squasher").mkdir()
    (tmp_path / ".squasher" / "copy.sh").write_text("\n".join(parts) + "\n")
    (tmp_path / "Dockerfile").write_text(
        f"FROM {base}\n{PREP_USERS}\nCOPY .squasher/ /.squasher/\n"
        'RUN ["/bin/sh", "/.squasher/copy.sh"]\n'
    )
    image = scratch.build(tmp_path, builder="buildkit", nocache=True).image_id
    got = manifest(docker_client, scratch, image)

    def owner_mode(name: str, content: bytes) -> tuple[str, int, int]:
        kind, mode, uid, gid, size, digest, _link, _mtime = got[name]
        assert kind == tarfile.REGTYPE
        assert size == len(content)
        assert digest == hashlib.sha256(content).hexdigest()[:16]
        return mode, uid, gid

    assert owner_mode("t/h/EOF", b"hello world\n") == ("0o100644", 1500, 1600)
    assert owner_mode("t/h/LIT", b"literal $X 'q' `x`\n") == ("0o100644", 1500, 1600)
    assert owner_mode("t/single", b"tabbed\n") == ("0o100700", 0, 0)
    assert got["t/h"][1:4] == ("0o40755", 1500, 1600)  # created for the --chown owner


def test_classic_unknown_chown_user_fails_like_the_builder(
    tmp_path: Path, shared_context: Path, scratch: Scratch
) -> None:
    """The classic builder refuses --chown with an unknown name; the script fails loudly too."""
    from squasher.errors import BuildFailed

    case = Case("unknown-classic", ["COPY --chown=nobodyhere a.txt /t/u/"])
    orig, rw = _prepare(tmp_path, shared_context, case, BUSYBOX, "classic")
    with pytest.raises(BuildFailed, match="nobodyhere"):
        scratch.build(orig, builder="classic", nocache=True)
    with pytest.raises(BuildFailed, match="unable to find user nobodyhere"):
        scratch.build(rw, builder="classic", nocache=True)
