"""Unit tests for verify's comparison and classification (no engine: real data structures built by
hand, the same ones the image reader fills)."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import struct
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from squasher.cli import cli
from squasher.inspect import pkgdb
from squasher.inspect.classify import (
    ADDED,
    CHANGED,
    EXPECTED,
    PROTECTED,
    REMOVED,
    UNEXPECTED,
    Classifier,
    Difference,
)
from squasher.inspect.layers import FileEntry, FinalFilesystem
from squasher.inspect.verify import (
    ImageSide,
    SmokeOutcome,
    SmokeResult,
    VerifyResult,
    compare_config,
    compare_filesystems,
    human_bytes,
    make_resolver,
)
from squasher.inspect.verify_difference import (
    Evidence,
    ProtectedPackage,
    PurgeDecision,
)
from squasher.inspect.verify_evidence import (
    called_names,
    config_commands,
    load_report,
    protected_packages,
    purge_decisions,
    shared_layers,
)
from squasher.pkg.base import Protection
from squasher.report.rewrite import PackageDecision, RewriteReport


def f(path: str, data: str = "x", mode: int = 0o644, uid: int = 0, gid: int = 0) -> FileEntry:
    import hashlib

    return FileEntry(
        path=path,
        kind="file",
        mode=mode,
        uid=uid,
        gid=gid,
        size=len(data),
        sha256=hashlib.sha256(data.encode()).hexdigest(),
        linkname=None,
    )


def d(path: str, mode: int = 0o755) -> FileEntry:
    return FileEntry(path, "dir", mode, 0, 0, 0, None, None)


def ln(path: str, target: str) -> FileEntry:
    return FileEntry(path, "symlink", 0o777, 0, 0, 0, None, target)


def fs(*entries: FileEntry, groups: tuple[tuple[str, ...], ...] = ()) -> FinalFilesystem:
    return FinalFilesystem(
        entries={e.path: e for e in sorted(entries, key=lambda e: e.path)},
        layer_of={e.path: 0 for e in entries},
        hardlink_groups=sorted(groups),
    )


# ------------------------------------------------------------------ filesystems


def test_equal_filesystems_ignore_mtime() -> None:
    a = fs(d("/app"), f("/app/a", "hi"))
    b = fs(d("/app"), dataclasses.replace(f("/app/a", "hi"), mtime=12345))
    assert list(compare_filesystems(a, b)) == []


@pytest.mark.parametrize(
    ("squashed", "details"),
    [
        (f("/a", "HI"), ("content",)),
        (f("/a", "hi!"), ("size 2 -> 3", "content")),
        (f("/a", "hi", mode=0o755), ("mode 0644 -> 0755",)),
        (f("/a", "hi", uid=1000, gid=100), ("owner 0:0 -> 1000:100",)),
        (ln("/a", "/b"), ("type file -> symlink",)),
        (
            dataclasses.replace(f("/a", "hi"), xattrs=(("security.capability", "x"),)),
            ("xattrs security.capability",),
        ),
    ],
)
def test_changed_entry_details(squashed: FileEntry, details: tuple[str, ...]) -> None:
    (diff,) = compare_filesystems(fs(f("/a", "hi")), fs(squashed))
    assert (diff.path, diff.change, diff.details) == ("/a", CHANGED, details)


def test_removed_added_and_symlink_target() -> None:
    orig = fs(f("/gone", "12345"), ln("/l", "a"))
    sq = fs(f("/new", "123"), ln("/l", "b"))
    diffs = {x.path: x for x in compare_filesystems(orig, sq)}
    assert diffs["/gone"].change == REMOVED and diffs["/gone"].size == 5
    assert diffs["/new"].change == ADDED and diffs["/new"].squashed_size == 3
    assert diffs["/l"].details == ("symlink target a -> b",)


def test_hard_link_broken_and_purged_partner() -> None:
    orig = fs(f("/a"), f("/b"), f("/c"), groups=(("/a", "/b", "/c"),))
    # /c purged (absent): not a link difference; /b split off: is one
    sq = fs(f("/a"), f("/b"))
    diffs = {x.path: x for x in compare_filesystems(orig, sq)}
    assert diffs["/a"].details == ("hard links /b -> none",)
    assert diffs["/b"].details == ("hard links /a -> none",)
    assert diffs["/c"].change == REMOVED
    sq_linked = fs(f("/a"), f("/b"), groups=(("/a", "/b"),))
    assert [x.path for x in compare_filesystems(orig, sq_linked)] == ["/c"]


def test_resolver_follows_directory_symlinks() -> None:
    tree = fs(ln("/lib", "usr/lib"), d("/usr"), d("/usr/lib"), ln("/sbin", "/usr/sbin"))
    resolve = make_resolver(tree)
    assert resolve("/lib/x86_64-linux-gnu/libc.so.6") == "/usr/lib/x86_64-linux-gnu/libc.so.6"
    assert resolve("/sbin/mke2fs") == "/usr/sbin/mke2fs"
    assert resolve("/lib") == "/lib"  # the last component is never followed
    assert resolve("/etc/passwd") == "/etc/passwd"


# ------------------------------------------------------------------ config


def test_config_env_cmd_labels_ports() -> None:
    orig = {
        "Env": ["PATH=/usr/bin", "A=1"],
        "Cmd": ["app"],
        "Labels": {"x": "1"},
        "ExposedPorts": {"80/tcp": {}},
        "WorkingDir": "",
        "Entrypoint": None,
    }
    sq = {
        "Env": ["PATH=/usr/bin", "A=2", "B=3"],
        "Cmd": ["app", "-v"],
        "Labels": {},
        "ExposedPorts": {"80/tcp": {}, "443/tcp": {}},
        "Entrypoint": [],
    }
    got = {x.path: x.details for x in compare_config(orig, sq)}
    assert got == {
        "Env.A": ("Env A: '1' -> '2'",),
        "Env.B": ("Env B added: '3'",),
        "Cmd": ('Cmd ["app"] -> ["app", "-v"]',),
        "Labels.x": ("Labels x removed (was '1')",),
        "ExposedPorts.443/tcp": ("ExposedPorts 443/tcp added",),
    }


def test_config_default_path_is_not_a_difference() -> None:
    default = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    assert compare_config({}, {"Env": [default]}) == []
    assert [x.path for x in compare_config({}, {"Env": ["PATH=/bin"]})] == ["Env.PATH"]


@pytest.mark.parametrize(
    "key", ["User", "StopSignal", "Healthcheck", "Shell", "OnBuild", "Volumes", "Entrypoint"]
)
def test_config_every_key_is_compared(key: str) -> None:
    value = {"Volumes": {"/data": {}}, "Healthcheck": {"Test": ["NONE"]}}.get(key, ["x"])
    got = compare_config({}, {key: value})
    assert len(got) == 1 and got[0].path.startswith(key)


# ------------------------------------------------------------------ package databases

STATUS = """Package: e2fsprogs
Status: install ok installed
Version: 1.47.0-2
Conffiles:
 /etc/mke2fs.conf 6e57073a4e3ab0b4ca8b9c2c4f2b5ae8

