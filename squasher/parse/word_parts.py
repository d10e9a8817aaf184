"""The parts a word of a Dockerfile is made of (literal text, variable references) and the
errors of lexing and expanding one; shared by the lexer (:mod:`squasher.parse.words`) and the
evaluation of substitutions (:mod:`squasher.parse.substitution`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from squasher.errors import DockerfileSyntaxError


class WordSyntaxError(DockerfileSyntaxError):
    """A word the builder refuses to expand; callers set ``path``/``line``."""


@dataclass(frozen=True)
class Lit:
    """Literal text (quotes already removed, escapes processed)."""

    text: str


@dataclass(frozen=True)
class Var:
    """A variable reference: ``$name``, ``${name}`` or ``${name<op><word>}``."""

    name: str
    op: str = ""
    word: tuple[Part, ...] = ()
    replacement: tuple[Part, ...] = ()  # only for "/" and "//"
    braced: bool = field(default=False, compare=False)  # written as ${...}


Part = Lit | Var

VALID_OPS = frozenset({"", ":-", "-", ":+", "+", ":?", "?", "#", "##", "%", "%%", "/", "//"})


class WordFailure(Exception):
    """A lexing or expansion error with the builder's message; the public functions turn it
    into a ``WordSyntaxError`` that quotes the word."""


def is_name_char(ch: str) -> bool:
    return ch == "_" or ch.isalpha() or ch.isdecimal()
