"""One handler per instruction kind (squasher.plan.steps): input Dockerfile -> what the plan holds.

``_shape`` is the plan read as a list: ``S<n>[lines]`` for a script and the lines it performs,
``KEYWORD<line>`` for an instruction re-emitted as written. ``_ops`` names what the script does.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_plan import _shape

from squasher.errors import RewriteRefused
from squasher.parse import parse_text
from squasher.plan.model import (
    CopyOp,
    DeclareArg,
    Original,
    Placement,
    RunStep,
    SetEnv,
    SetUser,
    SetVars,
    SetWorkdir,
    StagePlan,
)
from squasher.plan.planner import PlanOptions, plan
from squasher.plan.steps import HANDLERS


def _plan(text: str, tmp_path: Path, **opts: object) -> StagePlan:
    (tmp_path / "f.txt").write_text("f\n")
    return plan(parse_text(text), PlanOptions(context=tmp_path, **opts)).stages[-1]  # type: ignore[arg-type]


def _ops(sp: StagePlan) -> list[str]:
    return [type(op).__name__ for seg in sp.segments for op in seg.ops]


def test_every_instruction_but_from_has_one_handler() -> None:
    assert sorted(HANDLERS) == sorted(
        [
            "ADD",
            "ARG",
            "CMD",
            "COPY",
            "ENTRYPOINT",
            "ENV",
            "EXPOSE",
            "HEALTHCHECK",
            "LABEL",
            "MAINTAINER",
            "ONBUILD",
            "RUN",
            "SHELL",
            "STOPSIGNAL",
            "USER",
            "VOLUME",
            "WORKDIR",
        ]
    )


# -- RUN ---------------------------------------------------------------------------------------
def test_run_shell_form_runs_the_shell_in_force(tmp_path: Path) -> None:
    sp = _plan('FROM busybox\nSHELL ["/bin/ash", "-eo", "pipefail", "-c"]\nRUN a | b\n', tmp_path)
    assert _shape(sp) == ["S1[3]"]
    step = sp.segments[0].ops[0]
    assert isinstance(step, RunStep)
    assert step.argv == ["/bin/ash", "-eo", "pipefail", "-c", "a | b"]


def test_run_exec_form_is_the_argv_as_written(tmp_path: Path) -> None:
    sp = _plan('FROM busybox\nRUN ["echo", "$HOME"]\n', tmp_path)
    step = sp.segments[0].ops[0]
    assert isinstance(step, RunStep) and step.argv == ["echo", "$HOME"]


def test_run_shebang_heredoc_runs_from_dev_pipes(tmp_path: Path) -> None:
    sp = _plan("FROM busybox\nRUN <<EOT\n#!/bin/sh\necho hi\nEOT\n", tmp_path)
    step = sp.segments[0].ops[0]
    assert isinstance(step, RunStep)
    assert step.argv == ["/dev/pipes/EOT"] and step.pipe == ("EOT", "#!/bin/sh\necho hi\n")


def test_run_with_a_mount_stays_an_instruction(tmp_path: Path) -> None:
    sp = _plan("FROM busybox\nRUN a\nRUN --mount=type=cache,target=/c b\nRUN c\n", tmp_path)
    assert _shape(sp) == ["S1[2]", "RUN3", "S2[4]"]


def test_run_on_scratch_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RewriteRefused, match="scratch has no /bin/sh"):
        _plan("FROM scratch\nRUN a\n", tmp_path)


# -- COPY / ADD ----------------------------------------------------------------------------------
def test_copy_becomes_placements(tmp_path: Path) -> None:
    sp = _plan("FROM busybox\nWORKDIR /app\nCOPY --chown=1:2 f.txt ./\n", tmp_path)
    assert _shape(sp) == ["S1[3]"]
    op = sp.segments[0].ops[-1]
    assert isinstance(op, CopyOp)
    assert (op.chown, op.builder, op.context_paths) == ("1:2", "buildkit", ["f.txt"])
    assert op.placements == [
        Placement(
            "file",
            "/.squasher/ctx/f.txt",
            "/app",
            "f.txt",
            True,
            owned_parents=True,
            owned_target=True,
        )
    ]


def test_copy_from_another_stage_stays_an_instruction(tmp_path: Path) -> None:
    sp = _plan("FROM busybox AS a\nFROM busybox\nRUN x\nCOPY --from=a /x /y\n", tmp_path)
    assert _shape(sp) == ["S1[3]", "COPY4"]


def test_copy_with_a_build_time_value_stays_an_instruction(tmp_path: Path) -> None:
    sp = _plan("FROM busybox\nARG D\nCOPY f.txt $D/\n", tmp_path)
    kept = [it for it in sp.items if isinstance(it, Original) and it.why]
    assert [k.inst.keyword for k in kept] == ["COPY"] and "$D" in kept[0].why


def test_add_of_a_url_stays_an_instruction(tmp_path: Path) -> None:
    sp = _plan("FROM busybox\nADD https://example.invalid/a /a\n", tmp_path)
    assert _shape(sp) == ["ADD2"]


# -- ENV ---------------------------------------------------------------------------------------
def test_env_is_set_in_the_script_and_re_emitted(tmp_path: Path) -> None:
    sp = _plan("FROM busybox\nENV A=1 B=$A\nRUN x\n", tmp_path)
    seg = sp.segments[0]
    env = seg.ops[0]
    assert isinstance(env, SetEnv) and [n for n, _ in env.pairs] == ["A", "B"]
    assert [i.keyword for i in seg.metadata] == ["ENV"]


def test_env_home_tells_the_script_not_to_set_home(tmp_path: Path) -> None:
    sp = _plan("FROM busybox\nENV HOME=/h\nRUN x\n", tmp_path)
    assert _ops(sp) == ["SetEnv", "SetVars", "RunStep"]
    setvars = sp.segments[0].ops[1]
    assert isinstance(setvars, SetVars) and setvars.home_env


def test_env_name_a_shell_cannot_set_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RewriteRefused, match="cannot be set by a POSIX shell"):
        _plan("FROM busybox\nENV A.B=1\nRUN x\n", tmp_path)


# -- ARG ---------------------------------------------------------------------------------------
def test_arg_is_hoisted_and_revealed_at_its_line(tmp_path: Path) -> None:
    sp = _plan("FROM busybox\nRUN a\nARG V=1\nRUN b\n", tmp_path)
    seg = sp.segments[0]
    assert _shape(sp) == ["S1[2, 4]"]
    assert [i.keyword for i in seg.hoisted_args] == ["ARG"] and seg.hidden_args == ["V"]
    assert isinstance(seg.ops[1], DeclareArg) and seg.ops[1].reveal == ["V"]


def test_arg_with_a_new_default_cuts(tmp_path: Path) -> None:
    sp = _plan("FROM busybox\nARG V=1\nRUN a\nARG V=2\nRUN b\n", tmp_path)
    assert _shape(sp) == ["S1[3]", "S2[5]"]


def test_proxy_arg_stays_in_place(tmp_path: Path) -> None:
    sp = _plan("FROM busybox\nARG HTTP_PROXY\nRUN a\n", tmp_path)
    seg = sp.segments[0]
    assert seg.hoisted_args == [] and [i.keyword for i in seg.metadata] == ["ARG"]


# -- WORKDIR, USER, SHELL -----------------------------------------------------------------------
def test_workdir_is_followed_for_relative_copies(tmp_path: Path) -> None:
    sp = _plan("FROM busybox\nWORKDIR /a\nWORKDIR b/../c\nCOPY f.txt x\n", tmp_path)
    op = sp.segments[0].ops[-1]
    assert isinstance(op, CopyOp) and op.placements[0].target == "/a/c/x"
    assert _ops(sp) == ["SetWorkdir", "SetWorkdir", "CopyOp"]


def test_workdir_superseded_in_one_script_is_left_out(tmp_path: Path) -> None:
    sp = _plan("FROM busybox\nWORKDIR /build\nRUN a\nWORKDIR /app\n", tmp_path)
    assert [i.original.strip() for i in sp.segments[0].metadata] == ["WORKDIR /app"]


def test_user_applies_to_later_steps_and_is_noted(tmp_path: Path) -> None:
    result = plan(parse_text("FROM busybox\nUSER app\nRUN a\n"), PlanOptions(context=tmp_path))
    sp = result.stages[0]
    assert _ops(sp) == ["SetUser", "RunStep"]
    user = sp.segments[0].ops[0]
    assert isinstance(user, SetUser)
    assert any("setpriv" in n for n in result.notes)


def test_shell_changes_only_the_argv_of_later_runs(tmp_path: Path) -> None:
    sp = _plan('FROM busybox\nRUN a\nSHELL ["/bin/ash", "-c"]\nRUN b\n', tmp_path)
    argvs = [op.argv[0] for op in sp.segments[0].ops if isinstance(op, RunStep)]
    assert argvs == ["/bin/sh", "/bin/ash"]


# -- metadata ------------------------------------------------------------------------------------
def test_metadata_is_re_emitted_after_the_script(tmp_path: Path) -> None:
    sp = _plan("FROM busybox\nLABEL a=1\nRUN a\nEXPOSE 80\nCMD x\n", tmp_path)
    assert _shape(sp) == ["S1[3]"]
    assert [i.keyword for i in sp.segments[0].metadata] == ["LABEL", "EXPOSE", "CMD"]


def test_volume_cuts_only_with_the_classic_builder(tmp_path: Path) -> None:
    text = "FROM busybox\nRUN a\nVOLUME /v\nRUN b\n"
    assert _shape(_plan(text, tmp_path, builder="buildkit")) == ["S1[2, 4]"]
    assert _shape(_plan(text, tmp_path, builder="classic")) == ["S1[2]", "S2[4]"]


def test_unknown_instruction_is_refused_with_its_line(tmp_path: Path) -> None:
    with pytest.raises(RewriteRefused, match="unknown instruction: FOO") as err:
        _plan("FROM busybox\nFOO bar\n", tmp_path)
    assert err.value.line == 2


def test_setworkdir_carries_the_template(tmp_path: Path) -> None:
    sp = _plan("FROM busybox\nENV D=/x\nWORKDIR $D\nRUN a\n", tmp_path)
    wd = sp.segments[0].ops[1]
    assert isinstance(wd, SetWorkdir) and "D" in wd.known
