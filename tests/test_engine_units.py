"""Pure logic of squasher.engine: builder choice, history parsing, progress tracking."""

from __future__ import annotations

import pytest

from squasher.engine import BuildProgress, LayerInfo, needs_buildkit
from squasher.engine.progress import TAIL_LINES, OutputTracker


@pytest.mark.parametrize(
    "dockerfile",
    [
        "FROM debian\nRUN apt-get update\n",
        "FROM debian\nCOPY --chown=1:1 a /b\nADD --chown=0 x /y\n",
        "FROM debian\nRUN echo --mount=type=cache is just text\n",
        "FROM debian\n# RUN --mount=type=cache,target=/x true\n",
        "FROM debian\nRUN echo '<<' is fine in quotes? no: << needs a word\n",
        "FROM debian AS build\nCOPY --from=build /a /b\n",
    ],
)
def test_classic_is_enough(dockerfile: str) -> None:
    assert needs_buildkit(dockerfile) is None


@pytest.mark.parametrize(
    ("dockerfile", "reason"),
    [
        ("# syntax=docker/dockerfile:1\nFROM debian\n", "syntax"),
        ("FROM debian\nRUN --mount=type=cache,target=/var/cache/apt apt-get update\n", "--mount"),
        ("FROM debian\nrun --network=none true\n", "--network"),
        ("FROM debian\nRUN \\\n  --mount=type=bind,target=/src \\\n  make\n", "--mount"),
        ("FROM debian\nCOPY --link a /b\n", "--link"),
        ("FROM debian\nCOPY --chmod=755 a /b\n", "--chmod"),
        ("FROM debian\nADD --checksum=sha256:00 http://x/y /z\n", "--checksum"),
        ("FROM debian\nRUN <<EOF\necho hi\nEOF\n", "heredoc"),
        ("FROM debian\nCOPY <<-'EOT' /etc/x\nhello\nEOT\n", "heredoc"),
    ],
)
def test_needs_buildkit(dockerfile: str, reason: str) -> None:
    why = needs_buildkit(dockerfile)
    assert why is not None
    assert reason in why


@pytest.mark.parametrize(
    ("created_by", "instruction"),
    [
        ('/bin/sh -c #(nop)  CMD ["bash"]', 'CMD ["bash"]'),
        ("/bin/sh -c #(nop) COPY file:abc in /x ", "COPY file:abc in /x"),
        ("/bin/sh -c touch /some-file.txt", "RUN touch /some-file.txt"),
        ("|2 A=1 B=two /bin/sh -c make", "RUN make"),
        ("RUN /bin/sh -c apt-get update # buildkit", "RUN apt-get update"),
        ("RUN |1 V=3 /bin/sh -c echo $V # buildkit", "RUN echo $V"),
        ("COPY . /src # buildkit", "COPY . /src"),
        ('CMD ["sh"]', 'CMD ["sh"]'),
        ("", ""),
    ],
)
def test_layer_instruction(created_by: str, instruction: str) -> None:
    assert LayerInfo(size=0, created_by=created_by).instruction == instruction


def test_classic_progress_steps_and_partial_lines() -> None:
    seen: list[BuildProgress] = []
    tracker = OutputTracker("classic", seen.append)
    tracker.feed("Step 1/3 : FROM busybox\n ---> abc")
    tracker.feed("def012345\nStep 2/3 : RUN false\n\x1b[91mboom\x1b[0m\n")
    tracker.feed("tail without newline")
    tracker.flush()
    assert [(p.step, p.total, p.line) for p in seen] == [
        (1, 3, "Step 1/3 : FROM busybox"),
        (1, 3, " ---> abcdef012345"),
        (2, 3, "Step 2/3 : RUN false"),
        (2, 3, "boom"),
        (2, 3, "tail without newline"),
    ]
    message = tracker.failure_message("classic build failed")
    assert message.startswith("classic build failed at step 2/3; last engine output:\n")
    assert "  boom" in message


def test_buildkit_progress_steps() -> None:
    tracker = OutputTracker("buildkit", None)
    for line in [
        "#1 [internal] load build definition from Dockerfile",
        "#4 [1/2] FROM docker.io/library/busybox",
        "#9 [build 2/5] RUN make",
        "#9 0.251 compiling",
    ]:
        tracker.line(line)
    assert (tracker.step, tracker.total) == (2, 5)


def test_failure_message_keeps_only_the_tail() -> None:
    tracker = OutputTracker("classic", None)
    for n in range(100):
        tracker.line(f"line {n}")
    message = tracker.failure_message("failed")
    assert "line 99" in message
    assert f"line {99 - TAIL_LINES}" not in message
    assert message.count("\n") == TAIL_LINES
