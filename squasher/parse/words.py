"""The builder's word lexer and expander (the Dockerfile rules, not the shell's).

This is how the builder turns an instruction argument such as ``"$HOME/bin":${PATH}`` into a
value: quotes are removed (``'...'`` is literal, ``"..."`` still expands ``$``), the escape
character (``\\`` or the file's ``# escape=`` character) escapes the next character, and
``$name``, ``${name}`` and the modifiers below are replaced from the build environment.
``$(`` is NOT command substitution: it stays literal (``$`` followed by no name is just ``$``).

Supported substitutions (as the official builder):

==================  =====================================================
``${v:-w}``/``${v-w}``   ``w`` when ``v`` is unset or empty / unset
``${v:+w}``/``${v+w}``   ``w`` when ``v`` is set and non-empty / set
``${v:?w}``/``${v?w}``   error (message ``w``) when unset or empty / unset
``${v#p}``/``${v##p}``   remove the shortest / longest prefix matching ``p``
``${v%p}``/``${v%%p}``   remove the shortest / longest suffix matching ``p``
``${v/p/r}``/``${v//p/r}`` replace the first / every match of ``p`` by ``r``
==================  =====================================================

The 20.10 engine's builders (classic and its built-in BuildKit frontend) know only ``:-``,
``:+`` and ``:?``; they refuse the others with "missing ':' in substitution" (checked on the
real engine).

Patterns know ``*`` and ``?`` (no bracket expressions). Positional (``$1``) and special
(``$@ $* $# $? $- $$ $! $0``) parameters are never set.

Public API
----------
``expand_word(word, env, escape="\\\\") -> str``
    One word, no splitting (how ENV/LABEL values, WORKDIR, USER... are processed).
``expand_words(word, env, escape="\\\\") -> list[str]``
    Expand, then split on unquoted white space (the builder does this only for EXPOSE).
``lex_word(word, escape="\\\\") -> list[Part]``
    The *template* of a word: ``Lit(text)`` and ``Var(name, op, word)`` parts with quotes
    removed and escapes processed, so a value that refers to a variable unknown at rewrite time
    (``PATH`` of the base image) can be rendered as shell code evaluated at build time.
    ``Var.op`` is one of ``""`` (plain), ``":-" "-" ":+" "+" ":?" "?" "#" "##" "%" "%%" "/" "//"``;
    ``Var.word`` holds the nested word (the pattern for ``/`` and ``//``, whose replacement is in
    ``Var.replacement``). For ``#``/``%`` the nested word keeps its escapes (pattern syntax).
    Note: ``#``/``%`` whose word only *expands* to something starting with ``#``/``%`` are
    greedy at evaluation time, as in the builder; ``evaluate`` handles that.
``evaluate(parts, env) -> str``
    Evaluate a template with an environment (``expand_word`` == ``evaluate(lex_word(...))``).
``env_pairs(inst) -> list[tuple[str, str]]``
    The raw (unexpanded, quotes kept) key/value pairs of an ENV or LABEL instruction. The
    builder expands keys as well as values, each with ``expand_word`` against the environment
    as it was BEFORE the instruction (``ENV a=1 b=$a`` gives b the old a).
``arg_pairs(inst) -> list[tuple[str, str | None]]``
    The raw name/default pairs of an ARG instruction (``None``: no default).

Errors are ``WordSyntaxError`` (a ``DockerfileSyntaxError`` without location: callers add
``path``/``line``), with the builder's message, e.g. ``failed to process "${}": syntax error:
bad substitution``.

The parts and errors live in :mod:`squasher.parse.word_parts`, the evaluation of each part
(modifiers, patterns) in :mod:`squasher.parse.substitution`; this module lexes and splits.

Quirk kept on purpose: like the builder, ``expand_words`` drops the part of a word that precedes
a ``${v<modifier>...}`` in the same word (``a${x:-b}`` splits to ``["b"]``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from squasher.parse.gocompat import go_isspace, go_quote
from squasher.parse.substitution import eval_part, eval_parts
from squasher.parse.word_parts import (
    VALID_OPS,
    Lit,
    Part,
    Var,
    WordFailure,
    WordSyntaxError,
    is_name_char,
)

if TYPE_CHECKING:
    from squasher.parse.model import Instruction

__all__ = [
    "VALID_OPS",
    "Lit",
    "Part",
    "Var",
    "WordSyntaxError",
    "arg_pairs",
    "env_pairs",
    "evaluate",
    "expand_word",
    "expand_words",
    "lex_word",
    "process_words",
]


_SPECIAL_PARAMS = frozenset("@*#?-$!0")


@dataclass
class _Piece:
    """One top-level piece of a word: how it joins the words being split."""

    part: Part
    split: bool  # unquoted: white space in its value separates words
    clobber: bool = False  # the builder's shared word buffer is reset before this piece


class _Lexer:
    """Reads one word into pieces, with the builder's options (raw quotes/escapes, lenient ops)."""

    def __init__(
        self,
        text: str,
        escape: str,
        *,
        raw_quotes: bool = False,
        raw_escapes: bool = False,
        lenient: bool = False,
    ) -> None:
        if text.startswith("\ufeff"):  # Go's text/scanner skips a leading BOM
            text = text[1:]
        # Go's scanner reads invalid UTF-8 as U+FFFD
        self.s = re.sub("[\udc80-\udcff]", "\ufffd", text)
        self.i = 0
        self.escape = escape
        self.raw_quotes = raw_quotes
        self.raw_escapes = raw_escapes
        self.lenient = lenient

    def peek(self) -> str:
        return self.s[self.i] if self.i < len(self.s) else ""

    def next(self) -> str:
        if self.i < len(self.s):
            ch = self.s[self.i]
            self.i += 1
            return ch
        return ""

    def stop_on(self, stop: str, raw_escapes: bool) -> list[_Piece]:
        saved = self.raw_escapes
        self.raw_escapes = raw_escapes
        try:
            return self._stop_on(stop)
        finally:
            self.raw_escapes = saved

    def _stop_on(self, stop: str) -> list[_Piece]:
        pieces: list[_Piece] = []
        while True:
            ch = self.peek()
            if ch == "":
                break
            if stop and ch == stop:
                self.next()
                return pieces
            if ch == "$":
                part, clobber = self.dollar()
                pieces.append(_Piece(part, True, clobber))
            elif ch == "<":
                self.next()
                if self.peek() != "<":
                    pieces.append(_Piece(Lit("<"), False))
                else:
                    self.next()
                    text = "<<"
                    while self.peek() in ("\t", "\r", " "):
                        text += self.next()
                    pieces.append(_Piece(Lit(text), False))
            elif ch == "'":
                pieces.append(_Piece(Lit(self.single_quote()), False))
            elif ch == '"':
                pieces.extend(self.double_quote())
            else:
                ch = self.next()
                if ch == self.escape:
                    if self.raw_escapes:
                        pieces.append(_Piece(Lit(ch), False))
                    ch = self.next()
                    if ch == "":
                        break
                    pieces.append(_Piece(Lit(ch), False))
                else:
                    pieces.append(_Piece(Lit(ch), True))
        if stop:
            raise WordFailure(f"unexpected end of statement while looking for matching {stop}")
        return pieces

    def single_quote(self) -> str:
        quote = self.next()
        out = [quote] if self.raw_quotes else []
        while True:
            ch = self.next()
            if ch == "":
                raise WordFailure(
                    "unexpected end of statement while looking for matching single-quote"
                )
            if ch == "'":
                if self.raw_quotes:
                    out.append(ch)
                return "".join(out)
            out.append(ch)

    def double_quote(self) -> list[_Piece]:
        pieces: list[_Piece] = []
        quote = self.next()
        if self.raw_quotes:
            pieces.append(_Piece(Lit(quote), False))
        clobber = False
        while True:
            ch = self.peek()
            if ch == "":
                raise WordFailure(
                    "unexpected end of statement while looking for matching double-quote"
                )
            if ch == '"':
                self.next()
                if self.raw_quotes:
                    pieces.append(_Piece(Lit(ch), False))
                break
            if ch == "$":
                part, nested = self.dollar()
                clobber = clobber or nested
                pieces.append(_Piece(part, False))
                continue
            ch = self.next()
            if ch == self.escape:
                if self.raw_escapes:
                    pieces.append(_Piece(Lit(ch), False))
                nxt = self.peek()
                if nxt == "":
                    continue
                if nxt in ('"', "$", self.escape):
                    ch = self.next()
            pieces.append(_Piece(Lit(ch), False))
        if pieces and clobber:
            pieces[0].clobber = True
        return pieces

    def name(self) -> str:
        ch = self.peek()
        if ch == "":
            return ""
        if ch.isdecimal():
            out = ""
            while self.peek() != "" and self.peek().isdecimal():
                out += self.next()
            return out
        if ch in _SPECIAL_PARAMS:
            return self.next()
        out = ""
        while self.peek() != "" and is_name_char(self.peek()):
            out += self.next()
        return out

    def nested(self, stop: str, raw_escapes: bool, missing: str) -> tuple[Part, ...]:
        try:
            pieces = self.stop_on(stop, raw_escapes)
        except WordFailure:
            if self.peek() == "":
                raise WordFailure(missing) from None
            raise
        return _merge(p.part for p in pieces)

    def dollar(self) -> tuple[Part, bool]:
        """Lex a ``$...``; returns the part and whether a nested word was read."""
        self.next()  # the $
        if self.peek() != "{":
            name = self.name()
            if name == "":
                return Lit("$"), False
            return Var(name), False
        self.next()  # the {
        ch = self.peek()
        if ch == "":
            raise WordFailure("syntax error: missing '}'")
        if ch in "{}:":
            raise WordFailure("syntax error: bad substitution")
        name = self.name()
        ch = self.next()
        if ch == "}":
            return Var(name, braced=True), False
        chs = ch if ch else "\ufffd"
        null_is_unset = False
        if ch == ":":
            null_is_unset = True
            ch = self.next()
            chs += ch if ch else "\ufffd"
        if null_is_unset or ch in ("+", "-", "?", "#", "%"):
            raw = ch in ("#", "%")
            if null_is_unset and raw:
                raise WordFailure(f"unsupported modifier ({chs}) in substitution")
            word = self.nested("}", raw, "syntax error: missing '}'")
            op = chs
            if op not in VALID_OPS:
                if not self.lenient:
                    raise WordFailure(f"unsupported modifier ({chs}) in substitution")
            elif (
                op in ("#", "%")
                and word
                and isinstance(word[0], Lit)
                and word[0].text.startswith(op)
            ):
                op += op
                rest = word[0].text[1:]
                word = ((Lit(rest),) if rest else ()) + word[1:]
            return Var(name, op, word, braced=True), True
        if ch == "/":
            op = "/"
            if self.peek() == "/":
                self.next()
                op = "//"
            pattern = self.nested("/", True, "syntax error: missing '/' in ${}")
            repl = self.nested("}", True, "syntax error: missing '}'")
            return Var(name, op, pattern, repl, braced=True), True
        raise WordFailure(f"unsupported modifier ({chs}) in substitution")


