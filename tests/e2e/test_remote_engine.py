"""``squasher diff-size`` against a remote engine: DOCKER_HOST ``tcp://`` with TLS, as the docker CLI.

A second, private dockerd of this module's own listens on ``tcp://127.0.0.1:<port>`` with
``--tlsverify`` and throwaway certificates (CA, server with SAN 127.0.0.1, client) made with
openssl. It has its own data root, exec root, pidfile and bridge (never ``--bridge=none``, which
deletes the shared engine's docker0), and only ``busybox:latest``, loaded from the shared engine.
``squasher`` runs as a real subprocess with DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH
set: the classic builder goes through the SDK, BuildKit through the docker CLI; both must reach it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import BUSYBOX

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.engine

# a 1 MB file written by one step and deleted by a later one: squashing must save about that much
DOCKERFILE = f"""\
FROM {BUSYBOX}
RUN head -c 1048576 /dev/urandom > /junk.bin
RUN rm /junk.bin && echo remote > /hello.txt
CMD ["cat", "/hello.txt"]
"""


@dataclass(frozen=True)
class TlsEngine:
    host: str  # tcp://127.0.0.1:PORT
    client_certs: Path  # ca.pem, cert.pem, key.pem as the docker CLI expects them
    root: Path  # everything of this engine lives below; its unix socket is root/docker.sock


def _run(argv: list[str], cwd: Path | None = None) -> None:
    subprocess.run(argv, cwd=cwd, check=True, capture_output=True, text=True, timeout=60)


def _make_certificates(pki: Path) -> None:
    """A throwaway CA, a server certificate for 127.0.0.1 and a client certificate (EC keys)."""
    pki.mkdir()

    def key(name: str) -> None:
        _run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", name], pki)

    def signed(name: str, subject: str, extensions: str) -> None:
        key(f"{name}-key.pem")
        _run(
            [
                "openssl",
                "req",
                "-new",
                "-key",
                f"{name}-key.pem",
                "-subj",
                subject,
                "-out",
                f"{name}.csr",
            ],
            pki,
        )
        (pki / f"{name}.ext").write_text(extensions)
        _run(
            [
                "openssl",
                "x509",
                "-req",
                "-in",
                f"{name}.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca-key.pem",
                "-CAcreateserial",
                "-days",
                "2",
                "-sha256",
                "-extfile",
                f"{name}.ext",
                "-out",
                f"{name}.pem",
            ],
            pki,
        )

    key("ca-key.pem")
    _run(
        [
            "openssl",
            "req",
            "-new",
            "-x509",
            "-key",
            "ca-key.pem",
            "-days",
            "2",
            "-sha256",
            "-subj",
            "/CN=squasher test CA",
            "-out",
            "ca.pem",
        ],
        pki,
    )
    signed(
        "server",
        "/CN=127.0.0.1",
        "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
    )
    signed("client", "/CN=squasher client", "extendedKeyUsage=clientAuth\n")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _stop(pidfile: Path, dockerd: subprocess.Popen[bytes] | None) -> None:
    pid = int(pidfile.read_text().strip()) if pidfile.is_file() else None
    if dockerd is not None:
        pid = dockerd.pid
    if pid is None:
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    if dockerd is not None:
        try:
            dockerd.wait(timeout=40)
        except subprocess.TimeoutExpired:
            dockerd.kill()
            dockerd.wait(timeout=10)


def _tls_client(host: str, certs: Path) -> Any:
    """A client for the TLS engine that trusts only its CA (``trust_env`` off: requests would
    let REQUESTS_CA_BUNDLE override the CA); the API version is fixed so nothing is asked yet."""
    import docker
    import docker.tls

    tls = docker.tls.TLSConfig(
        client_cert=(str(certs / "cert.pem"), str(certs / "key.pem")),
        ca_cert=str(certs / "ca.pem"),
        verify=True,
    )
    client = docker.DockerClient(
        base_url=host.replace("tcp://", "https://"), tls=tls, version="1.41", timeout=120
    )
    client.api.trust_env = False
    return client


@pytest.fixture(scope="module")
def tls_engine(docker_client: Any) -> Iterator[TlsEngine]:
    if os.geteuid() != 0 or not all(shutil.which(t) for t in ("dockerd", "ip", "openssl")):
        pytest.skip("a second dockerd needs root, dockerd, ip and openssl")
    # short paths: containerd's sockets live under the exec root (unix socket paths <= 108 bytes)
    root = Path(tempfile.mkdtemp(prefix="sqtls-", dir="/tmp"))
    bridge = f"sqtls{uuid.uuid4().hex[:6]}"
    pki, certs, pidfile = root / "pki", root / "client", root / "dockerd.pid"
    dockerd: subprocess.Popen[bytes] | None = None
    subprocess.run(["ip", "link", "add", bridge, "type", "bridge"], check=True, capture_output=True)
    try:
        _run(["ip", "addr", "add", "10.123.0.1/24", "dev", bridge])
        _run(["ip", "link", "set", bridge, "up"])
        _make_certificates(pki)
        certs.mkdir()
        for src, dest in (("ca.pem", "ca.pem"), ("client.pem", "cert.pem")):
            shutil.copy(pki / src, certs / dest)
        shutil.copy(pki / "client-key.pem", certs / "key.pem")
        (root / "daemon.json").write_text("{}\n")  # the host's daemon.json is not ours
        port = _free_port()
        host = f"tcp://127.0.0.1:{port}"
        with open(root / "dockerd.log", "wb") as log:
            dockerd = subprocess.Popen(
                [
                    "dockerd",
                    "--config-file",
                    str(root / "daemon.json"),
                    "--host",
                    host,
                    "--host",
                    f"unix://{root / 'docker.sock'}",
                    "--tlsverify",
                    f"--tlscacert={pki / 'ca.pem'}",
                    f"--tlscert={pki / 'server.pem'}",
                    f"--tlskey={pki / 'server-key.pem'}",
                    "--data-root",
                    str(root / "data"),
                    "--exec-root",
                    str(root / "exec"),
                    "--pidfile",
                    str(pidfile),
                    "--storage-driver",
                    "overlay2",
                    f"--bridge={bridge}",
                    "--iptables=false",
                    "--ip-masq=false",
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        second = _tls_client(host, certs)
        deadline = time.monotonic() + 60
        while True:
            try:
                second.ping()
                break
            except Exception:
                if dockerd.poll() is not None or time.monotonic() > deadline:
                    log_tail = (root / "dockerd.log").read_text(errors="replace")[-2000:]
                    pytest.fail(f"the TLS dockerd did not start:\n{log_tail}")
                time.sleep(0.3)
        second.images.load(b"".join(docker_client.api.get_image(BUSYBOX)))
        assert second.images.get(BUSYBOX)
        second.close()
        yield TlsEngine(host, certs, root)
    finally:
        _stop(pidfile, dockerd)
        subprocess.run(["umount", "-R", str(root / "data")], check=False, capture_output=True)
        shutil.rmtree(root, ignore_errors=True)
        subprocess.run(["ip", "link", "del", bridge], check=False, capture_output=True)


def _env(**overrides: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
    env["NO_COLOR"] = "1"
    for name, value in overrides.items():
        if value is not None:
            env[name] = value
    return env


def _squasher(args: list[str], env: dict[str, str], timeout: float) -> tuple[int, str, str, float]:
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "squasher", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=REPO,
    )
    return proc.returncode, proc.stdout, proc.stderr, time.monotonic() - start


@pytest.fixture
def context(tmp_path: Path) -> Path:
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text(DOCKERFILE)
    return ctx


def _remote_images(engine: TlsEngine) -> set[str]:
    client = _tls_client(engine.host, engine.client_certs)
    try:
        return {image["Id"] for image in client.api.images(all=True)}
    finally:
        client.close()


@pytest.mark.parametrize("builder", ["classic", "buildkit"])
def test_diff_size_on_a_tls_engine(
    tls_engine: TlsEngine, context: Path, docker_client: Any, builder: str, tmp_path: Path
) -> None:
    remote_before = _remote_images(tls_engine)
    # a CA bundle for everything else must not replace the engine's CA (requests lets these
    # variables override a session's own CA; the docker CLI ignores them)
    decoy = tmp_path / "decoy-pki"
    _make_certificates(decoy)
    env = _env(
        DOCKER_HOST=tls_engine.host,
        DOCKER_TLS_VERIFY="1",
        DOCKER_CERT_PATH=str(tls_engine.client_certs),
        REQUESTS_CA_BUNDLE=str(decoy / "ca.pem"),
        CURL_CA_BUNDLE=str(decoy / "ca.pem"),
    )
    code, out, err, _ = _squasher(
        ["diff-size", str(context), "--builder", builder, "--json"], env, timeout=180
    )
    assert code == 0, err
    result = json.loads(out)
    assert result["builder"] == builder
    original, squashed = result["original"], result["squashed"]
    assert original["builder"] == squashed["builder"] == builder
    # busybox (one layer) + two RUN layers, the first holding the 1 MB file
    assert original["layers"] == 3
    assert squashed["layers"] <= 3  # base + (staging COPY) + RUN build.sh
    assert 1_000_000 <= result["saved_bytes"] <= 1_200_000, result["saved_bytes"]
    assert result["saved_bytes"] == original["size"] - squashed["size"]
    # built on the TLS engine, not on the shared one: neither id exists there
    shared_after = {image["Id"] for image in docker_client.api.images(all=True)}
    assert original["built_id"] not in shared_after
    assert squashed["built_id"] not in shared_after
    # and cleaned up on the TLS engine (a cache hit may reuse an image that was already there)
    left = _remote_images(tls_engine) - remote_before
    assert original["built_id"] not in left and squashed["built_id"] not in left


def _assert_one_sentence_exit_2(
    code: int, out: str, err: str, seconds: float, host: str, reason: str
) -> None:
    assert code == 2, (code, out, err)
    assert "Traceback" not in err and "Traceback" not in out
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert host in lines[0] and reason in lines[0], err
    assert seconds < 10, seconds


def test_tls_engine_without_client_certificates_is_one_sentence(
    tls_engine: TlsEngine, context: Path, tmp_path: Path
) -> None:
    empty = tmp_path / "no-certs"
    empty.mkdir()
    cases = (  # an empty cert dir; no DOCKER_CERT_PATH nor TLS at all (plain HTTP)
        (str(empty), f"{empty} lacks ca.pem, cert.pem, key.pem"),
        (None, "it speaks TLS: set DOCKER_TLS_VERIFY=1"),
    )
    for certs, reason in cases:
        env = _env(
            DOCKER_HOST=tls_engine.host,
            DOCKER_TLS_VERIFY="1" if certs else None,
            DOCKER_CERT_PATH=certs,
            HOME=str(tmp_path),  # no ~/.docker certificates to fall back on
        )
        code, out, err, seconds = _squasher(
            ["diff-size", str(context), "--builder", "classic", "--json"], env, timeout=30
        )
        _assert_one_sentence_exit_2(code, out, err, seconds, tls_engine.host, reason)


def test_tls_engine_with_a_wrong_ca_is_one_sentence(
    tls_engine: TlsEngine, context: Path, tmp_path: Path
) -> None:
    wrong = tmp_path / "wrong-pki"
    _make_certificates(wrong)  # another CA: the server's certificate does not verify against it
    certs = tmp_path / "wrong-client"
    certs.mkdir()
    shutil.copy(wrong / "ca.pem", certs / "ca.pem")
    shutil.copy(tls_engine.client_certs / "cert.pem", certs / "cert.pem")
    shutil.copy(tls_engine.client_certs / "key.pem", certs / "key.pem")
    env = _env(
        DOCKER_HOST=tls_engine.host,
        DOCKER_TLS_VERIFY="1",
        DOCKER_CERT_PATH=str(certs),
        HOME=str(tmp_path),
    )
    for builder in ("classic", "buildkit"):
        code, out, err, seconds = _squasher(
            ["diff-size", str(context), "--builder", builder, "--json"], env, timeout=30
        )
        reason = f"TLS failed with the certificates in {certs}: the engine's certificate does"
        _assert_one_sentence_exit_2(code, out, err, seconds, tls_engine.host, reason)


SSHD_CONFIG = """\
Port {port}
ListenAddress 127.0.0.1
HostKey {d}/host_key
AuthorizedKeysFile {d}/authorized_keys
PidFile {d}/sshd.pid
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
SetEnv DOCKER_HOST=unix://{sock}
"""

SSH_CONFIG = """\
Host 127.0.0.1
    IdentityFile {d}/id
    IdentitiesOnly yes
    UserKnownHostsFile {d}/known_hosts
    StrictHostKeyChecking yes
    BatchMode yes
    ConnectTimeout 5
