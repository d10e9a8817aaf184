"""Queries over shell text parsed with bashlex: the simple commands a script runs, and their options.

This is the one place that talks to bashlex (hadolint's ``Shell`` module is the model). Everything
above it (package-manager detection, cleanup detection, the report) works on :class:`SimpleCommand`.

Interface::

    parse = parse_commands("set -eux; DEBIAN_FRONTEND=noninteractive apt-get install -y gcc")
    parse.error                # None, or bashlex's reason when it cannot parse (never raises)
    parse.commands             # every simple command, in execution order, nested ones included
    commands_named(parse, {"apt-get", "apt"})   # wrappers (env, xargs, command, ...) stripped
    cmd = strip_wrappers(parse.commands[1])     # -> argv ["apt-get", "install", "-y", "gcc"]
    args = parse_options(cmd.args, short_with_value="oct", long_with_value={"option"})
    args.operands, args.has("-y"), args.values("-o")

A word is *literal* when bashlex found no expansion in it (no ``$VAR``, ``$(...)``, backquotes,
``~``, process substitution); quotes are already removed (``"a b"`` -> ``a b``, ``'$X'`` -> ``$X``
literal). ``glob`` says an unquoted-looking ``*?[`` is present (the shell may expand it).

Commands are found across ``&&``, ``||``, ``;``, ``&``, pipelines, subshells, ``{ }`` groups,
``if``/``for``/``while``/``until`` bodies, function bodies, command and process substitutions in
words, assignments and redirections, and the literal script of ``sh -c '...'`` / ``bash -c``.
Substitutions are listed before the command that contains them (they run first).
bashlex does not handle ``case``, ``[[ ]]``, ``$(( ))`` and some heredocs: then ``error`` holds its
reason and ``commands`` is empty; callers treat the step as unanalysed.
"""

from __future__ import annotations

import posixpath
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from squasher.shell.options import Option, ParsedArgs, parse_options
from squasher.shell.word import Word

__all__ = [
    "Option",
    "ParsedArgs",
    "ShellParse",
    "SimpleCommand",
    "Word",
    "commands_named",
    "parse_commands",
    "parse_options",
    "strip_wrappers",
    "words",
]

_EXPANSION_KINDS = frozenset({"parameter", "commandsubstitution", "processsubstitution", "tilde"})


@dataclass(frozen=True)
class SimpleCommand:
    """One simple command: leading assignments, then argv."""

    words: tuple[Word, ...]  # argv; words[0] is the command name
    assignments: tuple[Word, ...] = ()  # VAR=value words before the name (and those env set)
    pos: tuple[int, int] = (0, 0)  # span in the parsed script
    text: str = ""  # the source text of that span
    context: tuple[str, ...] = ()  # enclosing constructs, outermost first (see _walk)
    wrapped_by: tuple[str, ...] = ()  # wrappers strip_wrappers removed: ("env", "xargs")

    @property
    def argv(self) -> list[str]:
        return [w.text for w in self.words]

    @property
    def name(self) -> str | None:
        """The command name without its directory (``/usr/bin/apt-get`` -> ``apt-get``)."""
        if not self.words:
            return None
        return posixpath.basename(self.words[0].text)

    @property
    def args(self) -> tuple[Word, ...]:
        return self.words[1:]

    @property
    def literal(self) -> bool:
        """Every argv word is literal."""
        return all(w.literal for w in self.words)

    @property
    def conditional(self) -> bool:
        """It may not run: inside an if/loop, after || or in a background job."""
        return any(
            c in ("if", "loop", "or", "case", "background", "function") for c in self.context
        )

    def env(self) -> dict[str, str]:
        """The literal leading assignments as a mapping (later ones win)."""
        out: dict[str, str] = {}
        for a in self.assignments:
            name, _, value = a.text.partition("=")
            out[name] = value
        return out


@dataclass
class ShellParse:
    """The result of :func:`parse_commands`."""

    script: str
    commands: list[SimpleCommand] = field(default_factory=list)
    error: str | None = None  # bashlex's reason when the script could not be parsed

    @property
    def ok(self) -> bool:
        return self.error is None


def parse_commands(script: str) -> ShellParse:
    """All simple commands of ``script``; on a bashlex failure ``error`` says why. Never raises."""
    import bashlex

    result = ShellParse(script=script)
    if not script.strip():
        return result
    try:
        trees = bashlex.parse(script)
    except Exception as exc:  # bashlex raises ParsingError, NotImplementedError, IndexError, ...
        reason = str(exc).strip() or type(exc).__name__
        result.error = f"bashlex cannot parse this shell: {reason}"
        return result
    walker = _Walker(script)
    try:
        for tree in trees:
            walker.walk(tree, ())
    except Exception as exc:  # an AST shape we do not know: report it, do not crash
        result.error = f"unexpected shell structure: {type(exc).__name__}: {exc}"
        return result
    result.commands = walker.commands
    return result


