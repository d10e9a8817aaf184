"""Data read only through a library stays while the library does: the MIME database
(shared-mime-info) is read through GLib's GIO. A build that installs libglib2.0-dev pulls in
libglib2.0-0 and, as its recommendation, shared-mime-info; when the final purge takes
libglib2.0-0 with the -dev package (nothing kept links it), the database goes too; when the
image keeps a program that links GIO (libglib2.0-bin's ``gio``, installed by name), the database
stays, reported as a protection naming the library. Both images built on the classic builder
and compared with the original by ``squasher verify``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import DEBIAN

from squasher.engine import Scratch
from squasher.inspect.verify import verify
from squasher.pkg.base import parse_protect_log
from squasher.pkg.runtime import DATA_READERS, data_regex, is_runtime_data
from squasher.rewriting import rewrite

TEMPLATE = """\
FROM {base}
RUN apt-get update && apt-get install -y libglib2.0-dev {extra}
RUN pkg-config --cflags glib-2.0 > /glib-cflags
RUN rm -rf /var/lib/apt/lists/*
CMD {cmd}
"""
INSTALLED = "dpkg-query -W -f='${{db:Status-Status}}' {} 2>/dev/null; echo"


@pytest.fixture(scope="module")
def scratch_module(docker_client: Any) -> Iterator[Scratch]:
    with Scratch(docker_client) as scratch:
        yield scratch


def _pair(scratch: Scratch, ctx: Path, extra: str, cmd: str) -> tuple[str, str, str, Any]:
    """The original and the squashed image, the squashed build's log and the rewrite report."""
    (ctx / "Dockerfile").write_text(TEMPLATE.format(base=DEBIAN, extra=extra, cmd=cmd))
    original = scratch.build(ctx, "Dockerfile", builder="classic").image_id
    result = rewrite(ctx / "Dockerfile", context=ctx, builder="classic")
    result.write()
    built = scratch.build(ctx, result.output_path.name, builder="classic")
    return original, built.image_id, "\n".join(built.log), result.report


def _installed(scratch: Scratch, image: str, package: str) -> bool:
    _, out = scratch.run(image, ["sh", "-c", INSTALLED.format(package)], entrypoint=[])
    return out.strip() == "installed"


def test_the_readers_table_is_runtime_data_checked_by_apt_alone() -> None:
    assert "shared-mime-info" in DATA_READERS and is_runtime_data("shared-mime-info:amd64")
    assert "shared-mime-info" in data_regex().split("|")  # apk and dnf keep it as before
    assert "shared-mime-info" not in data_regex(readers_checked=True).split("|")
    assert "ca-certificates" in data_regex(readers_checked=True).split("|")


@pytest.mark.engine
def test_the_mime_database_goes_with_its_only_reader(
    scratch_module: Scratch, tmp_path: Path, docker_client: Any
) -> None:
    original, image, log, report = _pair(scratch_module, tmp_path, "", '["cat", "/glib-cflags"]')
    assert _installed(scratch_module, original, "shared-mime-info")
    for package in ("shared-mime-info", "libglib2.0-0", "libglib2.0-dev"):
        assert not _installed(scratch_module, image, package), package
    assert "shared-mime-info" not in {p.package for p in parse_protect_log(log)}
    status, out = scratch_module.run(image)
    assert status == 0 and "glib-2.0" in out, out
    result = verify(original, image, client=docker_client, report=report)
    assert result.equivalent, [f"{d.change} {d.path}" for d in result.of("unexpected")]


@pytest.mark.engine
def test_the_mime_database_stays_while_a_kept_program_links_its_reader(
    scratch_module: Scratch, tmp_path: Path, docker_client: Any
) -> None:
    original, image, log, report = _pair(
        scratch_module, tmp_path, "libglib2.0-bin", '["gio", "mime", "text/plain"]'
    )
    assert _installed(scratch_module, image, "shared-mime-info")
    assert not _installed(scratch_module, image, "libglib2.0-dev")
    (kept,) = [p for p in parse_protect_log(log) if p.package == "shared-mime-info"]
    assert kept.file.endswith("/libgio-2.0.so.0") and kept.needs == "reads /usr/share/mime"
    assert kept.where == "final purge"
    status_original, out_original = scratch_module.run(original)
    assert scratch_module.run(image) == (status_original, out_original)
    result = verify(original, image, client=docker_client, report=report)
    assert result.equivalent, [f"{d.change} {d.path}" for d in result.of("unexpected")]
