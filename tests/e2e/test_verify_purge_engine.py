"""``squasher verify`` on purges, by why the package went (the rewrite report's decision kind) and
what the images hold: real dpkg packages built in the image with ``dpkg-deb`` (no network), on
debian:bookworm-slim.

- a build-only purge: expected; an alternative it switched back: noise;
- a tool with run-time uses purged by squasher: its own class, named in the verdict with its
  commands and the override, exit 0 — unless the image's ENTRYPOINT script calls it: exit 1;
- a package the base image had, and run-time data (a CA store, zoneinfo), gone: exit 1."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import DEBIAN

from squasher.engine import Scratch
from squasher.inspect.classify import EXPECTED, NOISE, PURGED_TOOL, UNEXPECTED
from squasher.inspect.verify import verify
from squasher.report.rewrite import PackageDecision, RewriteReport

pytestmark = pytest.mark.engine

Build = Callable[[str], str]
BASE = DEBIAN


@pytest.fixture(scope="module")
def build(docker_client: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Build]:
    with Scratch(docker_client) as scratch:
        count = 0

        def build(dockerfile: str) -> str:
            nonlocal count
            count += 1
            context = tmp_path_factory.mktemp(f"purge{count}")
            (context / "Dockerfile").write_text(dockerfile)
            return scratch.build(context, "Dockerfile", None).image_id

        yield build


def _lines(path: str, *lines: str) -> str:
    quoted = " ".join("'" + line.replace("'", "'\\''") + "'" for line in lines)
    return f"mkdir -p \"$(dirname {path})\" && printf '%s\\n' {quoted} > {path}"


def deb(name: str, files: dict[str, str], postinst: str = "", prerm: str = "") -> str:
    """sh that builds the package NAME (FILES: path -> one line of content) and installs it."""
    d = f"/tmp/deb-{name}"
    steps = [
        _lines(
            f"{d}/DEBIAN/control",
            f"Package: {name}",
            "Version: 1.0",
            "Architecture: all",
            "Maintainer: squasher tests <tests@example.invalid>",
            f"Description: {name} for verify's tests",
        )
    ]
    for path, content in files.items():
        steps.append(_lines(f"{d}{path}", content))
        if "/bin/" in path:
            steps.append(f"chmod 755 {d}{path}")
    for script, body in (("postinst", postinst), ("prerm", prerm)):
        if body:
            steps += [_lines(f"{d}/DEBIAN/{script}", "#!/bin/sh", "set -e", body)]
            steps.append(f"chmod 755 {d}/DEBIAN/{script}")
    steps += [
        f"dpkg-deb -b {d} /tmp/{name}.deb >/dev/null",
        f"dpkg -i /tmp/{name}.deb >/dev/null",
        f"rm -rf {d} /tmp/{name}.deb",
    ]
    return " && ".join(steps)


def tool(name: str) -> str:
    return deb(name, {f"/usr/bin/{name}": "#!/bin/sh"})


def report(**kinds: tuple[str, list[str]]) -> RewriteReport:
    return RewriteReport(
        "Dockerfile",
        "Dockerfile.squashed",
        "classic",
        "script",
        packages=[
            PackageDecision("0", "apt", name, True, "test", kind=kind, commands=commands)
            for name, (kind, commands) in kinds.items()
        ],
    )


def pair(build: Build, install: str, purge: str, tail: str = "") -> tuple[str, str]:
    original = build(f"FROM {BASE}\nRUN {install}\n{tail}")
    squashed = build(f"FROM {BASE}\nRUN {install} && dpkg --purge {purge} >/dev/null\n{tail}")
    return original, squashed


SQPAGER = deb(
    "sqpager",
    {"/usr/bin/sqpager": "#!/bin/sh"},
    postinst="update-alternatives --install /usr/bin/pager pager /usr/bin/sqpager 77",
    prerm="update-alternatives --remove pager /usr/bin/sqpager",
)


def test_build_only_purge_is_expected_and_its_alternative_switch_is_noise(
    build: Build, docker_client: Any
) -> None:
    original, squashed = pair(build, SQPAGER, "sqpager")
    result = verify(
        original, squashed, client=docker_client, report=report(sqpager=("build-only", []))
    )
    assert result.equivalent, result.format_text()
    found = {d.path: d for d in result.differences}
    assert (found["/usr/bin/sqpager"].category, found["/usr/bin/sqpager"].reason) == (
        EXPECTED,
        "file of purged package sqpager",
    )
    switched = found["/etc/alternatives/pager"]
    assert switched.category == NOISE
    assert (
        switched.reason == "alternative pager switched: /usr/bin/sqpager left with package sqpager"
    )


SWITCHES = [
    # (what, the squashed build's steps after the install)
    ("chosen by hand, its package kept", "update-alternatives --set pager /bin/more >/dev/null"),
    (
        "pointed off its choices after the purge",
        "dpkg --purge sqpager >/dev/null && ln -sfn /bin/cat /etc/alternatives/pager",
    ),
]


@pytest.mark.parametrize(("what", "steps"), SWITCHES, ids=[w for w, _ in SWITCHES])
def test_alternative_switched_otherwise_is_a_real_difference(
    build: Build, docker_client: Any, what: str, steps: str
) -> None:
    original = build(f"FROM {BASE}\nRUN {SQPAGER}\n")
    squashed = build(f"FROM {BASE}\nRUN {SQPAGER} && {steps}\n")
    result = verify(
        original, squashed, client=docker_client, report=report(sqpager=("build-only", []))
    )
    assert result.exit_code == 1, result.format_text()
    switched = next(d for d in result.differences if d.path == "/etc/alternatives/pager")
    assert switched.category == UNEXPECTED, what
    assert "/etc/alternatives/pager" in result.summary_line()


def test_runtime_tool_purged_by_squasher_is_named_with_its_override(
    build: Build, tmp_path: Path
) -> None:
    original, squashed = pair(build, tool("sqfetch"), "sqfetch")
    path = tmp_path / "report.json"
    path.write_text(json.dumps(report(sqfetch=("runtime-tool", ["sqfetch"])).to_dict()))
    proc = subprocess.run(
        [sys.executable, "-m", "squasher", "verify", "--report", str(path), original, squashed],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"{PURGED_TOOL: <10}  tool sqfetch purged by squasher (sqfetch)" in proc.stdout
    assert proc.stdout.splitlines()[-1].endswith(
        ": equivalent; purged tools with run-time uses: sqfetch (sqfetch) - keep one with "
        "'# squasher: keep NAME'"
    )


def test_runtime_tool_the_entrypoint_script_calls_is_a_real_difference(
    build: Build, docker_client: Any
) -> None:
    entry = (
        "RUN printf '%s\\n' '#!/bin/sh' 'set -e' 'sqfetch --version' 'exec \"$@\"'"
        " > /usr/local/bin/entry.sh && chmod 755 /usr/local/bin/entry.sh\n"
        'ENTRYPOINT ["/usr/local/bin/entry.sh"]\nCMD ["true"]\n'
    )
    original, squashed = pair(build, tool("sqfetch"), "sqfetch", entry)
    result = verify(
        original,
        squashed,
        client=docker_client,
        report=report(sqfetch=("runtime-tool", ["sqfetch"])),
    )
    assert result.exit_code == 1
    gone = next(d for d in result.differences if d.path == "/usr/bin/sqfetch")
    assert (gone.category, gone.reason) == (
        UNEXPECTED,
        "package sqfetch removed, but the image calls sqfetch",
    )
    assert "/usr/bin/sqfetch" in result.summary_line()


@pytest.mark.parametrize(
    ("files", "what"),
    [
        ({"/etc/ssl/certs/sq-root.pem": "-----BEGIN CERTIFICATE-----"}, "the CA certificate store"),
        ({"/usr/share/zoneinfo/Sq/Zone": "TZif2"}, "the time-zone database"),
    ],
    ids=["ca-store", "zoneinfo"],
)
def test_runtime_data_purged_is_a_real_difference(
    build: Build, docker_client: Any, files: dict[str, str], what: str
) -> None:
    original, squashed = pair(build, deb("sqdata", files), "sqdata")
    # even when the report calls it build-only: run-time data is never collateral
    result = verify(
        original, squashed, client=docker_client, report=report(sqdata=("build-only", []))
    )
    assert result.exit_code == 1
    (path,) = files
    gone = next(d for d in result.differences if d.path == path)
    assert (gone.category, gone.reason) == (UNEXPECTED, f"{what} lost with sqdata")
