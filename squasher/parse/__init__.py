"""Dockerfile parsing that agrees with the official (moby/buildkit) parser.

``parse_text(text, path="Dockerfile")`` and ``parse_file(path)`` return a ``model.Dockerfile``;
bad input raises ``squasher.errors.DockerfileSyntaxError`` (``path:line: message``).
``squasher.parse.words`` has the builder's word expander, ``squasher.parse.dump`` the printers.
"""

from __future__ import annotations

import os

from squasher.parse.model import Dockerfile, Flag, Heredoc, Instruction, Stage
from squasher.parse.parser import parse_text

__all__ = [
    "Dockerfile",
    "Flag",
    "Heredoc",
    "Instruction",
    "Stage",
    "parse_file",
    "parse_text",
]


def parse_file(path: str | os.PathLike[str]) -> Dockerfile:
    """Read and parse a Dockerfile; invalid UTF-8 bytes are kept (as the official parser does)."""
    with open(path, "rb") as fh:
        data = fh.read()
    return parse_text(data.decode("utf-8", "surrogateescape"), os.fspath(path))
