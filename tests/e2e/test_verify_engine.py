"""``squasher verify`` on real images: tampered pairs are caught by path or key, equal pairs verify
clean, whiteouts / opaque directories / hard links across layers (docker-squash's bug history:
goldmann/docker-squash #94, #97, #186) are compared as a container sees them, a purged dpkg package
is expected and a kept one is protected only when the rewrite report says so."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import BUSYBOX, DEBIAN

from squasher.engine import Scratch
from squasher.inspect.classify import EXPECTED, NOISE, PROTECTED, UNEXPECTED
from squasher.inspect.streaming import read_image
from squasher.inspect.verify import VerifyResult, verify

pytestmark = pytest.mark.engine

Build = Callable[..., str]
LOGS: dict[str, str] = {}  # image id -> its build output


@pytest.fixture(scope="module")
def build(docker_client: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Build]:
    """Build a Dockerfile text with the classic builder; every image is removed at module end."""
    with Scratch(docker_client) as scratch:
        count = 0

        def build(
            dockerfile: str, buildargs: dict[str, str] | None = None, builder: str = "classic"
        ) -> str:
            nonlocal count
            count += 1
            context = tmp_path_factory.mktemp(f"verify{count}")
            (context / "Dockerfile").write_text(dockerfile)
            result = scratch.build(context, "Dockerfile", buildargs, builder=builder)  # type: ignore[arg-type]
            LOGS[result.image_id] = "\n".join(result.log)
            return result.image_id

        yield build


def unexpected(result: VerifyResult) -> dict[str, tuple[str, ...]]:
    return {d.path: d.details for d in result.differences if d.category == UNEXPECTED}


# ------------------------------------------------------------------ tampered pairs

# the original spreads its work over layers: /app/a is hard-linked from a later layer (copy-up)
ORIGINAL = f"""FROM {BUSYBOX}
RUN mkdir -p /app/sub && printf 'hello\\n' > /app/a
RUN printf 'keep\\n' > /app/c && chmod 640 /app/c
RUN ln /app/a /app/b && ln -s a /app/link && chown 1:1 /app/sub
ENV GREETING=hello
CMD ["cat", "/app/a"]
"""

SETUP = (
    "mkdir -p /app/sub && printf 'hello\\n' > /app/a && printf 'keep\\n' > /app/c"
    " && chmod 640 /app/c && ln /app/a /app/b && ln -s a /app/link && chown 1:1 /app/sub"
)


def squashed(
    extra: str = "", env: str = "ENV GREETING=hello", cmd: str = '["cat", "/app/a"]'
) -> str:
    return f"FROM {BUSYBOX}\nRUN {SETUP}{extra}\n{env}\nCMD {cmd}\n"


@pytest.fixture(scope="module")
def original(build: Build) -> str:
    return build(ORIGINAL)


def test_equal_pair_verifies_clean_and_smoke_matches(
    build: Build, original: str, docker_client: Any
) -> None:
    twin = build(squashed())
    result = verify(original, twin, smoke=["cat /app/a /app/b", "hostname"], client=docker_client)
    assert result.equivalent, result.format_text()
    assert result.exit_code == 0
    assert result.differences == []  # mtimes and layer layout differ: ignored
    assert [s.same for s in result.smoke] == [True, True]
    assert result.smoke[0].original.stdout == "hello\nhello\n"
    for image in (original, twin):  # smoke containers removed
        assert docker_client.api.containers(all=True, filters={"ancestor": image}) == []


def test_buildkit_build_verifies_against_classic_build(
    build: Build, original: str, docker_client: Any
) -> None:
    by_buildkit = build(ORIGINAL, builder="buildkit")
    result = verify(original, by_buildkit, client=docker_client)
    assert result.equivalent, result.format_text()
    # BuildKit leaves the RUN mount points the imported base image lacks; the engine covers them
    assert {d.path for d in result.differences} <= {"/proc", "/sys", "/dev"}


TAMPERED = [
    # (what, extra shell, env, cmd, {path or key: a word the details must hold})
    ("file removed", " && rm /app/c", None, None, {"/app/c": ""}),
    ("content changed", " && printf 'KEEP\\n' > /app/c", None, None, {"/app/c": "content"}),
    ("mode changed", " && chmod 644 /app/c", None, None, {"/app/c": "mode 0640 -> 0644"}),
    ("owner changed", " && chown 2:2 /app/c", None, None, {"/app/c": "owner 0:0 -> 2:2"}),
    ("symlink retargeted", " && ln -sfn c /app/link", None, None, {"/app/link": "a -> c"}),
    (
        "hard link broken",
        " && rm /app/b && cp -p /app/a /app/b",
        None,
        None,
        {"/app/a": "hard links /app/b -> none", "/app/b": "hard links /app/a -> none"},
    ),
    ("ENV added", "", "ENV GREETING=hello EXTRA=1", None, {"Env.EXTRA": "added"}),
    ("CMD changed", "", None, '["cat", "/app/c"]', {"Cmd": '["cat", "/app/c"]'}),
]


@pytest.mark.parametrize(
    ("extra", "env", "cmd", "caught"),
    [t[1:] for t in TAMPERED],
    ids=[t[0] for t in TAMPERED],
)
def test_tampered_pair_is_caught_by_path_or_key(
    build: Build,
    original: str,
    docker_client: Any,
    extra: str,
    env: str | None,
    cmd: str | None,
    caught: dict[str, str],
) -> None:
    kwargs = {k: v for k, v in (("env", env), ("cmd", cmd)) if v is not None}
    tampered = build(squashed(extra, **kwargs))
    result = verify(original, tampered, client=docker_client)
    assert not result.equivalent
    assert result.exit_code == 1
    found = unexpected(result)
    assert set(found) == set(caught), result.format_text()
    for path, word in caught.items():
        assert word in "; ".join(found[path]) or (word == "" and found[path] == ())


def test_cli_json_names_the_difference_and_exits_1(build: Build, original: str) -> None:
    tampered = build(squashed(" && chmod 600 /app/a"))
    proc = subprocess.run(
        [sys.executable, "-m", "squasher", "verify", "--json", original, tampered],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    assert data["equivalent"] is False
    assert data["summary"]["unexpected"]["count"] == 2  # /app/a and its hard link /app/b
    paths = {d["path"]: d for d in data["differences"]}
    assert paths["/app/a"]["details"] == ["mode 0644 -> 0600"]
    assert paths["/app/a"]["category"] == "unexpected"


def test_cli_text_lists_path_and_summary(build: Build, original: str) -> None:
    tampered = build(squashed(" && rm /app/c"))
    proc = subprocess.run(
        [sys.executable, "-m", "squasher", "verify", original, tampered],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert "unexpected  removed  /app/c" in proc.stdout
    assert proc.stdout.rstrip().splitlines()[-1] == (
        "summary: expected 0 (0 B), protected 0 (0 B), unexpected 1 (5 B): "
        "NOT equivalent: 1 real difference, largest /app/c (5 B)"
    )


def test_smoke_difference_is_unexpected(build: Build, original: str, docker_client: Any) -> None:
    tampered = build(squashed(" && printf 'KEEP\\n' > /app/c"))
    result = verify(original, tampered, smoke=["cat /app/c", "false"], client=docker_client)
    smoke = {d.path: d for d in result.differences if d.change == "smoke"}
    assert set(smoke) == {"cat /app/c"}  # `false` fails the same way in both: not a difference
    assert smoke["cat /app/c"].details == ("stdout differs",)
    assert result.smoke[1].original.exit_code == 1


def test_missing_image_and_bad_usage_exit_2(original: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "squasher", "verify", original, "squasher-no-such-image:x"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "no such image: squasher-no-such-image:x" in proc.stderr
    assert "Traceback" not in proc.stderr
    proc = subprocess.run(
        [sys.executable, "-m", "squasher", "verify", original],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2


# ------------------------------------------------------------------ whiteouts, opaque dirs, links

LAYERED = f"""FROM {BUSYBOX}
RUN mkdir -p /d1 /data /h && touch /d1/foobar && echo gone > /data/gone && echo keep > /data/keep \\
    && echo x > /h/a
