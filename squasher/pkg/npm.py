"""npm, yarn and pnpm: installs, removals and their caches. Packages are never purged."""

from __future__ import annotations

from squasher.pkg.base import Action, PkgOp, package_specs
from squasher.pkg.common import CacheOnlyManager
from squasher.pkg.state import Reclaim, StatePaths
from squasher.shell.query import SimpleCommand, parse_options

_LONG_VALUE = frozenset(
    {
        "registry",
        "prefix",
        "cache",
        "omit",
        "include",
        "only",
        "tag",
        "workspace",
        "cwd",
        "modules-folder",
        "network-timeout",
        "filter",
        "dir",
        "store-dir",
        "loglevel",
    }
)
_SHORT_VALUE = "wC"  # npm -w workspace, pnpm -C dir
_INSTALL = frozenset(
    {
        "install",
        "i",
        "in",
        "ins",
        "inst",
        "insta",
        "instal",
        "isnt",
        "isntal",
        "isntall",
        "add",
        "ci",
        "clean-install",
        "install-clean",
        "ic",
    }
)
_REMOVE = frozenset({"uninstall", "un", "unlink", "remove", "rm", "r", "prune"})
CACHE_PATHS: dict[str, tuple[str, ...]] = {
    "npm": ("/root/.npm",),
    "yarn": ("/usr/local/share/.cache/yarn", "/root/.cache/yarn", "/root/.yarn/berry/cache"),
    "pnpm": ("/root/.local/share/pnpm/store", "/root/.cache/pnpm"),
}


class Npm(CacheOnlyManager):
    """npm, yarn, pnpm. See the module docstring."""

    name = "npm"
    state = StatePaths(
        caches=("~/.npm", "~/.cache/yarn", "~/.yarn/berry/cache", "~/.cache/pnpm"),
        reclaimable=(
            Reclaim("npm-cache", "npm cache", ("~/.npm",)),
            Reclaim("yarn-cache", "yarn cache", ("~/.cache/yarn",)),
        ),
    )
    tools = frozenset({"npm", "yarn", "yarnpkg", "pnpm"})
    cache_comment = "the npm, yarn and pnpm caches"

    def detect(self, cmd: SimpleCommand) -> list[PkgOp]:
        tool = cmd.name
        if tool not in self.tools or not cmd.words[0].literal:
            return []
        parsed = parse_options(cmd.args, _SHORT_VALUE, _LONG_VALUE)
        ops = [w for w in parsed.operands]
        global_ = parsed.has("-g", "--global")
        if tool in ("yarn", "yarnpkg") and ops and ops[0].text == "global":
            global_ = True
            ops = ops[1:]
        if not ops:
            if tool in ("yarn", "yarnpkg") and not parsed.has("--version", "-v", "--help", "-h"):
                sub = "install"  # bare "yarn" installs
            else:
                return []
        elif not ops[0].literal:
            return []
        else:
            sub = ops[0].text
            ops = ops[1:]
        action: Action
        if sub in _INSTALL:
            action = "install"
        elif sub in _REMOVE:
            action = "remove"
        elif sub == "cache" and ops[:1] and ops[0].text in ("clean", "rm", "clear", "verify"):
            if ops[0].text == "verify":
                return []
            action = "clean"
            ops = []
        elif tool == "pnpm" and sub == "store" and ops[:1] and ops[0].text == "prune":
            action = "clean"
            ops = []
        else:
            return []
        specs, unknown = package_specs(ops, cmd)
        return [
            PkgOp(
                manager=self.name,
                action=action,
                packages=[_name(s) for s in specs if _name(s)],
                specs=specs,
                unknown_packages=unknown,
                tool=tool or "",
                global_=global_,
                conditional=cmd.conditional,
                command=cmd,
            )
        ]

    def cache_paths(self) -> list[str]:
        return [p for tool in sorted(CACHE_PATHS) for p in CACHE_PATHS[tool]]


def _name(spec: str) -> str:
    """``lodash@4`` -> ``lodash``; ``@scope/pkg@1`` -> ``@scope/pkg``; paths and URLs -> ""."""
    if spec.startswith((".", "/", "~")) or "://" in spec or spec.startswith(("git+", "file:")):
        return ""
    at = spec.find("@", 1)
    return spec if at < 0 else spec[:at]
