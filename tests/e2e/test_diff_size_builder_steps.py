"""diff-size where the builder itself runs steps of the squashed build: kept COPY/ADD that read
the context, the base image's ONBUILD triggers, the base's WORKDIR/USER/ENV read from the engine,
and a kept instruction that cuts the purge off from the packages installed before it."""

from __future__ import annotations

import contextlib
import textwrap
import uuid
from pathlib import Path
from typing import Any

import pytest
from conftest import BUSYBOX, DEBIAN

from squasher.engine import Scratch
from squasher.measure.diff_size import diff_size

pytestmark = pytest.mark.engine


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    return root


def _unexpected(result: Any) -> list[str]:
    assert result.verify is not None
    return [d["path"] for d in result.verify["differences"] if d["category"] == "unexpected"]


@pytest.mark.parametrize("builder", ["classic", "buildkit"])
def test_kept_copy_finds_its_files(builder: str, tmp_path: Path, docker_client: Any) -> None:
    """A COPY kept because its WORKDIR is known only at build time reads exactly its sources."""
    ctx = _write(
        tmp_path,
        {
            "Dockerfile": f"""
                FROM {BUSYBOX}
                ARG APP=/app
                COPY marker.txt /marker.txt
                WORKDIR $APP
                COPY requirements.txt conf ./
                RUN cat requirements.txt settings > /copied
            """,
            "marker.txt": "m\n",
            "requirements.txt": "flask\n",
            "conf/settings": "debug=0\n",
            "unread.bin": "x" * 4096,
        },
    )
    result = diff_size(ctx, builder=builder, verify=True, client=docker_client)
    assert [k["line"] for k in result.report["kept"]] == [5]
    assert result.report["context_paths"] == ["conf", "marker.txt", "requirements.txt"]
    assert _unexpected(result) == []


def test_kept_copy_of_the_whole_context(tmp_path: Path, docker_client: Any) -> None:
    """``COPY . .`` kept: the squashed build sends the whole context, and the COPY reads
    squasher's copy of it, without the generated files; the next step finds what it reads."""
    ctx = _write(
        tmp_path,
        {
            "Dockerfile": f"""
                FROM {BUSYBOX}
                ARG APP=/app
                COPY marker.txt /marker.txt
                WORKDIR $APP
                COPY . .
                RUN cat requirements.txt src/main.py > /copied
            """,
            "marker.txt": "m\n",
            "requirements.txt": "flask\n",
            "src/main.py": "print(1)\n",
        },
    )
    result = diff_size(ctx, builder="buildkit", verify=True, client=docker_client)
    assert "." in result.report["context_paths"]
    assert not any("reads the whole context" in w for w in result.report["warnings"])
    assert _unexpected(result) == []


@pytest.fixture
def onbuild_base(tmp_path: Path, scratch: Scratch) -> str:
    """A base with ONBUILD RUN and ONBUILD COPY (and the WORKDIR, USER, ENV they leave)."""
    tag = f"squasher-test-onbuild-{uuid.uuid4().hex[:12]}"
    root = _write(
        tmp_path / "base",
        {
            "Dockerfile": f"""
                FROM {BUSYBOX}
                RUN mkdir /trig && chmod 777 /trig
                ENV GREETING=hi
                WORKDIR /base
                ONBUILD COPY trig.txt /trig/
                ONBUILD RUN cat /trig/trig.txt >> /trig/ran && echo "$GREETING" >> /trig/ran
                ONBUILD WORKDIR /after
                ONBUILD USER nobody
            """
        },
    )
    scratch.build(root, "Dockerfile", tag=tag, builder="classic")
    return tag


