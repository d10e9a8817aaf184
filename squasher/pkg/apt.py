"""apt (Debian, Ubuntu): apt-get / apt / apt-mark / dpkg operations and the build.sh snippets.

The purge is docker-library's recipe, made automatic and safer:

- snapshot: record ``apt-mark showmanual`` (the base image's hand-installed set) and the marker;
- protect (before every removal, the original's too): for each ELF file the build created or
  changed that no package owns, ``ldd`` -> library path -> its owner in dpkg's file lists (trying the
  path, its target and the other spelling under a merged /usr) -> ``apt-mark manual`` the owner;
  the same for interpreters named in ``#!`` lines of new scripts (``python3-minimal`` also keeps
  ``python3`` when installed). Each package protected is printed (see ``base.PROTECT_TAG``) and
  remembered in ``$SQUASHER_STATE/apt-protected`` for the final purge;
- purge: mark everything auto, re-mark as manual the base's manual set (less ``force``), what the
  build installed by hand except the build-only packages, ``keep`` and everything protected, then
  ``apt-get purge -y --auto-remove`` with Recommends and Suggests not important;
- clean: ``apt-get clean`` and the package lists.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from squasher.pkg.apt_sh import (
    APT_GET,
    APT_MARK,
    BOOKKEEPING_CLEAN,
    BOOKKEEPING_SNAPSHOT,
    INSTALLED,
    PURGE_OPTS,
    SIMULATE_WRAPPED,
    data_readers_sh,
    runtime_tools_sh,
    simulate_sh,
)
from squasher.pkg.base import (
    FREED_TAG,
    PROTECT_TAG,
    WHERE_FROM_ENV,
    PkgOp,
    package_specs,
    strip_version,
    subcommand,
)
from squasher.pkg.common import (
    also_in,
    built_needs_sh,
    each_needed_path_sh,
    freed_paths_sh,
    guarded_sh,
    indent,
    intercept_sh,
    list_file_sh,
    only_in,
    protect_block_sh,
    protect_start_sh,
    snapshot_block_sh,
    state,
)
from squasher.pkg.runtime import data_regex
from squasher.pkg.state import Reclaim, StatePaths
from squasher.shell.query import SimpleCommand, parse_options

_SHORT_VALUE = "octa"  # -o opt, -c config, -t release, -a arch
_LONG_VALUE = frozenset(
    {
        "option",
        "config-file",
        "target-release",
        "default-release",
        "host-architecture",
        "build-profiles",
        "file",
    }
)
_FALSE = frozenset({"false", "0", "no", "off"})
_APT_ACTIONS = {
    "update": "update",
    "install": "install",
    "reinstall": "install",
    "build-dep": "install",
    "satisfy": "install",
    "remove": "remove",
    "purge": "purge",
    "autoremove": "autoremove",
    "autopurge": "autoremove",
    "auto-remove": "autoremove",
    "clean": "clean",
    "autoclean": "clean",
    "auto-clean": "clean",
    "distclean": "clean",
}

CACHE_LISTS = "/var/lib/apt/lists"
CACHE_ARCHIVES = "/var/cache/apt/archives"
CACHE_ROOT = "/var/cache/apt"  # archives and the binary caches apt-get clean drops
NO_RECOMMENDS_CONF = "/etc/apt/apt.conf.d/00squasher-no-recommends"
# packages removed but not purged: only their conffiles are left
_CONFIG_FILES = (
    "dpkg-query -W -f='${db:Status-Status} ${Package}\\n' "
    "| awk '$1 == \"config-files\" { print $2 }' | LC_ALL=C sort -u"
)
# the owners of each needed path: reads the file lists named on stdin (a list that cannot be
# read owns nothing), then prints OWNER, FILE, PATH for each line FILE, PATH, REAL of "needed",
# with the owners of the first of PATH, REAL and their other spellings under a merged /usr
# that a package lists
_OWNERS_AWK = (
    "function twin(p) { if (p ~ /^\\/usr\\/(s?bin\\/|lib)/) return substr(p, 5); "
    'if (p ~ /^\\/(s?bin\\/|lib)/) return "/usr" p; return p } '
    '{ pkg = $0; sub(/^.*\\//, "", pkg); sub(/\\.list$/, "", pkg); '
    'while ((getline l < $0) > 0) owners[l] = (l in owners) ? owners[l] " " pkg : pkg; '
    "close($0) } "
    'END { FS = "\\t"; while ((getline line < needed) > 0) { split(line, v, FS); '
    'n = split(v[2] FS twin(v[2]) FS v[3] FS twin(v[3]), try, FS); hit = ""; '
    'for (i = 1; i <= n && hit == ""; i++) if (try[i] in owners) hit = owners[try[i]]; '
    'k = split(hit, o, " "); '
    'for (i = 1; i <= k; i++) print o[i] "\\t" v[1] "\\t" v[2] } }'
)
# the KiB the installed packages take, by their Installed-Size
_INSTALLED_KIB = (
    'dpkg-query -W -f="\\${db:Status-Status} \\${Installed-Size}\\n" 2>/dev/null '
    "| awk '$1 == \"installed\" { s += $2 } END { print s + 0 }'"
)


class Apt:
    """The apt family. See the module docstring."""

    name = "apt"
    tools = frozenset({"apt-get", "apt", "aptitude", "apt-mark", "dpkg"})
    purges = True
    state = StatePaths(
        databases=("/var/lib/dpkg", "/var/lib/apt", "/var/lib/aptitude"),
        caches=(CACHE_ROOT, "/var/cache/debconf"),
        logs=("/var/log/apt", "/var/log/dpkg.log", "/var/log/alternatives.log"),
        reclaimable=(
            Reclaim("apt-lists", "apt package lists", (CACHE_LISTS,)),
            Reclaim("apt-cache", "apt archives and caches", (CACHE_ROOT,)),
        ),
    )

    # --- reading ---------------------------------------------------------------------------------

    def detect(self, cmd: SimpleCommand) -> list[PkgOp]:
        tool = cmd.name
        if tool not in self.tools or not cmd.words[0].literal:
            return []
        if tool == "dpkg":
            return self._dpkg(cmd)
        args = parse_options(cmd.args, _SHORT_VALUE, _LONG_VALUE)
        found = subcommand(args.operands)
        if found is None:
            return []
        sub, operands = found
        specs, unknown = package_specs(operands, cmd)
        if tool == "apt-mark":
            if sub not in ("auto", "manual", "hold", "unhold", "minimize-manual"):
                return []
            return [self._op(cmd, "mark", specs, unknown, mark=sub, packages=_names(specs))]
        action = _APT_ACTIONS.get(sub)
        if action is None:
            return []
        config = args.config("-o", "--option")
        op = self._op(cmd, action, specs, unknown, packages=_names(specs))
        if action == "install":
            op.no_install_recommends = args.has("--no-install-recommends") or (
                config.get("apt::install-recommends", "").lower() in _FALSE
            )
            # "apt-get install foo-" removes foo
            removed = [s[:-1] for s in specs if s.endswith("-") and not s.startswith("-")]
            op.specs = [s for s in specs if not (s.endswith("-") and not s.startswith("-"))]
            op.packages = _names(op.specs)
            ops = [op]
            if removed:
                ops.append(self._op(cmd, "remove", removed, False, packages=removed))
            return ops
        if action in ("remove", "purge"):
            if args.has("--purge") or sub == "purge":
                op.action = "purge"
            op.auto_remove = args.has("--auto-remove", "--autoremove")
        return [op]

    def _dpkg(self, cmd: SimpleCommand) -> list[PkgOp]:
        args = parse_options(cmd.args, "", frozenset({"root", "admindir", "instdir"}))
        names = [w.text for w in args.operands if w.literal]
        unknown = any(not w.literal for w in args.operands)
        if args.has("-i", "--install"):
            return [self._op(cmd, "install", names, unknown, packages=[])]
        if args.has("-P", "--purge"):
            return [self._op(cmd, "purge", names, unknown, packages=names)]
        if args.has("-r", "--remove"):
            return [self._op(cmd, "remove", names, unknown, packages=names)]
        return []

    def _op(
        self,
        cmd: SimpleCommand,
        action: str,
        specs: list[str],
        unknown: bool,
        *,
        packages: list[str],
        mark: str | None = None,
    ) -> PkgOp:
        return PkgOp(
            manager=self.name,
            action=action,  # type: ignore[arg-type]
            packages=packages,
            specs=list(specs),
            unknown_packages=unknown,
            tool=cmd.name or "",
            mark=mark,
            conditional=cmd.conditional,
            command=cmd,
        )

    # --- writing ---------------------------------------------------------------------------------

    def snapshot_sh(self) -> str:
        return snapshot_block_sh(
            "apt",
            "record the hand-installed packages and the start of the build",
            "command -v apt-mark >/dev/null 2>&1",
            f"{APT_MARK} showmanual | LC_ALL=C sort -u > {state('apt-manual')}\n"
            + f": >> {state('apt-protected')}\n"
            + f"{_CONFIG_FILES} > {state('apt-config-files')}\n"
            # the base's whole installed set, whatever its marks: the purge never removes it
            + f"{INSTALLED} > {state('apt-base')}\n"
            # the bookkeeping files the base has, as they are: only the build's own are removed
            + BOOKKEEPING_SNAPSHOT,
        )

    def protect_sh(self, where: str = "") -> str:
        body = (
            protect_start_sh(where)
            + built_needs_sh("apt", "cat /var/lib/dpkg/info/*.list")
            # one line per needed path (the first file that needs it) and its real path
            + each_needed_path_sh("apt-needs")
            + '\tprintf \'%s\\t%s\\t%s\\n\' "$squasher_f" "$squasher_lib" "$squasher_real"\n'
            + f"done > {state('apt-needed')}\n"
            # then its owners, read from the packages' file lists in one pass (what
            # dpkg-query --search reads, once a path): the path, then its real path, each also
            # in its other spelling under a merged /usr
            + "printf '%s\\n' /var/lib/dpkg/info/*.list \\\n"
            + f"\t| awk -v needed={state('apt-needed')} '{_OWNERS_AWK}' \\\n"
            + '\t| while IFS="$squasher_tab" read -r squasher_pkg squasher_f squasher_lib; do\n'
            + '\tsquasher_base="${squasher_pkg%%:*}"\n'
            + '\tcase "$squasher_base" in\n'
            + "\t*-minimal)\n"
            + "\t\tif dpkg-query -W -f='${db:Status-Status}\\n' \"${squasher_base%-minimal}\" "
            + "2>/dev/null | grep -qx installed; then\n"
            + '\t\t\tprintf \'%s\\t%s\\t%s\\n\' "${squasher_base%-minimal}" "$squasher_f" '
            + '"$squasher_lib"\n'
            + "\t\tfi\n"
            + "\t\t;;\n"
            + "\tesac\n"
            + '\tprintf \'%s\\t%s\\t%s\\n\' "$squasher_pkg" "$squasher_f" "$squasher_lib"\n'
            + f"done > {state('apt-protect-new')}\n"
            # only what the removal would really take (when it was simulated) is protected
            + f"if [ -e {state('apt-would')} ]; then\n"
            + f"\tawk -F '\\t' -v would={state('apt-would')} "
            + "'BEGIN { while ((getline d < would) > 0) take[d] = 1 } "
            + '{ name = $1; sub(/:.*/, "", name) } take[name]\' '
            + f"{state('apt-protect-new')} > {state('apt-protect-taken')}\n"
            + f"\tmv {state('apt-protect-taken')} {state('apt-protect-new')}\n"
            + "fi\n"
            # mark them all; report each once (its first file), except the ones another
            # protected package depends on (they stay through it: libssl3 through libpq5)
            + f"cut -f 1 {state('apt-protect-new')} | LC_ALL=C sort -u > {state('apt-protect-pkgs')}\n"
            + 'xargs -r dpkg-query -W -f="\\${Depends}, \\${Pre-Depends}\\n" '
            + f"< {state('apt-protect-pkgs')} 2>/dev/null \\\n"
            + "\t| tr '|' ',' | tr ',' '\\n' | sed -e 's/(.*//' -e 's/[[:space:]]//g' -e 's/:any$//' \\\n"
            + f"\t| LC_ALL=C sort -u > {state('apt-protect-deps')}\n"
            + f'LC_ALL=C sort -t "$squasher_tab" -k1,1 -k2,2 {state("apt-protect-new")} \\\n'
            + f"\t| awk -F '\\t' -v w=\"$squasher_where\" -v deps={state('apt-protect-deps')} "
            + "'BEGIN { while ((getline d < deps) > 0) dep[d] = 1 } "
            + '{ name = $1; sub(/:.*/, "", name) } !dep[name] && !seen[$1]++ '
            + f'{{ print "{PROTECT_TAG}\\tapt\\t" $1 "\\t" $2 "\\t" $3 "\\t" w }}\'\n'
            + f"xargs -r {APT_MARK} manual < {state('apt-protect-pkgs')} > /dev/null\n"
            + f"LC_ALL=C sort -u -o {state('apt-protected')} {state('apt-protected')} "
            + f"{state('apt-protect-pkgs')}\n"
        )
        return protect_block_sh(self.name, where, "command -v dpkg-query >/dev/null 2>&1", body)

    def intercept_sh(self) -> str:
        return intercept_sh(
            self.name,
            SIMULATE_WRAPPED + self.protect_sh(WHERE_FROM_ENV) + f"rm -f {state('apt-would')}\n",
            ("apt-get", "apt", "dpkg"),
            (
                "purge",
                "remove",
                "autoremove",
                "autopurge",
                "auto-remove",
                "--auto-remove",
                "--autoremove",
                "-P",
                "--purge",
                "-r",
                "--remove",
            ),
        )

    def purge_sh(
        self, build_only: Sequence[str], keep: Sequence[str], force: Sequence[str] = ()
    ) -> str:
        body = (
            "# apt reads no package lists here: marks and removals need only what is installed\n"
            # apt-mark prints native packages without ":arch": match both spellings
            + list_file_sh("apt-build-only", [*build_only, *(b.split(":")[0] for b in build_only)])
            + list_file_sh("apt-keep", keep)
            + list_file_sh("apt-force", force)
            + "".join(
                f"[ -e {state(f)} ] || : > {state(f)}\n"
                for f in ("apt-manual", "apt-base", "apt-protected")
            )
            + f"{APT_MARK} showmanual | LC_ALL=C sort -u > {state('apt-manual-now')}\n"
            + f"{INSTALLED} > {state('apt-installed')}\n"
            + "{\n"
            + f"\t{only_in(state('apt-manual'), state('apt-force'))}\n"
            # everything the base had installed, whatever its marks, unless the user purges it
            + f"\t{only_in(state('apt-base'), state('apt-force'))}\n"
            + f"\t{only_in(state('apt-manual-now'), state('apt-build-only'))}\n"
            + f"\tcat {state('apt-keep')}\n"
            # runtime data (CA store, zoneinfo ...) never goes as collateral
            + f"\tgrep -xE '{data_regex(readers_checked=True)}' {state('apt-installed')}\n"
            + f"}} | LC_ALL=C sort -u | {also_in('-', state('apt-installed'))} "
            + f"> {state('apt-remark')}\n"
            + f"{APT_MARK} auto '.*' > /dev/null\n"
            + f"xargs -r {APT_MARK} manual < {state('apt-remark')} > /dev/null\n"
            # what the purge would take without the protection: only those are reported
            + f"rm -f {state('apt-would')}\n"
            + simulate_sh(f"{APT_GET} -s purge --auto-remove {PURGE_OPTS}")
            + self.protect_sh("final purge")
            + f"rm -f {state('apt-would')}\n"
            + runtime_tools_sh(build_only)
            + f"sed 's/:.*//' {state('apt-protected')} | {also_in('-', state('apt-installed'))} "
            + f"| xargs -r {APT_MARK} manual > /dev/null\n"
            + data_readers_sh()
            + f"squasher_before=$({_INSTALLED_KIB})\n"
            + f"{APT_GET} purge -y --auto-remove {PURGE_OPTS}\n"
            # packages the build removed without purging keep their conffiles in /etc:
            # purge those (not the ones the base image already had in that state)
            + f"[ -e {state('apt-config-files')} ] || : > {state('apt-config-files')}\n"
            + f"{_CONFIG_FILES} \\\n"
            + f"\t| {only_in('-', state('apt-config-files'))} \\\n"
            + "\t| xargs -r dpkg --purge > /dev/null\n"
            + f"squasher_after=$({_INSTALLED_KIB})\n"
            + f"printf '{FREED_TAG}\\tapt\\tpurge\\t%s\\n' "
            + '"$((squasher_before - squasher_after))"\n'
            # the marks as the build left them: what only squasher marked manual is auto again
            + f"{APT_MARK} showmanual | {only_in('-', state('apt-manual-now'))} "
            + f"| xargs -r {APT_MARK} auto > /dev/null\n"
        )
        return guarded_sh(
            "squasher apt: purge the build-only packages and what only they needed",
            "command -v apt-mark >/dev/null 2>&1",
            body,
        )

    def clean_sh(self, skip: Collection[str] = ()) -> str:
        lines = []
        if CACHE_ARCHIVES not in skip:
            lines.append(freed_paths_sh(self.name, [CACHE_ROOT]) + "apt-get clean\n")
        if CACHE_LISTS not in skip:
            lines.append(freed_paths_sh(self.name, [CACHE_LISTS]) + f"rm -rf {CACHE_LISTS}/*\n")
        lines.append(BOOKKEEPING_CLEAN)
        if not lines:
            return ""
        return (
            "# squasher apt: drop the package cache and lists, and the build's own apt logs\n"
            + "if command -v apt-get >/dev/null 2>&1; then\n"
            + indent("".join(lines))
            + "fi\n"
        )

    def cache_paths(self) -> list[str]:
        return [CACHE_ARCHIVES, CACHE_LISTS]

    def no_recommends_sh(self) -> str:
        """sh for ``--no-recommends``, run after the snapshot: apt installs no Recommends."""
        return (
            "# squasher apt: --no-recommends: install no recommended packages during the build\n"
            "if [ -d /etc/apt/apt.conf.d ]; then\n"
            f"\tprintf 'APT::Install-Recommends \"false\";\\n' > {NO_RECOMMENDS_CONF}\n"
            "fi\n"
        )

    def no_recommends_end_sh(self) -> str:
        """sh run at the end when ``no_recommends_sh`` ran: the image keeps apt's defaults."""
        return f"rm -f {NO_RECOMMENDS_CONF}\n"


def _names(specs: list[str]) -> list[str]:
    """Package names of apt operands: ``gcc=4:12``, ``foo/bookworm``, ``foo:amd64`` -> name.

    Local ``.deb`` paths are not names and are left out.
    """
    out: list[str] = []
    for s in specs:
        if s.startswith(("/", "./", "../")) or s.endswith(".deb"):
            continue
        # a trailing "+" on a removal asks apt to install instead, but only when no package has
        # that name, and many do (g++, libstdc++6): the name is kept as written
        name = strip_version(s, "=/")
        if name and name not in out:
            out.append(name)
    return out
