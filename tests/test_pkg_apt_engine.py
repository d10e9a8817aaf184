"""Real-engine tests of the apt snippets in debian:bookworm-slim builds.

One module-wide image holds the downloaded .debs (gcc, make, libpq-dev, python3-dev) so every
test installs from the local cache; each test builds a small Dockerfile whose RUN does what
build.sh will do: snapshot -> install -> build -> (protect ->) remove -> purge -> clean.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import DEBIAN

from squasher.engine import Scratch
from squasher.pkg import MANAGERS, detect_ops
from squasher.pkg.base import parse_freed_log, parse_protect_log
from squasher.pkg.build_tools import build_only, decide, forced, kept

pytestmark = [pytest.mark.engine, pytest.mark.slow]

PACKAGES = "gcc make libc6-dev libpq-dev python3-dev"
INSTALL = f"apt-get install -y --no-install-recommends {PACKAGES}"

PQVER_C = """\
#include <stdio.h>
#include <libpq-fe.h>
int main(void) { printf("libpq %d\\n", PQlibVersion()); return 0; }
"""
# a CPython extension linked against libpq, installed like pip installs one: not executable
PQEXT_C = """\
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <libpq-fe.h>
static PyObject *version(PyObject *self, PyObject *args) { return PyLong_FromLong(PQlibVersion()); }
static PyMethodDef methods[] = {{"version", version, METH_NOARGS, "libpq"}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "pqext", NULL, -1, methods};
PyMODINIT_FUNC PyInit_pqext(void) { return PyModule_Create(&module); }
"""
PQEXT_SO = "/usr/local/lib/python3.11/dist-packages/pqext.cpython-311-x86_64-linux-gnu.so"
BUILD_PQEXT = (
    "mkdir -p /usr/local/lib/python3.11/dist-packages; "
    "gcc -shared -fPIC $(python3-config --includes) -I/usr/include/postgresql /s/pqext.c -lpq "
    f"-o {PQEXT_SO}; chmod 644 {PQEXT_SO}"
)
# json lives in libpython3.11-stdlib, not in python3.11-minimal: the script needs full python3
HELLO_PY = """\
#!/usr/bin/python3
import json
print(json.dumps({"hello": "world"}))
"""


@pytest.fixture(scope="module")
def debs_image(docker_client: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    ctx = tmp_path_factory.mktemp("debs")
    (ctx / "Dockerfile").write_text(
        f"FROM {DEBIAN}\n"
        f"RUN apt-get update && apt-get install -y -d --no-install-recommends {PACKAGES}\n"
    )
    with Scratch(docker_client) as scratch:
        image_id, _ = build(scratch, ctx, tag="squasher-test/pkg-apt-debs:latest")
        yield image_id


def build(scratch: Scratch, context: Path, tag: str | None = None) -> tuple[str, str]:
    """Classic build on the host network (no dependence on the engine's bridge); (image, log).

    The images are tracked by ``scratch`` and removed with it.
    """
    log: list[str] = []
    image_id = ""
    for chunk in scratch.client.api.build(
        path=str(context), tag=tag, rm=True, forcerm=True, decode=True, network_mode="host"
    ):
        if "stream" in chunk:
            log.append(chunk["stream"])
        if "error" in chunk:
            raise AssertionError("".join(log[-30:]) + chunk["error"])
        if "aux" in chunk and "ID" in chunk["aux"]:
            image_id = chunk["aux"]["ID"]
    assert image_id, "".join(log[-30:])
    scratch.track_image(tag or image_id)
    if tag:
        scratch.track_image(image_id)
    return image_id, "".join(log)


def write_context(ctx: Path, run: str) -> None:
    apt = MANAGERS["apt"]
    (ctx / "snapshot.sh").write_text(apt.snapshot_sh())
    (ctx / "protect.sh").write_text(apt.protect_sh("Dockerfile:3"))
    (ctx / "clean.sh").write_text(apt.clean_sh())
    (ctx / "intercept.sh").write_text(apt.intercept_sh())
    (ctx / "pqver.c").write_text(PQVER_C)
    (ctx / "hello").write_text(HELLO_PY)
    (ctx / "pqext.c").write_text(PQEXT_C)
    (ctx / "Dockerfile").write_text(
        "FROM squasher-test/pkg-apt-debs:latest\n"
        "COPY . /s/\n"
        "RUN set -eu; export SQUASHER_STATE=/squasher-state; sh /s/snapshot.sh; "
        + run.replace("\n", " ")
        + "; rm -rf /s /squasher-state\n"
    )


def purge_for(script: str) -> str:
    """purge_sh with the build-only/keep lists decided from the original's own RUN text."""
    analysis = detect_ops(script, "Dockerfile:3")
    assert analysis.error is None
    decisions = decide(analysis.ops)
    return MANAGERS["apt"].purge_sh(
        build_only(decisions, "apt"), kept(decisions, "apt"), forced(decisions, "apt")
    )


# the hand-written docker-library recipe, knowing that hello needs python3
REFERENCE = (
    'savedAptMark="$(apt-mark showmanual)"; '
    + INSTALL
    + "; gcc -o /usr/local/bin/pqver -I/usr/include/postgresql /s/pqver.c -lpq; "
    "install -m 755 /s/hello /usr/local/bin/hello; "
    + BUILD_PQEXT
    + "; apt-mark auto '.*' > /dev/null; apt-mark manual $savedAptMark python3 > /dev/null; "
    "find /usr/local -type f -executable -exec ldd '{}' ';' "
    '| awk \'/=>/ { so = $(NF-1); if (index(so, "/usr/local/") == 1) { next }; '
    'gsub("^/(usr/)?", "", so); printf "*%s\\n", so }\' '
    "| sort -u | xargs -r dpkg-query --search | cut -d: -f1 | sort -u | xargs -r apt-mark manual; "
    "apt-get purge -y --auto-remove -o APT::AutoRemove::RecommendsImportant=false; "
    "rm -rf /var/lib/apt/lists/*"
)


def top_layer_size(scratch: Scratch, image: str) -> int:
    history = scratch.client.api.history(image)
    return int(history[0]["Size"])


def installed(run_in_image: Any, image: str, package: str) -> bool:
    status, out = run_in_image(image, ["dpkg-query", "-W", "-f=${db:Status-Status}", package])
    return status == 0 and out.strip() == "installed"


def test_never_cleans_up_sample(
    debs_image: str, scratch: Scratch, run_in_image: Any, tmp_path: Path
) -> None:
    """The acceptance sample: install, compile against libpq, never clean; squasher purges."""
    original = textwrap.dedent(
        f"""\
        {INSTALL};
        gcc -o /usr/local/bin/pqver -I/usr/include/postgresql /s/pqver.c -lpq;
        install -m 755 /s/hello /usr/local/bin/hello;
        {BUILD_PQEXT};
        sh /s/purge.sh; sh /s/clean.sh
        """
    )
    write_context(tmp_path, original)
    (tmp_path / "purge.sh").write_text(purge_for(INSTALL))
    image, log = build(scratch, tmp_path)

    status, out = run_in_image(image, ["/usr/local/bin/pqver"])
    assert status == 0 and out.startswith("libpq "), out
    status, out = run_in_image(image, ["/usr/local/bin/hello"])
    assert status == 0 and '"hello": "world"' in out, out
    # the extension module is what pip would build from psycopg2's sources: it still imports
    status, out = run_in_image(image, ["python3", "-c", "import pqext; print(pqext.version())"])
    assert status == 0 and out.strip().isdigit(), out
    for gone in ("gcc", "gcc-12", "make", "libpq-dev", "python3-dev", "libc6-dev", "cpp"):
        assert not installed(run_in_image, image, gone), gone
    for stays in ("libpq5", "python3", "libpython3.11-stdlib"):
        assert installed(run_in_image, image, stays), stays
    status, out = run_in_image(
        image, ["find", "/var/lib/apt/lists", "/var/cache/apt", "-type", "f", "!", "-name", "lock"]
    )
    assert status == 0 and out.strip() == "", out

    protections = {p.package: p for p in parse_protect_log(log)}
    assert protections["libpq5"].file == "/usr/local/bin/pqver"
    assert protections["libpq5"].needs.endswith("/libpq.so.5")
    assert protections["libpq5"].where == "final purge"
    assert protections["python3"].file == "/usr/local/bin/hello"
    assert protections["python3"].needs == "/usr/bin/python3"
    # libssl3 stays through libpq5, python3-minimal through python3: not reported on their own
    assert "libssl3" not in protections and "python3-minimal" not in protections
    assert "gcc" not in protections and "libpq-dev" not in protections

    freed = {(f.what): f.kib for f in parse_freed_log(log) if f.manager == "apt"}
    assert freed["purge"] > 50_000, freed  # gcc, binutils, python3-dev...: tens of MiB
    assert freed["/var/lib/apt/lists"] > 1_000, freed

    # as small as the hand-written docker-library recipe (both share the same lower layers)
    write_context(tmp_path, REFERENCE)
    reference, _ = build(scratch, tmp_path)
    status, out = run_in_image(reference, ["/usr/local/bin/hello"])
    assert status == 0, out
    ours, theirs = top_layer_size(scratch, image), top_layer_size(scratch, reference)
    print(f"top layer: squasher {ours} bytes, docker-library recipe {theirs} bytes")
    assert ours <= 1.05 * theirs, (ours, theirs)


@pytest.mark.parametrize("protect", [True, False], ids=["protected", "unprotected-control"])
def test_protect_before_the_originals_own_purge(
    protect: bool, debs_image: str, scratch: Scratch, run_in_image: Any, tmp_path: Path
) -> None:
    """The original removes libpq-dev with --auto-remove itself: protection keeps libpq5.

    The unprotected control shows the same step really does break the program without it.
    """
    original = (
        "apt-get install -y --no-install-recommends gcc libc6-dev libpq-dev; "
        "gcc -o /usr/local/bin/pqver -I/usr/include/postgresql /s/pqver.c -lpq; "
        + ("sh /s/protect.sh; " if protect else "")
        + "apt-get purge -y --auto-remove gcc libc6-dev libpq-dev"
    )
    write_context(tmp_path, original)
    image, log = build(scratch, tmp_path)
    assert not installed(run_in_image, image, "libpq-dev")
    assert not installed(run_in_image, image, "gcc")
    status, out = run_in_image(image, ["/usr/local/bin/pqver"])
    protections = parse_protect_log(log)
    if protect:
        assert status == 0 and out.startswith("libpq "), out
        assert installed(run_in_image, image, "libpq5")
        assert [(p.package, p.where) for p in protections] == [("libpq5", "Dockerfile:3")]
    else:
        assert status != 0 and "libpq.so.5" in out, out
        assert not installed(run_in_image, image, "libpq5")
        assert protections == []


def test_wrappers_protect_inside_the_step_that_builds(
    debs_image: str, scratch: Scratch, run_in_image: Any, tmp_path: Path
) -> None:
    """The seed's recipe in one RUN: build, mark all auto, purge with --auto-remove, no ldd scan.

    What it built is a shared library without the executable bit (as pip installs extension
    modules): the docker-library scan (``find -executable``) would miss it; squasher's does not.

    squasher does not edit the step: it only runs it with its wrappers first in PATH.
    """
    original = (
        'savedAptMark="$(apt-mark showmanual)"; '
        "apt-get install -y --no-install-recommends gcc libc6-dev libpq-dev; "
        "gcc -shared -fPIC -o /usr/local/lib/libpqwrap.so -I/usr/include/postgresql "
        "/s/pqver.c -lpq; chmod 644 /usr/local/lib/libpqwrap.so; "
        "apt-mark auto '.*' > /dev/null; apt-mark manual $savedAptMark > /dev/null; "
        "apt-get purge -y --auto-remove -o APT::AutoRemove::RecommendsImportant=false"
    )
    write_context(
        tmp_path,
        "sh /s/intercept.sh; export SQUASHER_WHERE=Dockerfile:7; "
        'PATH="$SQUASHER_STATE/bin:$PATH" sh /s/step.sh',
    )
    (tmp_path / "step.sh").write_text("set -eu; " + original + "\n")
    image, log = build(scratch, tmp_path)
    # a shared library that is not executable: found by its name (*.so), as pip's are
    status, out = run_in_image(image, ["ldd", "/usr/local/lib/libpqwrap.so"])
    assert status == 0 and "libpq.so.5 => /" in out and "not found" not in out, out
    assert installed(run_in_image, image, "libpq5")
    for gone in ("gcc", "libpq-dev", "libc6-dev"):
        assert not installed(run_in_image, image, gone), gone
    protections = parse_protect_log(log)
    assert [(p.package, p.file, p.where) for p in protections] == [
        ("libpq5", "/usr/local/lib/libpqwrap.so", "Dockerfile:7")
    ]