"""


@pytest.fixture(scope="module")
def ssh_host(tls_engine: TlsEngine) -> Iterator[tuple[str, Path]]:
    """An sshd on 127.0.0.1:<port> whose sessions reach the TLS engine's unix socket (the
    "remote" docker CLI runs ``docker system dial-stdio`` there). Yields (DOCKER_HOST, a bin
    directory to put first on PATH: its ``ssh`` uses this test's key and known_hosts only)."""
    sshd = shutil.which("sshd") or "/usr/sbin/sshd"
    if not os.access(sshd, os.X_OK) or shutil.which("ssh") is None:
        pytest.skip("ssh:// needs openssh-server (sshd) and the ssh client")
    if shutil.which("docker") is None:
        pytest.skip("ssh:// needs a docker CLI on the remote side for docker system dial-stdio")
    pytest.importorskip(
        "paramiko", reason="ssh:// needs the ssh extra: pip install 'squasher[ssh]'"
    )
    d = tls_engine.root / "ssh"
    d.mkdir()
    _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(d / "host_key")])
    _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(d / "id")])
    shutil.copy(d / "id.pub", d / "authorized_keys")
    port = _free_port()
    (d / "sshd_config").write_text(
        SSHD_CONFIG.format(port=port, d=d, sock=tls_engine.root / "docker.sock")
    )
    host_key = (d / "host_key.pub").read_text().split()
    (d / "known_hosts").write_text(f"[127.0.0.1]:{port} {host_key[0]} {host_key[1]}\n")
    (d / "ssh_config").write_text(SSH_CONFIG.format(d=d))
    bindir = d / "bin"
    bindir.mkdir()
    wrapper = bindir / "ssh"
    wrapper.write_text(f'#!/bin/sh\nexec {shutil.which("ssh")} -F {d / "ssh_config"} "$@"\n')
    wrapper.chmod(0o755)
    privsep = Path("/run/sshd")  # sshd refuses to start without its privilege separation dir
    made_privsep = not privsep.exists()
    privsep.mkdir(mode=0o755, exist_ok=True)
    with open(d / "sshd.log", "wb") as log:
        proc = subprocess.Popen(
            [sshd, "-D", "-e", "-f", str(d / "sshd_config")],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"sshd did not start: {(d / 'sshd.log').read_text()[-1000:]}")
                time.sleep(0.2)
        yield f"ssh://root@127.0.0.1:{port}", bindir
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        if made_privsep:
            shutil.rmtree(privsep, ignore_errors=True)


