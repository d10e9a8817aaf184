"""A command's arguments split into options and operands, the way GNU-style tools read them."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from squasher.shell.word import Word


@dataclass(frozen=True)
class Option:
    """One option as given: ``name`` with dashes (``-o``, ``--purge``), ``value`` if it takes one."""

    name: str
    value: str | None = None
    literal: bool = True


@dataclass(frozen=True)
class ParsedArgs:
    """Options and operands of a command's arguments (GNU style: options may follow operands)."""

    options: tuple[Option, ...] = ()
    operands: tuple[Word, ...] = ()

    def has(self, *names: str) -> bool:
        return any(o.name in names for o in self.options)

    def values(self, *names: str) -> list[str]:
        return [o.value for o in self.options if o.name in names and o.value is not None]

    def config(self, *names: str) -> dict[str, str]:
        """``-o Key=Value`` / ``--setopt=key=value`` options as a mapping (keys lower-cased)."""
        out: dict[str, str] = {}
        for value in self.values(*names):
            key, sep, val = value.partition("=")
            if sep:
                out[key.strip().lower()] = val.strip()
        return out

    @property
    def literal_operands(self) -> list[str]:
        return [w.text for w in self.operands if w.literal]


def parse_options(
    words: Iterable[Word],
    short_with_value: str = "",
    long_with_value: Collection[str] = (),
    *,
    stop_at_operand: bool = False,
) -> ParsedArgs:
    """Split ``words`` into options and operands.

    Handles short clusters (``-yq`` = ``-y -q``; ``-qq``), a short option taking a value glued or
    separate (``-oKey=V``, ``-o Key=V``, ``-t bookworm``), ``--opt=value`` and ``--opt value`` for
    long options named in ``long_with_value`` (without dashes), ``--`` ending options, and ``-``
    as an operand. ``stop_at_operand`` stops option parsing at the first operand (POSIX style).
    """
    options: list[Option] = []
    operands: list[Word] = []
    items = list(words)
    i = 0
    only_operands = False
    while i < len(items):
        w = items[i]
        t = w.text
        i += 1
        if only_operands or not t.startswith("-") or t == "-":
            operands.append(w)
            if stop_at_operand:
                only_operands = True
            continue
        if t == "--":
            only_operands = True
            continue
        if t.startswith("--"):
            name, sep, value = t[2:].partition("=")
            if sep:
                options.append(Option("--" + name, value, w.literal))
            elif name in long_with_value and i < len(items):
                options.append(Option("--" + name, items[i].text, items[i].literal))
                i += 1
            else:
                options.append(Option("--" + name, None, w.literal))
            continue
        body = t[1:]
        if body[1:2] == "=" and body[0] not in short_with_value:  # -q=2
            options.append(Option("-" + body[0], body[2:], w.literal))
            continue
        for j, c in enumerate(body):
            if c in short_with_value:
                rest = body[j + 1 :]
                if rest:
                    options.append(Option("-" + c, rest.removeprefix("="), w.literal))
                elif i < len(items):
                    options.append(Option("-" + c, items[i].text, items[i].literal))
                    i += 1
                else:
                    options.append(Option("-" + c, None, w.literal))
                break
            options.append(Option("-" + c, None, w.literal))
    return ParsedArgs(options=tuple(options), operands=tuple(operands))
