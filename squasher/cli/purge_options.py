"""The purge options shared by ``rewrite`` and ``diff-size``: which packages the script purges."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def purge_options(func: F) -> F:
    """Add --no-purge, --purge, --keep, --exact and --no-recommends to a command."""
    options = [
        click.option(
            "--no-recommends",
            is_flag=True,
            help="Install no apt Recommends (changes what gets installed).",
        ),
        click.option(
            "--exact",
            is_flag=True,
            help="Do not protect runtime libraries from the original's own removals.",
        ),
        click.option(
            "--keep",
            "keep_packages",
            multiple=True,
            metavar="PKG",
            help="Never purge PKG (repeatable).",
        ),
        click.option(
            "--purge",
            "purge_packages",
            multiple=True,
            metavar="PKG",
            help="Purge PKG at the end of the build (repeatable).",
        ),
        click.option(
            "--no-purge", is_flag=True, help="Keep every package (caches are still cleaned)."
        ),
    ]
    for option in options:
        func = option(func)
    return func


def purge_kwargs(params: dict[str, Any]) -> dict[str, Any]:
    """Pop the purge options from a command's parameters as ``squasher.rewrite`` keywords."""
    return {
        "purge": not params.pop("no_purge"),
        "purge_packages": tuple(params.pop("purge_packages")),
        "keep_packages": tuple(params.pop("keep_packages")),
        "exact": params.pop("exact"),
        "no_recommends": params.pop("no_recommends"),
    }
