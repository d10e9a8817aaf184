"""What each package manager keeps in an image (databases, caches, logs), declared once per
manager as plain data; ``verify`` and ``analyze`` derive their path rules from it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Reclaim:
    """A category of bytes that sit in an image but serve nothing at run time (``analyze``)."""

    category: str  # "apt-lists"
    description: str  # "apt package lists"
    paths: tuple[str, ...]  # absolute directories, or "~/..." for the same path in every home


@dataclass(frozen=True)
class StatePaths:
    """Where a manager keeps its state in an image, declared once for ``verify`` and ``analyze``.

    ``databases``: what records the installed packages (differs whenever packages differ);
    ``caches``: downloads and indexes a build leaves, absolute or ``~/`` for every user's home;
    ``logs``: the manager's own logs; ``reclaimable``: the ``analyze`` categories, in order.
    """

    databases: tuple[str, ...] = ()
    caches: tuple[str, ...] = ()
    logs: tuple[str, ...] = ()
    reclaimable: tuple[Reclaim, ...] = ()
