"""apk (Alpine): ``apk add [--virtual NAME]``, ``apk del``, the cache, and the build.sh snippets.

Alpine's way, as docker-library does it, made automatic:

- snapshot: the marker and a copy of ``/etc/apk/world`` (what the base asked for);
- protect: ``scanelf --needed`` over the files the build created or changed that no package owns
  gives ``so:`` names (minus libraries the build itself made); ``#!`` interpreters give ``cmd:``
  names; all of them go into a virtual package ``.squasher-rundeps`` (``apk add --no-network``),
  so no ``apk del`` can take them away;
- purge: the kept packages installed only through a virtual group go into ``.squasher-keep``;
  then ``apk del --no-network`` the build-only names that are in the world file (virtual group
  names such as ``.build-deps`` included) and were not in the base's world (unless forced);
- clean: ``/var/cache/apk``.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from squasher.pkg.base import (
    PROTECT_TAG,
    WHERE_FROM_ENV,
    PkgOp,
    package_specs,
    strip_version,
    subcommand,
)
from squasher.pkg.common import (
    also_in,
    built_files_sh,
    freed_paths_sh,
    guarded_sh,
    intercept_sh,
    list_file_sh,
    needs_scan_sh,
    only_in,
    protect_block_sh,
    protect_start_sh,
    snapshot_block_sh,
    state,
)
from squasher.pkg.runtime import data_regex
from squasher.pkg.state import Reclaim, StatePaths
from squasher.shell.query import SimpleCommand, parse_options

_SHORT_VALUE = "tXp"
_LONG_VALUE = frozenset(
    {
        "virtual",
        "repository",
        "root",
        "arch",
        "cache-dir",
        "keys-dir",
        "repositories-file",
        "cache-max-age",
        "timeout",
    }
)
CACHE_PATH = "/var/cache/apk"
RUNDEPS = ".squasher-rundeps"
KEEPDEPS = ".squasher-keep"
_WORLD_NAME = "sed -e 's/[=<>~@].*//'"


# ``needs_scan_sh`` lines: ``so:LIB<TAB>FILE<TAB>LIB`` and ``cmd:NAME<TAB>FILE<TAB>PATH``
_SCANELF_NEEDS = (
    "scanelf --needed --nobanner --format '%n#p' \"$squasher_f\" 2>/dev/null \\\n"
    + '\t| tr \',\' \'\\n\' | awk -v f="$squasher_f" \'NF { print "so:" $1 "\\t" f '
    + f'"\\t" $1 }}\' >> {state("apk-needs")}\n'
)
_INTERPRETER_NEEDS = (
    'printf \'cmd:%s\\t%s\\t%s\\n\' "${squasher_interp##*/}" "$squasher_f" '
    + f'"$squasher_interp" >> {state("apk-needs")}\n'
)


class Apk:
    """apk. See the module docstring."""

    name = "apk"
    state = StatePaths(
        databases=("/lib/apk/db", "/etc/apk/world"),
        caches=(CACHE_PATH, "/etc/apk/cache"),
        logs=("/var/log/apk.log",),
        reclaimable=(Reclaim("apk-cache", "apk cache", (CACHE_PATH, "/etc/apk/cache")),),
    )
    tools = frozenset({"apk"})
    purges = True

    def detect(self, cmd: SimpleCommand) -> list[PkgOp]:
        if cmd.name != "apk" or not cmd.words[0].literal:
            return []
        args = parse_options(cmd.args, _SHORT_VALUE, _LONG_VALUE)
        found = subcommand(args.operands)
        if found is None:
            return []
        sub, operands = found
        specs, unknown = package_specs(operands, cmd)
        no_cache = args.has("--no-cache")
        ops: list[PkgOp] = []
        if args.has("-U", "--update-cache") and not no_cache:
            ops.append(self._op(cmd, "update", [], False))
        if sub == "add":
            op = self._op(cmd, "install", specs, unknown)
            op.no_cache = no_cache
            virtual = args.values("-t", "--virtual")
            op.virtual = virtual[-1] if virtual else None
            ops.append(op)
        elif sub == "del":
            ops.append(self._op(cmd, "remove", specs, unknown))
        elif sub == "update":
            ops.append(self._op(cmd, "update", [], False))
        elif sub == "cache" and specs[:1] in (["clean"], ["purge"]):
            ops.append(self._op(cmd, "clean", [], False))
        elif not ops:
            return []
        return ops

    def _op(self, cmd: SimpleCommand, action: str, specs: list[str], unknown: bool) -> PkgOp:
        names: list[str] = []
        for s in specs:
            n = strip_version(s, "=<>~@")
            if n and not s.startswith(("/", "./")) and not s.endswith(".apk") and n not in names:
                names.append(n)
        return PkgOp(
            manager=self.name,
            action=action,  # type: ignore[arg-type]
            packages=names,
            specs=list(specs),
            unknown_packages=unknown,
            tool="apk",
            conditional=cmd.conditional,
            command=cmd,
        )

    def snapshot_sh(self) -> str:
        return snapshot_block_sh(
            "apk",
            "record the base's world and the start of the build",
            "command -v apk >/dev/null 2>&1",
            f"{_WORLD_NAME} /etc/apk/world | LC_ALL=C sort -u > {state('apk-world')}\n"
            + f": >> {state('apk-protected')}\n",
        )

    def protect_sh(self, where: str = "") -> str:
        owned = (
            'awk \'/^F:/ { d = substr($0, 3) } /^R:/ { print "/" d "/" substr($0, 3) }\' '
            "/lib/apk/db/installed"
        )
        body = (
            protect_start_sh(where)
            + built_files_sh(owned, "apk-built")
            + needs_scan_sh("apk-built", "apk-needs", _SCANELF_NEEDS, _INTERPRETER_NEEDS)
            # a library the build made itself is not a package dependency
            + f"sed -e 's#.*/##' {state('apk-built')} | LC_ALL=C sort -u > "
            + f"{state('apk-built-names')}\n"
            + f'LC_ALL=C sort -t "$squasher_tab" -k1,1 -k2,2 {state("apk-needs")} \\\n'
            + f"\t| awk -F '\\t' -v built={state('apk-built-names')} "
            + '\'BEGIN { while ((getline b < built) > 0) own["so:" b] = 1 } '
            + f"!own[$1] && !seen[$1]++' > {state('apk-protect-new')}\n"
            + "awk -F '\\t' -v w=\"$squasher_where\" "
            + f'\'{{ print "{PROTECT_TAG}\\tapk\\t" $1 "\\t" $2 "\\t" $3 "\\t" w }}\' '
            + f"{state('apk-protect-new')}\n"
            + f"cut -f 1 {state('apk-protect-new')} | LC_ALL=C sort -u -o {state('apk-protected')} "
            + f"{state('apk-protected')} -\n"
            + f"if [ -s {state('apk-protected')} ]; then\n"
            + f"\txargs apk add --no-network --virtual {RUNDEPS} < {state('apk-protected')} "
            + "> /dev/null\n"
            + "fi\n"
        )
        return protect_block_sh(
            self.name,
            where,
            "command -v apk >/dev/null 2>&1 && command -v scanelf >/dev/null 2>&1",
            body,
        )

    def intercept_sh(self) -> str:
        return intercept_sh(
            self.name,
            self.protect_sh(WHERE_FROM_ENV),
            ("apk", "apk.static"),
            ("del",),
        )

    def purge_sh(
        self, build_only: Sequence[str], keep: Sequence[str], force: Sequence[str] = ()
    ) -> str:
        body = (
            list_file_sh("apk-build-only", build_only)
            + list_file_sh("apk-keep", keep)
            + list_file_sh("apk-force", force)
            + f"[ -e {state('apk-world')} ] || : > {state('apk-world')}\n"
            + f"{_WORLD_NAME} /etc/apk/world | LC_ALL=C sort -u > {state('apk-world-now')}\n"
            # kept packages that are in no world entry would go with their virtual group
            # and so would runtime data (CA store, zoneinfo) that only a deleted package needed
            + f"{{ cat {state('apk-keep')}; apk info 2>/dev/null | grep -xE '{data_regex()}'; }} "
            + f"| LC_ALL=C sort -u | {only_in('-', state('apk-world-now'))} | "
            + "while IFS= read -r squasher_p; do\n"
            + '\tif apk info -e "$squasher_p" > /dev/null 2>&1; then echo "$squasher_p"; fi\n'
            + f"done > {state('apk-keep-add')}\n"
            + f"if [ -s {state('apk-keep-add')} ]; then\n"
            + f"\txargs apk add --no-network --virtual {KEEPDEPS} < {state('apk-keep-add')} "
            + "> /dev/null\n"
            + "fi\n"
            + "{\n"
            + f"\t{only_in(state('apk-build-only'), state('apk-world'))}\n"
            + f"\t{also_in(state('apk-force'), state('apk-build-only'))}\n"
            + f"}} | LC_ALL=C sort -u | {also_in('-', state('apk-world-now'))} > "
            + f"{state('apk-del')}\n"
            + f"if [ -s {state('apk-del')} ]; then\n"
            + f"\txargs apk del --no-network < {state('apk-del')}\n"
            + "fi\n"
        )
        return self.protect_sh("final purge") + guarded_sh(
            "squasher apk: delete the build-only packages and groups",
            "command -v apk >/dev/null 2>&1",
            body,
        )

    def clean_sh(self, skip: Collection[str] = ()) -> str:
        if CACHE_PATH in skip:
            return ""
        return (
            "# squasher apk: drop the package cache\n"
            + freed_paths_sh(self.name, [CACHE_PATH])
            + f"rm -rf {CACHE_PATH}/*\n"
        )

    def cache_paths(self) -> list[str]:
        return [CACHE_PATH]
