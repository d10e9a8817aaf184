"""pip (pip, pip3, pip3.11, ``python -m pip``, ``uv pip``): installs, uninstalls and its cache.

pip packages are never purged (a wheel's C libraries are kept by the system manager's protection,
which scans the new ``*.so`` files); only the cache is cleaned.
"""

from __future__ import annotations

import re

from squasher.pkg.base import PkgOp, package_specs, strip_version, subcommand
from squasher.pkg.common import CacheOnlyManager
from squasher.pkg.state import Reclaim, StatePaths
from squasher.shell.query import SimpleCommand, Word, parse_options

_PIP = re.compile(r"^pip[0-9.]*$")
_PYTHON = re.compile(r"^python[0-9.]*$")
_SHORT_VALUE = "rcefitebC"  # -r req, -c constraints, -e editable, -f links, -i index, -t target, -b
_LONG_VALUE = frozenset(
    {
        "requirement",
        "constraint",
        "editable",
        "find-links",
        "index-url",
        "extra-index-url",
        "target",
        "prefix",
        "root",
        "src",
        "upgrade-strategy",
        "no-binary",
        "only-binary",
        "platform",
        "python-version",
        "implementation",
        "abi",
        "progress-bar",
        "cache-dir",
        "trusted-host",
        "config-settings",
        "global-option",
        "install-option",
        "log",
        "log-file",
        "timeout",
        "retries",
        "proxy",
        "cert",
        "client-cert",
        "exists-action",
        "root-user-action",
        "report",
        "python",
        "keyring-provider",
        "use-feature",
        "use-deprecated",
    }
)
_PYTHON_VALUE = "WXc"  # python -W arg, -X opt, -c cmd
CACHE_PATHS = ("/root/.cache/pip",)
_TRUE = frozenset({"1", "true", "yes", "on"})


class Pip(CacheOnlyManager):
    """pip. See the module docstring."""

    name = "pip"
    state = StatePaths(
        caches=("~/.cache/pip",),
        reclaimable=(Reclaim("pip-cache", "pip cache", ("~/.cache/pip",)),),
    )
    tools = frozenset({"pip", "pip3", "python", "python3", "uv"})  # and pipX.Y / pythonX.Y
    cache_comment = "the pip cache"

    def detect(self, cmd: SimpleCommand) -> list[PkgOp]:
        args = _pip_args(cmd)
        if args is None:
            return []
        parsed = parse_options(args, _SHORT_VALUE, _LONG_VALUE)
        found = subcommand(parsed.operands)
        if found is None:
            return []
        sub, operands = found
        specs, unknown = package_specs(operands, cmd)
        env = cmd.env()
        no_cache = parsed.has("--no-cache-dir") or env.get("PIP_NO_CACHE_DIR", "").lower() in _TRUE
        if sub == "install":
            reqs = parsed.values("-r", "--requirement", "-c", "--constraint")
            editable = parsed.values("-e", "--editable")
            return [
                PkgOp(
                    manager=self.name,
                    action="install",
                    packages=_names(specs),
                    specs=specs + [f"-e {e}" for e in editable],
                    unknown_packages=unknown,
                    tool=cmd.name or "",
                    no_cache=no_cache,
                    user_level=parsed.has("--user"),
                    requirements=reqs,
                    conditional=cmd.conditional,
                    command=cmd,
                )
            ]
        if sub == "uninstall":
            return [
                PkgOp(
                    manager=self.name,
                    action="remove",
                    packages=_names(specs),
                    specs=specs,
                    unknown_packages=unknown,
                    tool=cmd.name or "",
                    requirements=parsed.values("-r", "--requirement"),
                    conditional=cmd.conditional,
                    command=cmd,
                )
            ]
        if sub == "cache" and specs[:1] in (["purge"], ["remove"]):
            return [
                PkgOp(
                    manager=self.name,
                    action="clean",
                    tool=cmd.name or "",
                    conditional=cmd.conditional,
                    command=cmd,
                )
            ]
        return []

    def cache_paths(self) -> list[str]:
        return list(CACHE_PATHS)


def _pip_args(cmd: SimpleCommand) -> tuple[Word, ...] | None:
    """The arguments after ``pip`` in ``pip ...``, ``python -m pip ...``, ``uv pip ...``."""
    name = cmd.name or ""
    if not cmd.words or not cmd.words[0].literal:
        return None
    if _PIP.match(name):
        return cmd.args
    if name == "uv" and len(cmd.words) > 1 and cmd.words[1].text == "pip":
        return cmd.words[2:]
    if not _PYTHON.match(name):
        return None
    words = cmd.args
    i = 0
    while i < len(words):
        t = words[i].text
        if t == "-m" and i + 1 < len(words):
            return words[i + 2 :] if words[i + 1].text == "pip" else None
        if t == "-mpip":
            return words[i + 1 :]
        if not t.startswith("-") or t in ("-", "-c") or t.startswith("-c"):
            return None  # a script or -c code: not pip
        if t[1:2] in _PYTHON_VALUE and len(t) == 2:
            i += 1
        i += 1
    return None


def _names(specs: list[str]) -> list[str]:
    """Distribution names of requirement specs: ``Django==4.2``, ``psycopg2[binary]>=2``."""
    out: list[str] = []
    for s in specs:
        if s.startswith((".", "/", "-")) or "://" in s or s.endswith((".whl", ".tar.gz", ".zip")):
            continue
        name = strip_version(s, "<>=!~;[ @").strip()
        if name and name.lower() not in (n.lower() for n in out):
            out.append(name)
    return out
