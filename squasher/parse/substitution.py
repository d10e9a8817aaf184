"""Evaluating a word's parts with an environment, as the builder does: plain ``$name``, the
``:-`` ``:+`` ``:?`` defaults and errors, and the patterns of ``#`` ``%`` (prefix/suffix
removal) and ``/`` ``//`` (replacement), whose ``*`` and ``?`` become regular expressions."""

from __future__ import annotations

import re
from collections.abc import Mapping

from squasher.parse.word_parts import VALID_OPS, Lit, Part, WordFailure, is_name_char


def _pattern_regex(pattern: str, greedy: bool, anchored: bool) -> re.Pattern[str]:
    out = "^" if anchored else ""
    star = ".*" if greedy else ".*?"
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        i += 1
        if ch == "*":
            out += star
        elif ch == "?":
            out += "."
        elif ch == "\\":
            nxt = pattern[i] if i < len(pattern) else ""
            if nxt in ("}", "/"):
                continue
            i += 1
            if nxt not in ("*", "?", "\\"):
                raise WordFailure(
                    f"invalid pattern ({pattern}) in substitution: invalid escape '\\{nxt}'"
                )
            out += re.escape(nxt)
        else:
            out += re.escape(ch)
    return re.compile(out)


def _reverse_pattern(pattern: str) -> str:
    out = [""] * len(pattern)
    last = len(pattern) - 1
    i = 0
    while i <= last:
        ch = pattern[i]
        j = last - i
        if ch == "\\" and i != last:
            out[j - 1] = ch
            out[j] = pattern[i + 1]
            i += 2
        else:
            out[j] = ch
            i += 1
    return "".join(out)


def _trim_prefix(pattern: str, value: str, greedy: bool) -> str:
    m = _pattern_regex(pattern, greedy, True).search(value)
    return value[m.end() :] if m else value


def _go_expand_template(template: str, match: re.Match[str]) -> str:
    """Go's ``Regexp.Expand`` for a pattern without groups: ``$$``, ``$0``/``${0}``, others empty."""
    out = []
    i = 0
    while i < len(template):
        ch = template[i]
        if ch != "$":
            out.append(ch)
            i += 1
            continue
        i += 1
        if i < len(template) and template[i] == "$":
            out.append("$")
            i += 1
            continue
        brace = i < len(template) and template[i] == "{"
        j = i + 1 if brace else i
        k = j
        while k < len(template) and is_name_char(template[k]):
            k += 1
        name = template[j:k]
        if not name or (brace and (k >= len(template) or template[k] != "}")):
            out.append("$")
            continue
        i = k + 1 if brace else k
        if name.isdecimal() and name.isascii() and int(name) == 0:
            out.append(match.group(0))
    return "".join(out)


def eval_parts(parts: tuple[Part, ...], env: Mapping[str, str], skip_unset: bool) -> str:
    return "".join(eval_part(p, env, skip_unset) for p in parts)


def eval_part(part: Part, env: Mapping[str, str], skip_unset: bool) -> str:
    if isinstance(part, Lit):
        return part.text
    name = part.name
    is_set = name in env
    value = env.get(name, "")
    if part.op == "":
        if not is_set and skip_unset:
            return f"${{{name}}}" if part.braced else f"${name}"
        return value
    word = eval_parts(part.word, env, skip_unset)
    op = part.op
    if op in ("/", "//"):
        repl = eval_parts(part.replacement, env, skip_unset)
        if not is_set and skip_unset:
            return f"${{{name}/{word}/{repl}}}"
        rx = _pattern_regex(word, True, False)
        if op == "//":
            return rx.sub(lambda m: _go_expand_template(repl, m), value)
        m = rx.search(value)
        return value[: m.start()] + repl + value[m.end() :] if m else value
    if not is_set and skip_unset:
        return f"${{{name}{op}{word}}}"
    null_is_unset = op.startswith(":")
    kind = op[-1] if null_is_unset else op[0]
    if op not in VALID_OPS:
        raise WordFailure(f"unsupported modifier ({op}) in substitution")
    if kind == "-":
        return word if (not is_set or (null_is_unset and value == "")) else value
    if kind == "+":
        return "" if (not is_set or (null_is_unset and value == "")) else word
    if kind == "?":
        if not is_set:
            raise WordFailure(f"{name}: {word or 'is not allowed to be unset'}")
        if null_is_unset and value == "":
            raise WordFailure(f"{name}: {word or 'is not allowed to be empty'}")
        return value
    greedy = len(op) == 2
    if not greedy and word.startswith(kind):
        greedy = True
        word = word[1:]
    if kind == "#":
        return _trim_prefix(word, value, greedy)
    return _trim_prefix(_reverse_pattern(word), value[::-1], greedy)[::-1]
