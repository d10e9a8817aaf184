"""``--source``: how ``analyze`` and ``verify`` read an engine's images."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import click

F = TypeVar("F", bound=Callable[..., object])

# the values of squasher.inspect.streaming.ImageSource (not imported: the CLI starts light)
SOURCES = ("auto", "storage", "save")


def source_option(func: F) -> F:
    """The ``--source auto|storage|save`` option."""
    return click.option(
        "--source",
        type=click.Choice(SOURCES),
        default="auto",
        show_default=True,
        help="How to read the engine's images: from the engine's own storage when it is on this "
        "machine and readable (the same layer tars, checked against their digests, without "
        "waiting for the engine to write an archive), else as `docker save` streams them; "
        "'storage' or 'save' insists on one.",
    )(func)
