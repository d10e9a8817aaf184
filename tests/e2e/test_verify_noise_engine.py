"""``squasher verify`` on real pairs that differ only by build noise (verdict equivalent, every
noise class named) and on pairs with a real change hidden among the same noise (verdict
different, the change named, exit 1).

The busybox pairs write the noise the way install scripts do: the build container's hostname into
/etc/mailname, random ids, seeds and host keys, password-change days, logs and stamps, font
caches, caches in root's and a non-root user's home, and ``.pyc`` files whose code bytes differ
while their source is the same (CPython 3.11 and 3.6 headers: magic, flags, source mtime or
hash, source size), in ``__pycache__``, beside the source, or in one image only. Each class also
makes a pair of its own.
Each build gets another NONCE, so nothing comes from the build cache. (Alternatives switched by
a purge need dpkg: ``test_verify_purge_engine``.)"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
from conftest import BUSYBOX

from squasher.engine import Scratch
from squasher.inspect.classify import NOISE, PYC_SAME_SOURCE, UNEXPECTED
from squasher.inspect.verify import VerifyResult, verify
from squasher.inspect.verify_rules import (
    FONT_CACHE_REASON,
    HOST_REASON,
    LOG_REASON,
    SHADOW_REASON,
)

pytestmark = pytest.mark.engine

Build = Callable[..., str]


@pytest.fixture(scope="module")
def build(docker_client: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Build]:
    """Build a Dockerfile text with the classic builder; every image is removed at module end."""
    with Scratch(docker_client) as scratch:
        count = 0

        def build(dockerfile: str, nonce: str = "0") -> str:
            nonlocal count
            count += 1
            context = tmp_path_factory.mktemp(f"noise{count}")
            (context / "Dockerfile").write_text(dockerfile)
            return scratch.build(context, "Dockerfile", {"NONCE": nonce}).image_id

        yield build


# a .pyc of a 6-byte source: magic of CPython 3.11, flags 0, mtime, size 6, then code bytes that
# differ from build to build (marshal output is not reproducible)
PYC_HEADER = "\\247\\015\\015\\012\\0\\0\\0\\0"
RANDOM = "$(cat /proc/sys/kernel/random/uuid | tr -d -)"

SETUP = [
    "mkdir -p /app/__pycache__ /app/gen /etc/ssh /var/lib/systemd /var/log /var/lib/logrotate",
    "echo 'x = 1' > /app/m.py && echo 'y = 2' > /app/n.py && echo 'z = 3' > /app/l.py",
    "echo 'g = 4' > /app/gen/g.py",
    "echo 'appuser:x:1000:1000::/home/appuser:/bin/sh' >> /etc/passwd",
    "echo 'listen 80' > /etc/app.conf",
    "mkdir -p /usr/lib/app && cp /bin/busybox /usr/lib/app/libsq.so.1",
    "mkdir -p /usr/share/fonts/sq /var/cache/fontconfig && echo font > /usr/share/fonts/sq/a.pcf",
]


def pyc(path: str, size: int, header: str = PYC_HEADER + "ABCD") -> str:
    """sh writing a .pyc at ``path`` of a source of ``size`` bytes, its code bytes new per build;
    ``header``: what comes before the size (magic, flags and mtime of CPython 3.11)."""
    return f"printf '{header}\\{size:03o}\\0\\0\\0%s' {RANDOM} > {path}"


# CPython 3.6's 12-byte header (magic 3379, mtime, size), and a hash-based 3.11 one (flags 1,
# the source's hash; the "size" written after it is the first code bytes)
PYC36_HEADER = "\\063\\015\\015\\012ABCD"
HASHED_HEADER = "\\247\\015\\015\\012\\001\\0\\0\\0HASH"


# each class of build noise: the steps that make it, and the paths it explains with their reason
NOISE_CLASSES: dict[str, tuple[list[str], dict[str, str]]] = {
    "bytecode": (
        [
            pyc("/app/__pycache__/m.cpython-311.pyc", 6),
            pyc("/app/__pycache__/n.cpython-311.pyc", 6),
            pyc("/app/l.pyc", 6),  # compileall -b: beside its source
            pyc("/app/__pycache__/n.cpython-36.pyc", 6, PYC36_HEADER),
            pyc("/app/__pycache__/l.cpython-311.pyc", 6, HASHED_HEADER),
            # another interpreter's cache, and a whole __pycache__, in odd-numbered builds only
            "[ $((NONCE % 2)) = 0 ] || { mkdir /app/gen/__pycache__ && "
            + pyc("/app/gen/__pycache__/g.cpython-311.pyc", 6)
            + " && "
            + pyc("/app/__pycache__/m.cpython-312.pyc", 6)
            + "; }",
        ],
        {
            "/app/__pycache__/m.cpython-311.pyc": PYC_SAME_SOURCE,
            "/app/__pycache__/n.cpython-311.pyc": PYC_SAME_SOURCE,
            "/app/l.pyc": PYC_SAME_SOURCE,
            "/app/__pycache__/n.cpython-36.pyc": PYC_SAME_SOURCE,
            "/app/__pycache__/l.cpython-311.pyc": PYC_SAME_SOURCE,
            "/app/__pycache__/m.cpython-312.pyc": PYC_SAME_SOURCE,
            "/app/gen/__pycache__": PYC_SAME_SOURCE,
            "/app/gen/__pycache__/g.cpython-311.pyc": PYC_SAME_SOURCE,
        },
    ),
    "build-host": (
        [
            "hostname > /etc/mailname",
            f"echo {RANDOM} > /etc/machine-id",
            "head -c 512 /dev/urandom > /var/lib/systemd/random-seed",
            "printf -- '-----BEGIN OPENSSH PRIVATE KEY-----\\n%s\\n-----END OPENSSH PRIVATE KEY-----\\n'"
            f" {RANDOM} > /etc/ssh/ssh_host_ed25519_key",
            f"echo ssh-ed25519 AAAA{RANDOM} root@$(hostname) > /etc/ssh/ssh_host_ed25519_key.pub",
        ],
        {
            "/etc/mailname": HOST_REASON,
            "/etc/machine-id": HOST_REASON,
            "/var/lib/systemd/random-seed": HOST_REASON,
            "/etc/ssh/ssh_host_ed25519_key": HOST_REASON,
            "/etc/ssh/ssh_host_ed25519_key.pub": HOST_REASON,
        },
    ),
    "password-dates": (
        # useradd's day of the last password change: the build's day (another one per nonce)
        ['echo "appuser:!:$((20000 + NONCE)):0:99999:7:::" >> /etc/shadow'],
        {"/etc/shadow": SHADOW_REASON},
    ),
    "logs-and-stamps": (
        [
            f'echo "built {RANDOM}" > /var/log/build.log',
            f"echo {RANDOM} > /var/lib/logrotate/status",
            f"mkdir -p /var/lib/app && echo {RANDOM} > /var/lib/app/build-stamp",
        ],
        {
            "/var/log/build.log": LOG_REASON,
            "/var/lib/logrotate/status": LOG_REASON,
            "/var/lib/app/build-stamp": LOG_REASON,
        },
    ),
    "font-caches": (
        # fc-cache's output: the cache magic, its version, then bytes that differ per build
        [
            "printf '\\004\\374\\002\\374\\011\\0\\0\\0%s' "
            f"{RANDOM} > /var/cache/fontconfig/0123abcd-le64.cache-9"
        ],
        {"/var/cache/fontconfig/0123abcd-le64.cache-9": FONT_CACHE_REASON},
    ),
    "home-caches": (
        [
            "mkdir -p /home/appuser/.cache/pip/wheels /root/.npm",
            f"echo {RANDOM} > /home/appuser/.cache/pip/wheels/w",
            f"echo {RANDOM} > /root/.npm/index",
        ],
        {
            "/home/appuser/.cache/pip/wheels/w": "cache in the home of appuser",
            "/root/.npm/index": "cache in the home of root",
        },
    ),
}
NOISE_STEPS = [*SETUP, *(step for steps, _ in NOISE_CLASSES.values() for step in steps)]


def noisy(*extra: str, steps: Sequence[str] = tuple(NOISE_STEPS)) -> str:
    lines = " && \\\n    ".join([*steps, *extra])
    return f"FROM {BUSYBOX}\nARG NONCE\nRUN {lines}\n"


@pytest.fixture(scope="module")
def original(build: Build) -> str:
    return build(noisy(), "1")


def by_path(result: VerifyResult) -> dict[str, Any]:
    return {d.path: d for d in result.differences}


def assert_noise_only(result: VerifyResult, reasons: dict[str, str]) -> None:
    """Equivalent; each path of ``reasons`` noise for its reason; one line of the text per reason."""
    assert result.equivalent, result.format_text()
    found = by_path(result)
    for path, reason in reasons.items():
        assert (found[path].category, found[path].reason) == (NOISE, reason), path
    text = result.format_text()
    for reason in set(reasons.values()):
        assert sum(line.startswith(f"noise       {reason}:") for line in text.splitlines()) == 1
    assert text.splitlines()[-1].endswith(": equivalent")


@pytest.mark.parametrize("name", list(NOISE_CLASSES))
def test_pair_differing_by_one_noise_class_is_equivalent(
    build: Build, docker_client: Any, name: str
) -> None:
    steps, reasons = NOISE_CLASSES[name]
    one, two = (build(noisy(steps=[*SETUP, *steps]), nonce) for nonce in ("1", "2"))
    result = verify(one, two, client=docker_client)
    assert_noise_only(result, reasons)
    noise = {d.path for d in result.differences if d.category == NOISE}
    assert noise == set(reasons), "noise of another class, or a path this class misses"


def test_noise_only_pair_is_equivalent_with_each_class_named(
    build: Build, original: str, docker_client: Any
) -> None:
    again = build(noisy(), "2")
    result = verify(original, again, client=docker_client)
    assert_noise_only(result, {p: r for _, rs in NOISE_CLASSES.values() for p, r in rs.items()})
    # the command exits 0 on noise alone, its verdict counting no real difference
    proc = subprocess.run(
        [sys.executable, "-m", "squasher", "verify", original, again],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    verdict = proc.stdout.splitlines()[-1]
    assert "unexpected 0 (0 B): equivalent" in verdict and "noise " in verdict, verdict


REAL_CHANGES = [
    # (what, extra step, the path the verdict must name, a word its line holds)
    ("a changed .py beside its .pyc", "echo 'x = 2' > /app/m.py", "/app/m.py", "content"),
    ("a changed .py beside its legacy .pyc", "echo 'z = 4' > /app/l.py", "/app/l.py", "content"),
    ("a mailname a user wrote", "echo mail.example.org > /etc/mailname", "/etc/mailname", ""),
    ("a changed config file in /etc", "echo 'listen 8080' > /etc/app.conf", "/etc/app.conf", ""),
    ("a changed password", "sed -i s/^appuser:!:/appuser:*:/ /etc/shadow", "/etc/shadow", ""),
    ("a changed font", "echo other > /usr/share/fonts/sq/a.pcf", "/usr/share/fonts/sq/a.pcf", ""),
    ("a missing shared library", "rm /usr/lib/app/libsq.so.1", "/usr/lib/app/libsq.so.1", ""),
]


@pytest.mark.parametrize(
    ("what", "step", "path", "word"), REAL_CHANGES, ids=[c[0] for c in REAL_CHANGES]
)
def test_real_change_among_noise_is_named(
    build: Build, original: str, what: str, step: str, path: str, word: str
) -> None:
    changed = build(noisy(step), "3")
    proc = subprocess.run(
        [sys.executable, "-m", "squasher", "verify", original, changed],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert any(
        line.startswith("unexpected") and f" {path} " in f"{line} " and word in line
        for line in lines
    ), proc.stdout
    verdict = lines[-1]
    assert "NOT equivalent: " in verdict and path in verdict, verdict
    real = sum(line.startswith("unexpected ") for line in lines)  # noise never counted
    counted = "1 real difference," if real == 1 else f"{real} real differences,"
    assert f"NOT equivalent: {counted} largest " in verdict, verdict
    # the noise is still explained, not counted as real
    assert "noise       written from the build host" in proc.stdout


def test_pyc_beside_a_changed_source_is_real_too(
    build: Build, original: str, docker_client: Any
) -> None:
    changed = build(noisy("echo 'x = 2' > /app/m.py"), "4")
    result = verify(original, changed, client=docker_client)
    pyc = by_path(result)["/app/__pycache__/m.cpython-311.pyc"]
    assert (pyc.category, pyc.reason) == (UNEXPECTED, "compiled from /app/m.py, which changed")
    # n.pyc: its source is unchanged, the header records its size: noise
    assert by_path(result)["/app/__pycache__/n.cpython-311.pyc"].category == NOISE


def test_font_cache_beside_a_changed_font_is_not_noise(
    build: Build, original: str, docker_client: Any
) -> None:
    changed = build(noisy("echo other > /usr/share/fonts/sq/a.pcf"), "3")
    result = verify(original, changed, client=docker_client)
    found = by_path(result)
    assert found["/usr/share/fonts/sq/a.pcf"].category == UNEXPECTED
    # compiled from other fonts: the cache proves nothing, it is not called noise
    assert found["/var/cache/fontconfig/0123abcd-le64.cache-9"].category == UNEXPECTED


def test_every_pyc_of_a_large_tree_is_read(build: Build, docker_client: Any) -> None:
    # 2,500 modules (more than any cap there used to be), each .pyc's code bytes new per build;
    # the header records the source's size (6 to 9 bytes); shell builtins only, no forks
    tree = (
        f"FROM {BUSYBOX}\nARG NONCE\n"
        "RUN d=/usr/lib/python3/dist-packages/big && mkdir -p $d/__pycache__ && i=0"
        ' && while [ $i -lt 2500 ]; do echo "v = $i" > $d/m$i.py'
        " && case ${#i} in 1) s='\\006';; 2) s='\\007';; 3) s='\\010';; *) s='\\011';; esac"
        f" && printf '{PYC_HEADER}ABCD'\"$s\"'\\0\\0\\0%s' \"$NONCE-$i\""
        " > $d/__pycache__/m$i.cpython-311.pyc && i=$((i + 1)); done\n"
    )
    one, two = build(tree, "5"), build(tree, "6")
    result = verify(one, two, client=docker_client)
    pycs = [d for d in result.differences if d.path.endswith(".pyc")]
    assert len(pycs) == 2500
    assert {(d.category, d.reason) for d in pycs} == {(NOISE, PYC_SAME_SOURCE)}
    assert result.equivalent, result.summary_line()