RUN rm -rf /d1 && mkdir -p /d1 && touch /d1/foo && rm /data/gone && rm /bin/wget && ln /h/a /h/b
"""
FLAT = (
    "mkdir -p /d1 /data /h && touch /d1/foo && echo keep > /data/keep && rm /bin/wget"
    " && echo x > /h/a && ln /h/a /h/b"
)


@pytest.fixture(scope="module")
def layered(build: Build, docker_client: Any) -> str:
    image = build(LAYERED)
    last = read_image(image, client=docker_client).layers[-1]
    # the test is only worth something if the engine wrote what it is about
    assert "/d1" in last.opaque_dirs
    assert {"/data/gone", "/bin/wget"} <= set(last.whiteouts)
    assert {"/h/a", "/h/b"} <= {e.path for e in last.entries}
    return image


def test_layered_original_equals_flat_build(build: Build, layered: str, docker_client: Any) -> None:
    flat = build(f"FROM {BUSYBOX}\nRUN {FLAT}\n")
    result = verify(layered, flat, client=docker_client)
    assert result.differences == [], result.format_text()


@pytest.mark.parametrize(
    ("bug", "flat", "caught"),
    [
        # docker-squash #186: an opaque directory ignored, the lower file comes back
        ("opaque dir lost", FLAT + " && touch /d1/foobar", {"/d1/foobar"}),
        # docker-squash #97: the whiteout of a file from the parent image lost
        ("whiteout lost", FLAT.replace(" && rm /bin/wget", ""), {"/bin/wget"}),
        # a whiteout of the image's own earlier layer lost
        ("own whiteout lost", FLAT + " && echo gone > /data/gone", {"/data/gone"}),
        # docker-squash #94: hard links gone after squashing
        ("hard link lost", FLAT.replace("ln /h/a /h/b", "cp /h/a /h/b"), {"/h/a", "/h/b"}),
    ],
)
def test_squash_bugs_are_caught(
    build: Build, layered: str, docker_client: Any, bug: str, flat: str, caught: set[str]
) -> None:
    broken = build(f"FROM {BUSYBOX}\nRUN {flat}\n")
    result = verify(layered, broken, client=docker_client)
    assert set(unexpected(result)) == caught, result.format_text()


def test_docker_squash_output_verifies_clean(layered: str, docker_client: Any) -> None:
    tag = "squasher-test-verify-dsq:latest"
    proc = subprocess.run(
        ["docker-squash", "-t", tag, layered],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    if proc.returncode != 0:
        pytest.skip(f"docker-squash failed: {proc.stderr[-400:]}")
    try:
        result = verify(layered, tag, client=docker_client)
        assert unexpected(result) == {}, result.format_text()
    finally:
        docker_client.api.remove_image(tag, force=True)


# ------------------------------------------------------------------ packages

PURGE = f"FROM {DEBIAN}\nRUN dpkg --purge e2fsprogs\n"


@pytest.fixture(scope="module")
def purged(build: Build) -> str:
    return build(PURGE)


def test_purging_a_package_of_the_base_is_a_real_difference(
    purged: str, docker_client: Any
) -> None:
    # the squashed image's lowest layer is debian:bookworm-slim itself: its e2fsprogs is the base's
    result = verify(DEBIAN, purged, client=docker_client)
    assert not result.equivalent
    assert result.purged_packages == ["e2fsprogs"]
    by_path = {d.path: d for d in result.differences}
    # dpkg lists /sbin/mke2fs; on this usrmerged image it lives under /usr/sbin
    assert by_path["/usr/sbin/mke2fs"].category == UNEXPECTED
    assert by_path["/usr/sbin/mke2fs"].package == "e2fsprogs"
    assert by_path["/etc/mke2fs.conf"].reason == "package e2fsprogs of the base image removed"
    assert by_path["/var/lib/dpkg/status"].reason == "package database"
    assert "NOT equivalent: " in result.summary_line()


# a package the build installs (built in the image: no network) with a copy of libe2p.so.2 under
# another soname, and a program the build made (no package owns it) that needs that soname
SQLIB = (
    "mkdir -p /tmp/sqlib/DEBIAN /tmp/sqlib/usr/lib/x86_64-linux-gnu"
    " && printf 'Package: sqlib\\nVersion: 1\\nArchitecture: all\\nMaintainer: t <t@example.invalid>"
    "\\nDescription: t\\n' > /tmp/sqlib/DEBIAN/control"
    " && cp /usr/lib/x86_64-linux-gnu/libe2p.so.2 /tmp/sqlib/usr/lib/x86_64-linux-gnu/libsqt.so.2"
    " && dpkg-deb -b /tmp/sqlib /tmp/sqlib.deb >/dev/null && dpkg -i /tmp/sqlib.deb >/dev/null"
    " && rm -rf /tmp/sqlib /tmp/sqlib.deb"
    " && sed 's/libe2p[.]so[.]2/libsqt.so.2/' /usr/bin/chattr > /usr/local/bin/mychattr"
    " && chmod 755 /usr/local/bin/mychattr"
)


def test_files_of_purged_package_are_expected_unless_still_needed(
    build: Build, docker_client: Any
) -> None:
    made = f"FROM {DEBIAN}\nRUN {SQLIB}\n"
    original = build(made)
    # without the program that needs it, the purged library is expected
    unneeded = f"FROM {DEBIAN}\nRUN {SQLIB} && rm /usr/local/bin/mychattr"
    result = verify(
        build(unneeded + "\n"), build(unneeded + " && dpkg --purge sqlib\n"), client=docker_client
    )
    assert result.equivalent, result.format_text()
    lib = next(d for d in result.differences if d.path.endswith("/libsqt.so.2"))
    assert (lib.category, lib.reason) == (EXPECTED, "file of purged package sqlib")

    # one RUN, as a squashed image has: only debian:bookworm-slim is shared, the base
    broken = build(f"FROM {DEBIAN}\nRUN {SQLIB} && dpkg --purge sqlib\n")
    result = verify(original, broken, client=docker_client)
    assert not result.equivalent
    found = unexpected(result)
    assert set(found) == {"/usr/lib/x86_64-linux-gnu/libsqt.so.2"}, result.format_text()
    lib = next(d for d in result.differences if d.path in found)
    assert lib.package == "sqlib"
    assert lib.reason.endswith("but /usr/local/bin/mychattr still needs it")


def test_protection_named_by_the_squashed_build_log(
    build: Build, purged: str, docker_client: Any
) -> None:
    # the squashed build prints the protection line build.sh prints (squasher.pkg.base)
    line = (
        "squasher-protect\\tapt\\te2fsprogs:amd64\\t/usr/local/bin/x\\tlibe2p.so.2\\tDockerfile:2"
    )
    kept = build(f"FROM {DEBIAN}\nRUN printf '{line}\\n'\n")
    assert "squasher-protect\tapt\te2fsprogs" in LOGS[kept]
    result = verify(purged, kept, build_log=LOGS[kept], client=docker_client)
    assert result.equivalent, result.format_text()
    mke2fs = next(d for d in result.differences if d.path == "/usr/sbin/mke2fs")
    assert (mke2fs.category, mke2fs.package, mke2fs.line) == (PROTECTED, "e2fsprogs", 2)


def test_kept_package_is_protected_only_with_report(
    purged: str, docker_client: Any, tmp_path: Path
) -> None:
    # the "original" purges e2fsprogs, the "squashed" image kept it
    without = verify(purged, DEBIAN, client=docker_client)
    assert not without.equivalent
    mke2fs = next(d for d in without.differences if d.path == "/usr/sbin/mke2fs")
    assert mke2fs.category == UNEXPECTED
    assert mke2fs.reason == "package e2fsprogs is installed only in the squashed image"

    report = tmp_path / "report.json"
    # the report object of `squasher diff-size --json`: the rewrite report and its protections
    protection = {"manager": "apt", "package": "e2fsprogs", "file": "/x", "needs": "libe2p.so.2"}
    report.write_text(
        json.dumps(
            {
                "dockerfile": "Dockerfile",
                "output": "Dockerfile.squashed",
                "builder": "classic",
                "strategy": "script",
                "protected": [{**protection, "where": "Dockerfile:2"}],
            }
        )
    )
    proc = subprocess.run(
        [
            *(sys.executable, "-m", "squasher", "verify", "--json", "--report", str(report)),
            *(purged, DEBIAN),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    data = json.loads(proc.stdout)
    mk = next(d for d in data["differences"] if d["path"] == "/usr/sbin/mke2fs")
    assert mk["category"] == PROTECTED
    assert (mk["package"], mk["line"]) == ("e2fsprogs", 2)
    assert data["summary"]["protected"]["count"] >= 30


# ------------------------------------------------------------------ build noise

# a CPython 3.11 .pyc: magic, flags 0, source mtime, source size, then the code object's bytes
PYC = "printf '\\247\\015\\015\\012\\0\\0\\0\\0{mtime}\\020\\0\\0\\0{body}' > {path}"


def pyc(mtime: str, body: str, path: str) -> str:
    return PYC.format(mtime=mtime, body=body, path=path)


def test_pyc_differing_only_in_source_timestamp_is_noise(build: Build, docker_client: Any) -> None:
    setup = "mkdir -p /m/__pycache__ && echo 'x = 1' > /m/a.py && echo 'y = 2' > /m/b.py && "
    a, b = "/m/__pycache__/a.cpython-311.pyc", "/m/__pycache__/b.cpython-311.pyc"
    one = build(
        f"FROM {BUSYBOX}\nRUN {setup}{pyc('AAAA', 'code-a', a)} && {pyc('AAAA', 'code-b', b)}\n"
    )
    two = build(
        f"FROM {BUSYBOX}\nRUN {setup}{pyc('BBBB', 'code-a', a)} && {pyc('AAAA', 'code-B', b)}\n"
    )
    result = verify(one, two, client=docker_client)
    by_path = {d.path: d for d in result.differences}
    assert set(by_path) == {a, b}
    assert by_path[a].category == NOISE
    assert by_path[a].reason == "byte code differing only in its source timestamp"
    # the code itself differs, and the header's source size (16) is not b.py's (6): not proved
    assert by_path[b].category == UNEXPECTED


def test_rebuild_marks_non_reproducible_paths(build: Build, docker_client: Any) -> None:
    noisy = f"FROM {BUSYBOX}\nARG NONCE\nRUN cat /proc/sys/kernel/random/uuid > /stamp && echo same > /same\n"
    original, rebuild = build(noisy, {"NONCE": "1"}), build(noisy, {"NONCE": "2"})
    squashed_image = build(noisy, {"NONCE": "3"})
    plain = verify(original, squashed_image, client=docker_client)
    assert set(unexpected(plain)) == {"/stamp"}
    result = verify(original, squashed_image, rebuild=rebuild, client=docker_client)
    assert result.equivalent, result.format_text()
    (stamp,) = result.differences
    assert (stamp.path, stamp.reason) == (
        "/stamp",
        "differs between two builds of the original too",
    )


# ------------------------------------------------------------------ memory


@pytest.mark.slow
def test_memory_stays_bounded_on_a_large_pair(build: Build, tmp_path: Path) -> None:
    big = "dd if=/dev/zero of=/big{n} bs=1M count=300 2>/dev/null"
    layered = build(f"FROM {BUSYBOX}\nRUN {big.format(n=1)}\nRUN {big.format(n=2)}\n")
    flat = build(f"FROM {BUSYBOX}\nRUN {big.format(n=1)} && {big.format(n=2)}\n")
    rss = tmp_path / "rss"
    proc = subprocess.run(
        [
            *("/usr/bin/time", "-f", "%M", "-o", str(rss)),
            *(sys.executable, "-m", "squasher", "verify", layered, flat),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "631 MB" in proc.stdout.splitlines()[0]  # 2 x 300 MiB + busybox, really streamed
    assert int(rss.read_text().split()[-1]) < 200 * 1024  # KiB: well below one image's size

    # Ctrl-C while the engine prepares or streams the archives: out at once, exit 130 (read from
    # the storage, the pair takes about as long as the wait below)
    import signal
    import time

    child = subprocess.Popen(
        [sys.executable, "-m", "squasher", "verify", "--source", "save", layered, flat],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(2)
    child.send_signal(signal.SIGINT)
    started = time.monotonic()
    _out, err = child.communicate(timeout=60)
    assert child.returncode == 130, err
    assert time.monotonic() - started < 10
    assert err.strip().splitlines()[-1] == "squasher: interrupted"
