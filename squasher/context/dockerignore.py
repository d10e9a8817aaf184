""".dockerignore exactly as the docker CLI and BuildKit read it, and Go's path matching rules.

Reading follows moby's ``ignorefile.ReadAll``: a line starting with ``#`` is a comment, lines are
trimmed, ``!`` marks an exception, each pattern is cleaned like Go's ``filepath.Clean`` and a
leading ``/`` is dropped. Matching follows ``patternmatcher.MatchesOrParentMatches``: patterns are
tried in order, the last one that matches the path or one of its parent directories wins
(``**`` spans directories, ``*`` and ``?`` stay inside one path element).

``go_clean`` and ``go_match`` reproduce Go's ``path.Clean`` and ``filepath.Match``, which the
builders use to clean COPY sources and to expand their wildcards.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from squasher.errors import SquasherError

IGNORE_FILE = ".dockerignore"

# Characters patternmatcher escapes when turning a pattern into a regexp: regexp specials that
# have no meaning in filepath.Match.
_REGEX_ESCAPED = frozenset(".+()|{}$")
# Characters that make a path element a pattern for filepath.Match / Glob.
GLOB_META = frozenset("*?[\\")


def go_clean(path: str) -> str:
    """Go's ``path.Clean``: the shortest equivalent slash path ("" -> ".")."""
    if path == "":
        return "."
    rooted = path.startswith("/")
    out: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if out and out[-1] != "..":
                out.pop()
            elif not rooted:
                out.append("..")
            continue
        out.append(part)
    cleaned = "/".join(out)
    if rooted:
        return "/" + cleaned
    return cleaned or "."


def has_glob_meta(path: str) -> bool:
    """True when ``path`` holds a character that makes it a filepath.Match pattern."""
    return any(ch in GLOB_META for ch in path)


class BadPattern(ValueError):
    """Go's ``filepath.ErrBadPattern``."""


def _class_to_regex(pattern: str, start: int) -> tuple[str, int]:
    """Translate the ``[...]`` class starting at ``pattern[start] == '['``; return (regex, next index)."""
    i = start + 1
    negate = False
    if i < len(pattern) and pattern[i] == "^":
        negate = True
        i += 1
    items: list[str] = []
    first = True
    while True:
        if i >= len(pattern):
            raise BadPattern(pattern)
        if pattern[i] == "]" and not first:
            i += 1
            break
        first = False
        lo, i = _class_char(pattern, i)
        if i < len(pattern) and pattern[i] == "-":
            hi, i = _class_char(pattern, i + 1)
            if hi < lo:
                raise BadPattern(pattern)
            items.append(f"{re.escape(lo)}-{re.escape(hi)}")
        else:
            items.append(re.escape(lo))
    body = "".join(items)
    return (f"[^{body}]" if negate else f"[{body}]"), i


def _class_char(pattern: str, i: int) -> tuple[str, int]:
    """One (possibly escaped) character inside a class (Go's ``getEsc``)."""
    if i >= len(pattern) or pattern[i] in "-]":
        raise BadPattern(pattern)
    if pattern[i] == "\\":
        i += 1
        if i >= len(pattern):
            raise BadPattern(pattern)
    return pattern[i], i + 1


def _match_regex(pattern: str) -> re.Pattern[str]:
    """Compile a ``filepath.Match`` pattern (one path: ``*`` and ``?`` never match ``/``)."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "*":
            out.append("[^/]*")
            i += 1
        elif ch == "?":
            out.append("[^/]")
            i += 1
        elif ch == "[":
            piece, i = _class_to_regex(pattern, i)
            out.append(piece)
        elif ch == "\\":
            if i + 1 >= len(pattern):
                raise BadPattern(pattern)
            out.append(re.escape(pattern[i + 1]))
            i += 2
        else:
            out.append(re.escape(ch))
            i += 1
    return re.compile("".join(out) + r"\Z", re.DOTALL)


def go_match(pattern: str, name: str) -> bool:
    """Go's ``filepath.Match`` on Linux. Raises ``BadPattern`` for a malformed pattern."""
    return _match_regex(pattern).match(name) is not None


