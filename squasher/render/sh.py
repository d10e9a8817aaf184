"""POSIX sh quoting, and builder word templates rendered as sh code evaluated at build time.

A value such as ``ENV PATH=/opt/bin:$PATH`` cannot be computed when squasher rewrites the file:
``PATH`` comes from the base image. So build.sh computes it itself, from the variables in force at
that point of the script, which mirror the builder's environment (see ``squasher.render.script``).

:func:`render_template` turns a ``lex_word`` template into *setup lines* (assignments to
temporaries, ``if`` blocks for the ``${v:-w}`` family) plus one sh *word* that, used as the right-hand
side of an assignment, yields exactly the builder's value. Literal text is always single-quoted, so
``$(...)``, backticks, ``\\`` and newlines stay literal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from squasher.parse.words import Lit, Part, Var
from squasher.shell.names import NAME, SHELL_OWNED

_SAFE = re.compile(r"[A-Za-z0-9_@%+=:,./-]+")

# A variable squasher never sets: references to names the builder would see as unset use it.
UNSET = "__sq_unset"


def quote(text: str) -> str:
    """``text`` as one sh word that expands to exactly ``text`` (single quotes; '' for empty)."""
    if text and _SAFE.fullmatch(text):
        return text
    return "'" + text.replace("'", "'\\''") + "'"


def squote(text: str) -> str:
    """Always single-quoted (for values that should look like strings in the script)."""
    return "'" + text.replace("'", "'\\''") + "'"


class UnsupportedSubstitution(ValueError):
    """A builder substitution with no POSIX sh equivalent (``${v/p/r}``)."""


@dataclass
class Renderer:
    """Renders templates into sh, numbering temporaries ``__sq_t1, __sq_t2, ...`` per script.

    ``known(name)`` says whether the builder's environment can hold ``name`` at this point (a
    Dockerfile ENV/ARG in force, or any other name that is not one the shell sets itself); names it
    rejects are rendered as unset, because the builder does not see e.g. ``HOME`` or ``PWD``.
    """

    counter: int = 0
    lines: list[str] = field(default_factory=list)

    def temp(self) -> str:
        self.counter += 1
        return f"__sq_t{self.counter}"

    def word(self, parts: list[Part] | tuple[Part, ...], known: frozenset[str] | None) -> str:
        """An sh word for the template; setup lines are appended to ``self.lines``."""
        pieces: list[str] = []
        for part in parts:
            if isinstance(part, Lit):
                if part.text:
                    pieces.append(squote(part.text))
                continue
            pieces.append(self._var(part, known))
        if not pieces:
            return "''"
        return "".join(pieces)

    def _name(self, name: str, known: frozenset[str] | None) -> str:
        if not NAME.fullmatch(name):
            return UNSET  # positional and special parameters are never set in the builder
        if known is not None and name in SHELL_OWNED and name not in known:
            return UNSET
        return name

    def _var(self, var: Var, known: frozenset[str] | None) -> str:
        name = self._name(var.name, known)
        op = var.op
        if op == "":
            return '"${' + name + '}"'
        if op in ("/", "//"):
            raise UnsupportedSubstitution(
                f"${{{var.name}{op}...}} (pattern replacement) has no POSIX sh equivalent"
            )
        t = self.temp()
        if op in (":-", "-", ":+", "+"):
            test = f'[ -n "${{{name}:-}}" ]' if op.startswith(":") else f'[ "${{{name}+x}}" = x ]'
            inner = Renderer(counter=self.counter)
            word = inner.word(var.word, known)
            self.counter = inner.counter
            if op.endswith("-"):
                then = [f'{t}="${{{name}}}"']
                other = [*inner.lines, f"{t}={word}"]
            else:
                then = [*inner.lines, f"{t}={word}"]
                other = [f"{t}=''"]
            self.lines.append(f"if {test}; then")
            self.lines.extend("\t" + ln for ln in then)
            self.lines.append("else")
            self.lines.extend("\t" + ln for ln in other)
            self.lines.append("fi")
            return f'"${t}"'
        if op in (":?", "?"):
            inner = Renderer(counter=self.counter)
            word = inner.word(var.word, known)
            self.counter = inner.counter
            test = f'[ -z "${{{name}:-}}" ]' if op == ":?" else f'[ "${{{name}+x}}" != x ]'
            default = "is not allowed to be " + ("empty" if op == ":?" else "unset")
            self.lines.append(f"if {test}; then")
            self.lines.extend("\t" + ln for ln in inner.lines)
            self.lines.append(f"\t{t}={word}")
            self.lines.append(f'\t__sq_die "{var.name}: ${{{t}:-{default}}}"')
            self.lines.append("fi")
            return '"${' + name + '}"'
        # # ## % %%: the same operators exist in sh; the pattern is rendered glob-by-glob
        pattern = self._pattern(var.word, known)
        self.lines.append(f"{t}=${{{name}{op}{pattern}}}")
        return f'"${t}"'

    def _pattern(self, parts: tuple[Part, ...], known: frozenset[str] | None) -> str:
        """A sh pattern word: ``*`` and ``?`` are globs, everything else literal (``\\x`` = x)."""
        out: list[str] = []
        for part in parts:
            if isinstance(part, Var):
                # the value of a variable inside a pattern is itself a pattern in the builder
                inner = Renderer(counter=self.counter)
                value = inner._var(part, known)
                self.lines.extend(inner.lines)
                self.counter = inner.counter
                out.append(value.strip('"'))
                continue
            text = part.text
            i = 0
            lit = ""
            while i < len(text):
                ch = text[i]
                if ch == "\\" and i + 1 < len(text):
                    lit += text[i + 1]
                    i += 2
                    continue
                if ch in "*?":
                    if lit:
                        out.append(squote(lit))
                        lit = ""
                    out.append(ch)
                else:
                    lit += ch
                i += 1
            if lit:
                out.append(squote(lit))
        return "".join(out)
