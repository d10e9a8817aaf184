"""Generated Dockerfiles: the rewrite either produces a Dockerfile the parser reads back and
scripts that pass ``sh -n``, or refuses with ``PATH:LINE: message`` -- never anything else."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from squasher.errors import SquasherError
from squasher.parse import parse_text
from squasher.rewriting import rewrite

WORDS = st.sampled_from(
    ["a", "$A", "${B:-x}", "'q q'", '"d $A"', "\\$", "$(x)", "`y`", "é", "*", "a=b", "/abs", "rel"]
)
NAMES = st.sampled_from(["A", "B", "PATH", "HOME", "X_1"])


@st.composite
def instruction(draw: st.DrawFn) -> str:
    kind = draw(
        st.sampled_from(
            [
                "RUN",
                "RUNX",
                "ENV",
                "ARG",
                "WORKDIR",
                "USER",
                "SHELL",
                "COPY",
                "LABEL",
                "CMD",
                "HERE",
            ]
        )
    )
    words = " ".join(draw(st.lists(WORDS, min_size=1, max_size=3)))
    if kind == "RUN":
        return f"RUN {words}"
    if kind == "RUNX":
        return 'RUN ["sh", "-c", "echo hi"]'
    if kind == "ENV":
        return f"ENV {draw(NAMES)}={draw(WORDS)} {draw(NAMES)}={draw(WORDS)}"
    if kind == "ARG":
        return f"ARG {draw(NAMES)}" + (f"={draw(WORDS)}" if draw(st.booleans()) else "")
    if kind == "WORKDIR":
        return f"WORKDIR {draw(WORDS)}"
    if kind == "USER":
        return f"USER {draw(st.sampled_from(['nobody', '1000:1000', '$A', 'root']))}"
    if kind == "SHELL":
        return 'SHELL ["/bin/sh", "-e", "-c"]'
    if kind == "COPY":
        return f"COPY {draw(st.sampled_from(['f.txt', 'd/', '*.txt', 'f.txt d']))} {draw(WORDS)}"
    if kind == "LABEL":
        return f"LABEL k={draw(WORDS)}"
    if kind == "HERE":
        return "RUN <<EOF\necho $A 'x'\nEOF"
    return f"CMD {words}"


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=st.lists(instruction(), min_size=1, max_size=8),
    builder=st.sampled_from(["classic", "buildkit"]),
    strategy=st.sampled_from(["script", "mount"]),
)
def test_rewrite_never_crashes(body: list[str], builder: str, strategy: str) -> None:
    if strategy == "mount" and builder == "classic":
        strategy = "script"
    text = "FROM busybox:latest\n" + "\n".join(body) + "\n"
    with tempfile.TemporaryDirectory() as tmp:
        ctx = Path(tmp)
        (ctx / "Dockerfile").write_text(text)
        (ctx / "f.txt").write_text("f\n")
        (ctx / "d").mkdir()
        (ctx / "d" / "g").write_text("g\n")
        try:
            result = rewrite(ctx / "Dockerfile", builder=builder, strategy=strategy)
        except SquasherError as err:
            assert err.path is not None and err.line is not None, str(err)
            return
        back = parse_text(result.dockerfile)
        # the original's one stage, after squasher's copy of the context where a kept COPY/ADD
        # reads the whole context
        assert [s.name for s in back.stages[:-1]] in ([], ["squasher-context"])
        for rel, data in result.files.items():
            if rel.endswith(".sh"):
                script = ctx / "check.sh"
                script.write_bytes(data)
                shell = shutil.which("dash") or "sh"
                proc = subprocess.run([shell, "-n", str(script)], capture_output=True, text=True)
                assert proc.returncode == 0, proc.stderr
