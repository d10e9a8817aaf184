"""The purge on the real engine: what the base had, runtime data and runtime tools survive.

A base made here has git and make installed and marked automatic (as a Node base has its
tools). On it, two Dockerfiles share one template: both install python3, python3-pip, gcc and
libpq-dev, compile two programs and add a test CA to the system trust store; one's CMD runs pip,
the other's does not. Each is rewritten by squasher and both images are built (classic builder),
once per module; the one whose CMD runs pip also through ``--strategy stages``. Then:

- git and make (the base's, automatic) survive; gcc is gone (a build tool);
- pip is purged where nothing the image runs names it, and kept (and works) where its CMD does;
- the CA store is intact: the same /etc/ssl/certs, and a TLS handshake against a server in the
  container, with a certificate of the test CA, verifies with Python's default context;
- the protection reports libpq5 once, at the final purge that would take it, and never libc6;
- the apt logs and backups the build wrote are gone, the base's untouched ones are left;
- the pip cache that ``pip install --user`` left in a non-root user's home is gone.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import DEBIAN

from squasher.engine import Scratch
from squasher.pkg.base import parse_protect_log
from squasher.rewriting import rewrite

pytestmark = pytest.mark.engine

AUTOBASE = f"""\
FROM {DEBIAN}
RUN apt-get update && apt-get install -y --no-install-recommends git make \\
 && apt-mark auto git make && rm -rf /var/lib/apt/lists/* \\
 && echo kept > /var/lib/dpkg/squasher-test-old
"""

HELLO_C = '#include <stdio.h>\nint main(void) { puts("hello"); return 0; }\n'
PQVER_C = (
    "#include <stdio.h>\n#include <libpq-fe.h>\n"
    'int main(void) { printf("libpq %d\\n", PQlibVersion()); return 0; }\n'
)
MAKE_CERTS = (
    "openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=squasher-test-ca "
    "-keyout /srv/ca.key -out /srv/ca.crt 2>/dev/null"
    " && openssl req -newkey rsa:2048 -nodes -subj /CN=localhost "
    "-addext subjectAltName=DNS:localhost -keyout /srv/tls.key -out /srv/tls.csr 2>/dev/null"
    " && openssl x509 -req -in /srv/tls.csr -CA /srv/ca.crt -CAkey /srv/ca.key -CAcreateserial "
    "-days 30 -copy_extensions copy -out /srv/tls.crt 2>/dev/null"
    " && cp /srv/ca.crt /usr/local/share/ca-certificates/squasher-test-ca.crt"
    " && update-ca-certificates > /dev/null && rm -f /srv/tls.csr /srv/ca.key /srv/ca.srl"
)
# line numbers matter (the CMD is at Dockerfile:14). The original's purge at line 8 takes only
# libpq-dev (no --auto-remove: that would take the base's automatic git and make in the original
# too); the final purge would take libpq5, which pqver needs.
TEMPLATE = """\
FROM {base}
RUN apt-get update && apt-get install -y --no-install-recommends \\
    python3 python3-pip gcc libc6-dev libpq-dev
COPY hello.c pqver.c /src/
RUN gcc -O2 -o /usr/local/bin/hello /src/hello.c \\
 && gcc -O2 -I/usr/include/postgresql -o /usr/local/bin/pqver /src/pqver.c -lpq
RUN {certs}
RUN apt-get purge -y libpq-dev
RUN useradd -m appuser
USER appuser
RUN pip install -q --user --break-system-packages --use-pep517 \\
    --use-feature=no-binary-enable-wheel-cache --no-binary six six==1.16.0
USER root
CMD {cmd}
"""
# a TLS server in the container with the test CA's certificate; the client trusts the system store
TLS_CHECK = """\
import http.server, ssl, threading, urllib.request
class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass
srv = http.server.HTTPServer(("127.0.0.1", 0), Quiet)
server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
server_ctx.load_cert_chain("/srv/tls.crt", "/srv/tls.key")
srv.socket = server_ctx.wrap_socket(srv.socket, server_side=True)
threading.Thread(target=srv.serve_forever, daemon=True).start()
ctx = ssl.create_default_context()
with urllib.request.urlopen(f"https://localhost:{srv.server_port}/", context=ctx) as r:
    print("tls", r.status)
print("cas", len(ctx.get_ca_certs()))
"""


@dataclass
class Pair:
    original: str
    squashed: str
    log: str  # the squashed build's log
    report: Any  # the rewrite report


def _build_pair(scratch: Scratch, ctx: Path, dockerfile: str, strategy: str = "script") -> Pair:
    (ctx / "Dockerfile").write_text(dockerfile)
    (ctx / "hello.c").write_text(HELLO_C)
    (ctx / "pqver.c").write_text(PQVER_C)
    original = scratch.build(ctx, "Dockerfile", builder="classic").image_id
    result = rewrite(ctx / "Dockerfile", context=ctx, builder="classic", strategy=strategy)
    result.write()
    built = scratch.build(ctx, result.output_path.name, builder="classic")
    return Pair(original, built.image_id, "\n".join(built.log), result.report)


@pytest.fixture(scope="module")
def scratch_module(docker_client: Any) -> Iterator[Scratch]:
    with Scratch(docker_client) as scratch:
        yield scratch


@pytest.fixture(scope="module")
def autobase(scratch_module: Scratch, tmp_path_factory: pytest.TempPathFactory) -> str:
    ctx = tmp_path_factory.mktemp("autobase")
    (ctx / "Dockerfile").write_text(AUTOBASE)
    tag = f"squasher-test-autobase:{uuid.uuid4().hex[:12]}"
    scratch_module.build(ctx, "Dockerfile", tag=tag, builder="classic")
    return tag


@pytest.fixture(scope="module")
def pip_unused(
    scratch_module: Scratch, autobase: str, tmp_path_factory: pytest.TempPathFactory
) -> Pair:
    text = TEMPLATE.format(base=autobase, certs=MAKE_CERTS, cmd='["hello"]')
    return _build_pair(scratch_module, tmp_path_factory.mktemp("pip-unused"), text)


@pytest.fixture(scope="module")
def pip_in_cmd(scratch_module: Scratch, tmp_path_factory: pytest.TempPathFactory) -> Pair:
    cmd = '["sh", "-c", "python3 -m pip --version && hello"]'
    text = TEMPLATE.format(base=DEBIAN, certs=MAKE_CERTS, cmd=cmd)
    return _build_pair(scratch_module, tmp_path_factory.mktemp("pip-in-cmd"), text)


@pytest.fixture(scope="module")
def pip_in_cmd_stages(scratch_module: Scratch, tmp_path_factory: pytest.TempPathFactory) -> Pair:
    """The same Dockerfile as ``pip_in_cmd`` through ``--strategy stages``: the final purge
    there weighs the same evidence."""
    cmd = '["sh", "-c", "python3 -m pip --version && hello"]'
    text = TEMPLATE.format(base=DEBIAN, certs=MAKE_CERTS, cmd=cmd)
    ctx = tmp_path_factory.mktemp("pip-in-cmd-stages")
    return _build_pair(scratch_module, ctx, text, strategy="stages")


def _sh(scratch: Scratch, image: str, command: str) -> tuple[int, str]:
    return scratch.run(image, ["sh", "-c", command], entrypoint=[])


def _decision(pair: Pair, package: str) -> Any:
    (found,) = [p for p in pair.report.packages if p.package == package]
    return found


def test_base_tools_marked_automatic_survive_and_gcc_is_gone(
    scratch_module: Scratch, pip_unused: Pair
) -> None:
    for image in (pip_unused.original, pip_unused.squashed):
        status, out = _sh(scratch_module, image, "git --version && make --version | head -n 1")
        assert status == 0, out
        assert "git version" in out and "GNU Make" in out
    status, _ = _sh(scratch_module, pip_unused.squashed, "command -v gcc")
    assert status != 0, "gcc survived the purge"
    assert _decision(pip_unused, "gcc").kind == "build-only"
    status, out = _sh(scratch_module, pip_unused.squashed, "hello && pqver")
    assert status == 0 and "hello" in out and "libpq" in out, out


def test_pip_nothing_runs_is_purged_as_a_runtime_tool(
    scratch_module: Scratch, pip_unused: Pair
) -> None:
    pip = _decision(pip_unused, "python3-pip")
    assert pip.purged and pip.kind == "runtime-tool" and pip.commands == ["pip", "pip3"]
    assert "Dockerfile:14 CMD" in pip.reason and "# squasher: keep python3-pip" in pip.reason
    status, _ = _sh(scratch_module, pip_unused.squashed, "python3 -m pip --version")
    assert status != 0
    assert _decision(pip_unused, "libpq-dev").kind == "removed-by-original"


@pytest.mark.parametrize("which", ["pip_in_cmd", "pip_in_cmd_stages"])
def test_pip_the_cmd_runs_is_kept_and_works(
    which: str, scratch_module: Scratch, request: pytest.FixtureRequest
) -> None:
    pair: Pair = request.getfixturevalue(which)
    pip = _decision(pair, "python3-pip")
    assert not pip.purged and pip.kind == ""
    assert pip.reason == "runtime tool (pip, pip3): Dockerfile:14 CMD runs pip"
    assert _decision(pair, "gcc").kind == "build-only"
    status, out = scratch_module.run(pair.squashed)
    assert status == 0 and "pip " in out and "hello" in out, out


@pytest.mark.parametrize("which", ["pip_unused", "pip_in_cmd", "pip_in_cmd_stages"])
def test_ca_store_intact_and_tls_verifies(
    which: str, scratch_module: Scratch, request: pytest.FixtureRequest
) -> None:
    pair: Pair = request.getfixturevalue(which)
    results = []
    for image in (pair.original, pair.squashed):
        check = (
            "dpkg-query -W -f='${db:Status-Status}\\n' ca-certificates && "
            "ls /etc/ssl/certs | wc -l && python3 - <<'EOF'\n" + TLS_CHECK + "EOF\n"
        )
        status, out = _sh(scratch_module, image, check)
        assert status == 0, out
        assert out.splitlines()[0] == "installed" and "tls 200" in out, out
        results.append(out)
    assert results[0] == results[1]


def test_protection_reports_only_what_the_removal_takes(pip_unused: Pair) -> None:
    protections = [(p.package, p.where) for p in parse_protect_log(pip_unused.log)]
    assert protections == [("libpq5", "final purge")], protections


BOOKKEEPING = (
    "/var/log/apt/* /var/log/dpkg.log /var/log/alternatives.log "
    "/var/lib/dpkg/*-old /var/cache/debconf/*-old"
)


def _bookkeeping(scratch: Scratch, image: str) -> dict[str, str]:
    """Each apt/dpkg log and backup file of the image, with its checksum and size."""
    _, out = _sh(scratch, image, f'for f in {BOOKKEEPING}; do [ -f "$f" ] && cksum "$f"; done; :')
    found = {}
    for line in out.splitlines():
        crc, size, path = line.split(" ", 2)
        found[path] = f"{crc} {size}"
    return found


def test_only_what_the_builds_own_apt_runs_wrote_is_removed(
    scratch_module: Scratch, autobase: str, pip_unused: Pair, pip_in_cmd: Pair
) -> None:
    for base, pair in ((DEBIAN, pip_in_cmd), (autobase, pip_unused)):
        in_base = _bookkeeping(scratch_module, base)
        original = _bookkeeping(scratch_module, pair.original)
        squashed = _bookkeeping(scratch_module, pair.squashed)
        # what the original's apt runs wrote: new logs, and backups rewritten over the base's
        written = {p for p, sums in original.items() if in_base.get(p) != sums}
        assert "/var/lib/dpkg/status-old" in written, (base, in_base, original)
        assert not written & squashed.keys(), (base, written & squashed.keys())
        # what stays is the base's, byte for byte
        for path, sums in squashed.items():
            assert in_base.get(path) == sums, (base, path)
    # a base's bookkeeping file that no apt run touches stays
    assert _bookkeeping(scratch_module, autobase)["/var/lib/dpkg/squasher-test-old"]
    assert "/var/lib/dpkg/squasher-test-old" in _bookkeeping(scratch_module, pip_unused.squashed)


def test_a_non_root_users_pip_cache_is_cleaned(scratch_module: Scratch, pip_unused: Pair) -> None:
    probe = (
        "test -d /home/appuser/.cache/pip && echo cache; "
        "ls /home/appuser/.local/lib/python3*/site-packages/six.py >/dev/null && echo six"
    )
    _, original = _sh(scratch_module, pip_unused.original, probe)
    _, squashed = _sh(scratch_module, pip_unused.squashed, probe)
    assert original.split() == ["cache", "six"]
    assert squashed.split() == ["six"]
