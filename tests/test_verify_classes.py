"""verify's classes beyond expected/unexpected, on hand-built package databases and filesystems:
build noise (each proved from evidence, not by path alone), purged run-time tools, and the
losses only a bug explains (a base package, run-time data, a command the image calls)."""

from __future__ import annotations

import dataclasses
import hashlib

from squasher.inspect import pkgdb
from squasher.inspect.classify import (
    ADDED,
    CHANGED,
    EXPECTED,
    NOISE,
    PURGED_TOOL,
    REMOVED,
    UNEXPECTED,
    Classifier,
    Difference,
    settle_linker_cache,
)
from squasher.inspect.layers import FileEntry, FinalFilesystem
from squasher.inspect.verify_difference import (
    CATEGORIES,
    Evidence,
    PurgeDecision,
)
from squasher.inspect.verify_result import ImageSide, VerifyResult
from squasher.inspect.verify_rules import PATH_RULES, home_cache_of, is_font_cache, is_font_path
from squasher.pkg import MANAGERS


def f(path: str, data: str = "x") -> FileEntry:
    digest = hashlib.sha256(data.encode()).hexdigest()
    return FileEntry(path, "file", 0o644, 0, 0, len(data), digest, None)


def fs(*entries: FileEntry) -> FinalFilesystem:
    return FinalFilesystem({e.path: e for e in entries}, {e.path: 0 for e in entries}, [])


def db(installed: dict[str, str], owners: dict[str, list[str]], **kw: object) -> pkgdb.PackageDB:
    return pkgdb.PackageDB(managers=["dpkg"], installed=installed, owners=owners, **kw)  # type: ignore[arg-type]


def one(ev: Evidence, diff: Difference) -> Difference:
    (got,) = Classifier(ev).classify_all([diff])
    return got


# ------------------------------------------------------------------ purged packages, by why


def purge_evidence(**kw: object) -> Evidence:
    original = db(
        {"git": "1", "gcc": "12", "tzdata": "2024a", "libc6": "2.36"},
        {
            "/usr/bin/git": ["git"],
            "/usr/bin/git-shell": ["git"],
            "/usr/bin/gcc": ["gcc"],
            "/usr/share/zoneinfo/UTC": ["tzdata"],
            "/usr/sbin/tzconfig": ["tzdata"],
        },
    )
    return Evidence(original_db=original, squashed_db=db({"libc6": "2.36"}, {}), **kw)  # type: ignore[arg-type]


def test_build_only_purge_is_expected_and_an_old_report_means_build_only() -> None:
    for decisions in ({}, {"gcc": PurgeDecision("build-only")}):
        got = one(purge_evidence(decisions=decisions), Difference("/usr/bin/gcc", REMOVED))
        assert (got.category, got.reason) == (EXPECTED, "file of purged package gcc")


def test_runtime_tool_purged_by_squasher_is_its_own_class_with_commands() -> None:
    ev = purge_evidence(decisions={"git": PurgeDecision("runtime-tool", ("git",))})
    classifier = Classifier(ev)
    (got,) = classifier.classify_all([Difference("/usr/bin/git", REMOVED)])
    assert got.category == PURGED_TOOL and got.package == "git"
    assert got.reason == ("tool git purged by squasher (git, git-shell); `# squasher: keep git`")
    assert classifier.commands_of("git") == ["git", "git-shell"]


def test_runtime_tool_the_image_calls_is_a_real_difference() -> None:
    ev = purge_evidence(
        decisions={"git": PurgeDecision("runtime-tool", ("git",))}, called=frozenset({"git"})
    )
    got = one(ev, Difference("/usr/bin/git-shell", REMOVED))
    assert got.category == UNEXPECTED
    assert got.reason == "package git removed, but the image calls git"


def test_package_the_base_had_is_a_real_difference_unless_the_user_asked() -> None:
    base = db({"gcc": "12"}, {})
    got = one(purge_evidence(base_db=base), Difference("/usr/bin/gcc", REMOVED))
    assert (got.category, got.reason) == (UNEXPECTED, "package gcc of the base image removed")
    asked = purge_evidence(base_db=base, decisions={"gcc": PurgeDecision("named-by-user")})
    got = one(asked, Difference("/usr/bin/gcc", REMOVED))
    assert (got.category, got.reason) == (EXPECTED, "file of package gcc purged as asked")


