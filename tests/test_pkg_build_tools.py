"""The build-only decision: build-tool list, removals by the original, user overrides, reasons."""

from __future__ import annotations

from pathlib import Path

import pytest

from squasher.errors import SquasherError
from squasher.pkg import detect_ops
from squasher.pkg.base import PkgOp, Protection, parse_protect_log
from squasher.pkg.build_tools import Decision, apply_protections, build_only, decide, forced, kept
from squasher.pkg.directives import parse_directives
from squasher.pkg.evidence import Evidence, context_evidence, names
from squasher.pkg.known_build_tools import build_tool


def ops(*steps: tuple[int, str]) -> list[PkgOp]:
    found: list[PkgOp] = []
    for line, script in steps:
        result = detect_ops(script, f"Dockerfile:{line}")
        assert result.error is None
        found.extend(result.ops)
    return found


@pytest.mark.parametrize(
    "name",
    [
        "gcc",
        "gcc-12",
        "g++",
        "build-essential",
        "build-base",
        "make",
        "cmake",
        "autoconf",
        "automake",
        "libtool",
        "pkg-config",
        "pkgconf",
        "libpq-dev",
        "libssl-dev:amd64",
        "python3-dev",
        "postgresql-server-dev-all",
        "postgresql-devel",
        "linux-headers",
        "dpkg-dev",
        "clang-16",
        "musl-dev",
        "gcc-c++",
    ],
)
def test_build_tools(name: str) -> None:
    assert build_tool(name) is not None


@pytest.mark.parametrize(
    "name",
    [
        "libpq5",
        "gcc-12-base",
        "libgcc-s1",
        "libstdc++6",
        "python3",
        "ca-certificates",
        "curl",
        "udev",
        "devscripts-el",
        "tzdata",
        "openssl",
        "binutils-common",
    ],
)
def test_not_build_tools(name: str) -> None:
    assert build_tool(name) is None


def test_build_tool_reason_names_the_pattern() -> None:
    assert build_tool("gcc") == "C compiler"
    assert build_tool("libpq-dev") == "development files (*-dev), matches *-dev"


def test_decide_reasons_and_precedence() -> None:
    found = ops(
        (5, "apt-get update && apt-get install -y gcc make libpq-dev libpq5 wget curl git"),
        (9, "apt-get purge -y wget"),
        (10, "apt-get install -y nano"),
    )
    directives = parse_directives(
        "FROM debian\n# squasher: keep git\n  #squasher: purge curl, nano\n# other comment\n",
        "Dockerfile",
    )
    decisions = decide(found, keep=["make"], purge=["libpq5"], directives=directives)
    table = {d.package: (d.build_only, d.reason, d.where) for d in decisions}
    assert table == {
        "gcc": (True, "build-tool list (C compiler)", "Dockerfile:5"),
        "make": (False, "user override (--keep)", "Dockerfile:5"),
        "libpq-dev": (
            True,
            "build-tool list (development files (*-dev), matches *-dev)",
            "Dockerfile:5",
        ),
        "libpq5": (True, "user override (--purge)", "Dockerfile:5"),
        "wget": (True, "removed by the original at Dockerfile:9", "Dockerfile:5"),
        "curl": (True, "user override (Dockerfile:3: # squasher: purge)", "Dockerfile:5"),
        "git": (False, "user override (Dockerfile:2: # squasher: keep)", "Dockerfile:5"),
        "nano": (True, "user override (Dockerfile:3: # squasher: purge)", "Dockerfile:10"),
    }
    assert [d.package for d in decisions][:3] == ["gcc", "make", "libpq-dev"]
    assert build_only(decisions, "apt") == ["curl", "gcc", "libpq-dev", "libpq5", "nano", "wget"]
    assert kept(decisions, "apt") == ["git", "make"]
    assert forced(decisions, "apt") == ["curl", "libpq5", "nano"]


def test_kept_package_installed_with_removed_tools_gets_a_note() -> None:
    found = ops(
        (4, "apt-get install -y nodejs"),
        (5, "apt-get install -y python3 make g++"),
        (6, "apt-get install -y python3-pip python3-venv"),
        (9, "apt-get remove -y make g++"),
    )
    reasons = {d.package: d.reason for d in decide(found)}
    assert reasons["nodejs"] == "not a build tool"
    assert reasons["python3"] == (
        "not a build tool; installed with make, g++, which the original removes later: "
        "if only the build needs it, '# squasher: purge python3' or --purge python3"
    )
    # python3-pip is build-only by the list, not removed by the original: no note for its
    # companion, which is usually the runtime pip was installed for
    assert reasons["python3-venv"] == "not a build tool"


