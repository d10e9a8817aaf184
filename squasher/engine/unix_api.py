"""The two engine requests ``analyze`` needs (image inspect, image save), over a local unix socket
with the standard library alone.

Importing the docker SDK (with requests, urllib3 and, when installed, paramiko) costs about a
second of start-up, which for a small image is most of ``squasher analyze``'s time. For the common
case — DOCKER_HOST unset or ``unix://`` — this module speaks the Docker API directly; other hosts
(tcp with TLS, ssh) go through the SDK as before. Podman's Docker-API service answers the same.
"""

from __future__ import annotations

import http.client
import io
import json
import os
import socket
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import quote

from squasher.engine.connect import (
    API_TIMEOUT,
    CONNECT_TIMEOUT,
    DEFAULT_HOST,
    FIX_HINT,
    engine_host,
)
from squasher.errors import EngineUnavailable, SquasherError

_CHUNK = 1 << 20


class NoSuchImage(SquasherError):
    """The engine has no image by that name (its 404)."""


def unix_socket_path() -> str | None:
    """The socket path when the engine is a local ``unix://`` one without TLS, else None."""
    host = os.environ.get("DOCKER_HOST") or DEFAULT_HOST
    if not host.startswith("unix://") or os.environ.get("DOCKER_TLS_VERIFY"):
        return None
    return host[len("unix://") :] or None


@dataclass
class _Response:
    status: int
    reason: str
    body: io.BufferedReader  # the raw body: HTTP/1.0, so neither chunked nor kept alive

    def close(self) -> None:
        self.body.close()


class UnixEngine:
    """Image inspect and save on the engine at a unix socket.

    Requests are HTTP/1.0, so the engine sends the body as it is, to the end of the connection:
    the archive streams without chunked decoding in Python."""

    def __init__(self, path: str, timeout: float = CONNECT_TIMEOUT) -> None:
        self.path = path
        self.timeout = timeout

    def _open(self, url: str, answer_timeout: float) -> _Response:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.path)
            sock.settimeout(answer_timeout)
            sock.sendall(f"GET {url} HTTP/1.0\r\nHost: docker\r\n\r\n".encode())
            body = cast(io.BufferedReader, sock.makefile("rb", buffering=_CHUNK))
            status_line = body.readline(4096).decode("latin-1")
            while body.readline(65536) not in (b"\r\n", b"\n", b""):
                pass  # headers: the status says all we need
        except BaseException:
            sock.close()
            raise
        parts = status_line.split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
            body.close()
            sock.close()
            raise http.client.HTTPException(f"bad status line {status_line.strip()!r}")
        sock.close()  # the file object keeps the connection open until it is closed
        return _Response(int(parts[1]), parts[2].strip() if len(parts) > 2 else "", body)

    def _get(self, url: str, during: str, answer_timeout: float) -> _Response:
        try:
            response = self._open(url, answer_timeout)
        except OSError as err:
            reason = "timed out" if isinstance(err, TimeoutError) else err.strerror or str(err)
            raise EngineUnavailable(
                f"no Docker engine answers at {engine_host()} ({reason}); {FIX_HINT}"
            ) from None
        except http.client.HTTPException as err:
            raise EngineUnavailable(f"the engine's answer to {during} is not HTTP: {err}") from None
        if response.status != 200:
            data = response.body.read(64 << 10)
            response.close()
            try:
                message = str(json.loads(data).get("message", "")).strip()
            except (ValueError, AttributeError):
                message = data.decode("utf-8", "replace").strip()
            if response.status == 404:
                raise NoSuchImage(message or "not found")
            raise EngineUnavailable(f"{during} failed: {message or response.reason}")
        return response

    def inspect_image(self, ref: str) -> dict[str, Any]:
        response = self._get(
            f"/images/{quote(ref, safe='/:')}/json", f"image inspect {ref}", self.timeout
        )
        try:
            data: dict[str, Any] = json.loads(response.body.read())
        finally:
            response.close()
        return data

    def save_chunks(self, ref: str) -> Generator[bytes, None, None]:
        """The ``docker save`` archive of ``ref`` as it streams."""
        response = self._get(
            f"/images/{quote(ref, safe='/:')}/get",
            f"image save {ref}",
            API_TIMEOUT,  # the engine may take long to start an export
        )
        try:
            while chunk := response.body.read1(_CHUNK):
                yield chunk
        finally:
            response.close()