def test_runtime_data_package_is_a_real_difference_for_every_file() -> None:
    for path in ("/usr/share/zoneinfo/UTC", "/usr/sbin/tzconfig"):
        got = one(purge_evidence(), Difference(path, REMOVED))
        assert got.category == UNEXPECTED
        assert got.reason == "the time-zone database lost with tzdata"
    removed = purge_evidence(decisions={"tzdata": PurgeDecision("removed-by-original")})
    got = one(removed, Difference("/usr/share/zoneinfo/UTC", REMOVED))
    assert (got.category, got.reason) == (EXPECTED, "file of package tzdata the original removes")


# ------------------------------------------------------------------ build noise


def test_home_caches_of_any_user_from_passwd() -> None:
    homes = {"/home/appuser": "appuser", "/srv/app": "app"}
    assert home_cache_of("/home/appuser/.cache/pip/wheels/x.whl", homes) == "appuser"
    assert home_cache_of("/srv/app/.npm/_cacache/x", homes) == "app"
    assert home_cache_of("/root/go/pkg/mod/x", {}) == "root"
    assert home_cache_of("/srv/app/src/.cache.py", homes) is None
    assert home_cache_of("/home/other/.cache/x", homes) is None  # no such user: not a home
    original = db({}, {}, homes={"/home/appuser": "appuser"})
    got = one(
        Evidence(original_db=original, squashed_db=db({}, {})),
        Difference("/home/appuser/.cache/pip/http/a", CHANGED, details=("content",)),
    )
    assert (got.category, got.reason) == (NOISE, "cache in the home of appuser")


def test_logs_are_noise_only_when_no_package_ships_them_and_they_are_files() -> None:
    plain = Evidence(original_fs=fs(f("/var/log/lastlog")), squashed_fs=fs(f("/var/log/lastlog")))
    got = one(plain, Difference("/var/log/lastlog", CHANGED, details=("content",)))
    assert (got.category, got.reason) == (NOISE, "log and timestamp files")
    stamp = one(Evidence(), Difference("/var/lib/systemd/timers/stamp-apt-daily.timer", ADDED))
    assert stamp.category == NOISE
    shipped = Evidence(
        original_db=db({"nginx": "1"}, {"/var/log/nginx/README": ["nginx"]}),
        squashed_db=db({"nginx": "1"}, {}),
    )
    got = one(shipped, Difference("/var/log/nginx/README", CHANGED, details=("content",)))
    assert got.category == UNEXPECTED
    directory = FileEntry("/var/log/nginx", "dir", 0o755, 0, 0, 0, None, None)
    gone = Evidence(original_fs=fs(directory), squashed_fs=fs())
    assert one(gone, Difference("/var/log/nginx", REMOVED)).category == UNEXPECTED


def test_bytecode_missing_beside_an_identical_source_is_noise() -> None:
    src = f("/app/m.py", "x = 1\n")
    ev = Evidence(original_fs=fs(src), squashed_fs=fs(src))
    got = one(ev, Difference("/app/__pycache__/m.cpython-311.pyc", REMOVED))
    assert (got.category, got.reason) == (
        NOISE,
        "byte code compiled again from an unchanged source",
    )
    changed = Evidence(original_fs=fs(src), squashed_fs=fs(f("/app/m.py", "x = 2\n")))
    got = one(changed, Difference("/app/__pycache__/m.cpython-311.pyc", REMOVED))
    assert got.category == UNEXPECTED
    got = one(
        changed, Difference("/app/__pycache__/m.cpython-311.pyc", CHANGED, details=("content",))
    )
    assert (got.category, got.reason) == (UNEXPECTED, "compiled from /app/m.py, which changed")


