"""One build as the builders take it (``BuildRequest``), and the arguments of the entry points that
pick a builder (``build``, ``Scratch.build``), defined once in ``build_arguments``."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Concatenate, Literal, ParamSpec, TypeVar

from squasher.engine.progress import ProgressCallback

BuilderChoice = Literal["auto", "classic", "buildkit"]

_P = ParamSpec("_P")
_S = TypeVar("_S")
_R = TypeVar("_R")


@dataclass(frozen=True)
class BuildRequest:
    """What to build, for ``build_classic`` and ``build_buildkit``."""

    context: Path
    dockerfile: str | Path = "Dockerfile"  # relative to the context, or absolute
    buildargs: Mapping[str, str] = field(default_factory=dict)
    tag: str | None = None
    on_progress: ProgressCallback | None = None
    target: str | None = None
    nocache: bool = False


def build_arguments(
    context: str | Path,
    dockerfile: str | Path = "Dockerfile",
    buildargs: Mapping[str, str] | None = None,
    tag: str | None = None,
    on_progress: ProgressCallback | None = None,
    *,
    builder: BuilderChoice = "auto",
    target: str | None = None,
    nocache: bool = False,
) -> tuple[BuildRequest, BuilderChoice]:
    """The arguments of every entry point that picks a builder: the build, and the builder
    (``auto``: the classic builder unless the Dockerfile needs BuildKit)."""
    request = BuildRequest(
        Path(context), dockerfile, dict(buildargs or {}), tag, on_progress, target, nocache
    )
    return request, builder


def _taking(
    arguments: Callable[_P, tuple[BuildRequest, BuilderChoice]],
) -> Callable[[Callable[[_S, BuildRequest, BuilderChoice], _R]], Callable[Concatenate[_S, _P], _R]]:
    def decorate(
        impl: Callable[[_S, BuildRequest, BuilderChoice], _R],
    ) -> Callable[Concatenate[_S, _P], _R]:
        @functools.wraps(impl)
        def entry(first: _S, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
            request, builder = arguments(*args, **kwargs)
            return impl(first, request, builder)

        # help() shows the arguments callers pass, not the implementation's
        shown = inspect.signature(impl)
        params = list(inspect.signature(arguments).parameters.values())
        entry.__signature__ = shown.replace(  # type: ignore[attr-defined]
            parameters=[next(iter(shown.parameters.values())), *params],
            return_annotation=shown.return_annotation,
        )
        return entry

    return decorate


#: ``@takes_build_arguments`` on ``impl(first, request, builder)`` gives
#: ``entry(first, context, dockerfile="Dockerfile", ..., builder="auto", ...)`` (``build_arguments``)
takes_build_arguments = _taking(build_arguments)