def validate_pattern(pattern: str) -> None:
    """Raise ``BadPattern`` when ``filepath.Match`` would reject ``pattern``."""
    _match_regex(pattern)


@dataclass
class IgnorePattern:
    """One compiled .dockerignore line."""

    text: str  # the cleaned pattern, without the leading "!"
    exclusion: bool  # True for a "!pattern" exception
    line: int  # line in the .dockerignore file
    kind: str = "exact"  # exact | prefix | suffix | regexp
    regex: re.Pattern[str] | None = None

    def matches(self, path: str) -> bool:
        if self.kind == "exact":
            return path == self.text
        if self.kind == "prefix":
            return path.startswith(self.text[:-2])
        if self.kind == "suffix":
            suffix = self.text[2:]
            if path.endswith(suffix):
                return True
            return suffix.startswith("/") and path == suffix[1:]
        assert self.regex is not None
        return self.regex.match(path) is not None


def _compile(text: str) -> tuple[str, re.Pattern[str] | None]:
    """patternmatcher's ``compile``: the match kind and, for ``regexp``, the expression."""
    reg = "^"
    kind = "exact"
    i = 0
    n = len(text)
    first = True
    while i < n:
        ch = text[i]
        i += 1
        if ch == "*":
            if i < n and text[i] == "*":
                i += 1
                if i < n and text[i] == "/":
                    i += 1
                if i >= n:
                    if kind == "exact":
                        kind = "prefix"
                    else:
                        reg += ".*"
                        kind = "regexp"
                else:
                    reg += "(.*/)?"
                    kind = "regexp"
                if first:
                    kind = "suffix"
            else:
                reg += "[^/]*"
                kind = "regexp"
        elif ch == "?":
            reg += "[^/]"
            kind = "regexp"
        elif ch in _REGEX_ESCAPED:
            reg += "\\" + ch
        elif ch == "\\":
            if i < n:
                reg += re.escape(text[i])
                i += 1
                kind = "regexp"
            else:
                reg += "\\\\"
        elif ch in "[]":
            reg += ch
            kind = "regexp"
        else:
            reg += re.escape(ch) if ch in "^" else ch
        first = False
    if kind != "regexp":
        return kind, None
    try:
        return kind, re.compile(reg + r"\Z")
    except re.error as err:
        raise BadPattern(text) from err


def read_patterns(text: str, path: str = IGNORE_FILE) -> list[IgnorePattern]:
    """Parse .dockerignore content (``ignorefile.ReadAll`` + ``patternmatcher.New``)."""
    patterns: list[IgnorePattern] = []
    if text.startswith("\ufeff"):
        text = text[1:]
    for lineno, raw in enumerate(text.splitlines(), start=1):
        if raw.startswith("#"):
            continue
        pattern = raw.strip()
        if not pattern:
            continue
        invert = pattern.startswith("!")
        if invert:
            pattern = pattern[1:].strip()
        if pattern:
            pattern = go_clean(pattern)
            if len(pattern) > 1 and pattern.startswith("/"):
                pattern = pattern[1:]
        if invert:
            pattern = "!" + pattern
        # patternmatcher.New cleans again and splits off the "!".
        pattern = go_clean(pattern.strip())
        exclusion = pattern.startswith("!")
        if exclusion:
            if len(pattern) == 1:
                raise SquasherError('illegal exclusion pattern: "!"', path, lineno)
            pattern = pattern[1:]
        try:
            validate_pattern(pattern)
            kind, regex = _compile(pattern)
        except BadPattern:
            raise SquasherError(f"syntax error in pattern: {pattern!r}", path, lineno) from None
        patterns.append(IgnorePattern(pattern, exclusion, lineno, kind, regex))
    return patterns


def escape_path(path: str) -> str:
    """A .dockerignore pattern that matches exactly the literal context path ``path``."""
    out = []
    for ch in path:
        if ch in GLOB_META or ch in "]":
            out.append("\\" + ch)
        else:
            out.append(ch)
    text = "".join(out)
    if text.startswith(("#", "!")):
        text = "\\" + text
    return text


