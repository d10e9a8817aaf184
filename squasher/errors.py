"""Errors squasher reports to the user: always ``PATH:LINE[:COL]: message``, never a traceback."""

from __future__ import annotations


class SquasherError(Exception):
    """Bad input or an unusable environment. The CLI prints ``str(err)`` and exits with ``exit_code``."""

    exit_code = 2

    def __init__(
        self,
        message: str,
        path: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.column = column

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = self.path
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            where += ": "
        elif self.line is not None:
            where = f"line {self.line}: "
        return f"{where}{self.message}"


class DockerfileSyntaxError(SquasherError):
    """The Dockerfile cannot be parsed (the official parser would refuse it too)."""


class RewriteRefused(SquasherError):
    """The Dockerfile parses but cannot be squashed safely (no /bin/sh, Windows image, missing source)."""


class EngineUnavailable(SquasherError):
    """No Docker engine answers."""


class EngineUnsupported(SquasherError):
    """The engine answers but cannot do what was asked (Podman has no BuildKit)."""


class BuildFailed(SquasherError):
    """An image build failed. Exit code 1: the input was fine, the build was not."""

    exit_code = 1


class CheckFailed(SquasherError):
    """``--check`` found files that differ, or verify found unexpected differences."""

    exit_code = 1
