"""Go's module and build caches: ``go build``, ``go install``, ``go mod download``, ``go get``.

Go has no packages to purge (a build leaves a binary), but every ``go`` command that compiles or
downloads fills two caches: the build cache (``GOCACHE``, by default ``$HOME/.cache/go-build``)
and the module cache (``$GOPATH/pkg/mod``: ``/root/go/pkg/mod``, or ``/go/pkg/mod`` where an
image sets ``GOPATH=/go``). Both are caches: go rebuilds or downloads again what is missing.
"""

from __future__ import annotations

from squasher.pkg.base import Action, PkgOp
from squasher.pkg.common import CacheOnlyManager
from squasher.pkg.state import Reclaim, StatePaths
from squasher.shell.query import SimpleCommand

CACHE_PATHS = ("/root/.cache/go-build", "/root/go/pkg/mod", "/go/pkg/mod")
# subcommands that compile or download, so fill a cache
_FILLS = frozenset({"build", "install", "get", "mod", "test", "run", "generate", "vet", "work"})


class GoModules(CacheOnlyManager):
    """The go command. See the module docstring."""

    name = "go"
    state = StatePaths(
        caches=("~/.cache/go-build", "~/go/pkg/mod", "/go/pkg/mod"),
        reclaimable=(
            Reclaim(
                "go-cache",
                "Go build and module caches",
                ("~/.cache/go-build", "~/go/pkg/mod", "/go/pkg/mod"),
            ),
        ),
    )
    tools = frozenset({"go"})
    cache_comment = "Go's build and module caches"

    def detect(self, cmd: SimpleCommand) -> list[PkgOp]:
        if cmd.name not in self.tools or not cmd.words[0].literal:
            return []
        sub = next((w.text for w in cmd.args if not w.text.startswith("-")), "")
        action: Action
        if sub == "clean" and any(w.text in ("-cache", "-modcache") for w in cmd.args):
            action = "clean"
        elif sub in _FILLS:
            action = "install"
        else:
            return []
        return [
            PkgOp(
                manager=self.name,
                action=action,
                tool="go",
                conditional=cmd.conditional,
                command=cmd,
            )
        ]

    def cache_paths(self) -> list[str]:
        return list(CACHE_PATHS)