def test_bytecode_of_any_interpreter_legacy_files_and_their_directory() -> None:
    src = f("/app/m.py", "x = 1\n")
    ev = Evidence(original_fs=fs(src), squashed_fs=fs(src))
    for pyc in (
        "/app/__pycache__/m.cpython-312.opt-1.pyc",
        "/app/__pycache__/m.pypy39.pyc",
        "/app/m.pyc",  # compileall -b
    ):
        assert one(ev, Difference(pyc, ADDED)).category == NOISE, pyc
    # byte code of a module whose source is not there proves nothing
    assert one(ev, Difference("/app/n.pyc", ADDED)).category == UNEXPECTED
    # a __pycache__ directory only one image has: noise when all it holds is noise
    cache = [
        Difference("/app/__pycache__", REMOVED),
        Difference("/app/__pycache__/m.cpython-311.pyc", REMOVED),
    ]
    assert {d.category for d in Classifier(ev).classify_all(cache)} == {NOISE}
    with_other = [*cache, Difference("/app/__pycache__/n.cpython-311.pyc", REMOVED)]
    got = {d.path: d.category for d in Classifier(ev).classify_all(with_other)}
    assert got["/app/__pycache__"] == got["/app/__pycache__/n.cpython-311.pyc"] == UNEXPECTED


def test_font_caches_are_fc_cache_output_beside_fonts() -> None:
    assert is_font_cache("/var/cache/fontconfig/0123abcd-le64.cache-9")
    assert not is_font_cache("/var/cache/fontconfig/CACHEDIR.TAG")
    assert not is_font_cache("/var/cache/other/x.cache-9")
    assert is_font_path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    assert is_font_path("/usr/local/share/fonts")
    assert not is_font_path("/usr/share/fontconfig/conf.avail/10-x.conf")


def test_host_file_shapes_accept_only_what_a_build_writes() -> None:
    from squasher.inspect.verify_noise import _has_shape, _pyc_layout

    for name in (b"3f2a9c1d0b7e\n", b"buildkitsandbox\n", b"3f2a9c1d0b7e.example.internal\n"):
        assert _has_shape("hostname", name, b""), name
    for name in (b"mail.example.com\n", b"web01\n", b"3F2A9C1D0B7E\n", b"a\nb\n"):
        assert not _has_shape("hostname", name, b""), name
    assert _has_shape("hex-id", b"0123456789abcdef0123456789abcdef\n", b"")
    assert not _has_shape("hex-id", b"not an id\n", b"")
    # (source mtime, source size) of each header layout
    assert _pyc_layout(b"\xa7\r\r\n" + bytes(12)) == (slice(8, 12), slice(12, 16))  # 3.11
    assert _pyc_layout(b"\x33\r\r\n" + bytes(12)) == (slice(4, 8), slice(8, 12))  # 3.6
    assert _pyc_layout(b"\x03\xf3\r\n" + bytes(12)) is None  # Python 2.7: no size
    assert _pyc_layout(b"\xa7\r\r\n") is None  # cut short


def test_alternative_switched_by_a_purged_package_is_noise() -> None:
    pager = pkgdb.Alternative(
        "pager", ("/etc/alternatives/pager", "/usr/bin/pager"), ("/bin/more", "/usr/bin/less")
    )
    original = db(
        {"less": "590", "util-linux": "2.38"},
        {"/usr/bin/less": ["less"], "/bin/more": ["util-linux"]},
        alternatives={"pager": pager},
    )
    squashed = db({"util-linux": "2.38"}, {}, alternatives={"pager": pager})
    link = FileEntry("/etc/alternatives/pager", "symlink", 0o777, 0, 0, 0, None, "/usr/bin/less")

    def pointing_to(target: str) -> FinalFilesystem:
        return fs(dataclasses.replace(link, linkname=target), f("/bin/more"), f("/usr/bin/evil"))

    ev = Evidence(
        original_db=original,
        squashed_db=squashed,
        original_fs=fs(link),
        squashed_fs=pointing_to("/bin/more"),
    )
    details = ("symlink target /usr/bin/less -> /bin/more",)
    got = one(ev, Difference("/etc/alternatives/pager", CHANGED, details=details))
    assert got.category == NOISE
    assert got.reason == "alternative pager switched: /usr/bin/less left with package less"
    # a link retargeted while its choice's package is still installed is real
    kept = dataclasses.replace(ev, squashed_db=original)
    assert one(kept, Difference("/etc/alternatives/pager", CHANGED, details=details)).category == (
        UNEXPECTED
    )
    # so is one switched to a file the group does not register, or to one that is not there
    for target in ("/usr/bin/evil", "/usr/bin/missing"):
        elsewhere = dataclasses.replace(ev, squashed_fs=pointing_to(target))
        retargeted = (f"symlink target /usr/bin/less -> {target}",)
        got = one(elsewhere, Difference("/etc/alternatives/pager", CHANGED, details=retargeted))
        assert got.category == UNEXPECTED, target
    missing = pkgdb.Alternative("pager", pager.links, ("/bin/more", "/usr/bin/missing"))
    gone = dataclasses.replace(
        ev,
        squashed_db=db({"util-linux": "2.38"}, {}, alternatives={"pager": missing}),
        squashed_fs=pointing_to("/usr/bin/missing"),
    )
    retargeted = ("symlink target /usr/bin/less -> /usr/bin/missing",)
    got = one(gone, Difference("/etc/alternatives/pager", CHANGED, details=retargeted))
    assert got.category == UNEXPECTED


