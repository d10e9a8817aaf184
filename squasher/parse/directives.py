"""Parser directives (``# escape=``, ``# syntax=``, ``# check=``) as the official parser reads them.

A directive is a comment ``# name=value`` (name case-insensitive, spaces around ``=`` allowed) on
one of the first lines of the file, before any other comment, blank line or instruction. The
first line that is not a directive ends the directive section for good. A directive given twice is
an error; an unknown name just ends the section (the line is then an ordinary comment).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from squasher.parse.gocompat import go_trim_left_space

KNOWN = frozenset({"syntax", "escape", "check"})

# Go's \s is [\t\n\f\r ]
_DIRECTIVE = re.compile(r"([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*\Z")


class DirectiveError(Exception):
    """A repeated or invalid directive (the parser adds the location)."""


@dataclass
class DirectiveReader:
    """Feeds lines one by one; remembers whether the directive section is over."""

    done: bool = False
    values: dict[str, str] = field(default_factory=dict)

    def feed(self, line: str) -> tuple[str, str] | None:
        """Look at one line (newline removed); return ``(name, value)`` if it is a directive."""
        if self.done:
            return None
        if not line.startswith("#"):
            self.done = True
            return None
        m = _DIRECTIVE.match(go_trim_left_space(line[1:]))
        if m is None:
            self.done = True
            return None
        name = m.group(1).lower()
        if name not in KNOWN:
            self.done = True
            return None
        if name in self.values:
            raise DirectiveError(f"only one {name} parser directive can be used")
        value = m.group(2)
        self.values[name] = value
        return name, value


def check_escape(value: str) -> str:
    """The escape character a ``# escape=`` value selects; only backslash and backtick are allowed."""
    if value not in ("`", "\\"):
        raise DirectiveError(f"invalid escape token '{value}' does not match ` or \\")
    return value
