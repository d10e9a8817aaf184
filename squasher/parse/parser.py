"""The Dockerfile parser: source text -> ``model.Dockerfile``, agreeing with the official parser.

Physical lines are split on ``\\n`` only (a ``\\r`` before it is dropped with it). Reading follows
the official parser step by step:

* The first lines may be parser directives (see ``directives``); ``# escape=`` changes the
  escape character from there on. A UTF-8 BOM at the start is ignored.
* A logical line starts at the first non-blank, non-comment line (leading white space removed).
  A line ending in the escape character (trailing spaces/tabs allowed, but not a doubled escape)
  continues on the next line; comment lines and blank lines inside a continuation are skipped; a
  continuation at end of file just ends the instruction.
* The logical line is split into keyword, flags and rest (``command_line``), and the rest into
  arguments (``arguments``). ONBUILD parses its rest as a nested instruction.
* RUN, COPY and ADD lines (not in JSON form) may open heredocs; their bodies are the following
  physical lines up to the terminator lines.

Every instruction keeps its physical line span and the exact text of those lines (``original``).
"""

from __future__ import annotations

import re

from squasher.errors import DockerfileSyntaxError
from squasher.parse.arguments import ArgumentError, ParsedArgs, parse_args
from squasher.parse.command_line import split_command
from squasher.parse.directives import DirectiveError, DirectiveReader, check_escape
from squasher.parse.gocompat import go_trim_left_space
from squasher.parse.heredocs import HeredocError, chomp, heredocs_in_line
from squasher.parse.model import Dockerfile, Heredoc, Instruction, Stage

MAX_LINE = 64 * 1024  # bufio.Scanner's token limit, newline included
_STRAY_SURROGATE = re.compile("[\ud800-\udc7f\udd00-\udfff]")


def split_lines(text: str) -> list[str]:
    """Physical lines, each keeping its ``\\n`` (the last one may have none)."""
    if text == "":
        return []
    lines = [line + "\n" for line in text.split("\n")]
    if text.endswith("\n"):
        lines.pop()
    else:
        lines[-1] = lines[-1][:-1]
    return lines


def _trim_newline(line: str) -> str:
    return line.rstrip("\r\n")


def _is_comment(line: str) -> bool:
    return go_trim_left_space(line).startswith("#")


def go_lower(word: str) -> str:
    """``strings.ToLower``: the simple one-to-one mapping, character by character.

    (Python's ``str.lower`` uses the full mapping: ``İ`` -> ``i̇`` and a final ``Σ`` -> ``ς``.)
    """
    return "".join("i" if ch == "\u0130" else ch.lower() for ch in word)


class _Continuation:
    """The line-continuation rule for one escape character."""

    def __init__(self, escape: str) -> None:
        e = re.escape(escape)
        self.escape = escape
        self.regex = re.compile(rf"([^{e}]){e}[ \t]*\Z|^{e}[ \t]*\Z")

    def trim(self, line: str) -> tuple[str, bool]:
        """``(line without the continuation mark, True if the logical line ends here)``."""
        m = self.regex.search(line)
        if m is None:
            return line, True
        return line[: m.start()] + (m.group(1) or ""), False


