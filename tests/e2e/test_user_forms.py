"""Every USER form the builders accept, folded into build.sh, on busybox and Debian, both builders.

Each step under a USER records ``id -u``, ``id -g``, the kernel's supplementary group list and
``$HOME``; the squashed image must hold the same record as the original (compared line by line
and with ``squasher verify``). busybox has no util-linux setpriv: build.sh switches there with
busybox ``nsenter``, ``start-stop-daemon`` + ``nsenter`` or ``su``, whichever sets exactly the
builder's credentials; Debian uses setpriv. An image with none of these tools keeps the steps
under a USER as instructions when the engine shows it (``--inspect-base``, diff-size).
"""

from __future__ import annotations

import textwrap
import uuid
from pathlib import Path
from typing import Any

import pytest
from conftest import BUSYBOX, DEBIAN

from squasher.engine import Scratch
from squasher.errors import BuildFailed
from squasher.inspect.verify import verify
from squasher.plan.base import engine_base_info
from squasher.rewriting import rewrite

pytestmark = pytest.mark.engine

RECORD = (
    'echo "$(id -u) $(id -g) [$(grep ^Groups: /proc/self/status | cut -f2)] HOME=$HOME" >> /tmp/r'
)

# app: member of its own group and of extra; bob: no memberships; carol: memberships that leave
# out its own group; dave: a primary gid without group entry, one membership; 4242: no passwd entry
SETUP = {
    BUSYBOX: (
        "RUN printf 'app:x:1500:1500::/home/app:/bin/sh\\nbob:x:1600:1600::/home/bob:/bin/sh\\n"
        "carol:x:1700:1700::/home/carol:/bin/sh\\ndave:x:1800:4444::/home/dave:/bin/sh\\n'"
        " >> /etc/passwd && printf 'app:x:1500:app\\nbob:x:1600:\\nextra:x:3000:app,carol,dave\\n"
        "solo:x:3100:\\nmore:x:3200:carol\\n' >> /etc/group"
    ),
    DEBIAN: (
        "RUN useradd -u 1500 -U app && useradd -u 1600 -U -M -d /home/bob bob"
        " && groupadd -g 3000 extra && groupadd -g 3100 solo && groupadd -g 3200 more"
        " && usermod -aG extra,app app"
        " && useradd -u 1700 -N -g solo -M -d /home/carol carol && usermod -aG extra,more carol"
        " && useradd -u 1800 -N -g solo -M -d /home/dave dave && usermod -aG extra dave"
        " && sed -i -e 's/^carol:x:1700:3100:/carol:x:1700:1700:/'"
        " -e 's/^dave:x:1800:3100:/dave:x:1800:4444:/' /etc/passwd"
    ),
}

FORMS = [
    "app",  # name, memberships
    "bob",  # name, no memberships
    "carol",  # name, memberships without its own group (no busybox tool sets BuildKit's list)
    "dave",  # name, primary gid without group entry
    "app:solo",  # name:group
    "bob:4343",  # name:gid without group entry
    "1500",  # uid with passwd entry
    "1700",  # uid with passwd entry, memberships without its own group
    "1600:3100",  # uid:gid with entries
    "4242",  # uid without passwd entry
    "4242:4343",  # uid:gid without entries
    "1000:1000",
    "4242:solo",  # uid without entry, named group
    "nobody",
]


def _dockerfile(base: str) -> str:
    lines = [f"FROM {base}", SETUP[base], "RUN : > /tmp/r && chmod 666 /tmp/r"]
    for form in FORMS:
        lines += [f"USER {form}", f"RUN echo 'USER {form}:' >> /tmp/r; {RECORD}"]
    lines += ["USER root", f"RUN echo 'USER root:' >> /tmp/r; {RECORD}", "USER bob"]
    return "\n".join(lines) + "\n"


VARIANTS = [(base, builder) for base in (BUSYBOX, DEBIAN) for builder in ("classic", "buildkit")]


@pytest.mark.parametrize(
    "base,builder", VARIANTS, ids=[f"{b.split(':')[0]}-{k}" for b, k in VARIANTS]
)
def test_user_forms_match_the_builder(
    base: str, builder: str, tmp_path: Path, scratch: Scratch, docker_client: Any
) -> None:
    (tmp_path / "Dockerfile").write_text(_dockerfile(base))
    orig = scratch.build(tmp_path, "Dockerfile", builder=builder).image_id  # type: ignore[arg-type]
    result = rewrite(tmp_path / "Dockerfile", builder=builder)
    result.write()
    assert result.report is not None and not result.report.kept
    squashed = scratch.build(tmp_path, "Dockerfile.squashed", builder=builder)  # type: ignore[arg-type]
    want = scratch.run(orig, ["cat", "/tmp/r"], user="0")
    got = scratch.run(squashed.image_id, ["cat", "/tmp/r"], user="0")
    print(want[1])
    assert got == want
    # the message the script prints (the classic builder's log also shows an inline script's text)
    said = [line for line in squashed.log if "squasher: Dockerfile:" in line]
    assert not [line for line in said if "no file access differs" in line], said
    outcome = verify(orig, squashed.image_id, client=docker_client, report=result.report)
    assert outcome.equivalent, [d for d in outcome.differences if d.category == "unexpected"]


