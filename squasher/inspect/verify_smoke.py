"""``--smoke CMD`` for ``squasher verify``: run a command in a fresh container of each image and
compare exit code, stdout and stderr. Containers get no network and the same hostname, and are
always removed."""

from __future__ import annotations

import contextlib
import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from squasher.errors import SquasherError
from squasher.inspect.classify import SMOKE, Difference

SMOKE_TIMEOUT = 120  # seconds a --smoke command may run in each image
SMOKE_HOSTNAME = "squasher-smoke"  # the same in both containers, so `hostname` output compares


@dataclass(frozen=True)
class SmokeOutcome:
    """What one --smoke command did in one image."""

    exit_code: int | None  # None: it could not start (error says why) or timed out
    stdout: str
    stderr: str
    error: str = ""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "exit_code": self.exit_code,
            "stdout": self.stdout,
            "stderr": self.stderr,
        }
        if self.error:
            out["error"] = self.error
        return out


@dataclass(frozen=True)
class SmokeResult:
    command: str
    original: SmokeOutcome
    squashed: SmokeOutcome

    @property
    def same(self) -> bool:
        return self.original == self.squashed

    def to_json(self) -> dict[str, Any]:
        return {
            "command": self.command,
            "same": self.same,
            "original": self.original.to_json(),
            "squashed": self.squashed.to_json(),
        }


def _run_once(client: Any, image: str, argv: list[str], timeout: int) -> SmokeOutcome:
    import docker.errors
    import requests.exceptions

    try:
        container = client.api.create_container(
            image,
            command=argv,
            hostname=SMOKE_HOSTNAME,
            # no network: the output must not depend on it, and no bridge is needed
            host_config=client.api.create_host_config(network_mode="none"),
        )
    except docker.errors.APIError as err:
        return SmokeOutcome(None, "", "", error=f"cannot create container: {err.explanation}")
    cid = container["Id"]
    try:
        try:
            client.api.start(cid)
        except docker.errors.APIError as err:
            return SmokeOutcome(
                None, "", "", error=f"cannot start: {_strip_ids(str(err.explanation))}"
            )
        try:
            status = client.api.wait(cid, timeout=timeout)
        except (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError):
            return SmokeOutcome(None, "", "", error=f"timed out after {timeout} s")
        code = int(status.get("StatusCode", -1))
        out = client.api.logs(cid, stdout=True, stderr=False).decode("utf-8", "replace")
        err_text = client.api.logs(cid, stdout=False, stderr=True).decode("utf-8", "replace")
        return SmokeOutcome(code, out, err_text)
    finally:
        with contextlib.suppress(docker.errors.APIError):
            client.api.remove_container(cid, force=True)


def _strip_ids(text: str) -> str:
    """Engine errors name the container; drop 64-hex ids so both images' errors compare."""

    return re.sub(r"\b[0-9a-f]{64}\b", "<container>", text)


def run_smoke(
    client: Any, original: str, squashed: str, commands: Sequence[str], timeout: int = SMOKE_TIMEOUT
) -> list[SmokeResult]:
    """Run each command (split like a shell would, then passed as ``docker run IMAGE CMD...`` passes
    it: after the image's entrypoint) in a fresh container of each image, without network and with
    the same hostname; containers are removed."""
    results = []
    for command in commands:
        try:
            argv = shlex.split(command)
        except ValueError as err:
            raise SquasherError(f"--smoke {command!r}: {err}") from err
        if not argv:
            raise SquasherError("--smoke needs a command")
        results.append(
            SmokeResult(
                command=command,
                original=_run_once(client, original, argv, timeout),
                squashed=_run_once(client, squashed, argv, timeout),
            )
        )
    return results


def smoke_difference(s: SmokeResult) -> Difference:
    o, q = s.original, s.squashed
    details = []
    if o.exit_code != q.exit_code or o.error != q.error:
        details.append(
            f"exit {o.exit_code if o.error == '' else o.error} -> "
            f"{q.exit_code if q.error == '' else q.error}"
        )
    if o.stdout != q.stdout:
        details.append("stdout differs")
    if o.stderr != q.stderr:
        details.append("stderr differs")
    return Difference(path=s.command, change=SMOKE, details=tuple(details))