class _Walker:
    """Collects simple commands from a bashlex AST.

    Context names: "and"/"or" (right side of && / ||), "pipeline", "subshell", "group", "if",
    "loop", "function", "substitution", "background", "sh-c".
    """

    def __init__(self, script: str) -> None:
        self.script = script
        self.commands: list[SimpleCommand] = []

    def walk(self, node: Any, ctx: tuple[str, ...]) -> None:
        kind = node.kind
        if kind == "command":
            self._command(node, ctx)
        elif kind == "list":
            self._list(node.parts, ctx)
        elif kind == "pipeline":
            for part in node.parts:
                if part.kind not in ("pipe", "reservedword"):
                    self.walk(part, (*ctx, "pipeline"))
        elif kind == "compound":
            opener = node.list[0].word if node.list and node.list[0].kind == "reservedword" else ""
            inner = (
                (*ctx, "subshell") if opener == "(" else (*ctx, "group") if opener == "{" else ctx
            )
            for part in node.list:
                if part.kind != "reservedword":
                    self.walk(part, inner)
            for redirect in getattr(node, "redirects", []) or []:
                self._redirect(redirect, ctx)
        elif kind == "if":
            for part in node.parts:
                if part.kind != "reservedword":
                    self.walk(part, (*ctx, "if"))
        elif kind in ("for", "while", "until"):
            for part in node.parts:
                if part.kind == "word":
                    self._word(part, (*ctx, "loop"))
                elif part.kind != "reservedword":
                    self.walk(part, (*ctx, "loop"))
        elif kind == "function":
            for part in node.parts[1:]:
                if part.kind != "reservedword":
                    self.walk(part, (*ctx, "function"))
        elif kind in ("word", "assignment"):
            self._word(node, ctx)
        elif kind == "redirect":
            self._redirect(node, ctx)
        # operator, reservedword, pipe, heredoc: nothing to collect

    def _list(self, parts: Sequence[Any], ctx: tuple[str, ...]) -> None:
        # a && b || c: b runs only if a succeeded, c only if one failed; x & runs in background
        follow: str | None = None
        items: list[tuple[Any, str | None]] = []
        for part in parts:
            if part.kind == "operator":
                if part.op in ("&&", "||"):
                    follow = "and" if part.op == "&&" else "or"
                elif part.op == "&" and items:
                    node, f = items[-1]
                    items[-1] = (node, "background" if f is None else f)
                    follow = None
                else:
                    follow = None
                continue
            items.append((part, follow))
        # once "or" appears, everything after it in the same and-or list is conditional
        seen_or = False
        for node, f in items:
            if f == "or":
                seen_or = True
            elif f is None:
                seen_or = False
            extra: tuple[str, ...] = ()
            if f == "background":
                extra = ("background",)
            elif seen_or:
                extra = ("or",)
            elif f == "and":
                extra = ("and",)
            self.walk(node, ctx + extra)

    def _word(self, node: Any, ctx: tuple[str, ...]) -> None:
        for part in getattr(node, "parts", []) or []:
            if part.kind in ("commandsubstitution", "processsubstitution"):
                self.walk(part.command, (*ctx, "substitution"))

    def _redirect(self, node: Any, ctx: tuple[str, ...]) -> None:
        output = getattr(node, "output", None)
        if output is not None and not isinstance(output, int) and hasattr(output, "kind"):
            self._word(output, ctx)

    def _command(self, node: Any, ctx: tuple[str, ...]) -> None:
        words: list[Word] = []
        assignments: list[Word] = []
        for part in node.parts:
            if part.kind == "assignment" and not words:
                self._word(part, ctx)
                assignments.append(_make_word(part))
            elif part.kind in ("word", "assignment"):
                self._word(part, ctx)
                words.append(_make_word(part))
            elif part.kind == "redirect":
                self._redirect(part, ctx)
        start, end = node.pos
        cmd = SimpleCommand(
            words=tuple(words),
            assignments=tuple(assignments),
            pos=(start, end),
            text=self.script[start:end],
            context=ctx,
        )
        self.commands.append(cmd)
        self._nested_script(cmd, ctx)

    def _nested_script(self, cmd: SimpleCommand, ctx: tuple[str, ...]) -> None:
        """``sh -c 'literal script'``: parse the script too (positions are relative to it)."""
        if cmd.name not in ("sh", "bash", "dash", "ash") or len(cmd.words) < 3:
            return
        for i, w in enumerate(cmd.words[1:-1], start=1):
            if not w.text.startswith("-") or w.text == "--":
                return
            if "c" in w.text[1:] and not w.text.startswith("--"):
                script = cmd.words[i + 1]
                if script.literal:
                    inner = parse_commands(script.text)
                    for c in inner.commands:
                        self.commands.append(replace(c, context=(*ctx, "sh-c", *c.context)))
                return