def _merge(parts: Iterable[Part]) -> tuple[Part, ...]:
    """Adjacent literals joined, empty ones dropped."""
    out: list[Part] = []
    for p in parts:
        if isinstance(p, Lit):
            if not p.text:
                continue
            if out and isinstance(out[-1], Lit):
                out[-1] = Lit(out[-1].text + p.text)
                continue
        out.append(p)
    return tuple(out)


def _lex(word: str, escape: str, **opts: bool) -> list[_Piece]:
    try:
        return _Lexer(word, escape, **opts).stop_on("", bool(opts.get("raw_escapes", False)))
    except WordFailure as err:
        raise WordSyntaxError(f"failed to process {go_quote(word)}: {err}") from None


def _split(pieces: list[_Piece], env: Mapping[str, str], skip_unset: bool) -> list[str]:
    words: list[str] = []
    buf = ""
    for piece in pieces:
        if piece.clobber:
            buf = ""
        value = eval_part(piece.part, env, skip_unset)
        if not piece.split:
            buf += value
            continue
        for ch in value:
            if go_isspace(ch):
                if buf:
                    words.append(buf)
                    buf = ""
            else:
                buf += ch
    if buf:
        words.append(buf)
    return words


def process_words(
    word: str,
    env: Mapping[str, str],
    escape: str = "\\",
    *,
    raw_quotes: bool = False,
    raw_escapes: bool = False,
    skip_unset: bool = False,
) -> list[str]:
    """The builder's ``ProcessWords`` with all its options (the parser's heredoc detection needs them)."""
    pieces = _lex(word, escape, raw_quotes=raw_quotes, raw_escapes=raw_escapes, lenient=skip_unset)
    try:
        return _split(pieces, env, skip_unset)
    except WordFailure as err:
        raise WordSyntaxError(f"failed to process {go_quote(word)}: {err}") from None


