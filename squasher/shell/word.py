"""A shell word as the package layer reads it: its text after quote removal, and whether the shell
would expand something in it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Word:
    """One shell word after quote removal."""

    text: str
    literal: bool = True  # False when it holds an expansion or substitution
    pos: tuple[int, int] = (0, 0)  # offsets in the parsed script

    @property
    def glob(self) -> bool:
        """The word contains a pattern character the shell may expand."""
        return any(c in self.text for c in "*?[")