Package: readline-common
Status: deinstall ok config-files
Version: 8.2-1.3
Conffiles:
 /etc/inputrc 8a0e9b0a5e1a3f3d6c2c2c8a5a3f3c1e

Package: half
Status: install reinstreq half-installed
Version: 1

Package: gone
Status: purge ok not-installed
"""


def test_dpkg_status_installed_and_config_files() -> None:
    conffiles: dict[str, list[str]] = {}
    installed, config_only = pkgdb.parse_dpkg_status(STATUS, conffiles)
    assert installed == {"e2fsprogs": "1.47.0-2", "half": "1"}
    assert config_only == {"readline-common": "8.2-1.3"}
    assert conffiles == {"e2fsprogs": ["/etc/mke2fs.conf"], "readline-common": ["/etc/inputrc"]}


def test_read_members_dpkg() -> None:
    db = pkgdb.read_members(
        [
            ("/var/lib/dpkg/status", STATUS.encode()),
            ("/var/lib/dpkg/info/e2fsprogs.list", b"/.\n/sbin\n/sbin/mke2fs\n"),
            ("/var/lib/dpkg/info/libc6:amd64.list", b"/.\n/sbin\n/sbin/ldconfig\n"),
            ("/var/lib/dpkg/info/readline-common.postrm", b"rm -f /etc/inputrc\n"),
            (
                "/var/lib/dpkg/alternatives/cc",
                b"auto\n/usr/bin/cc\ncc.1.gz\n/usr/share/man/man1/cc.1.gz\n\n/usr/bin/gcc\n20\n",
            ),
        ]
    )
    assert db.managers == ["dpkg"]
    assert db.owners["/sbin"] == ["e2fsprogs", "libc6"]
    assert db.owners["/sbin/ldconfig"] == ["libc6"]
    assert db.owners["/etc/inputrc"] == ["readline-common"]
    assert "/" not in db.owners and "" not in db.owners
    assert db.purge_scripts["readline-common"].startswith("rm -f")
    assert db.alternatives["cc"].links == (
        "/etc/alternatives/cc",
        "/etc/alternatives/cc.1.gz",
        "/usr/bin/cc",
        "/usr/share/man/man1/cc.1.gz",
    )


def test_apk_installed() -> None:
    text = (
        "C:Q1abc=\nP:musl\nV:1.2.4-r2\nF:lib\nR:ld-musl-x86_64.so.1\n\n"
        "P:curl\nV:8.5.0-r0\nF:usr/bin\nR:curl\n"
    )
    db = pkgdb.read_members([("/lib/apk/db/installed", text.encode())])
    assert db.managers == ["apk"]
    assert db.installed == {"musl": "1.2.4-r2", "curl": "8.5.0-r0"}
    assert db.owners["/usr/bin/curl"] == ["curl"]
    assert db.owners["/lib/ld-musl-x86_64.so.1"] == ["musl"]


def _rpm_blob(
    name: str, version: str, release: str, dirs: list[str], files: list[tuple[str, int]]
) -> bytes:
    data = b""
    index = []

    def add_strings(tag: int, typ: int, values: list[str]) -> None:
        nonlocal data
        index.append((tag, typ, len(data), len(values)))
        data += b"".join(v.encode() + b"\0" for v in values)

    add_strings(1000, 6, [name])
    add_strings(1001, 6, [version])
    add_strings(1002, 6, [release])
    add_strings(1117, 8, [b for b, _ in files])
    add_strings(1118, 8, dirs)
    while len(data) % 4:
        data += b"\0"
    index.append((1116, 4, len(data), len(files)))
    data += b"".join(struct.pack(">I", i) for _, i in files)
    head = struct.pack(">II", len(index), len(data))
    return head + b"".join(struct.pack(">IIiI", *e) for e in index) + data


def test_rpm_sqlite(tmp_path: Path) -> None:
    blob = _rpm_blob("bash", "5.2", "1.fc39", ["/usr/bin/", "/etc/"], [("bash", 0), ("bashrc", 1)])
    assert pkgdb.parse_rpm_header(blob) == ("bash", "5.2-1.fc39", ["/usr/bin/bash", "/etc/bashrc"])
    path = tmp_path / "rpmdb.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, blob BLOB)")
    conn.execute("INSERT INTO Packages (blob) VALUES (?)", (blob,))
    conn.commit()
    conn.close()
    db = pkgdb.from_contents([("/var/lib/rpm/rpmdb.sqlite", path.read_bytes())])
    assert db.managers == ["rpm"]
    assert db.owners["/usr/bin/bash"] == ["bash"]
    assert pkgdb.parse_rpm_header(b"\0\0") is None


def test_is_database_file() -> None:
    assert pkgdb.is_database_file("/var/lib/dpkg/status", 10)
    assert pkgdb.is_database_file("/var/lib/dpkg/info/x.list", 10)
    assert not pkgdb.is_database_file("/var/lib/dpkg/info/x.md5sums", 10)
    assert not pkgdb.is_database_file("/etc/passwd", 10)


# ------------------------------------------------------------------ classification


def db(installed: dict[str, str], owners: dict[str, list[str]], **kw: object) -> pkgdb.PackageDB:
    return pkgdb.PackageDB(managers=["dpkg"], installed=installed, owners=owners, **kw)  # type: ignore[arg-type]


def classify(evidence: Evidence, *diffs: Difference) -> dict[str, Difference]:
    return {x.path: x for x in Classifier(evidence).classify_all(diffs)}


def test_purged_package_files_and_generated_children_are_expected() -> None:
    ev = Evidence(
        original_db=db(
            {"gcc": "12", "libc6": "2.36"},
            {"/usr/lib/gcc": ["gcc"], "/usr/bin/gcc": ["gcc"], "/usr/lib": ["gcc", "libc6"]},
        ),
        squashed_db=db({"libc6": "2.36"}, {}),
    )
    got = classify(
        ev,
        Difference("/usr/bin/gcc", REMOVED, original_size=10),
        Difference("/usr/lib/gcc", REMOVED),
        Difference("/usr/lib/gcc/__pycache__/x.pyc", REMOVED),
        Difference("/usr/lib", REMOVED),  # still owned by an installed package
        Difference("/usr/bin/gcc-extra", ADDED),
    )
    assert got["/usr/bin/gcc"].category == EXPECTED
    assert got["/usr/bin/gcc"].reason == "file of purged package gcc"
    assert got["/usr/lib/gcc/__pycache__/x.pyc"].package == "gcc"
    assert got["/usr/lib"].category == UNEXPECTED
    assert got["/usr/bin/gcc-extra"].category == UNEXPECTED


def test_conffiles_and_purge_scripts_of_removed_packages() -> None:
    ev = Evidence(
        original_db=db(
            {"libc6": "2.36"},
            {"/etc/inputrc": ["readline-common"]},
            config_files={"readline-common": "8.2", "netbase": "6.4"},
            purge_scripts={"netbase": "rm /etc/networks\nrm -f /etc/motdX\n"},
        ),
        squashed_db=db({"libc6": "2.36"}, {}),
    )
    got = classify(
        ev,
        Difference("/etc/inputrc", REMOVED),
        Difference("/etc/networks", REMOVED),
        Difference("/etc/motd", REMOVED),  # mentioned only as a prefix of another word
    )
    assert got["/etc/inputrc"].reason.startswith("conffile of package readline-common")
    assert got["/etc/networks"].reason == "removed by the purge script of package netbase"
    assert got["/etc/motd"].category == UNEXPECTED


@pytest.mark.parametrize(
    ("path", "change", "reason"),
    [
        ("/.squasher/engine.sh", REMOVED, "staging files"),
        ("/.squasher", ADDED, "staging files"),
        ("/var/lib/apt/lists/x_Packages", REMOVED, "package database"),
        ("/var/lib/dpkg/status", CHANGED, "package database"),
        ("/var/cache/apt/archives/x.deb", REMOVED, "package caches and lists"),
        ("/etc/ld.so.cache", CHANGED, "regenerated linker cache"),
        ("/var/log/dpkg.log", CHANGED, "package-manager logs"),
        ("/tmp/build/x.o", REMOVED, "temporary files"),
        ("/etc/systemd/system/timers.target.wants/x.timer", REMOVED, "service-enablement state"),
        ("/proc", ADDED, "mount point the engine covers"),  # BuildKit leaves it in a layer
        ("/usr/share/info/dir", CHANGED, "index regenerated"),
        ("/usr/share/icons/hicolor/icon-theme.cache", CHANGED, "index regenerated"),
        ("/usr/share/mime/mime.cache", CHANGED, "index regenerated"),
        ("/etc/resolv.conf", CHANGED, "mount point the engine covers"),
    ],
)
def test_path_rules(path: str, change: str, reason: str) -> None:
    got = classify(Evidence(), Difference(path, change))[path]
    assert got.category == EXPECTED
    assert got.reason.startswith(reason)


@pytest.mark.parametrize(
    ("path", "change"),
    [
        ("/tmp", REMOVED),  # /tmp itself is not temporary
        ("/tmp/x", ADDED),  # leftovers in the squashed image are not explained
        ("/proc/x", ADDED),
        ("/usr/share/mime", REMOVED),  # the directory itself is not an index
        ("/var/lib/dpkgx", REMOVED),
        ("/etc/systemd/system/foo.service", REMOVED),
        ("/usr/local/bin/app", CHANGED),
    ],
)
def test_paths_outside_the_rules_are_unexpected(path: str, change: str) -> None:
    assert classify(Evidence(), Difference(path, change))[path].category == UNEXPECTED


def test_kept_runtime_package_is_protected_with_report_only() -> None:
    orig = db({"libc6": "1"}, {})
    sq = db({"libc6": "1", "libpq5": "15"}, {"/usr/lib/libpq.so.5": ["libpq5"]})
    diff = Difference("/usr/lib/libpq.so.5", ADDED, squashed_size=300)
    plain = classify(Evidence(original_db=orig, squashed_db=sq), diff)[diff.path]
    assert plain.category == UNEXPECTED
    assert plain.reason == "package libpq5 is installed only in the squashed image"
    ev = Evidence(
        original_db=orig, squashed_db=sq, protected={"libpq5": ProtectedPackage("libpq5", 12)}
    )
    kept = classify(ev, diff)[diff.path]
    assert (kept.category, kept.package, kept.line) == (PROTECTED, "libpq5", 12)
    assert kept.reason == "runtime package libpq5 kept; the original removes it at line 12"


def test_alternative_links_are_resolved_through_usrmerge() -> None:
    orig = db({"cpp": "12"}, {}, alternatives={"cpp": pkgdb.Alternative("cpp", ("/lib/cpp",))})
    resolve = make_resolver(fs(ln("/lib", "usr/lib"), d("/usr"), d("/usr/lib")))
    ev = Evidence(original_db=orig, squashed_db=db({}, {}), resolve_original=resolve)
    got = classify(ev, Difference("/usr/lib/cpp", REMOVED))["/usr/lib/cpp"]
    assert got.reason == "alternative cpp removed with its packages"


def test_alternatives_and_cleanup_globs() -> None:
    orig = db(
        {"gcc": "12"},
        {},
        alternatives={"cc": pkgdb.Alternative("cc", ("/etc/alternatives/cc", "/usr/bin/cc"))},
    )
    ev = Evidence(original_db=orig, squashed_db=db({}, {}), cleanup_globs=["/usr/src/app/*.o"])
    got = classify(
        ev,
        Difference("/usr/bin/cc", REMOVED),
        Difference("/usr/src/app/main.o", REMOVED),
        Difference("/usr/src/app/main.c", REMOVED),
    )
    assert got["/usr/bin/cc"].reason == "alternative cc removed with its packages"
    assert got["/usr/src/app/main.o"].category == EXPECTED
    assert got["/usr/src/app/main.c"].category == UNEXPECTED


def test_without_package_database_nothing_counts_as_purged() -> None:
    ev = Evidence(
        original_db=db({"gcc": "12"}, {"/usr/bin/gcc": ["gcc"]}),
        squashed_db=pkgdb.PackageDB(),  # e.g. the squashed image lost dpkg entirely
    )
    assert classify(ev, Difference("/usr/bin/gcc", REMOVED))["/usr/bin/gcc"].category == UNEXPECTED


def test_package_version_change_is_named() -> None:
    ev = Evidence(
        original_db=db({"perl-base": "5.36-4"}, {"/usr/bin/perl": ["perl-base"]}),
        squashed_db=db({"perl-base": "5.36-3"}, {}),
    )
    got = classify(ev, Difference("/usr/bin/perl", CHANGED, details=("content",)))["/usr/bin/perl"]
    assert got.category == UNEXPECTED
    assert got.reason == "package perl-base 5.36-4 -> 5.36-3"


def test_report_json_round_trip_gives_decisions_and_protections(tmp_path: Path) -> None:
    report = RewriteReport(
        "Dockerfile",
        "Dockerfile.squashed",
        "classic",
        "script",
        packages=[
            PackageDecision("0", "apt", "gcc-12:amd64", True, "build-tool list", kind=""),
            PackageDecision("0", "apt", "git", True, "tool", kind="runtime-tool", commands=["git"]),
            PackageDecision("0", "apt", "libpq5", False, "kept"),
        ],
    )
    data = {
        **report.to_dict(),
        "protected": [
            dataclasses.asdict(Protection("apt", "libpq5", "/x", "libpq.so.5", "Dockerfile:7"))
        ],
    }
    path = tmp_path / "report.json"
    path.write_text(json.dumps({"report": data}))  # the diff-size object holds it as "report"
    loaded, protections = load_report(path)
    assert loaded == report
    assert protected_packages(protections) == {"libpq5": ProtectedPackage("libpq5", 7)}
    # an empty kind (a report older than the kinds) is build-only; kept packages are left out
    assert purge_decisions(loaded) == {
        "gcc-12": PurgeDecision("build-only"),
        "git": PurgeDecision("runtime-tool", ("git",)),
    }


def test_called_names_from_config_and_scripts() -> None:
    config = {
        "Entrypoint": ["/usr/local/bin/entry.sh"],
        "Cmd": ["sh", "-c", "exec gunicorn app:app || curl -f http://x"],
        "Healthcheck": {"Test": ["CMD-SHELL", "wget -q -O- http://localhost/ || exit 1"]},
    }
    argvs = config_commands(config)
    script = '#!/bin/sh\nset -e\n# make sure git is here\nenv FOO=1 python3 -m pip install x\nexec "$@"\n'
    names = called_names(argvs, [script])
    assert {"entry.sh", "gunicorn", "curl", "wget", "python3", "set"} <= names
    assert "make" not in names and "git" not in names  # words of a comment are not commands


def test_shared_layers_is_the_common_bottom() -> None:
    assert shared_layers(["a", "b", "c"], ["a", "b", "x", "y"]) == 2
    assert shared_layers(["a"], ["b"]) == 0
    assert shared_layers([], ["a"]) == 0


# ------------------------------------------------------------------ result and output


def result(*diffs: Difference, smoke: tuple[SmokeResult, ...] = ()) -> VerifyResult:
    side = ImageSide("img", "sha256:" + "a" * 64, paths=3, size=2000)
    return VerifyResult(side, side, list(diffs), smoke=list(smoke))


def test_summary_counts_bytes_and_verdict() -> None:
    r = result(
        Difference(
            "/a", REMOVED, original_size=1500, category=EXPECTED, reason="file of purged package x"
        ),
        Difference(
            "/b", REMOVED, original_size=500, category=EXPECTED, reason="file of purged package x"
        ),
        Difference(
            "/c", ADDED, squashed_size=7, category=PROTECTED, reason="kept", package="p", line=3
        ),
    )
    assert r.equivalent and r.exit_code == 0
    assert r.summary() == {
        "expected": {"count": 2, "bytes": 2000},
        "noise": {"count": 0, "bytes": 0},
        "purged-tool": {"count": 0, "bytes": 0},
        "protected": {"count": 1, "bytes": 7},
        "unexpected": {"count": 0, "bytes": 0},
    }
    text = r.format_text()
    assert "expected    file of purged package x: 2 paths, 2.0 kB" in text
    assert text.endswith(
        "summary: expected 2 (2.0 kB), protected 1 (7 B), unexpected 0 (0 B): equivalent\n"
    )
    assert "/a" in r.format_text(verbose=True)
    data = json.loads(json.dumps(r.to_json()))
    assert data["equivalent"] is True
    assert data["differences"][2] == {
        "path": "/c",
        "change": "added",
        "category": "protected",
        "details": [],
        "size": 7,
        "reason": "kept",
        "package": "p",
        "line": 3,
    }


def test_unexpected_listed_path_by_path() -> None:
    r = result(
        Difference(
            "/etc/x", CHANGED, details=("mode 0644 -> 0600",), original_size=3, squashed_size=3
        ),
        Difference("Env.FOO", "config", details=("Env FOO added: '1'",)),
    )
    assert not r.equivalent and r.exit_code == 1
    lines = r.format_text().splitlines()
    assert "unexpected  changed  /etc/x  mode 0644 -> 0600" in lines
    assert "unexpected  config   Env.FOO  Env FOO added: '1'" in lines
    assert lines[-1].endswith(
        "unexpected 2 (3 B): NOT equivalent: 2 real differences, largest /etc/x (3 B), Env.FOO"
    )


def test_smoke_result_json() -> None:
    same = SmokeResult("true", SmokeOutcome(0, "", ""), SmokeOutcome(0, "", ""))
    assert same.same
    assert same.to_json()["original"] == {"exit_code": 0, "stdout": "", "stderr": ""}
    r = result(smoke=(same,))
    assert "smoke       same: true (exit 0)" in r.format_text()


def test_human_bytes() -> None:
    assert [human_bytes(n) for n in (0, 999, 1000, 1_500_000, 3_000_000_000)] == [
        "0 B",
        "999 B",
        "1.0 kB",
        "1.5 MB",
        "3.0 GB",
    ]


def test_cli_usage_errors_exit_2() -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["verify", "only-one"]).exit_code == 2
    assert runner.invoke(cli, ["verify", "a", "b", "--smoke-timeout", "0"]).exit_code == 2
    helped = runner.invoke(cli, ["verify", "--help"])
    assert helped.exit_code == 0 and "Example: squasher verify" in helped.output


def test_report_file_errors_exit_2(tmp_path: Path) -> None:
    from squasher.errors import SquasherError

    bad = tmp_path / "r.json"
    bad.write_text("{\n  nope\n")
    with pytest.raises(SquasherError) as err:
        load_report(str(bad))
    assert str(err.value).startswith(f"{bad}:2: report is not JSON")
    with pytest.raises(SquasherError, match="cannot read report"):
        load_report(str(tmp_path / "missing.json"))
    bad.write_text('{"purge": {"protected": []}}')
    with pytest.raises(SquasherError, match="not a rewrite report"):
        load_report(str(bad))


def test_protections_from_a_build_log() -> None:
    from squasher.pkg.base import parse_protect_log

    log = (
        "Step 3/5 : RUN ...\n"
        "squasher-protect\tapt\tlibpq5:amd64\t/usr/local/bin/app\tlibpq.so.5\tDockerfile:12\n"
        "squasher-protect\tapt\tzlib1g\t/usr/local/bin/app\tlibz.so.1\tfinal purge\n"
    )
    protected = protected_packages(parse_protect_log(log))
    assert protected == {
        "libpq5": ProtectedPackage("libpq5", 12),
        "zlib1g": ProtectedPackage("zlib1g", None),
    }


def test_bytecode_follows_its_purged_source() -> None:
    site = "/usr/lib/python3/dist-packages"
    ev = Evidence(
        original_db=db(
            {"python3-six": "1", "python3": "3"},
            {f"{site}/six.py": ["python3-six"], site: ["python3"]},
        ),
        squashed_db=db({"python3": "3"}, {}),
    )
    got = classify(
        ev,
        Difference(f"{site}/__pycache__/six.cpython-311.pyc", REMOVED),
        Difference(f"{site}/__pycache__/other.cpython-311.pyc", REMOVED),
        Difference(f"{site}/six.py", REMOVED),
    )
    assert got[f"{site}/__pycache__/six.cpython-311.pyc"].package == "python3-six"
    assert got[f"{site}/__pycache__/other.cpython-311.pyc"].category == UNEXPECTED
    assert list(got) == sorted(got)  # results come back in path order


def test_not_reproducible_is_the_last_resort() -> None:
    ev = Evidence(
        not_reproducible=frozenset(
            {("/usr/local/bin/uwsgi", CHANGED), ("/var/log/dpkg.log", CHANGED)}
        )
    )
    got = classify(
        ev,
        Difference("/usr/local/bin/uwsgi", CHANGED),
        Difference("/usr/local/bin/uwsgi2", CHANGED),
        Difference("/var/log/dpkg.log", CHANGED),
    )
    assert got["/usr/local/bin/uwsgi"].reason == "differs between two builds of the original too"
    assert got["/usr/local/bin/uwsgi2"].category == UNEXPECTED
    assert got["/var/log/dpkg.log"].reason == "package-manager logs"


def test_no_engine_exits_2_with_one_line(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = dict(os.environ, DOCKER_HOST=f"unix://{tmp_path}/no-engine.sock")
    proc = subprocess.run(
        [sys.executable, "-m", "squasher", "verify", "a:1", "b:1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert "no Docker engine answers" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_elf_needed_reads_dt_needed() -> None:
    from squasher.inspect.verify import elf_needed

    needed = elf_needed(Path(sys.executable).resolve().read_bytes())
    assert "libc.so.6" in needed
    assert elf_needed(b"#!/bin/sh\necho hi\n" * 10) == []
    assert elf_needed(b"\x7fELF" + b"\0" * 100) == []


def test_init_links_follow_their_purged_script() -> None:
    ev = Evidence(
        original_db=db({"dbus": "1", "libc6": "2"}, {"/etc/init.d/dbus": ["dbus"]}),
        squashed_db=db({"libc6": "2"}, {}),
    )
    got = classify(
        ev,
        Difference("/etc/init.d/dbus", REMOVED),
        Difference("/etc/rc2.d/S01dbus", REMOVED),
        Difference("/etc/rc2.d/S01cron", REMOVED),
        Difference("/run/adduser", REMOVED),
    )
    assert got["/etc/rc2.d/S01dbus"].reason == "file of purged package dbus"
    assert got["/etc/rc2.d/S01cron"].category == UNEXPECTED
    assert got["/run/adduser"].reason.startswith("run-time state")