def expand_word(word: str, env: Mapping[str, str], escape: str = "\\") -> str:
    """Expand one word the way the builder does for ENV values, WORKDIR, USER, ... (no splitting)."""
    pieces = _lex(word, escape)
    try:
        return "".join(eval_part(p.part, env, False) for p in pieces)
    except WordFailure as err:
        raise WordSyntaxError(f"failed to process {go_quote(word)}: {err}") from None


def expand_words(word: str, env: Mapping[str, str], escape: str = "\\") -> list[str]:
    """Expand, then split into words on unquoted white space (the builder's ``ProcessWords``)."""
    return process_words(word, env, escape)


def lex_word(word: str, escape: str = "\\") -> list[Part]:
    """The template of ``word``: literal and variable parts, quotes removed, escapes processed."""
    return list(_merge(p.part for p in _lex(word, escape)))


def evaluate(parts: list[Part] | tuple[Part, ...], env: Mapping[str, str]) -> str:
    """Evaluate a template from ``lex_word`` with ``env``; raises ``WordSyntaxError`` like the builder."""
    try:
        return eval_parts(tuple(parts), env, False)
    except WordFailure as err:
        raise WordSyntaxError(str(err)) from None


def env_pairs(inst: Instruction) -> list[tuple[str, str]]:
    """Raw ``(key, value)`` pairs of an ENV or LABEL instruction (values unexpanded, quotes kept)."""
    if inst.keyword not in ("ENV", "LABEL"):
        raise ValueError(f"env_pairs: {inst.keyword} is not ENV or LABEL")
    a = inst.args
    return [(a[i], a[i + 1]) for i in range(0, len(a) - 2, 3)]


def arg_pairs(inst: Instruction) -> list[tuple[str, str | None]]:
    """Raw ``(name, default)`` pairs of an ARG instruction; default None when not given."""
    if inst.keyword != "ARG":
        raise ValueError(f"arg_pairs: {inst.keyword} is not ARG")
    out: list[tuple[str, str | None]] = []
    for word in inst.args:
        name, eq, value = word.partition("=")
        out.append((name, value if eq else None))
    return out
