"""Recognising here-documents (``<<EOF``) on RUN, COPY and ADD lines, as the official parser does.

The line is split into words with the builder's lexer (quotes and escapes kept, unset variables
kept as written); every word of the form ``[fd]<<[-][ ]WORD`` is a heredoc, read in order.
``WORD`` is lexed once more: quotes anywhere in it (``<<'EOF'``, ``<<E"O"F``) mean the body is
not expanded. ``<<-`` strips leading tabs from the body lines and from the terminator line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from squasher.parse.words import WordSyntaxError, process_words

# Go: ^(\d*)<<(-?)\s*([^<]*)$   (\d is ASCII, \s is [\t\n\f\r ])
_HEREDOC = re.compile(r"([0-9]*)<<(-?)[\t\n\f\r ]*([^<]*)\Z", re.S)
_LEADING_TABS = re.compile(r"^\t+", re.M)


class HeredocError(Exception):
    """A malformed heredoc word (the parser adds the location)."""


@dataclass(frozen=True)
class HeredocStart:
    name: str
    expand: bool
    chomp: bool
    fd: int | None


def parse_heredoc_word(word: str) -> HeredocStart | None:
    """The heredoc a single word opens, or None when the word is not one."""
    m = _HEREDOC.match(word)
    if m is None:
        return None
    fd_text, dash, rest = m.groups()
    if rest == "":
        return None
    try:
        words = process_words(rest, {}, "\\", skip_unset=True)
        if len(words) != 1:
            return None
        raw_words = process_words(rest, {}, "\\", skip_unset=True, raw_quotes=True)
    except WordSyntaxError as err:
        raise HeredocError(err.message) from None
    if len(raw_words) != len(words):
        raise HeredocError(f"internal lexing of heredoc produced inconsistent results: {rest}")
    name = words[0]
    raw = raw_words[0]
    expand = name.count("'") + name.count('"') == raw.count("'") + raw.count('"')
    fd = int(fd_text) if fd_text else None
    return HeredocStart(name=name, expand=expand, chomp=dash == "-", fd=fd)


def heredocs_in_line(line: str) -> list[HeredocStart]:
    """Every heredoc a logical instruction line opens, in order."""
    try:
        words = process_words(line, {}, "\\", raw_quotes=True, raw_escapes=True, skip_unset=True)
    except WordSyntaxError:
        return []
    found = []
    for word in words:
        doc = parse_heredoc_word(word)
        if doc is not None:
            found.append(doc)
    return found


def chomp(body: str) -> str:
    """Strip the leading tabs of every line (``<<-``)."""
    return _LEADING_TABS.sub("", body)