def _make_word(node: Any) -> Word:
    parts = getattr(node, "parts", []) or []
    literal = not any(_has_expansion(p) for p in parts)
    return Word(text=node.word, literal=literal, pos=(node.pos[0], node.pos[1]))


def _has_expansion(node: Any) -> bool:
    return bool(node.kind in _EXPANSION_KINDS)


# --- wrappers ------------------------------------------------------------------------------------

# wrapper name -> (short options taking a value, long options taking a value)
_WRAPPERS: dict[str, tuple[str, frozenset[str]]] = {
    "env": ("uSC", frozenset({"unset", "chdir", "split-string"})),
    "command": ("", frozenset()),
    "exec": ("a", frozenset()),
    "nice": ("n", frozenset({"adjustment"})),
    "nohup": ("", frozenset()),
    "time": ("fo", frozenset({"format", "output"})),
    "sudo": ("ugCDhprRtTU", frozenset({"user", "group", "host", "prompt", "chdir", "role"})),
    "xargs": (
        "aEdeIiLlnPs",
        frozenset(
            {
                "arg-file",
                "delimiter",
                "eof",
                "replace",
                "max-lines",
                "max-args",
                "max-procs",
                "max-chars",
                "process-slot-var",
            }
        ),
    ),
    "eatmydata": ("", frozenset()),
    "fakeroot": ("ls", frozenset({"lib", "faked"})),
    "stdbuf": ("ioe", frozenset({"input", "output", "error"})),
    "timeout": ("sk", frozenset({"signal", "kill-after"})),
}
# wrappers taking one positional operand before the wrapped command
_WRAPPER_OPERANDS = {"timeout": 1}


def strip_wrappers(cmd: SimpleCommand) -> SimpleCommand:
    """The command that actually runs: ``env A=1 xargs -r nice apt-get ...`` -> ``apt-get ...``.

    Leading assignments (``DEBIAN_FRONTEND=noninteractive apt-get``) are already separate in
    :attr:`SimpleCommand.assignments`; ``env``'s ``NAME=value`` operands are added to them.
    ``command -v``/``-V`` is a lookup, not a run, and is left alone. ``set -eux;`` is a command of
    its own in the parse, so it needs no stripping. ``wrapped_by`` lists what was removed; after
    ``xargs`` the argv lacks the arguments xargs appends from its input.
    """
    words = list(cmd.words)
    assignments = list(cmd.assignments)
    wrapped: list[str] = list(cmd.wrapped_by)
    while words:
        name = posixpath.basename(words[0].text)
        if not words[0].literal or name not in _WRAPPERS:
            break
        if name == "command" and any(w.text in ("-v", "-V") for w in words[1:2]):
            break
        short, long_ = _WRAPPERS[name]
        i = 1
        while i < len(words):
            text = words[i].text
            if text == "--":
                i += 1
                break
            if text.startswith("--") and len(text) > 2:
                opt = text[2:].partition("=")
                i += 2 if opt[0] in long_ and not opt[1] else 1
                continue
            if text.startswith("-") and len(text) > 1 and not (name == "env" and text == "-"):
                takes = next((j for j, c in enumerate(text[1:], start=1) if c in short), None)
                i += 2 if takes is not None and takes == len(text) - 1 else 1
                continue
            if name == "env" and "=" in text and not text.startswith("="):
                assignments.append(words[i])
                i += 1
                continue
            break
        i += _WRAPPER_OPERANDS.get(name, 0)
        wrapped.append(name)
        words = words[i:]
    if len(wrapped) == len(cmd.wrapped_by):
        return cmd
    return replace(
        cmd, words=tuple(words), assignments=tuple(assignments), wrapped_by=tuple(wrapped)
    )


def commands_named(parse: ShellParse, names: Collection[str]) -> list[SimpleCommand]:
    """The commands (wrappers stripped) whose name, without directory, is in ``names``."""
    found = []
    for cmd in parse.commands:
        real = strip_wrappers(cmd)
        if real.words and real.words[0].literal and real.name in names:
            found.append(real)
    return found


def words(*texts: str) -> tuple[Word, ...]:
    """Literal words from strings (for tests and for callers building argv by hand)."""
    return tuple(Word(t) for t in texts)
