"""squasher: make Docker images small the way image maintainers do by hand.

The library API (each name is imported on first use, so ``import squasher`` stays cheap)::

    squasher.parse_file(path)             -> squasher.parse.model.Dockerfile
    squasher.parse_text(text)             -> squasher.parse.model.Dockerfile
    squasher.rewrite(dockerfile, ...)     -> RewriteResult (Dockerfile text, files, report)
    squasher.diff_size(context, ...)      -> DiffSizeResult
    squasher.verify(original, squashed)   -> VerifyResult
    squasher.analyze(image)               -> Analysis
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it
_API = {
    "analyze": "squasher.inspect.analysis",
    "Analysis": "squasher.inspect.analysis",
    "diff_size": "squasher.measure.diff_size",
    "DiffSizeResult": "squasher.measure.diff_size",
    "parse_file": "squasher.parse",
    "parse_text": "squasher.parse",
    "rewrite": "squasher.rewriting",
    "RewriteResult": "squasher.rewriting",
    "SquasherError": "squasher.errors",
    "verify": "squasher.inspect.verify",
    "VerifyResult": "squasher.inspect.verify",
}

__all__ = ["__version__", *sorted(_API)]


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'squasher' has no attribute {name!r}")
