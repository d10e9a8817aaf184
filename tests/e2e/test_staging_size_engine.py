"""What the staging costs, measured on the engine as a user measures it (``diff_size``).

BuildKit's default form (``mount``) is never larger than the original: nothing of the context or
of squasher's scripts stays in a layer. The classic builder's default (``script``) runs build.sh
inline when no context file is read (at most 16 KiB over the original; in fact nothing), and when
a COPY stages a file the report names it, with its size, as stored twice — and the measured
overhead is what the report says. Every squashed image is verified against its original.
"""

from __future__ import annotations

import functools
import random
import uuid
from pathlib import Path
from typing import Any

import pytest
from conftest import BUSYBOX

from squasher.measure.diff_size import DiffSizeResult, diff_size
from squasher.report.size_report import render_table

pytestmark = pytest.mark.engine

PASSWD = (
    "RUN echo 'app:x:1000:1000::/home/app:/bin/sh' >> /etc/passwd"
    " && echo 'app:x:1000:' >> /etc/group && mkdir -p /home/app /app && chown 1000:1000 /home/app\n"
)

# small Dockerfiles that stage nothing: squasher's own bytes are the only possible overhead
SMALL = {
    "run-exit": (
        f"FROM {BUSYBOX}\n"
        "RUN echo hi > /hello\n"
        "RUN false || echo recovered > /status\n"
        "RUN sh -c 'exit 0' && mkdir -p /data && echo x > /data/x\n"
        'CMD ["cat", "/hello"]\n'
    ),
    "env-arg-shell": (
        f"FROM {BUSYBOX}\n"
        "ARG FLAVOUR=plain\n"
        'ENV GREETING="hello world" FLAVOUR=$FLAVOUR\n'
        'SHELL ["/bin/sh", "-ec"]\n'
        'RUN echo "$GREETING $FLAVOUR" > /greeting\n'
        "ARG LATE=late\n"
        'RUN echo "${LATE:-unset}" > /late\n'
    ),
    "user-workdir": (
        f"FROM {BUSYBOX}\n" + PASSWD + "USER app\n"
        "WORKDIR /home/app\n"
        "RUN echo mine > file && id > ids\n"
        "USER root\n"
        "RUN chmod 600 /home/app/file\n"
        "USER 4242:4242\n"
        "WORKDIR /tmp/work\n"
        "RUN id > /tmp/ids-4242\n"
    ),
}
BIG = (
    f"FROM {BUSYBOX}\n"
    + PASSWD
    + "COPY big.bin /app/big.bin\nUSER app\nRUN ls -l /app > /tmp/listing\n"
)
BIG_BYTES = 20_000_000


def _context(root: Path, name: str) -> Path:
    ctx = root / name
    ctx.mkdir()
    if name == "big":
        (ctx / "Dockerfile").write_text(BIG)
        # new bytes on every run: BuildKit's cache key for a COPY leaves out the mtime, so a layer
        # another run cached would give the original an older mtime than the squashed build's copy
        (ctx / "big.bin").write_bytes(random.Random(uuid.uuid4().int).randbytes(BIG_BYTES))
    else:
        (ctx / "Dockerfile").write_text(SMALL[name])
    return ctx


@pytest.fixture(scope="module")
def measured(docker_client: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """diff_size of a case on a builder, with its defaults (each built once per module)."""
    root = tmp_path_factory.mktemp("staging")

    @functools.cache
    def run(name: str, builder: str) -> DiffSizeResult:
        (root / builder).mkdir(exist_ok=True)
        ctx = _context(root / builder, name)
        return diff_size(ctx, builder=builder, verify=True, client=docker_client)

    return run


def _equivalent(result: DiffSizeResult) -> None:
    assert result.verify is not None
    assert result.verify["equivalent"], result.verify


@pytest.mark.parametrize("name", sorted(SMALL))
def test_buildkit_default_is_never_larger(measured: Any, name: str) -> None:
    result = measured(name, "buildkit")
    assert result.strategy == "mount"
    assert result.squashed.size <= result.original.size, render_table(result)
    assert result.report["staging_bytes"] == 0 and result.report["staged_files"] == []
    _equivalent(result)


@pytest.mark.parametrize("name", sorted(SMALL))
def test_classic_default_runs_inline_and_stays_within_16_kib(measured: Any, name: str) -> None:
    result = measured(name, "classic")
    assert result.strategy == "script"
    assert result.squashed.size <= result.original.size + 16 * 1024, render_table(result)
    assert result.report["inline_scripts"] and result.report["staged_files"] == []
    assert result.report["staging_bytes"] == 0
    assert not [x for x in result.squashed.layer_sizes if x.created_by.startswith("COPY")]
    assert "staging: none (1 script(s) run inline" in render_table(result)
    _equivalent(result)


def test_buildkit_default_does_not_store_a_copied_file_twice(measured: Any) -> None:
    result = measured("big", "buildkit")
    assert result.strategy == "mount"
    assert result.squashed.size <= result.original.size, render_table(result)
    assert "staged twice" not in render_table(result)
    _equivalent(result)


def test_classic_reports_the_file_it_stores_twice(measured: Any) -> None:
    result = measured("big", "classic")
    table = render_table(result)
    assert "staged twice: big.bin 20 MB; --strategy stages avoids it" in table, table
    files = result.report["staged_files"]
    assert files == [{"path": "big.bin", "bytes": BIG_BYTES, "copied": True}]
    # the report's figure is what the image really holds over the original
    overhead = result.squashed.size - result.original.size
    assert abs(overhead - result.report["staging_bytes"]) <= 4096, (overhead, table)
    assert result.report["staged_script_bytes"] > 0
    _equivalent(result)