class _Reader:
    def __init__(self, text: str, path: str) -> None:
        if text.startswith("\ufeff"):
            text = text[1:]
        # only U+DC80..U+DCFF (undecodable bytes, see parse_file) can stand for raw bytes
        text = _STRAY_SURROGATE.sub("\ufffd", text)
        self.text = text
        self.path = path
        self.lines = split_lines(text)
        self.next_index = 0  # index of the next physical line to read
        self.directives = DirectiveReader()
        self.cont = _Continuation("\\")

    def error(self, message: str, line: int) -> DockerfileSyntaxError:
        return DockerfileSyntaxError(message, self.path, max(line, 1))

    def read(self) -> str | None:
        if self.next_index >= len(self.lines):
            return None
        line = self.lines[self.next_index]
        self.next_index += 1
        size = len(line.encode("utf-8", "surrogateescape"))
        # Go's scanner needs room for the newline, or for one byte more at end of file
        if size > MAX_LINE or (size == MAX_LINE and not line.endswith("\n")):
            raise self.error(
                f"dockerfile line greater than max allowed size of {MAX_LINE - 1}", self.next_index
            )
        return line

    def process(self, raw: str, strip_left: bool) -> str:
        """Newline removed, directive noted, comment lines emptied."""
        token = _trim_newline(raw)
        if strip_left:
            token = go_trim_left_space(token)
        try:
            found = self.directives.feed(token)
            if found is not None and found[0] == "escape":
                self.cont = _Continuation(check_escape(found[1]))
        except DirectiveError as err:
            raise self.error(str(err), self.next_index) from None
        return "" if _is_comment(token) else token

    def parse(self) -> Dockerfile:
        instructions: list[Instruction] = []
        while True:
            raw = self.read()
            if raw is None:
                break
            content = self.process(raw, True)
            start = self.next_index
            content, end_of_line = self.cont.trim(content)
            if end_of_line and content == "":
                continue
            parts = [content]
            while not end_of_line:
                raw = self.read()
                if raw is None:
                    break
                content = self.process(raw, False)
                if _is_comment(raw):
                    continue
                if go_trim_left_space(_trim_newline(content)) == "":
                    continue
                content, end_of_line = self.cont.trim(content)
                parts.append(content)
            line = "".join(parts)
            inst = self.instruction(line, start)
            target = inst.sub if inst.keyword == "ONBUILD" and inst.sub is not None else inst
            if target.keyword in ("RUN", "COPY", "ADD") and not target.json_form and "<<" in line:
                try:
                    starts = heredocs_in_line(line)
                except HeredocError as err:
                    raise self.error(str(err), start) from None
                for doc in starts:
                    body: list[str] = []
                    while True:
                        raw = self.read()
                        if raw is None:
                            raise self.error("unterminated heredoc", start)
                        candidate = _trim_newline(raw)
                        if doc.chomp:
                            candidate = candidate.lstrip("\t")
                        if candidate == doc.name:
                            break
                        body.append(raw)
                    text = "".join(body)
                    inst.heredocs.append(
                        Heredoc(
                            name=doc.name,
                            body=chomp(text) if doc.chomp else text,
                            expand=doc.expand,
                            chomp=doc.chomp,
                            fd=doc.fd,
                        )
                    )
                if target is not inst:
                    target.heredocs = inst.heredocs
            inst.end_line = self.next_index
            inst.original = "".join(self.lines[start - 1 : self.next_index])
            if target is not inst:
                target.end_line = inst.end_line
                target.original = inst.original
            instructions.append(inst)
        if not instructions:
            raise self.error("file with no instructions", len(self.lines))
        df = Dockerfile(
            path=self.path,
            source=self.text,
            escape=self.cont.escape,
            directives=dict(self.directives.values),
            instructions=instructions,
        )
        _add_stages(df)
        return df

    def instruction(self, line: str, start: int) -> Instruction:
        try:
            return _new_instruction(line, self.cont.escape, start)
        except ArgumentError as err:
            raise self.error(str(err), start) from None


def _new_instruction(line: str, escape: str, start: int) -> Instruction:
    word, flags, rest = split_command(line, escape)
    lower = go_lower(word)
    sub: Instruction | None = None
    if lower == "onbuild":
        parsed = ParsedArgs([])
        if rest:
            sub = _new_instruction(rest, escape, start)
    else:
        parsed = parse_args(lower, rest, escape)
    return Instruction(
        keyword=lower.upper() if lower.isascii() else word.upper(),
        args=parsed.args,
        start_line=start,
        end_line=start,
        original="",
        flags=flags,
        json_form=parsed.json_form,
        rest=rest,
        sub=sub,
        written_keyword=word,
    )


def _add_stages(df: Dockerfile) -> None:
    stage: Stage | None = None
    for inst in df.instructions:
        if inst.keyword == "FROM":
            args = inst.args
            name = None
            if len(args) >= 3 and args[1].lower() == "as":
                name = args[2].lower()
            platform = inst.flag("platform")
            stage = Stage(
                index=len(df.stages),
                from_=inst,
                base=args[0] if args else "",
                name=name,
                platform=platform.value if platform is not None else None,
            )
            df.stages.append(stage)
        elif stage is not None:
            stage.instructions.append(inst)
        elif inst.keyword == "ARG":
            df.global_args.append(inst)


def parse_text(text: str, path: str = "Dockerfile") -> Dockerfile:
    """Parse Dockerfile source text; raises ``DockerfileSyntaxError`` (``path:line: message``)."""
    return _Reader(text, path).parse()
