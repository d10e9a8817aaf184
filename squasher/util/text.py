"""Text for messages."""

from __future__ import annotations


def describe(text: str, limit: int = 200) -> str:
    """An instruction on one line for messages."""
    one = " ".join(text.split())
    return one if len(one) <= limit else one[: limit - 3] + "..."