@dataclass
class DockerIgnore:
    """The context's .dockerignore: which context paths the builder leaves out."""

    patterns: list[IgnorePattern] = field(default_factory=list)
    text: str = ""  # the file content as read ("" when there is none)

    @classmethod
    def load(cls, context_dir: Path | str) -> DockerIgnore:
        """Read ``<context>/.dockerignore`` (no file: nothing is excluded)."""
        path = Path(context_dir) / IGNORE_FILE
        try:
            text = path.read_text(encoding="utf-8", errors="surrogateescape")
        except FileNotFoundError:
            return cls()
        except OSError as err:
            raise SquasherError(f"cannot read: {err.strerror}", str(path)) from None
        return cls(read_patterns(text, str(path)), text)

    @classmethod
    def from_text(cls, text: str, path: str = IGNORE_FILE) -> DockerIgnore:
        return cls(read_patterns(text, path), text)

    def excluded(self, relpath: str) -> bool:
        """True when the builder leaves the context path ``relpath`` (slash-separated) out."""
        file = go_clean(relpath)
        if file in (".", "/"):
            return False
        file = file.lstrip("/")
        parent = go_clean(os.path.dirname(file) or ".")
        parent_dirs = parent.split("/")
        matched = False
        for pattern in self.patterns:
            if pattern.exclusion != matched:
                continue
            match = pattern.matches(file)
            if not match and parent != ".":
                for i in range(len(parent_dirs)):
                    if pattern.matches("/".join(parent_dirs[: i + 1])):
                        match = True
                        break
            if match:
                matched = not pattern.exclusion
        return matched

    def has_exceptions(self) -> bool:
        return any(p.exclusion for p in self.patterns)

    def per_dockerfile_ignore(self, paths: list[str]) -> str:
        """Content of ``Dockerfile.squashed.dockerignore``: everything out but ``.squasher/`` and
        ``paths`` (context-relative), with the user's own patterns re-applied after, so whatever the
        user excluded stays excluded (last match wins). A user ``!`` exception can still bring in a
        path that is not needed; that only makes the staging larger, never drops a needed file.
        """
        lines = [
            "# Generated by squasher for Dockerfile.squashed: only the files the folded",
            "# COPY/ADD instructions read, then the context's own .dockerignore.",
            "*",
            "!.squasher",
        ]
        seen: set[str] = set()
        for raw in sorted(paths):
            rel = go_clean(raw).lstrip("/")
            if rel in (".", "") or rel in seen:
                if rel in (".", ""):
                    # the whole context is needed: undo the leading "*"
                    lines.append("!**")
                continue
            seen.add(rel)
            if "\n" in rel or rel != rel.strip():
                raise SquasherError(f"context path {rel!r} cannot be written in a .dockerignore")
            lines.append("!" + escape_path(rel))
        user = list(self.patterns)
        if user:
            lines.append("# from .dockerignore")
            for pattern in user:
                text = pattern.text
                if text.startswith("#"):
                    text = "\\" + text  # a leading "#" would read as a comment
                lines.append(("!" if pattern.exclusion else "") + text)
        return "\n".join(lines) + "\n"

    def walk(self, context_dir: Path | str, top: str = ".") -> list[str]:
        """Every context path under ``top`` the builder sends (sorted, slash-separated, dirs too)."""
        root = Path(context_dir)
        found: list[str] = []
        start = go_clean(top)

        def visit(rel: str) -> None:
            full = root / rel if rel != "." else root
            try:
                names = sorted(os.listdir(full))
            except NotADirectoryError:
                return
            for name in names:
                child = name if rel == "." else f"{rel}/{name}"
                child_full = root / child
                if self.excluded(child):
                    # an exception may still include something below an excluded directory
                    if (
                        self.has_exceptions()
                        and child_full.is_dir()
                        and not child_full.is_symlink()
                    ):
                        before = len(found)
                        visit(child)
                        if len(found) > before:
                            found.insert(before, child)
                    continue
                found.append(child)
                if child_full.is_dir() and not child_full.is_symlink():
                    visit(child)

        if start != "." and self.excluded(start) and not self.has_exceptions():
            return []
        visit(start)
        return found
