"""squasher's copy of the build context for kept whole-context COPYs (squasher.context.snapshot)."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

from squasher.context.dockerignore import DockerIgnore
from squasher.context.snapshot import context_stage, generated_paths
from squasher.rewriting import rewrite


def _tree(root: Path) -> Path:
    (root / "src" / "pkg").mkdir(parents=True)
    (root / "src").chmod(0o775)
    (root / "src" / "pkg" / "m.py").write_text("x = 1\n")
    (root / "docker").mkdir()
    (root / "docker" / "Dockerfile").write_text("FROM scratch\n")
    (root / "README").write_text("r\n")
    (root / "Dockerfile.squashed.bak").write_text("a user's file\n")
    (root / "secret.env").write_text("K=v\n")
    (root / "docs").symlink_to("src")
    return root


def test_generated_paths_by_content_never_by_name_alone(tmp_path: Path) -> None:
    ctx = _tree(tmp_path)
    (ctx / "Other.squashed").write_text("# squasher: generated from Other by squasher; ...\n")
    (ctx / "Other.squashed.dockerignore").write_text("*\n")
    (ctx / "Mine.squashed").write_text("FROM scratch\n")  # the user's, not ours
    found = generated_paths(ctx, DockerIgnore(), {"docker/Dockerfile.squashed"})
    assert found == {
        ".squasher",
        "docker/Dockerfile.squashed",
        "Other.squashed",
        "Other.squashed.dockerignore",
    }


def test_stage_lists_the_context_minus_generated_and_ignored(tmp_path: Path) -> None:
    ctx = _tree(tmp_path)
    (ctx / ".dockerignore").write_text("secret.env\n")
    (ctx / "docker" / "Dockerfile.squashed").write_text("# squasher: generated from x\n")
    ignore = DockerIgnore.load(ctx)
    stage = context_stage(ctx, ignore, generated_paths(ctx, ignore, set()), "squasher-context")
    assert stage is not None
    assert stage.copies == [
        (["docker/Dockerfile"], "/docker/"),
        (["src"], "/src/"),
        ([".dockerignore", "Dockerfile.squashed.bak", "README"], "/"),
    ]
    with tarfile.open(fileobj=io.BytesIO(stage.skeleton)) as tar:
        members = {m.name: m for m in tar.getmembers()}
    assert sorted(members) == ["docker", "docs", "src"]
    assert members["src"].isdir() and members["src"].mode == 0o775
    assert members["docs"].issym() and members["docs"].linkname == "src"
    assert all(m.mtime == 0 and m.uid == 0 for m in members.values())
    assert stage.lines()[:2] == [
        "FROM scratch AS squasher-context\n",
        "ADD .squasher/context.tar /\n",
    ]


def test_a_name_that_reads_as_a_pattern_keeps_the_copy(tmp_path: Path) -> None:
    ctx = _tree(tmp_path)
    (ctx / "a[1].txt").write_text("x\n")
    assert context_stage(ctx, DockerIgnore(), {".squasher"}, "s") is None


def test_rewrite_renders_the_stage_and_renumbers_stage_indexes(tmp_path: Path) -> None:
    ctx = _tree(tmp_path)
    (ctx / "Dockerfile").write_text(
        "FROM busybox\nRUN echo a > /a\n"
        "FROM busybox AS squasher-context\nARG D=/app\nWORKDIR $D\nCOPY --chown=1:1 . .\n"
        "COPY --from=0 /a /a\nRUN --mount=type=bind,from=0,target=/m cat /m/a\n"
    )
    result = rewrite(ctx / "Dockerfile", builder="buildkit")
    text = result.dockerfile
    assert "FROM scratch AS squasher-context-1\n" in text  # the user's stage has the name
    assert "COPY --from=squasher-context-1 --chown=1:1 . .\n" in text
    assert "COPY --from=1 /a /a\n" in text
    assert "RUN --mount=type=bind,from=1,target=/m cat /m/a\n" in text
    assert ".squasher/context.tar" in result.files
    assert result.report is not None
    assert not [w for w in result.report.warnings if "reads the whole context" in w]
    assert rewrite(ctx / "Dockerfile", builder="buildkit").dockerfile == text  # deterministic


def test_add_of_a_wildcard_still_warns(tmp_path: Path) -> None:
    ctx = _tree(tmp_path)
    (ctx / "Dockerfile").write_text("FROM busybox\nARG D=/app\nWORKDIR $D\nADD *.bak ./\n")
    result = rewrite(ctx / "Dockerfile", builder="buildkit")
    assert "squasher-context" not in result.dockerfile
    assert result.report is not None
    assert [w for w in result.report.warnings if "reads the whole context" in w]