@pytest.mark.parametrize("builder", ["classic", "buildkit"])
def test_diff_size_over_ssh(
    tls_engine: TlsEngine, ssh_host: tuple[str, Path], context: Path, builder: str
) -> None:
    host, bindir = ssh_host
    remote_before = _remote_images(tls_engine)
    env = _env(DOCKER_HOST=host, PATH=f"{bindir}:{os.environ.get('PATH', '/usr/bin:/bin')}")
    code, out, err, _ = _squasher(
        ["diff-size", str(context), "--builder", builder, "--json"], env, timeout=180
    )
    assert code == 0, err
    result = json.loads(out)
    assert result["original"]["layers"] == 3
    assert 1_000_000 <= result["saved_bytes"] <= 1_200_000, result["saved_bytes"]
    # built on the engine behind ssh (the TLS one), and cleaned up there
    left = _remote_images(tls_engine) - remote_before
    assert result["original"]["built_id"] not in left and result["squashed"]["built_id"] not in left


def test_ssh_host_that_refuses_the_key_is_one_sentence(
    ssh_host: tuple[str, Path], context: Path, tmp_path: Path
) -> None:
    host, bindir = ssh_host
    wrong = tmp_path / "bin"
    wrong.mkdir()
    # the same ssh, but with a key the host does not know
    _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "other")])
    text = (bindir / "ssh").read_text().replace(" -F ", f" -i {tmp_path / 'other'} -F ", 1)
    config = (
        (bindir.parent / "ssh_config")
        .read_text()
        .replace(f"IdentityFile {bindir.parent}/id", f"IdentityFile {tmp_path / 'other'}")
    )
    (tmp_path / "ssh_config").write_text(config)
    (wrong / "ssh").write_text(
        text.replace(str(bindir.parent / "ssh_config"), str(tmp_path / "ssh_config"))
    )
    (wrong / "ssh").chmod(0o755)
    env = _env(DOCKER_HOST=host, PATH=f"{wrong}:{os.environ.get('PATH', '/usr/bin:/bin')}")
    code, out, err, seconds = _squasher(
        ["diff-size", str(context), "--builder", "classic", "--json"], env, timeout=30
    )
    _assert_one_sentence_exit_2(code, out, err, seconds, host, "Permission denied (publickey)")