def test_parse_alternative_choices_with_a_missing_slave() -> None:
    text = (
        "auto\n/usr/bin/pager\npager.1.gz\n/usr/share/man/man1/pager.1.gz\n\n"
        "/bin/more\n50\n/usr/share/man/man1/more.1.gz\n/usr/bin/less\n77\n\n\n"
    )
    alt = pkgdb.parse_dpkg_alternative("pager", text)
    assert alt is not None and alt.choices == ("/bin/more", "/usr/bin/less")
    assert pkgdb.parse_passwd_homes(
        "root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n"
        "nobody:x:65534:65534::/nonexistent:/usr/sbin/nologin\n"
    ) == {
        "/root": "root",
        "/home/app": "app",
    }


def test_noise_proved_by_read_back_is_named() -> None:
    ev = Evidence(noise={"/etc/mailname": "written from the build host"})
    got = one(ev, Difference("/etc/mailname", CHANGED, details=("content",)))
    assert (got.category, got.reason) == (NOISE, "written from the build host")
    # without the read-back's proof the same path is a real difference
    assert one(Evidence(), Difference("/etc/mailname", CHANGED)).category == UNEXPECTED


# ------------------------------------------------------------------ verdict and rules


def test_verdict_names_purged_tools_and_stays_equivalent() -> None:
    side = ImageSide("img", "sha256:" + "a" * 64, paths=3, size=2000)
    tool = Difference(
        "/usr/bin/git", REMOVED, original_size=10, category=PURGED_TOOL, package="git"
    )
    r = VerifyResult(side, side, [tool], purged_tools={"git": ["git", "git-shell"]})
    assert r.exit_code == 0
    assert r.summary_line() == (
        "summary: expected 0 (0 B), purged-tool 1 (10 B), protected 0 (0 B), unexpected 0 (0 B): "
        "equivalent; purged tools with run-time uses: git (git, git-shell) - keep one with "
        "'# squasher: keep NAME'"
    )
    assert set(r.summary()) == set(CATEGORIES)


def test_path_rules_come_from_the_managers_declarations() -> None:
    prefixes = {r.prefix for r in PATH_RULES}
    for manager in MANAGERS.values():
        for path in (*manager.state.databases, *manager.state.logs, *manager.state.caches):
            assert path.startswith("~/") or path in prefixes, (manager.name, path)


def test_linker_cache_follows_the_libraries_it_indexes() -> None:
    cache = Difference("/etc/ld.so.cache", CHANGED, details=("content",))
    (alone,) = settle_linker_cache(Classifier(Evidence()).classify_all([cache]))
    assert (alone.category, alone.reason) == (NOISE, "linker cache rebuilt over the same libraries")
    lib = Difference("/usr/lib/libsq.so.1", REMOVED)
    got = {
        d.path: d for d in settle_linker_cache(Classifier(Evidence()).classify_all([cache, lib]))
    }
    assert got["/etc/ld.so.cache"].category == UNEXPECTED
    assert got["/etc/ld.so.cache"].reason == "linker cache differs along with /usr/lib/libsq.so.1"
    purged = purge_evidence()
    purged.original_db.owners["/usr/lib/libgcc.so.1"] = ["gcc"]
    explained = Difference("/usr/lib/libgcc.so.1", REMOVED)
    got = {
        d.path: d for d in settle_linker_cache(Classifier(purged).classify_all([cache, explained]))
    }
    assert (got["/etc/ld.so.cache"].category, got["/etc/ld.so.cache"].reason) == (
        EXPECTED,
        "regenerated linker cache",
    )
