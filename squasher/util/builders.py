"""The two builders whose semantics squasher reproduces, named once."""

from __future__ import annotations

from typing import Literal, get_args

Builder = Literal["classic", "buildkit"]
BUILDERS: tuple[Builder, ...] = get_args(Builder)