@pytest.mark.parametrize("builder", ["classic", "buildkit"])
def test_base_onbuild_triggers_run_once_and_are_reported(
    builder: str, onbuild_base: str, tmp_path: Path, scratch: Scratch, docker_client: Any
) -> None:
    ctx = _write(
        tmp_path / "ctx",
        {
            "Dockerfile": f"""
                FROM {onbuild_base}
                COPY f.txt ./
                RUN pwd > /trig/where; id -u >> /trig/where; echo "$GREETING" >> /trig/where
            """,
            "trig.txt": "from the trigger\n",
            "f.txt": "f\n",
        },
    )
    result = diff_size(ctx, builder=builder, verify=True, keep_images=True, client=docker_client)
    report = result.report
    assert report["kept"] == []  # the triggers' WORKDIR and USER are known: everything folds
    assert "trig.txt" in report["context_paths"]
    assert any("has 4 ONBUILD trigger(s)" in w for w in report["warnings"])
    triggers = report["onbuild"]
    assert [t["trigger"].split()[0] for t in triggers] == ["COPY", "RUN", "WORKDIR", "USER"]
    assert triggers[0]["layer_bytes"] > 0 and triggers[1]["layer_bytes"] > 0
    images = [i for i in (result.original.image, result.squashed.image) if i is not None]
    try:
        assert _unexpected(result) == [] and len(images) == 2
        for image in images:
            out = scratch.run(image, ["cat", "/trig/ran", "/trig/where", "/after/f.txt"], user="0")
            assert out == (0, "from the trigger\nhi\n/after\n65534\nhi\nf\n"), out
    finally:
        for image in images:
            with contextlib.suppress(Exception):
                docker_client.api.remove_image(image, force=True)


def test_rewrite_inspect_base_reads_the_triggers(onbuild_base: str, tmp_path: Path) -> None:
    """``squasher rewrite --inspect-base``: the engine shows the triggers; what they leave folds."""
    from click.testing import CliRunner

    from squasher.cli import cli

    ctx = _write(
        tmp_path / "ctx",
        {
            "Dockerfile": f"FROM {onbuild_base}\nCOPY f.txt ./\nRUN cat f.txt > /trig/where\n",
            "trig.txt": "t\n",
            "f.txt": "f\n",
        },
    )
    res = CliRunner().invoke(cli, ["rewrite", str(ctx / "Dockerfile"), "--inspect-base"])
    assert res.exit_code == 0, res.output
    assert "has 4 ONBUILD trigger(s) (COPY trig.txt /trig/; RUN cat" in res.output, res.output
    assert "kept " not in res.output and "may carry ONBUILD" not in res.output, res.output
    # the base's tools were read too: no warning that the build may stop for want of them
    assert "steps under USER" not in res.output, res.output
    squashed = (ctx / "Dockerfile.squashed").read_text()
    assert "COPY f.txt" not in squashed and "WORKDIR" not in squashed, squashed
    plain = CliRunner().invoke(cli, ["rewrite", str(ctx / "Dockerfile"), "-o", "-"])
    assert "may carry ONBUILD triggers" in plain.output, plain.output


def test_base_config_read_without_being_asked(
    tmp_path: Path, scratch: Scratch, docker_client: Any
) -> None:
    """diff-size reads the base's WORKDIR, USER and ENV from the engine: a relative COPY folds."""
    tag = f"squasher-test-base-{uuid.uuid4().hex[:12]}"
    base = _write(
        tmp_path / "base",
        {"Dockerfile": f"FROM {BUSYBOX}\nENV DEST=/w/sub\nRUN mkdir -p /w && chmod 777 /w\n"
         "WORKDIR /w\nUSER nobody\n"},
    )  # fmt: skip
    scratch.build(base, "Dockerfile", tag=tag, builder="classic")
    ctx = _write(
        tmp_path / "ctx",
        {
            "Dockerfile": f"FROM {tag}\nCOPY f.txt ./\nCOPY f.txt $DEST/\nRUN id -u > /w/uid\n",
            "f.txt": "f\n",
        },
    )
    result = diff_size(ctx, builder="buildkit", verify=True, client=docker_client)
    assert result.report["kept"] == []
    assert _unexpected(result) == []


def test_purge_after_a_kept_instruction_is_reported_with_its_bytes(
    tmp_path: Path, docker_client: Any
) -> None:
    ctx = _write(
        tmp_path,
        {
            "Dockerfile": f"""
                FROM {DEBIAN}
                RUN apt-get update && apt-get install -y --no-install-recommends make
                COPY --from={BUSYBOX} /etc/group /bb-group
                RUN make --version > /make-version
            """.replace("/make-version", f"/make-version  # {uuid.uuid4().hex}: not cached")
        },
    )
    result = diff_size(ctx, builder="buildkit", client=docker_client)
    (split,) = result.report["purge_splits"]
    assert split["kept_line"] == 3 and split["install_lines"] == [2]
    assert split["layer_bytes"] > 1_000_000  # make and the package lists stay in build.sh's layer
    assert split["purge_freed_bytes"] > 0
    (line,) = [w for w in result.report["warnings"] if "frees nothing" in w]
    assert f"Dockerfile:3: COPY --from={BUSYBOX}" in line and " MB" in line
    assert "--strategy stages" in line
