"""Connecting to the Docker engine the way the docker CLI does (DOCKER_HOST, TLS, ssh)."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
from typing import TYPE_CHECKING

from squasher.errors import EngineUnavailable

if TYPE_CHECKING:
    import docker

DEFAULT_HOST = "unix:///var/run/docker.sock"
# seconds per request while connecting: with python start-up and the SDK import, a hung engine is
# reported in about 7 s, leaving room under the 10 s promise on a loaded machine (8 s took 9-9.5)
CONNECT_TIMEOUT = 6.0
#: Per-request timeout once connected (image inspect, history, remove). Builds use none.
API_TIMEOUT = 300.0

FIX_HINT = "start one with scripts/engine.sh or point DOCKER_HOST at a running engine"


def engine_host() -> str:
    """The engine address the docker CLI would use: DOCKER_HOST or the default socket."""
    return os.environ.get("DOCKER_HOST") or DEFAULT_HOST


_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\"()]+)|\w+Error\(-?\d+, '([^']+)'\)")


def _short_reason(err: BaseException) -> str:
    """The useful part of an SDK/requests error, as a clause."""
    text = " ".join(str(err).split())
    if "HTTP request to an HTTPS server" in text:
        return (
            "it speaks TLS: set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH to its client certificates"
        )
    if os.environ.get("DOCKER_TLS_VERIFY") and any(
        word in text.lower() for word in ("certificate", "ssl", "tls")
    ):
        cert_path = os.environ.get("DOCKER_CERT_PATH") or os.path.expanduser("~/.docker")
        missing = [
            name
            for name in ("ca.pem", "cert.pem", "key.pem")
            if not os.path.isfile(os.path.join(cert_path, name))
        ]
        if missing:
            return f"TLS is on but {cert_path} lacks {', '.join(missing)}"
        return (
            f"TLS failed with the certificates in {cert_path}: the engine's certificate does "
            "not verify against its ca.pem, or the engine refuses its cert.pem"
        )
    errno = _ERRNO.search(text)
    if errno:
        return (errno.group(1) or errno.group(2)).strip()
    reason = text.split(". ")[0].rstrip(".") or type(err).__name__
    return reason[:200]


def _client_from_env(timeout: int, use_ssh_client: bool) -> docker.DockerClient:
    """``docker.DockerClient.from_env``, except that the engine's CA from DOCKER_CERT_PATH wins.

    requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE (often set system-wide to the public CA
    bundle) override a session's own ``verify``, so with them set every ``DOCKER_TLS_VERIFY=1``
    connection failed "unable to get local issuer certificate", where the docker CLI connects.
    """
    import docker
    from docker.utils import kwargs_from_env

    class _EngineCaApiClient(docker.APIClient):
        def merge_environment_settings(  # type: ignore[no-untyped-def]
            self, url, proxies, stream, verify, cert
        ):
            settings = super().merge_environment_settings(url, proxies, stream, verify, cert)
            if isinstance(self.verify, str) and verify in (None, True):
                settings["verify"] = self.verify  # the CA given by DOCKER_CERT_PATH
            return settings

    client = docker.DockerClient.__new__(docker.DockerClient)
    client.api = _EngineCaApiClient(
        timeout=timeout, version=None, use_ssh_client=use_ssh_client, **kwargs_from_env()
    )
    return client


def _check_ssh_login(host: str, timeout: float) -> None:
    """Log in once the way the SDK will (``ssh [-l user] [-p port] -- host``), without prompts.

    The SDK lets ssh print to our stderr and then reports only a closed connection; this says
    in one sentence what ssh said (wrong key, unknown host key, refused) instead."""
    import subprocess
    from urllib.parse import urlsplit

    url = urlsplit(host)
    argv = ["ssh", "-o", "BatchMode=yes", "-o", f"ConnectTimeout={max(1, round(timeout))}"]
    if url.username:
        argv += ["-l", url.username]
    if url.port:
        argv += ["-p", str(url.port)]
    argv += ["--", url.hostname or "", "docker version --format '{{.Client.Version}}'"]
    try:
        proc = subprocess.run(
            argv, capture_output=True, text=True, timeout=timeout + 1, check=False
        )
    except subprocess.TimeoutExpired:
        raise EngineUnavailable(
            f"cannot reach {host}: ssh did not log in within {timeout:.0f} s"
        ) from None
    if proc.returncode != 0:
        said = [line for line in proc.stderr.splitlines() if line.strip()]
        reason = said[-1].strip() if said else f"ssh exited with status {proc.returncode}"
        if proc.returncode != 255 and "not found" in reason:
            reason = f"no docker CLI there for docker system dial-stdio ({reason})"
        raise EngineUnavailable(f"cannot reach {host}: {reason}")


def connect(timeout: float = CONNECT_TIMEOUT) -> docker.DockerClient:
    """A client for the engine at DOCKER_HOST (honouring DOCKER_TLS_VERIFY and DOCKER_CERT_PATH).

    ``ssh://`` hosts need the SDK's ssh support (``pip install squasher[ssh]``: paramiko, which
    the SDK imports even to run the ``ssh`` command); like the docker CLI (and so like BuildKit
    builds) they go through the ``ssh`` command when installed, with ~/.ssh/config, agent and
    known_hosts, else through paramiko. Raises EngineUnavailable, with one sentence saying what
    to do, when nothing answers within ``timeout`` seconds.
    """
    import docker
    import docker.errors
    import requests

    host = engine_host()
    is_ssh = host.startswith("ssh://")
    if is_ssh and importlib.util.find_spec("paramiko") is None:
        raise EngineUnavailable(
            f"cannot reach {host}: ssh:// needs paramiko; pip install 'squasher[ssh]'"
        )
    use_ssh_client = is_ssh and shutil.which("ssh") is not None
    if use_ssh_client:
        _check_ssh_login(host, timeout)
    try:
        client = _client_from_env(timeout=max(1, round(timeout)), use_ssh_client=use_ssh_client)
        client.ping()
    except (docker.errors.DockerException, requests.RequestException, OSError) as err:
        raise EngineUnavailable(
            f"no Docker engine answers at {host} ({_short_reason(err)}); {FIX_HINT}"
        ) from None
    except ImportError as err:  # the SDK's ssh support is missing a piece
        raise EngineUnavailable(
            f"cannot reach {host}: {err}; pip install 'squasher[ssh]'"
        ) from None
    client.api.timeout = API_TIMEOUT
    return client


def engine_version(client: docker.DockerClient) -> str:
    """The engine's version string, e.g. ``20.10.24+dfsg1``."""
    version: dict[str, str] = client.version()
    return version.get("Version", "unknown")


