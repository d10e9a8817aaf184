"""Small re-implementations of the Go standard-library behaviour the official parser relies on.

The official Dockerfile parser is written in Go; a few of its outcomes depend on Go's exact
definitions rather than Python's (what counts as white space, how ``strconv.Quote`` escapes, how
``strings.TrimSpace`` trims). These helpers reproduce those definitions so our parser agrees
with it byte for byte.

Text that was not valid UTF-8 is carried through the parser as ``surrogateescape`` code points
(U+DC80..U+DCFF); ``go_quote`` prints them as ``\\xHH`` exactly as Go prints the raw byte.
"""

from __future__ import annotations

import re
import unicodedata

# unicode.IsSpace: the Latin-1 spaces plus the Unicode White_Space property.
_GO_SPACES = frozenset(
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)

# regexp `[\t\v\f\r ]+` (the parser's reWhitespace)
RE_WHITESPACE = re.compile(r"[\t\v\f\r ]+")


def go_isspace(ch: str) -> bool:
    """``unicode.IsSpace`` for one character."""
    return ch in _GO_SPACES


def go_trim_space(text: str) -> str:
    """``strings.TrimSpace``: strip leading and trailing ``unicode.IsSpace`` characters."""
    start = 0
    end = len(text)
    while start < end and text[start] in _GO_SPACES:
        start += 1
    while end > start and text[end - 1] in _GO_SPACES:
        end -= 1
    return text[start:end]


def go_trim_left_space(text: str) -> str:
    """``strings.TrimLeftFunc(s, unicode.IsSpace)``."""
    start = 0
    while start < len(text) and text[start] in _GO_SPACES:
        start += 1
    return text[start:]


def ws_split(text: str, limit: int = -1) -> list[str]:
    """``reWhitespace.Split(text, limit)`` with Go's semantics (limit -1 = all, n = at most n parts)."""
    if limit == 0:
        return []
    if text == "":
        # Go's regexp.Split on "" returns [""]
        return [""]
    parts: list[str] = []
    start = 0
    for m in RE_WHITESPACE.finditer(text):
        if limit > 0 and len(parts) == limit - 1:
            break
        parts.append(text[start : m.start()])
        start = m.end()
    parts.append(text[start:])
    return parts


def _is_print(ch: str) -> bool:
    """``strconv.IsPrint``: letters, marks, numbers, punctuation, symbols and ASCII space."""
    if ch == " ":
        return True
    return unicodedata.category(ch)[0] in "LMNPS"


_SIMPLE_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
    "\\": "\\\\",
    '"': '\\"',
}


def go_quote(text: str) -> str:
    """``strconv.Quote``: a double-quoted Go string literal for ``text``."""
    out = ['"']
    for ch in text:
        code = ord(ch)
        esc = _SIMPLE_ESCAPES.get(ch)
        if esc is not None:
            out.append(esc)
        elif 0xDC80 <= code <= 0xDCFF:  # a raw byte that was not valid UTF-8
            out.append(f"\\x{code - 0xDC00:02x}")
        elif code < 0x80:
            out.append(ch if 0x20 <= code < 0x7F else f"\\x{code:02x}")
        elif _is_print(ch):
            out.append(ch)
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


def go_quote_list(items: list[str]) -> str:
    """``fmt.Sprintf("%q", items)`` for a ``[]string``: ``["a" "b"]``."""
    return "[" + " ".join(go_quote(i) for i in items) + "]"
