"""What a parsed Dockerfile holds. Plain dataclasses; the parser fills them, everything else reads them.

Line numbers are 1-based and refer to the physical lines of the source file.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Heredoc:
    """One here-document attached to a RUN, COPY or ADD line."""

    name: str  # the delimiter word, without quotes: EOF
    body: str  # the content lines with their line endings as in the file ("\n" or "\r\n"); tabs already stripped when chomp
    expand: bool  # False when the delimiter was quoted (<<'EOF' or <<"EOF"): no expansion
    chomp: bool  # True for <<-EOF: leading tabs stripped from body lines
    fd: int | None = None  # 3<<EOF -> 3


@dataclass(frozen=True)
class Flag:
    """One ``--name[=value]`` flag of an instruction, as written."""

    name: str  # without the leading dashes: "from", "chown", "mount"
    value: str | None  # None for a bare flag (--link)
    raw: str  # exactly as written: "--from=builder"


@dataclass
class Instruction:
    """One Dockerfile instruction with its exact place in the source."""

    keyword: str  # upper case: "RUN", "COPY", "ONBUILD", ...
    args: list[str]  # the arguments as the official parser's AST has them (see parse.dump)
    start_line: int  # first physical line (the keyword's line)
    end_line: int  # last physical line, continuation and heredoc lines included
    original: str  # the exact source text of start_line..end_line, newline-terminated
    flags: list[Flag] = field(default_factory=list)
    json_form: bool = False  # exec form: RUN ["a", "b"]
    heredocs: list[Heredoc] = field(default_factory=list)
    rest: str = ""  # the argument text after keyword and flags, continuations joined
    sub: Instruction | None = None  # the nested instruction of ONBUILD
    written_keyword: str = ""  # the keyword exactly as written: "run", "Copy"

    def flag(self, name: str) -> Flag | None:
        """The last flag called ``name`` (the builder lets later ones win), or None."""
        found = None
        for f in self.flags:
            if f.name == name:
                found = f
        return found

    def flag_values(self, name: str) -> list[str]:
        """Every value given for a repeatable flag such as --mount or --exclude."""
        return [f.value or "" for f in self.flags if f.name == name]


@dataclass
class Stage:
    """A build stage: its FROM and the instructions up to the next FROM."""

    index: int
    from_: Instruction
    base: str  # the image reference as written (may hold ${ARG})
    name: str | None  # FROM ... AS name (lower-cased as the builder does)
    platform: str | None
    instructions: list[Instruction] = field(default_factory=list)  # after FROM


@dataclass
class Dockerfile:
    """A whole parsed Dockerfile."""

    path: str  # for messages: "Dockerfile"
    source: str  # the text as read (BOM removed, line endings kept as-is)
    escape: str = "\\"
    directives: dict[str, str] = field(default_factory=dict)  # lower-case name -> value
    instructions: list[Instruction] = field(default_factory=list)  # all, in order
    global_args: list[Instruction] = field(default_factory=list)  # ARGs before the first FROM
    stages: list[Stage] = field(default_factory=list)
    # lines before the first FROM that are not ARG (comments, directives) are in `source` only
