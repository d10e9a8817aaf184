"""Steps the builder runs itself in the squashed build: what they read from the context, when a
USER cannot be switched to, base ONBUILD triggers, and purges cut off by a kept instruction."""

from __future__ import annotations

from pathlib import Path

import pytest

from squasher.parse import parse_text
from squasher.plan.base import BaseImage, can_switch
from squasher.plan.context_reads import instruction_reads
from squasher.rewriting import rewrite

BUSYBOX = frozenset({"nsenter", "start-stop-daemon", "su"})


def _inst(line: str):  # type: ignore[no-untyped-def]
    return parse_text(f"FROM busybox\n{line}\n").stages[0].instructions[0]


@pytest.mark.parametrize(
    "line,reads",
    [
        ("COPY requirements.txt conf/ ./", ["requirements.txt", "conf"]),
        ("COPY ./a/../b /x/", ["b"]),
        ("COPY /abs/file /x", ["abs/file"]),
        ('COPY ["a b", "/x/"]', ["a b"]),
        ("COPY . .", ["."]),
        ("COPY *.txt ./", ["."]),
        ("COPY $SRC ./", ["."]),
        ("COPY --from=build /out /out", []),
        ("ADD https://example.invalid/f.tgz /x", []),
        ("RUN true", []),
    ],
)
def test_instruction_reads(line: str, reads: list[str]) -> None:
    assert instruction_reads(_inst(line)) == reads


@pytest.mark.parametrize(
    "tools,user,builder,ok",
    [
        (None, "app", "buildkit", True),  # not known: fold, the script stops loudly if it must
        (frozenset({"setpriv"}), None, "classic", True),
        (BUSYBOX, None, "buildkit", True),
        (frozenset({"su"}), "app", "classic", True),
        (frozenset({"su"}), "1000:1000", "classic", False),
        (frozenset({"nsenter"}), "1000:1000", "buildkit", True),
        (frozenset({"nsenter"}), "1000:1000", "classic", False),  # the gid among the groups
        (frozenset({"nsenter", "start-stop-daemon"}), "4242", "classic", False),  # may be named
        (frozenset(), "nobody", "buildkit", False),
    ],
)
def test_can_switch(tools: frozenset[str] | None, user: str | None, builder: str, ok: bool) -> None:
    assert can_switch(tools, user, builder) is ok


def _rewrite(tmp_path: Path, text: str, base: BaseImage | None = None, **kw: object):  # type: ignore[no-untyped-def]
    (tmp_path / "Dockerfile").write_text(text)
    for name in ("f.txt", "trig.txt"):
        (tmp_path / name).write_text("x\n")
    info = None if base is None else (lambda ref: base if ref == base.ref else None)
    result = rewrite(tmp_path / "Dockerfile", base_info=info, **kw)  # type: ignore[arg-type]
    assert result.report is not None
    return result.report


def test_user_steps_kept_when_the_base_cannot_switch(tmp_path: Path) -> None:
    base = BaseImage("nosu", switch_tools=frozenset(), has_sh=True)
    report = _rewrite(
        tmp_path, "FROM nosu\nRUN true\nUSER 1000\nRUN id\nUSER root\nRUN true\n", base
    )
    assert [(k.line, k.instruction) for k in report.kept] == [(4, "RUN id")]
    assert "with the builder's uid, gid and groups" in report.kept[0].reason
    assert len(report.scripts) == 2


def test_busybox_tools_fold_every_user_step(tmp_path: Path) -> None:
    base = BaseImage("bb", switch_tools=BUSYBOX, has_sh=True)
    report = _rewrite(tmp_path, "FROM bb\nUSER 1000:1000\nRUN id\nUSER app\nRUN id\n", base)
    assert report.kept == [] and len(report.scripts) == 1
    # the tools are known: no warning that the build may stop for want of them
    assert not [w for w in report.warnings if "steps under USER" in w], report.warnings


def test_unknown_tools_warn_that_the_build_may_stop(tmp_path: Path) -> None:
    report = _rewrite(tmp_path, "FROM bb\nUSER 1000:1000\nRUN id\nUSER app\nRUN id\n")
    (note,) = [w for w in report.warnings if "steps under USER" in w]
    assert "Dockerfile:3: " in note and "the build stops if it has none" in note


def test_onbuild_state_taken_over_and_reads_counted(tmp_path: Path) -> None:
    base = BaseImage(
        "onb",
        has_sh=True,
        onbuild=["COPY trig.txt /t/", "WORKDIR /after", "ENV X=1", "RUN echo hi"],
    )
    report = _rewrite(tmp_path, "FROM onb\nCOPY f.txt ./\nRUN cat /after/f.txt\n", base)
    assert report.kept == []  # the WORKDIR the trigger sets is known: the relative COPY folds
    assert report.context_paths == ["f.txt", "trig.txt"]
    assert any("has 4 ONBUILD trigger(s)" in w for w in report.warnings)


def test_without_engine_a_warning_about_triggers(tmp_path: Path) -> None:
    report = _rewrite(tmp_path, "FROM busybox\nRUN true\n")
    assert any("may carry ONBUILD triggers" in w for w in report.warnings)


def test_kept_copy_reads_enter_the_per_dockerfile_ignore(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    text = "FROM busybox\nARG D=/d\nCOPY f.txt /f\nWORKDIR $D\nCOPY conf ./conf\n"
    (tmp_path / "Dockerfile").write_text(text)
    (tmp_path / "f.txt").write_text("f\n")
    result = rewrite(tmp_path / "Dockerfile")
    ignore = result.files["Dockerfile.squashed.dockerignore"].decode()
    assert "!conf" in ignore.splitlines() and "!f.txt" in ignore.splitlines()
    assert result.report is not None and result.report.staging_paths == ["f.txt"]


def test_purge_cut_off_by_a_kept_instruction(tmp_path: Path) -> None:
    report = _rewrite(
        tmp_path,
        "FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y gcc\n"
        "COPY --from=busybox /bin/busybox /bb\nRUN gcc --version\n",
    )
    (split,) = report.purge_splits
    assert (split.kept_line, split.install_lines, split.purge_script) == (
        3,
        [2],
        ".squasher/stage-0/build-2.sh",
    )
    (line,) = [w for w in report.warnings if "frees nothing" in w]
    assert "--strategy stages" in line


def test_no_purge_split_when_nothing_is_installed_before(tmp_path: Path) -> None:
    report = _rewrite(
        tmp_path,
        "FROM debian:bookworm-slim\nRUN echo a\nCOPY --from=busybox /bin/busybox /bb\n"
        "RUN apt-get update && apt-get install -y gcc\n",
    )
    assert report.purge_splits == []
