"""Printing a parsed Dockerfile: the official parser's AST dump, and a JSON form.

``buildkit`` format (what the official parser's ``Node.Dump`` prints, one line per instruction)::

    (from "debian:bookworm-slim")
    (copy ["--from=build" "--chmod=755"] "/out/app" "/usr/local/bin/")
    (env "PATH" "/opt/bin:$PATH" "=")
    (onbuild (run "make"))

The keyword is lower-cased; flags (quotes removed) are printed as a Go ``%q`` list; every
argument is a Go-quoted string. Exec form and shell form look alike; heredoc bodies and line
numbers are not shown.

``json`` format: ``{"path", "escape", "directives", "global_args", "stages", "instructions"}``,
instructions with ``keyword``, ``start_line``, ``end_line``, ``flags`` (name/value/raw), ``args``,
``json_form``, ``rest``, ``heredocs`` and ``sub``; stages refer to instructions by index.
"""

from __future__ import annotations

import json
import re
from typing import Any

from squasher.parse.command_line import flag_text
from squasher.parse.gocompat import go_quote, go_quote_list
from squasher.parse.model import Dockerfile, Heredoc, Instruction
from squasher.parse.parser import go_lower


def dump_instruction(inst: Instruction) -> str:
    """One instruction in the official dump format, without the surrounding parentheses."""
    out = go_lower(inst.written_keyword or inst.keyword)
    if inst.flags:
        out += " " + go_quote_list([flag_text(f) for f in inst.flags])
    if inst.sub is not None:
        out += " (" + dump_instruction(inst.sub) + ")"
    for arg in inst.args:
        out += " " + go_quote(arg)
    return out.strip()


def dump_buildkit(df: Dockerfile) -> str:
    """The whole file in the official dump format, newline-terminated (as a ``result`` file)."""
    return "".join(f"({dump_instruction(i)})\n" for i in df.instructions)


def _heredoc_json(doc: Heredoc) -> dict[str, Any]:
    return {
        "name": doc.name,
        "fd": doc.fd,
        "expand": doc.expand,
        "chomp": doc.chomp,
        "body": doc.body,
    }


def instruction_json(inst: Instruction) -> dict[str, Any]:
    return {
        "keyword": inst.keyword,
        "start_line": inst.start_line,
        "end_line": inst.end_line,
        "flags": [{"name": f.name, "value": f.value, "raw": f.raw} for f in inst.flags],
        "args": list(inst.args),
        "json_form": inst.json_form,
        "rest": inst.rest,
        "heredocs": [_heredoc_json(h) for h in inst.heredocs],
        "sub": instruction_json(inst.sub) if inst.sub is not None else None,
    }


def dockerfile_json(df: Dockerfile) -> dict[str, Any]:
    index = {id(inst): n for n, inst in enumerate(df.instructions)}
    return {
        "path": df.path,
        "escape": df.escape,
        "directives": dict(sorted(df.directives.items())),
        "global_args": [index[id(i)] for i in df.global_args],
        "stages": [
            {
                "index": s.index,
                "name": s.name,
                "base": s.base,
                "platform": s.platform,
                "from": index[id(s.from_)],
                "instructions": [index[id(i)] for i in s.instructions],
            }
            for s in df.stages
        ],
        "instructions": [instruction_json(i) for i in df.instructions],
    }


_SURROGATE = re.compile("[\ud800-\udfff]")


def dump_json(df: Dockerfile) -> str:
    """The JSON form, indented, newline-terminated, deterministic."""
    text = json.dumps(dockerfile_json(df), indent=2, ensure_ascii=False)
    # bytes that were not UTF-8 travel as lone surrogates: write them as JSON escapes
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text) + "\n"
