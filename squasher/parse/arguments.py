"""Per-instruction argument parsing: how the official parser turns the rest of a line into ``args``.

=====================================  ==================================================
RUN, CMD, ENTRYPOINT, SHELL            JSON array (exec form) or the whole text (one arg)
ADD, COPY, VOLUME                      JSON array or white-space separated words
FROM, EXPOSE                           white-space separated words
ENV, LABEL                             ``key value sep`` triples (``=`` or ``""`` legacy)
ARG                                    words, quotes kept (``name`` or ``name=value``)
HEALTHCHECK                            first word (``CMD``/``NONE``) then like CMD
MAINTAINER, STOPSIGNAL, USER, WORKDIR  the whole text (one arg)
ONBUILD                                no args; the nested instruction is ``sub``
anything else                          one empty arg (the builder rejects it later)
=====================================  ==================================================

Invalid JSON falls back to the non-JSON form; a JSON array holding anything but strings
(a nested array, a number) is an error.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

from squasher.parse.gocompat import go_isspace, go_quote, go_trim_left_space, ws_split


class ArgumentError(Exception):
    """The arguments cannot be parsed (the parser adds the location)."""


class _NotJSON(Exception):
    pass


ERR_NOT_STRING_ARRAY = "when using JSON array syntax, arrays must be comprised of strings only"

_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass
class ParsedArgs:
    args: list[str]
    json_form: bool = False


def _reject_constant(name: str) -> object:
    raise _NotJSON(name)


def _go_number(text: str) -> object:
    # Go decodes JSON numbers into float64; one out of range is a decoding error, not a non-string
    if math.isinf(float(text)):
        raise _NotJSON(text)
    return float(text)


def parse_json(rest: str) -> list[str]:
    """A JSON array of strings, as Go's decoder reads it; ``_NotJSON`` when not valid JSON."""
    rest = go_trim_left_space(rest)
    if not rest.startswith("["):
        raise _NotJSON("not a JSON array")
    try:
        value = json.loads(
            rest,
            parse_constant=_reject_constant,
            parse_float=_go_number,
            parse_int=_go_number,
        )
    except (ValueError, _NotJSON) as err:
        raise _NotJSON(str(err)) from None
    except RecursionError:
        raise ArgumentError(ERR_NOT_STRING_ARRAY) from None
    if not isinstance(value, list):
        raise _NotJSON("not a JSON array")
    out: list[str] = []
    for item in value:
        if not isinstance(item, str):
            raise ArgumentError(ERR_NOT_STRING_ARRAY)
        # Go's decoder turns invalid UTF-8 and lone surrogates into U+FFFD
        out.append(_SURROGATE.sub("\ufffd", item))
    return out


def maybe_json(rest: str) -> ParsedArgs:
    if rest == "":
        return ParsedArgs([])
    try:
        return ParsedArgs(parse_json(rest), True)
    except _NotJSON:
        return ParsedArgs([rest])


def maybe_json_to_list(rest: str) -> ParsedArgs:
    try:
        return ParsedArgs(parse_json(rest), True)
    except _NotJSON:
        return whitespace_delimited(rest)


def whitespace_delimited(rest: str) -> ParsedArgs:
    if rest == "":
        return ParsedArgs([])
    return ParsedArgs(ws_split(rest))


def whole_string(rest: str) -> ParsedArgs:
    return ParsedArgs([rest] if rest else [])


def parse_words(rest: str, escape: str) -> list[str]:
    """Split on white space, keeping quotes and escapes in the words (ENV/LABEL/ARG)."""
    words: list[str] = []
    in_word = False
    in_quote = False
    quote = ""
    blank_ok = False
    buf: list[str] = []
    n = len(rest)
    pos = 0
    while pos <= n:
        ch = rest[pos] if pos < n else ""
        if not in_word:
            if pos == n:
                break
            if go_isspace(ch):
                pos += 1
                continue
            in_word = True
        if pos == n:
            if blank_ok or buf:
                words.append("".join(buf))
            break
        if not in_quote:
            if go_isspace(ch):
                in_word = False
                if blank_ok or buf:
                    words.append("".join(buf))
                buf = []
                blank_ok = False
                pos += 1
                continue
            if ch in ("'", '"'):
                quote = ch
                blank_ok = True
                in_quote = True
            if ch == escape:
                if pos + 1 == n:
                    pos += 1
                    continue
                buf.append(ch)
                pos += 1
                ch = rest[pos]
            buf.append(ch)
            pos += 1
            continue
        if ch == quote:
            in_quote = False
        if ch == escape and quote != "'":
            if pos + 1 == n:
                in_quote = False
                pos += 1
                continue
            pos += 1
            buf.append(ch)
            ch = rest[pos]
        buf.append(ch)
        pos += 1
    return words


def name_val(rest: str, keyword: str, escape: str) -> ParsedArgs:
    """ENV and LABEL: ``k=v ...`` pairs or the legacy ``k v w`` form, as ``[k, v, sep, ...]``."""
    words = parse_words(rest, escape)
    if not words:
        return ParsedArgs([])
    if "=" not in words[0]:
        parts = ws_split(rest, 2)
        if len(parts) < 2:
            raise ArgumentError(f"{keyword} must have two arguments")
        return ParsedArgs([parts[0], parts[1], ""])
    out: list[str] = []
    for word in words:
        if "=" not in word:
            raise ArgumentError(
                f"Syntax error - can't find = in {go_quote(word)}. Must be of the form: name=value"
            )
        key, _, value = word.partition("=")
        out += [key, value, "="]
    return ParsedArgs(out)


def name_or_name_val(rest: str, escape: str) -> ParsedArgs:
    return ParsedArgs(parse_words(rest, escape))


def health_config(rest: str) -> ParsedArgs:
    """HEALTHCHECK: the type word, then the command like CMD (byte-wise, as the official parser)."""
    data = rest.encode("utf-8", "surrogateescape")
    sep = 0
    while sep < len(data) and not go_isspace(chr(data[sep])):
        sep += 1
    nxt = sep
    while nxt < len(data) and go_isspace(chr(data[nxt])):
        nxt += 1
    if sep == 0:
        return ParsedArgs([])
    typ = data[:sep].decode("utf-8", "surrogateescape")
    cmd = maybe_json(data[nxt:].decode("utf-8", "surrogateescape"))
    return ParsedArgs([typ, *cmd.args], cmd.json_form)


def parse_args(keyword: str, rest: str, escape: str) -> ParsedArgs:
    """Arguments of a (non-ONBUILD) instruction; ``keyword`` lower-case."""
    if keyword in ("run", "cmd", "entrypoint", "shell"):
        return maybe_json(rest)
    if keyword in ("add", "copy", "volume"):
        return maybe_json_to_list(rest)
    if keyword in ("from", "expose"):
        return whitespace_delimited(rest)
    if keyword == "env":
        return name_val(rest, "ENV", escape)
    if keyword == "label":
        return name_val(rest, "LABEL", escape)
    if keyword == "arg":
        return name_or_name_val(rest, escape)
    if keyword == "healthcheck":
        return health_config(rest)
    if keyword in ("maintainer", "stopsignal", "user", "workdir"):
        return whole_string(rest)
    return ParsedArgs([""])


KNOWN_KEYWORDS = frozenset(
    {
        "add",
        "arg",
        "cmd",
        "copy",
        "entrypoint",
        "env",
        "expose",
        "from",
        "healthcheck",
        "label",
        "maintainer",
        "onbuild",
        "run",
        "shell",
        "stopsignal",
        "user",
        "volume",
        "workdir",
    }
)
