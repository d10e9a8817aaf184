"""The Dockerfile's own word on the purge: ``# squasher: keep PKG...`` and
``# squasher: purge PKG...`` comments."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from squasher.errors import SquasherError

Verb = Literal["keep", "purge"]


@dataclass(frozen=True)
class Directive:
    """A ``# squasher: keep PKG...`` / ``# squasher: purge PKG...`` comment."""

    verb: Verb
    packages: tuple[str, ...]
    path: str
    line: int

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


_DIRECTIVE = re.compile(r"^\s*#\s*squasher\s*:\s*(?P<verb>\S*)(?P<rest>.*)$", re.IGNORECASE)


def parse_directives(source: str, path: str = "Dockerfile") -> list[Directive]:
    """The ``# squasher: keep|purge PKG...`` comment lines of a Dockerfile, in order.

    Packages are separated by spaces or commas. Another verb, or no package, is an error at that
    line. Comments that do not start with ``squasher:`` are not directives.
    """
    found: list[Directive] = []
    for number, line in enumerate(source.splitlines(), start=1):
        m = _DIRECTIVE.match(line)
        if m is None:
            continue
        verb = m.group("verb").lower()
        packages = tuple(p for p in re.split(r"[\s,]+", m.group("rest")) if p)
        if verb not in ("keep", "purge"):
            raise SquasherError(
                f"unknown squasher directive {m.group('verb')!r}: "
                "write '# squasher: keep PKG...' or '# squasher: purge PKG...'",
                path,
                number,
            )
        if not packages:
            raise SquasherError(f"'# squasher: {verb}' names no package", path, number)
        found.append(Directive(verb, packages, path, number))  # type: ignore[arg-type]
    return found
