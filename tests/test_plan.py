"""Planner decisions: what folds, what stays (and why), where a stage is cut into several scripts."""

from __future__ import annotations

from pathlib import Path

import pytest

from squasher.errors import RewriteRefused
from squasher.parse import parse_text
from squasher.plan.base import BaseImage
from squasher.plan.model import Original, Segment, StagePlan
from squasher.plan.planner import PlanOptions, plan, stage_key


def _plan(text: str, tmp_path: Path, **opts: object) -> list[StagePlan]:
    (tmp_path / "f.txt").write_text("f\n")
    df = parse_text(text)
    return plan(df, PlanOptions(context=tmp_path, **opts)).stages  # type: ignore[arg-type]


def _shape(sp: StagePlan) -> list[str]:
    """S<n>[lines] for scripts, the keyword (+ line) for instructions re-emitted as written."""
    out: list[str] = []
    for item in sp.items:
        if isinstance(item, Segment):
            out.append(f"S{item.number}{[i.start_line for i in item.folded]}")
        elif isinstance(item, Original):
            out.append(f"{item.inst.keyword}{item.inst.start_line}")
    return out


def test_single_stage_folds_into_one_script(tmp_path: Path) -> None:
    sp = _plan("FROM busybox\nENV A=1\nRUN a\nCOPY f.txt /f\nWORKDIR /w\nRUN b\nCMD x\n", tmp_path)[
        0
    ]
    assert _shape(sp) == ["S1[3, 4, 6]"]
    seg = sp.segments[0]
    assert [i.keyword for i in seg.metadata] == ["ENV", "WORKDIR", "CMD"]
    assert seg.context_paths == ["f.txt"]


@pytest.mark.parametrize(
    "line,reason",
    [
        ("RUN --mount=type=cache,target=/c true", "mount"),
        ("RUN --network=none true", "network"),
        ("RUN --security=insecure true", "security"),
        ("COPY --from=other /x /y", "--from"),
        ("ADD https://example.invalid/a.tgz /a/", "URL"),
        ("COPY f.txt $UNKNOWN/", "UNKNOWN"),
    ],
)
def test_kept_instructions_cut_the_stage(tmp_path: Path, line: str, reason: str) -> None:
    sp = _plan(f"FROM busybox\nRUN a\n{line}\nRUN b\n", tmp_path)[0]
    assert _shape(sp) == ["S1[2]", f"{line.split()[0]}3", "S2[4]"]
    kept = next(it for it in sp.items if isinstance(it, Original))
    assert reason.lower() in kept.why.lower()


def test_relative_copy_needs_a_known_workdir(tmp_path: Path) -> None:
    sp = _plan("FROM busybox\nCOPY f.txt rel/\nWORKDIR /w\nCOPY f.txt rel/\n", tmp_path)[0]
    assert _shape(sp) == ["COPY2", "S1[4]"]
    info = {"busybox": BaseImage("busybox", workdir="/base")}
    sp = _plan("FROM busybox\nCOPY f.txt rel/\n", tmp_path, base_info=info.get)[0]
    assert _shape(sp) == ["S1[2]"]


def test_arg_after_env_cuts_only_with_buildkit(tmp_path: Path) -> None:
    text = "FROM busybox\nENV A=1\nRUN a\nARG A=2\nRUN b\n"
    assert _shape(_plan(text, tmp_path, builder="buildkit")[0]) == ["S1[3]", "S2[5]"]
    # classic: the ENV wins whatever the order, so the ARG changes nothing and stays in place
    classic = _plan(text, tmp_path, builder="classic")[0]
    assert _shape(classic) == ["S1[3, 5]"]
    assert [i.keyword for i in classic.segments[0].metadata] == ["ENV", "ARG"]


def test_arg_read_by_earlier_metadata_cuts(tmp_path: Path) -> None:
    sp = _plan("FROM busybox\nRUN a\nLABEL x=$Y\nARG Y=2\nRUN b\n", tmp_path)[0]
    assert _shape(sp) == ["S1[2]", "S2[5]"]
    assert [i.keyword for i in sp.segments[0].metadata] == ["LABEL"]
    assert [i.keyword for i in sp.segments[1].hoisted_args] == ["ARG"]


def test_arg_hidden_until_declared(tmp_path: Path) -> None:
    seg = _plan("FROM busybox\nRUN a\nARG V=1 HTTP_PROXY\nRUN b\n", tmp_path)[0].segments[0]
    assert seg.hidden_args == ["V"]  # the proxy args are always passed to RUN


def test_classic_volume_cuts(tmp_path: Path) -> None:
    text = "FROM busybox\nRUN a\nVOLUME /v\nRUN b\n"
    assert _shape(_plan(text, tmp_path, builder="classic")[0]) == ["S1[2]", "S2[4]"]
    assert _shape(_plan(text, tmp_path, builder="buildkit")[0]) == ["S1[2, 4]"]


def test_stage_from_stage_inherits_user(tmp_path: Path) -> None:
    stages = _plan("FROM busybox AS a\nUSER nobody\nFROM a AS b\nRUN x\n", tmp_path)
    seg = stages[1].segments[0]
    assert seg.restore_user == "USER nobody\n"


def test_scratch_stage(tmp_path: Path) -> None:
    sp = _plan('FROM scratch\nCOPY f.txt /f\nCMD ["/f"]\n', tmp_path)[0]
    assert _shape(sp) == ["COPY2", "CMD3"]
    with pytest.raises(RewriteRefused, match="Dockerfile:2: cannot squash: FROM scratch"):
        _plan('FROM scratch\nRUN ["/x"]\n', tmp_path)


@pytest.mark.parametrize(
    "text",
    [
        "FROM windows/servercore:ltsc2022\nRUN dir\n",
        "FROM --platform=windows/amd64 busybox\nRUN dir\n",
        'FROM busybox\nSHELL ["powershell", "-Command"]\nRUN dir\n',
    ],
)
def test_windows_refused(text: str, tmp_path: Path) -> None:
    with pytest.raises(RewriteRefused, match="Windows"):
        _plan(text, tmp_path)


def test_windows_base_from_engine_config(tmp_path: Path) -> None:
    info = {"img": BaseImage("img", os="windows")}
    with pytest.raises(RewriteRefused, match="Windows"):
        _plan("FROM img\nRUN x\n", tmp_path, base_info=info.get)


def test_stage_keys() -> None:
    df = parse_text("FROM busybox AS Build.1\nRUN a\nFROM busybox\nRUN b\n")
    assert [stage_key(s) for s in df.stages] == ["build.1", "stage-1"]


def test_empty_exec_form_refused(tmp_path: Path) -> None:
    with pytest.raises(RewriteRefused, match="Dockerfile:2: RUN \\[\\] has no command"):
        _plan("FROM busybox\nRUN []\n", tmp_path)


def test_superseded_workdir_not_reemitted(tmp_path: Path) -> None:
    """A WORKDIR replaced by a later absolute one is left out: the script created it already,
    and BuildKit would create it again after a step removed it."""
    text = "FROM busybox\nWORKDIR /tmp/build\nRUN rm -rf /tmp/build\nWORKDIR rel\nWORKDIR /app\n"
    seg = _plan(text, tmp_path)[0].segments[0]
    assert [i.start_line for i in seg.metadata] == [5]
    seg = _plan("FROM busybox\nWORKDIR /a\nRUN x\nWORKDIR b\n", tmp_path)[0].segments[0]
    assert [i.start_line for i in seg.metadata] == [2, 4]  # relative: the first one matters
