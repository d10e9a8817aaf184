"""connect(): honours DOCKER_HOST and fails fast, in one sentence, when nothing answers."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from squasher.engine import connect, engine_host
from squasher.engine.connect import DEFAULT_HOST
from squasher.errors import EngineUnavailable, SquasherError


def _fails_fast(monkeypatch: pytest.MonkeyPatch, host: str, timeout: float = 10) -> str:
    monkeypatch.setenv("DOCKER_HOST", host)
    started = time.monotonic()
    with pytest.raises(EngineUnavailable) as caught:
        connect(timeout=timeout)
    assert time.monotonic() - started < timeout + 2
    message = str(caught.value)
    assert isinstance(caught.value, SquasherError)
    assert "\n" not in message
    assert "scripts/engine.sh" in message
    assert "DOCKER_HOST" in message
    assert host in message
    return message


def test_missing_unix_socket_is_reported_at_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    started = time.monotonic()
    message = _fails_fast(monkeypatch, f"unix://{tmp_path}/nothing.sock")
    assert time.monotonic() - started < 2
    assert message.startswith("no Docker engine answers at unix://")
    assert "No such file" in message


def test_refused_tcp_port(monkeypatch: pytest.MonkeyPatch) -> None:
    _fails_fast(monkeypatch, "tcp://127.0.0.1:1")


def test_unanswering_tcp_host_times_out(monkeypatch: pytest.MonkeyPatch) -> None:
    # TEST-NET-1 (RFC 5737): nothing routes there, so the connection just hangs
    started = time.monotonic()
    _fails_fast(monkeypatch, "tcp://192.0.2.1:2375", timeout=2)
    assert time.monotonic() - started < 4


def test_malformed_docker_host(monkeypatch: pytest.MonkeyPatch) -> None:
    _fails_fast(monkeypatch, "bogus://what")


def test_tls_verify_with_missing_certificates(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DOCKER_TLS_VERIFY", "1")
    monkeypatch.setenv("DOCKER_CERT_PATH", str(tmp_path / "no-certs"))
    _fails_fast(monkeypatch, "tcp://127.0.0.1:2376")


def test_default_host_without_docker_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    assert engine_host() == DEFAULT_HOST
    monkeypatch.setenv("DOCKER_HOST", "tcp://example.invalid:2375")
    assert engine_host() == "tcp://example.invalid:2375"