def test_buildkit_memberships_without_own_group_on_busybox(
    tmp_path: Path, scratch: Scratch
) -> None:
    """BuildKit's groups for a user whose memberships leave out its own gid: no busybox tool sets
    them; build.sh's own program does, from /dev, where no step sees it and no layer keeps it."""
    (tmp_path / "Dockerfile").write_text(
        f"FROM {BUSYBOX}\n"
        "RUN echo 'carol:x:1700:1700::/home/carol:/bin/sh' >> /etc/passwd"
        " && echo 'extra:x:3000:carol' >> /etc/group && echo 'more:x:3200:carol' >> /etc/group"
        " && : > /tmp/r && chmod 666 /tmp/r\n"
        f"USER carol\nRUN {RECORD} && {{ ls -a /dev | grep -c groups || :; }} >> /tmp/r  # {uuid.uuid4().hex}\n"
        'RUN ["sh", "-c", "id -G >> /tmp/r"]\n'
    )
    orig = scratch.build(tmp_path, "Dockerfile", builder="buildkit").image_id
    result = rewrite(tmp_path / "Dockerfile", builder="buildkit")
    result.write()
    assert result.report is not None and not result.report.kept
    squashed = scratch.build(tmp_path, "Dockerfile.squashed", builder="buildkit")
    want = scratch.run(orig, ["cat", "/tmp/r"], user="0")[1]
    # no file named like build.sh's program in /dev while the step runs
    assert want == "1700 1700 [3000 3200 ] HOME=/home/carol\n0\n1700 3000 3200\n", want
    assert scratch.run(squashed.image_id, ["cat", "/tmp/r"], user="0")[1] == want
    said = [line for line in squashed.log if "squasher: Dockerfile:" in line]
    assert not said, said
    # the program removed itself: nothing of it in the image's /dev either
    assert "groups" not in scratch.run(squashed.image_id, ["ls", "-a", "/dev"], user="0")[1]


@pytest.fixture
def base_without_switch(tmp_path: Path, scratch: Scratch) -> str:
    """busybox without su, setpriv, nsenter and start-stop-daemon."""
    tag = f"squasher-test-noswitch-{uuid.uuid4().hex[:12]}"
    root = tmp_path / "base"
    root.mkdir()
    (root / "Dockerfile").write_text(
        f"FROM {BUSYBOX}\nRUN cd /bin && rm -f su setpriv nsenter start-stop-daemon\n"
    )
    scratch.build(root, "Dockerfile", tag=tag, builder="classic")
    return tag


@pytest.mark.parametrize("builder", ["classic", "buildkit"])
def test_no_switch_tool_keeps_user_steps_as_instructions(
    builder: str, base_without_switch: str, tmp_path: Path, scratch: Scratch, docker_client: Any
) -> None:
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text(
        textwrap.dedent(
            f"""\
            FROM {base_without_switch}
            RUN : > /tmp/r && chmod 666 /tmp/r && echo root > /tmp/before
            USER 4242:4343
            RUN {RECORD}
            USER nobody
            RUN {RECORD}
            USER root
            RUN echo done > /tmp/after
            """
        )
    )
    orig = scratch.build(ctx, "Dockerfile", builder=builder).image_id  # type: ignore[arg-type]
    result = rewrite(ctx / "Dockerfile", builder=builder, base_info=engine_base_info(docker_client))
    result.write()
    assert result.report is not None
    kept = {k.line: k.reason for k in result.report.kept}
    assert sorted(kept) == [4, 6]
    assert "has no setpriv (util-linux), su or nsenter" in kept[4]
    squashed = scratch.build(ctx, "Dockerfile.squashed", builder=builder).image_id  # type: ignore[arg-type]
    want = scratch.run(orig, ["cat", "/tmp/r"], user="0")
    assert scratch.run(squashed, ["cat", "/tmp/r"], user="0") == want
    outcome = verify(orig, squashed, client=docker_client, report=result.report)
    assert outcome.equivalent


def test_no_switch_tool_without_engine_stops_loudly(
    base_without_switch: str, tmp_path: Path, scratch: Scratch
) -> None:
    """Without the engine's view of the base the rewrite cannot know: the step never runs as root."""
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text(
        f"FROM {base_without_switch}\nUSER nobody\nRUN id -u > /tmp/uid\n"
    )
    rewrite(ctx / "Dockerfile", builder="classic").write()
    with pytest.raises(BuildFailed) as err:
        scratch.build(ctx, "Dockerfile.squashed", builder="classic")
    assert "squasher: Dockerfile:3: cannot run as USER nobody" in str(err.value)


def test_no_switch_tool_split_sized_by_diff_size(
    base_without_switch: str, tmp_path: Path, docker_client: Any
) -> None:
    """diff-size sees the base's tools by itself and gives each kept step its layer's bytes."""
    from squasher.measure.diff_size import diff_size
    from squasher.report.size_report import render_table

    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text(
        f"FROM {base_without_switch}\nRUN chmod 1777 /tmp\nUSER nobody\n"
        "RUN head -c 300000 /dev/zero > /tmp/big\nUSER root\nRUN echo done > /done\n"
    )
    result = diff_size(ctx, builder="buildkit", verify=True, client=docker_client)
    (kept,) = result.report["kept"]
    assert kept["line"] == 4 and kept["layer_bytes"] >= 300_000
    assert "has no setpriv (util-linux), su or nsenter" in kept["reason"]
    table = render_table(result)
    assert "kept line 4: RUN head -c 300000 /dev/zero > /tmp/big (" in table, table
    assert "): its layer 300 kB" in table or "): its layer 301 kB" in table, table
    assert result.verify is not None and result.verify["equivalent"], result.verify