def test_reinstalled_after_removal_is_not_removed() -> None:
    found = ops(
        (3, "apt-get install -y jq"), (4, "apt-get purge -y jq"), (5, "apt-get install -y jq")
    )
    (d,) = decide(found)
    assert d == Decision("apt", "jq", False, "not a build tool", "Dockerfile:3")


def test_no_purge_keeps_everything() -> None:
    found = ops((3, "apt-get install -y gcc"))
    assert decide(found, no_purge=True) == [
        Decision("apt", "gcc", False, "purging turned off (--no-purge)", "Dockerfile:3")
    ]


def test_pip_and_npm_get_no_decisions() -> None:
    found = ops((3, "pip install cython && npm i -g typescript"))
    assert decide(found) == []


def test_user_named_package_not_installed_by_the_original() -> None:
    found = ops((3, "apt-get install -y gcc"))
    decisions = decide(found, purge=["perl"])
    assert (
        Decision("apt", "perl", True, "user override (--purge)", "", "named-by-user") in decisions
    )


def test_purge_and_keep_same_package_is_an_error() -> None:
    with pytest.raises(SquasherError, match="both name gcc"):
        decide([], purge=["gcc"], keep=["gcc"])


def test_apk_virtual_groups() -> None:
    found = ops(
        (3, "apk add --no-cache --virtual .build-deps gcc musl-dev make"),
        (4, "apk add --no-cache --virtual .mixed gcc libpq"),
        (5, "apk add --virtual .gone tar && apk del .gone"),
    )
    table = {d.package: (d.build_only, d.reason) for d in decide(found)}
    assert table[".build-deps"] == (True, "virtual group of build tools")
    assert table[".mixed"] == (False, "virtual group holding runtime packages")
    assert table[".gone"] == (True, "removed by the original at Dockerfile:5")
    assert table["libpq"] == (False, "not a build tool")


def test_directive_errors() -> None:
    with pytest.raises(SquasherError) as err:
        parse_directives("FROM x\n# squasher: purgee gcc\n", "app/Dockerfile")
    assert str(err.value).startswith("app/Dockerfile:2: unknown squasher directive 'purgee'")
    with pytest.raises(SquasherError, match=r"^Dockerfile:1: '# squasher: keep' names no package"):
        parse_directives("# squasher: keep\n")


def test_directives_parsed() -> None:
    (d,) = parse_directives("RUN x\n\t# Squasher: KEEP libpq5 , libssl3\n")
    assert (d.verb, d.packages, d.line, d.where) == (
        "keep",
        ("libpq5", "libssl3"),
        2,
        "Dockerfile:2",
    )
    assert parse_directives("# squasher is great\n# syntax=docker/dockerfile:1\n") == []


def test_protections_override_build_only_and_add_dependencies() -> None:
    log = (
        "Step 3/4 : RUN sh build.sh\n"
        " ---> Running in abc\n"
        "squasher-protect\tapt\tlibpq-dev\t/usr/local/bin/app\t/usr/lib/x/libpq.so\tfinal purge\n"
        "squasher-protect\tapt\tlibpq5:amd64\t/usr/local/bin/app\t/lib/x/libpq.so.5\tDockerfile:9\n"
        "squasher-protect\tapt\tlibpq5:amd64\t/usr/local/bin/app\t/lib/x/libpq.so.5\tDockerfile:9\n"
        # once per package and step, whatever the file
        "squasher-protect\tapt\tlibpq5:amd64\t/usr/local/bin/other\t/lib/x/libpq.so.5\tDockerfile:9\n"
        "squasher-protect\tbroken line\n"
    )
    protections = parse_protect_log(log)
    assert protections == [
        Protection("apt", "libpq-dev", "/usr/local/bin/app", "/usr/lib/x/libpq.so", "final purge"),
        Protection("apt", "libpq5", "/usr/local/bin/app", "/lib/x/libpq.so.5", "Dockerfile:9"),
    ]
    decisions = decide(ops((3, "apt-get install -y gcc libpq-dev")))
    final = apply_protections(decisions, protections)
    assert final == [
        Decision("apt", "gcc", True, "build-tool list (C compiler)", "Dockerfile:3", "build-only"),
        Decision(
            "apt",
            "libpq-dev",
            False,
            "needed by /usr/local/bin/app through /usr/lib/x/libpq.so",
            "Dockerfile:3",
        ),
        Decision("apt", "libpq5", False, "needed by /usr/local/bin/app through /lib/x/libpq.so.5"),
    ]


