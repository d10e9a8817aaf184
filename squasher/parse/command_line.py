"""Splitting one logical instruction line into keyword, builder flags and the rest.

Mirrors the official parser: the keyword is the first word (ASCII white space separates it), then
leading words that start with ``--`` are builder flags (quotes removed, the escape character
escapes, ``--`` alone ends the flags), then the rest of the line.

The official flag scanner works on bytes, not characters: a non-ASCII byte is taken as the
character U+0080..U+00FF of the same number, and the bytes 0x85 and 0xA0 count as white space.
We do the same on the UTF-8 bytes so flags agree byte for byte (``--label=é`` comes out as the
builder sees it, ``--label=Ã©``); ``Flag.raw`` keeps the text exactly as written.
"""

from __future__ import annotations

from squasher.parse.gocompat import go_isspace, go_trim_space, ws_split
from squasher.parse.model import Flag


def _decode(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def _byte_isspace(b: int) -> bool:
    return go_isspace(chr(b))


def extract_flags(line: str, escape: str) -> tuple[str, list[Flag]]:
    """Leading ``--flags`` of ``line``; returns the remaining text and the flags."""
    data = line.encode("utf-8", "surrogateescape")
    esc = ord(escape)
    flags: list[Flag] = []
    word = bytearray()
    blank_ok = False
    in_quote = False
    quote = 0
    start = 0
    in_word = False
    pos = 0
    n = len(data)

    def finish(end: int) -> None:
        text = word.decode("latin-1")
        raw = _decode(data[start:end])
        body = text[2:] if text.startswith("--") else text
        name, eq, value = body.partition("=")
        flags.append(Flag(name=name, value=value if eq else None, raw=raw))

    while pos <= n:
        ch = data[pos] if pos < n else -1
        if not in_word:
            if pos == n:
                break
            if _byte_isspace(ch):
                pos += 1
                continue
            if ch != ord("-") or pos + 1 == n or data[pos + 1] != ord("-"):
                return _decode(data[pos:]), flags
            in_word = True
            start = pos
        if pos == n:
            text = word.decode("latin-1")
            if text != "--" and (blank_ok or text):
                finish(n)
            break
        if not in_quote:
            if _byte_isspace(ch):
                text = word.decode("latin-1")
                in_word = False
                if text == "--":
                    return _decode(data[pos:]), flags
                if blank_ok or text:
                    finish(pos)
                word.clear()
                blank_ok = False
                pos += 1
                continue
            if ch in (0x27, 0x22):
                quote = ch
                blank_ok = True
                in_quote = True
                pos += 1
                continue
            if ch == esc:
                if pos + 1 == n:
                    pos += 1
                    continue
                pos += 1
                ch = data[pos]
            word.append(ch)
            pos += 1
            continue
        # in a quote
        if ch == quote:
            in_quote = False
            pos += 1
            continue
        if ch == esc:
            if pos + 1 == n:
                in_quote = False
                pos += 1
                continue
            pos += 1
            ch = data[pos]
        word.append(ch)
        pos += 1
    return "", flags


def split_command(line: str, escape: str) -> tuple[str, list[Flag], str]:
    """``(keyword as written, flags, rest)`` of one logical line."""
    parts = ws_split(go_trim_space(line), 2)
    cmd = parts[0]
    flags: list[Flag] = []
    rest = ""
    if len(parts) == 2:
        rest, flags = extract_flags(parts[1], escape)
    return cmd, flags, go_trim_space(rest)


def flag_text(flag: Flag) -> str:
    """The flag as the official parser's AST holds it (quotes removed): ``--from=build``."""
    return "--" + flag.name + ("" if flag.value is None else "=" + flag.value)