def podman_version(client: docker.DockerClient) -> str | None:
    """Podman's version when the engine is Podman's Docker-API service, else None (asked once
    per client)."""
    cached = getattr(client, "_squasher_podman", "")
    if cached != "":
        return str(cached) if cached is not None else None
    found: str | None = None
    version = client.version()
    for component in version.get("Components") or []:
        if "podman" in str(component.get("Name", "")).lower():
            found = str(component.get("Version") or version.get("Version") or "unknown")
    client._squasher_podman = found
    return found


def is_connection_lost(err: BaseException) -> bool:
    """True for the errors the SDK raises when the engine stops answering (socket gone, connection
    reset or refused mid-request): not for the engine's own error responses (APIError)."""
    import docker.errors
    import requests
    import urllib3.exceptions

    if isinstance(err, docker.errors.APIError):
        return False
    return isinstance(
        err,
        (
            requests.ConnectionError,
            urllib3.exceptions.HTTPError,
            ConnectionError,
            FileNotFoundError,
        ),
    )


def engine_lost(err: BaseException, during: str) -> EngineUnavailable:
    """The error to raise when the engine went away ``during`` something."""
    return EngineUnavailable(
        f"the Docker engine at {engine_host()} stopped answering during {during} "
        f"({_short_reason(err)}); {FIX_HINT}"
    )


def engine_answers(client: docker.DockerClient, tries: int = 3) -> bool:
    """Is the engine still there? Asked on fresh connections: a stopping dockerd still serves
    the keep-alive connections it has, but refuses new ones (its socket is closed or gone)."""
    import time

    for attempt in range(tries):
        try:
            client.api.close()  # drop pooled keep-alive connections; the next request dials anew
            client.ping()
        except Exception:
            return False
        if attempt + 1 < tries:
            time.sleep(0.5)
    return True