def test_runtime_tools_purged_unless_something_the_image_runs_names_them() -> None:
    found = ops((3, "apt-get install -y python3-pip git curl gcc"))
    evidence = [
        Evidence("Dockerfile:9 CMD", 'sh -c "python3 -m pip install -r req.txt && ./run"'),
        Evidence("docker-compose.yml", "curl -fsS http://x/ready"),
    ]
    table = {d.package: d for d in decide(found, evidence=evidence)}
    assert not table["python3-pip"].build_only and table["python3-pip"].kind == ""
    assert table["python3-pip"].reason == "runtime tool (pip, pip3): Dockerfile:9 CMD runs pip"
    assert table["curl"].reason == "runtime tool (curl): docker-compose.yml runs curl"
    git = table["git"]
    assert git.build_only and git.kind == "runtime-tool" and git.commands == ("git",)
    assert "looked at: Dockerfile:9 CMD, docker-compose.yml" in git.reason
    assert "'# squasher: keep git'" in git.reason
    assert table["gcc"].kind == "build-only"


def test_runtime_tool_kinds_follow_the_decision() -> None:
    found = ops((3, "apt-get install -y git wget"), (5, "apt-get purge -y wget"))
    table = {d.package: d for d in decide(found, keep=["git"])}
    assert (table["git"].build_only, table["git"].kind) == (False, "")
    assert table["wget"].kind == "removed-by-original"


def test_words_name_commands() -> None:
    assert names("exec /usr/bin/git pull", "git")
    assert names("python -m pip install x", "pip")
    assert not names("gitlab-runner", "git") and not names("pipenv run x", "pip")
    assert not names("python3-pip", "pip")


def test_context_evidence_reads_compose_procfile_and_entrypoints(tmp_path: Path) -> None:
    (tmp_path / "docker-compose.yml").write_text(
        "services:\n  web:\n    image: x\n    command:\n      - sh\n      - -c\n"
        "      - pip install -e .\n    environment:\n      A: git\n"
    )
    (tmp_path / "Procfile").write_text("worker: rsync -a a b\n")
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "docker-entrypoint.sh").write_text("#!/bin/sh\nexec wget -q x\n")
    (tmp_path / "start.sh").write_text("#!/bin/sh\nssh host\n")
    (tmp_path / "other.sh").write_text("#!/bin/sh\ncurl x\n")
    found = {e.source: e.text for e in context_evidence(tmp_path, ["./start.sh"])}
    assert sorted(found) == [
        "Procfile",
        "bin/docker-entrypoint.sh",
        "docker-compose.yml",
        "start.sh",
    ]
    assert "pip install" in found["docker-compose.yml"] and "git" not in found["docker-compose.yml"]
    assert context_evidence(None) == []


def test_npm_is_build_only_unless_what_the_image_runs_names_it() -> None:
    found = ops((3, "apt-get install -y nodejs npm"))
    cmd = [Evidence("Dockerfile:17 CMD", "node dist/server.js")]
    table = {d.package: d for d in decide(found, evidence=cmd)}
    npm = table["npm"]
    assert npm.build_only and npm.kind == "runtime-tool" and npm.commands == ("npm", "npx")
    assert "looked at: Dockerfile:17 CMD" in npm.reason and "--keep npm" in npm.reason
    # node is the runtime: never a build tool, and it stays
    assert not table["nodejs"].build_only and table["nodejs"].reason == "not a build tool"
    started = [Evidence("Dockerfile:17 CMD", "npm start")]
    npm = {d.package: d for d in decide(found, evidence=started)}["npm"]
    assert (
        not npm.build_only and npm.reason == "runtime tool (npm, npx): Dockerfile:17 CMD runs npm"
    )
    npx = [Evidence("docker-entrypoint.sh", "exec npx serve dist")]
    assert not {d.package: d for d in decide(found, evidence=npx)}["npm"].build_only


def test_a_purged_npm_leaves_the_runtime_it_pulled_in() -> None:
    # the original installed only npm: nodejs came in as its dependency, and apt's auto-remove
    # would take it with npm; the image runs node
    table = {d.package: d for d in decide(ops((3, "apt-get install -y npm")))}
    assert table["npm"].build_only
    assert not table["nodejs"].build_only
    assert table["nodejs"].reason == "the runtime npm runs on: stays when npm is purged"
    # the user's word still wins
    table = {d.package: d for d in decide(ops((3, "apt-get install -y npm")), purge=["nodejs"])}
    assert table["nodejs"].build_only and table["nodejs"].kind == "named-by-user"
    # a kept npm adds nothing
    found = decide(ops((3, "apt-get install -y npm")), keep=["npm"])
    assert [d.package for d in found] == ["npm"]
